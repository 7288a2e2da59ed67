"""Domain errors: a stable code for programs and a German message (a gettext msgid) for people."""


class DomainError(Exception):
    status = 400

    def __init__(self, code: str, message: str, /, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params


class NotFound(DomainError):
    status = 404


class Invalid(DomainError):
    status = 422


class Conflict(DomainError):
    status = 409


class AlreadyDone(Conflict):
    """What a moderator action asks for holds already: another moderator, the countdown or a second click did it a
    moment earlier. The domain function refuses (a Conflict); domain.control turns it into an outcome that
    changed nothing: no audit entry, nothing published, the message said to the caller as a note."""
