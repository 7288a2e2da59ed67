"""The phone's segment question (#18): asked once when it joins, always optional; answered or skipped by a plain form.

The answer goes the way of every vote (hub.cast_form_vote: the same checks, the same batching writer), under the
phone's voter; "Weiter ohne Angabe" only sets a cookie so the phone is not asked again.
"""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.cookies import DEVICE_COOKIE, is_https, read_device_cookie
from app.domain import segments as seg_domain
from app.domain.errors import DomainError, NotFound
from app.i18n import _
from app.pages import render
from app.routes import cards as card_routes
from app.routes.attendee import find_event, skip_cookie, voter_of

router = APIRouter()
SKIP_MAX_AGE = 2 * 24 * 3600  # an evening and the morning after


@router.post("/j/{code}/segment")
async def answer_segment(request: Request, code: str, question_id: Annotated[str, Form()] = "",
                         choice: Annotated[str, Form()] = "", skip: Annotated[str, Form()] = ""):
    try:
        event = await run_in_threadpool(find_event, code)
    except NotFound as exc:
        return render(request, "start.html", status_code=404, code=code[:20], error=_(exc.message, **exc.params))
    back = RedirectResponse(f"/j/{event.join_code}#phone", status_code=303)
    qid = int(question_id) if question_id.isdigit() and len(question_id) < 10 else None
    if skip or qid is None:
        if qid is not None:
            skipped = seg_domain.skipped_of(request.cookies.get(skip_cookie(event.id))) | {qid}
            back.set_cookie(skip_cookie(event.id), ".".join(map(str, sorted(skipped)))[:200], max_age=SKIP_MAX_AGE,
                            httponly=True, samesite="lax", secure=is_https(request), path=f"/j/{event.join_code}")
        return back
    card = await run_in_threadpool(card_routes.phone_card, request, event, voting=True)
    if card.response is not None:
        return card.response
    device = read_device_cookie(request.cookies.get(DEVICE_COOKIE))
    if card.voter is None and (device is None or not device.admitted(event.id)):
        return _again(request, code, _("Ihr Gerät wurde noch nicht erkannt (Cookies?). Bitte laden Sie die Seite neu."))
    voter = card.voter or voter_of(event, device)  # type: ignore[arg-type]  # no card: device checked above
    try:
        await request.app.state.hub.cast_form_vote(
            event_id=event.id, device=voter, question_id=qid, answer={"choices": [int(choice)] if choice.isdigit() else [choice]},
        )
    except DomainError as exc:
        return _again(request, code, _(exc.message, **exc.params))
    return back


def _again(request: Request, code: str, error: str) -> Response:
    return render(request, "start.html", status_code=422, code=code[:20], error=error)
