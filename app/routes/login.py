"""Moderators log in and out."""

from functools import partial

from anyio import from_thread
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app import auth
from app.cookies import is_https
from app.db import SessionDep
from app.i18n import _
from app.pages import render
from app.routes.deps import CheckedForm, Text

router = APIRouter()


def _safe_next(url: str | None) -> str:
    return url if url and url.startswith("/") and not url.startswith("//") else "/moderator"


@router.get("/login")
def login_page(request: Request, next: str = "/moderator", ended: str = ""):
    """The login form; `ended=1`: a page whose login ended elsewhere sent the moderator here."""
    return render(request, "login.html", next=_safe_next(next), username="", error=None, ended=ended == "1")


@router.post("/login")
async def login_submit(request: Request, _form: CheckedForm, username: Text = "", password: Text = "", next: Text = "/moderator"):
    """Check the password in the login pool (paced per account name, see app.auth) and start a login."""
    username, password = username[:80], password[:200]

    def again(status: int, error: str, headers: dict[str, str] | None = None) -> Response:
        response = render(request, "login.html", status_code=status, next=_safe_next(next), username=username, error=error)
        response.headers.update(headers or {})
        return response

    try:
        found = await auth.attempt_login(
            username=username, password=password, known=auth.known_lane(request.cookies.get(auth.KNOWN_COOKIE), username)
        )
    except auth.TooManyAttempts as exc:
        error = _("Zu viele Fehlversuche für dieses Konto. Bitte warten Sie {n} Sekunden und versuchen Sie es dann noch einmal.", n=exc.wait_s)
        return again(429, error, {"Retry-After": str(exc.wait_s)})
    except auth.LoginBusy:
        return again(503, _("Zu viele Anmeldungen gleichzeitig, bitte gleich noch einmal."), {"Retry-After": "2"})
    if found is None:
        return again(401, _("Benutzername oder Passwort ist falsch."))
    auth.login(request, found[1])
    response = RedirectResponse(_safe_next(next), status_code=303)
    # This browser now has a lane of its own for the name: others' failed attempts never slow it down.
    response.set_cookie(auth.KNOWN_COOKIE, auth.known_cookie(username), max_age=auth.KNOWN_MAX_AGE, httponly=True,
                        samesite="lax", secure=is_https(request))
    return response


@router.post("/logout")
def logout_submit(request: Request, session: SessionDep, _form: CheckedForm):
    """End the login on the server (the old cookie is worthless at once) and close its control sockets everywhere."""
    ended = auth.end_login(session=session, token=auth.session_token(request))
    request.session.clear()
    if ended is not None:
        from_thread.run(partial(request.app.state.hub.end_moderator_sockets, user_id=ended.user_id, login_id=ended.id))
    return RedirectResponse("/login", status_code=303)
