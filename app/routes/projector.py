"""The projector: a read-only page behind an unguessable link, and its socket."""

from functools import lru_cache

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Request, WebSocket
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

from app.db import new_session
from app.domain import events as e_domain
from app.domain.errors import NotFound
from app.i18n import _, translate
from app.models import Event
from app.pages import public_base, render
from app.realtime import protocol
from app.realtime.connection import socket_unavailable

router = APIRouter()


@lru_cache(maxsize=256)
def qr_svg(url: str) -> str:
    """The join URL as an SVG QR code: quartile error correction and the standard quiet zone, for dim projectors."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, border=4, image_factory=qrcode.image.svg.SvgPathImage)
    qr.add_data(url)
    qr.make(fit=True)
    svg = qr.make_image().to_string(encoding="unicode")
    return svg.replace("<svg ", '<svg role="img" aria-hidden="true" focusable="false" ', 1)


def _find(token: str) -> Event:
    with new_session() as session:
        return e_domain.get_by_projector_token(session=session, token=token)


@router.get("/p/{token}")
def projector_page(request: Request, token: str):
    try:
        event = _find(token)
    except NotFound as exc:
        return render(request, "error.html", status_code=404, title=_("Nicht gefunden"), message=_(exc.message))
    join_url = f"{public_base(request)}/j/{event.join_code}"
    response = render(
        request, "projector.html", event=event, join_url=join_url, qr=qr_svg(join_url), token=token
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@router.websocket("/ws/p/{token}")
async def projector_socket(ws: WebSocket, token: str):
    locale = ws.scope.get("state", {}).get("locale", "de")
    try:
        event = await run_in_threadpool(_find, token)
    except NotFound as exc:
        await ws.accept()
        await ws.send_text(protocol.error(exc.code, translate(exc.message, locale)))
        await ws.close(code=4404)
        return
    except DBAPIError:
        await ws.accept()
        await socket_unavailable(ws, locale)
        return
    await ws.accept()
    await ws.app.state.hub.serve(ws, role="projector", event_id=event.id, device=None, locale=locale)
