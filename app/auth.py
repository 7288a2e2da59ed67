"""Moderator accounts: argon2 password hashes, server-side login sessions, login limits, CSRF tokens.

A login is a row (LoginSession) keyed by the SHA-256 of a random token; the signed session cookie carries
only the token. Logout, switching an account off or an expired row end it at once, on every instance.

Password checks run in a small pool of their own (argon2 takes 64 MiB and tens of milliseconds each), so a
burst of logins cannot starve the threads the rest of the app shares; beyond a short queue they are
refused with 503. Attempts are paced per account name through app.limits (shared via Redis when
configured), never per IP address; a browser that logged in as that name before has a lane of its own, so
nobody who merely knows the name can lock the real user out.
"""

import asyncio
import datetime as dt
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request
from itsdangerous import BadSignature, Signer
from sqlalchemy import update
from sqlmodel import Session, col, delete, select

from app.config import settings
from app.db import SessionDep, new_session
from app.domain.errors import Conflict, Invalid
from app.limits import Rate, budgets
from app.models import LoginSession, User, utcnow


def password_hasher(environment: str) -> PasswordHasher:
    """Argon2id with its recommended cost (RFC 9106, argon2-cffi's defaults: t=3, 64 MiB, p=4) everywhere but in
    the test suite (ENVIRONMENT=test, set by tests/conftest.py), where hundreds of logins would take minutes."""
    if environment == "test":
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return PasswordHasher()


_hasher = password_hasher(settings.environment)
MIN_PASSWORD = 8
T = TypeVar("T")


class LoginRequired(Exception):
    """Raised by page dependencies; answered with a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(*, session: Session, username: str, password: str, is_admin: bool = False, commit: bool = True) -> User:
    """Create a moderator account (committed unless `commit` is False, e.g. to audit it in the same transaction)."""
    username = username.strip()
    if not 2 <= len(username) <= 80:
        raise Invalid("bad_username", "Der Benutzername muss 2 bis 80 Zeichen lang sein.")
    if len(password) < MIN_PASSWORD:
        raise Invalid("weak_password", "Das Passwort muss mindestens {min} Zeichen lang sein.", min=MIN_PASSWORD)
    if session.exec(select(User).where(User.username == username)).first():
        raise Conflict("user_exists", "Den Benutzernamen „{name}“ gibt es schon.", name=username)
    user = User(username=username, password_hash=hash_password(password), is_admin=is_admin)
    session.add(user)
    if commit:
        session.commit()
    else:
        session.flush()
    return user


# ---- login sessions on the server ------------------------------------------------------------------

SESSION_KEY = "sid"  # the random token in the signed cookie (never the user id)
SESSION_TOUCH_S = 60  # a login in use is extended at most once a minute (one small write)


def login_id(token: str) -> str:
    """The LoginSession row id of a cookie token: its SHA-256, so the database never holds a usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_login(*, session: Session, user: User) -> str:
    """Create a login for this account; returns the token for the cookie. Expired logins are cleaned up here."""
    now = utcnow()
    session.exec(delete(LoginSession).where(col(LoginSession.expires_at) <= now))
    token = secrets.token_urlsafe(32)
    expires = now + dt.timedelta(seconds=settings.session_max_age_s)
    session.add(LoginSession(id=login_id(token), user_id=user.id, created_at=now, last_seen_at=now, expires_at=expires))
    session.commit()
    return token


def current_login(*, session: Session, token: object) -> tuple[User, LoginSession] | None:
    """The account and login behind a cookie token; None if it ended, expired or the account is switched off.

    A login in use is extended (it expires `session_max_age_s` after its last use, as the cookie does).
    """
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    row = session.get(LoginSession, login_id(token))
    if row is None:
        return None
    now = utcnow()
    if row.expires_at <= now:
        session.exec(delete(LoginSession).where(col(LoginSession.id) == row.id))
        session.commit()
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if (now - row.last_seen_at).total_seconds() > SESSION_TOUCH_S:
        row.last_seen_at, row.expires_at = now, now + dt.timedelta(seconds=settings.session_max_age_s)
        session.exec(
            update(LoginSession).where(col(LoginSession.id) == row.id).values(last_seen_at=row.last_seen_at, expires_at=row.expires_at)
        )
        session.commit()
    return user, row


def end_login(*, session: Session, token: object) -> LoginSession | None:
    """Delete the login behind this token (logout); returns what it was, if anything."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    row = session.get(LoginSession, login_id(token))
    if row is not None:
        session.exec(delete(LoginSession).where(col(LoginSession.id) == row.id))
        session.commit()
    return row


def end_logins_of(*, session: Session, user_id: int) -> None:
    """Delete every login of an account (added to the caller's transaction)."""
    session.exec(delete(LoginSession).where(col(LoginSession.user_id) == user_id))


def login(request: Request, token: str) -> None:
    request.session.clear()
    request.session[SESSION_KEY] = token


def session_token(request) -> object:
    """The login token from the signed cookie of a request or websocket (None without one)."""
    return request.session.get(SESSION_KEY) if "session" in request.scope else None


def _user_from_session(request: Request, session: Session) -> User | None:
    found = current_login(session=session, token=session_token(request))
    return found[0] if found else None


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


# ---- password checks: paced per account name, in a pool of their own ---------------------------------

class TooManyAttempts(Exception):
    def __init__(self, wait_s: int) -> None:
        self.wait_s = wait_s


class LoginBusy(Exception):
    """More password checks waiting than the login pool takes: answered with 503, try again in a moment."""


# Per account name: 5 attempts at once, then one every 30 s. An attempt beyond that waits its turn (up to
# LOGIN_MAX_WAIT_S; a longer wait is refused with 429 and costs nothing). Counted by name, never by IP
# address (a whole county office may share one).
LOGIN_RATE = Rate(burst=5, per_s=1 / 30)
LOGIN_MAX_WAIT_S = 30.0
# A browser that logged in as a name before gets a lane of its own for that name, with the same pace:
# whoever floods the name from elsewhere slows only the shared lane, never the real user's browser.
KNOWN_COOKIE = "saal_known"
KNOWN_MAX_AGE = 180 * 24 * 3600
_known_signer = Signer(settings.secret_key, salt="saalumfrage.known-login")

LOGIN_HASH_THREADS = 2  # argon2 checks at once (64 MiB each)
LOGIN_HASH_QUEUE = 16  # checks running or waiting; beyond that: 503
_hash_pool = ThreadPoolExecutor(max_workers=LOGIN_HASH_THREADS, thread_name_prefix="login-hash")
_hash_lock = threading.Lock()
_hash_pending = 0


def _name_key(username: str) -> str:
    """A keyed hash of the account name: what someone typed (maybe a password by mistake) is never stored."""
    name = username.strip().casefold()[:80]
    return hmac.new(settings.secret_key.encode(), name.encode(), hashlib.sha256).hexdigest()[:32]


def known_cookie(username: str) -> str:
    """The cookie value that marks this browser as one the account logged in from."""
    return _known_signer.sign(f"{secrets.token_urlsafe(12)}.{_name_key(username)}").decode()


def known_lane(cookie: str | None, username: str) -> str | None:
    """This browser's own lane for the name, if its cookie says it logged in as that name before."""
    if not cookie or len(cookie) > 200:
        return None
    try:
        nonce, _sep, name = _known_signer.unsign(cookie).decode().partition(".")
    except (BadSignature, UnicodeDecodeError):
        return None
    return nonce if name and hmac.compare_digest(name, _name_key(username)) else None


def login_wait(username: str, lane: str | None = None) -> float:
    """Spend one login attempt for this name (or this browser's lane); seconds to wait first.

    Raises TooManyAttempts when even LOGIN_MAX_WAIT_S would not be enough (nothing is spent then).
    """
    key = f"login:known:{lane}" if lane else f"login:name:{_name_key(username)}"
    wait = budgets().take(key, LOGIN_RATE, max_wait=LOGIN_MAX_WAIT_S)
    if wait is None:
        raise TooManyAttempts(int(1 / LOGIN_RATE.per_s + 0.5))
    return wait


async def in_hash_pool(work: Callable[[], T]) -> T:
    """Run a password check in the login pool; LoginBusy if LOGIN_HASH_QUEUE checks are already queued."""
    global _hash_pending
    with _hash_lock:
        if _hash_pending >= LOGIN_HASH_QUEUE:
            raise LoginBusy()
        _hash_pending += 1

    def done(_future) -> None:  # counted until the check really ends, even if the request gave up waiting
        global _hash_pending
        with _hash_lock:
            _hash_pending -= 1

    future = _hash_pool.submit(work)
    future.add_done_callback(done)
    return await asyncio.wrap_future(future)


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    """The account for this name and password; None if wrong or switched off. Pacing is the caller's (login_wait)."""
    user = session.exec(select(User).where(User.username == username.strip())).first()
    if user is None:
        _hasher.hash(password)  # same work either way, so timing does not reveal names
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if not user.is_active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
        session.commit()
    return user


async def attempt_login(*, username: str, password: str, known: str | None) -> tuple[User, str] | None:
    """Pace the attempt, check the password in the login pool, start a login: (account, cookie token) or None.

    Raises TooManyAttempts (429) or LoginBusy (503).
    """
    wait = await asyncio.to_thread(login_wait, username, known)  # Redis, when configured: never on the event loop
    if wait > 0:
        await asyncio.sleep(wait)

    def check() -> tuple[User, str] | None:
        with new_session() as session:
            user = authenticate(session=session, username=username, password=password)
            return (user, start_login(session=session, user=user)) if user is not None else None

    return await in_hash_pool(check)


def check_csrf(request: Request, token: str | None) -> None:
    expected = request.session.get("csrf") if "session" in request.scope else None
    # compare_digest refuses a str with non-ASCII characters (TypeError, a 500); our tokens are ASCII, so such a
    # token is simply wrong.
    if not expected or not token or not token.isascii() or not hmac.compare_digest(expected, token):
        raise HTTPException(403, "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal.")


PageUser = Annotated[User, Depends(require_page_user)]
ApiUser = Annotated[User, Depends(require_api_user)]
