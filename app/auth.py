"""Moderator accounts: argon2 password hashes, the login session, CSRF tokens."""

import hmac
import time
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request
from sqlmodel import Session, select

from app.db import SessionDep
from app.domain.errors import Conflict, Invalid
from app.models import User

_hasher = PasswordHasher()
MIN_PASSWORD = 8


class LoginRequired(Exception):
    """Raised by page dependencies; answered with a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(*, session: Session, username: str, password: str, is_admin: bool = False) -> User:
    """Create a moderator account."""
    username = username.strip()
    if not 2 <= len(username) <= 80:
        raise Invalid("bad_username", "Der Benutzername muss 2 bis 80 Zeichen lang sein.")
    if len(password) < MIN_PASSWORD:
        raise Invalid("weak_password", "Das Passwort muss mindestens {min} Zeichen lang sein.", min=MIN_PASSWORD)
    if session.exec(select(User).where(User.username == username)).first():
        raise Conflict("user_exists", "Den Benutzernamen „{name}“ gibt es schon.", name=username)
    user = User(username=username, password_hash=hash_password(password), is_admin=is_admin)
    session.add(user)
    session.commit()
    return user


class TooManyAttempts(Exception):
    def __init__(self, wait_s: int) -> None:
        self.wait_s = wait_s


# Failed logins per account name, in this process: a few tries, then a pause that grows. Counted by the
# name, never by IP address (a whole hall, or a whole county office, may share one address).
LOGIN_FREE_TRIES = 5
LOGIN_LOCK_S = 60
_failures: dict[str, tuple[int, float]] = {}


def _login_key(username: str) -> str:
    return username.strip().casefold()[:80]


def _check_rate(username: str, now: float) -> None:
    count, until = _failures.get(_login_key(username), (0, 0.0))
    if count >= LOGIN_FREE_TRIES and now < until:
        raise TooManyAttempts(int(until - now) + 1)


def _note_failure(username: str, now: float) -> None:
    count, _until = _failures.get(_login_key(username), (0, 0.0))
    count += 1
    # After the free tries: 1 minute, then 2, 4 … at most an hour.
    lock = LOGIN_LOCK_S * 2 ** max(0, count - LOGIN_FREE_TRIES) if count >= LOGIN_FREE_TRIES else 0
    _failures[_login_key(username)] = (count, now + min(lock, 3600))
    if len(_failures) > 10_000:  # a spray of made-up names must not fill the memory
        for key, (_c, until) in list(_failures.items()):
            if until < now:
                del _failures[key]


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    """The account for this name and password; None if wrong. Raises TooManyAttempts after repeated failures."""
    now = time.monotonic()
    _check_rate(username, now)
    user = session.exec(select(User).where(User.username == username.strip())).first()
    if user is None:
        _hasher.hash(password)  # same work either way, so timing does not reveal names
        _note_failure(username, now)
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        _note_failure(username, now)
        return None
    if not user.is_active:
        return None
    _failures.pop(_login_key(username), None)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
        session.commit()
    return user


def login(request: Request, user: User) -> None:
    request.session.clear()
    request.session["uid"] = user.id


def logout(request: Request) -> None:
    request.session.clear()


def _user_from_session(request: Request, session: Session) -> User | None:
    uid = request.session.get("uid") if "session" in request.scope else None
    user = session.get(User, uid) if isinstance(uid, int) else None
    return user if user is not None and user.is_active else None  # a switched-off account is logged out


def require_page_user(request: Request, session: SessionDep) -> User:
    user = _user_from_session(request, session)
    if user is None:
        raise LoginRequired(request.url.path)
    return user


def require_api_user(request: Request, session: SessionDep) -> User:
    user = _user_from_session(request, session)
    if user is None:
        raise HTTPException(401, "Bitte melden Sie sich an.")
    return user


def check_csrf(request: Request, token: str | None) -> None:
    expected = request.session.get("csrf") if "session" in request.scope else None
    # compare_digest refuses a str with non-ASCII characters (TypeError, a 500); our tokens are ASCII, so such a
    # token is simply wrong.
    if not expected or not token or not token.isascii() or not hmac.compare_digest(expected, token):
        raise HTTPException(403, "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal.")


PageUser = Annotated[User, Depends(require_page_user)]
ApiUser = Annotated[User, Depends(require_api_user)]
