"""Two moderators pressing the same button at the same moment (#16): one change, one audit entry, one publish;
the second gets a note saying it was done already, not an error page.

The race is forced: both requests meet at a barrier inside the action, where, without the event's row held
(domain.control._hold), both would see the question still open and both would close it. With it held, the
second request waits for the first, the barrier times out, and the second then finds the result there.
On SQLite and, with TEST_DATABASE_URL, on PostgreSQL (row locks).
"""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import select

from app.domain import control
from app.domain import live as live_domain
from app.models import AuditEntry, Event, Question, QuestionStatus
from tests.factories import questions_of

BARRIER_S = 1.5


def _meeting(monkeypatch, name: str) -> None:
    """Both requests wait for each other at the start of `live_domain.<name>` (at most BARRIER_S)."""
    real = getattr(live_domain, name)
    barrier = threading.Barrier(2)

    def met(**kwargs):
        try:
            barrier.wait(timeout=BARRIER_S)
        except threading.BrokenBarrierError:
            pass  # the other one is held before the action (the fix), or is already done
        return real(**kwargs)

    monkeypatch.setattr(live_domain, name, met)


def _publishes(app, monkeypatch) -> list[int]:
    """The events whose new state is published, one entry per publish."""
    hub = app.state.hub
    seen: list[int] = []
    real = hub.state_changed

    async def counting(event_id, state=None):
        seen.append(event_id)
        await real(event_id, state)

    monkeypatch.setattr(hub, "state_changed", counting)
    return seen


def _two_pages(client) -> list[httpx.Client]:
    """Two control pages of the same login, each with its own cookie jar (a flash goes to the page that acted)."""
    second = httpx.Client(transport=client._transport, base_url=str(client.base_url), cookies=httpx.Cookies(client.cookies))
    return [client, second]


def _at_once(pages: list[httpx.Client], url: str, data: dict) -> list:
    """The same form posted from both pages at the same moment, as two moderators would."""
    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(page.post, url, data=data, follow_redirects=False) for page in pages]
        return [f.result(timeout=60) for f in futures]


def _flashes(pages: list[httpx.Client], url: str) -> list[str]:
    """What each page shows as its note after going back, sorted."""
    found = []
    for page in pages:
        html = page.get(url).text
        found += [f"{kind}: {text}" for kind, text in re.findall(r'<div class="flash (\w+)" role="\w+">([^<]*)</div>', html)]
    return sorted(found)


def _audit(session, event_id: int) -> list[tuple[str, str]]:
    session.expire_all()
    return [(a.action, a.outcome) for a in session.exec(select(AuditEntry).where(AuditEntry.event_id == event_id))]


SCENARIOS = {
    # action: (function where both meet, message for the first, note for the second)
    "close": ("close_question", "Abstimmung geschlossen.", "Die Abstimmung war schon geschlossen."),
    "open": ("open_voting", "Abstimmung geöffnet.", "Die Abstimmung ist schon geöffnet."),
    "show-results": ("set_results_shown", "Ergebnis wird angezeigt.", "Das Ergebnis wird schon angezeigt."),
}


@pytest.mark.parametrize("action", sorted(SCENARIOS))
def test_two_moderators_pressing_at_once_act_once(app, mod_client, session, event, monkeypatch, action):
    single, _ = questions_of(session, event)
    if action == "close":
        live_domain.open_question(session=session, question=single)
    if action == "show-results":
        live_domain.open_question(session=session, question=single)
        live_domain.set_results_shown(session=session, question=single, shown=False)
    before = _audit(session, event.id)
    meet_in, said, note = SCENARIOS[action]
    _meeting(monkeypatch, meet_in)
    published = _publishes(app, monkeypatch)
    base = f"/moderator/events/{event.id}"
    pages = _two_pages(mod_client)

    responses = _at_once(pages, f"{base}/questions/{single.id}/{action}", {"csrf": mod_client.csrf})

    assert [r.status_code for r in responses] == [303, 303]  # both back to the control page, no error page
    assert all(r.headers["location"] == f"{base}#live" for r in responses)
    assert _flashes(pages, base) == [f"info: {note}", f"success: {said}"]  # the second one's is a note, not an error
    assert _audit(session, event.id)[len(before):] == [(action, "done")]  # one entry, nothing "refused"
    assert published == [event.id]  # one publish
    session.expire_all()
    question = session.get(Question, single.id)
    assert question.status == (QuestionStatus.open if action != "close" else QuestionStatus.closed)
    assert question.results_shown is True


def test_two_moderators_pressing_next_at_once_do_not_skip_a_question(app, mod_client, session, event, monkeypatch):
    first, second = questions_of(session, event)
    _meeting(monkeypatch, "next_question")
    published = _publishes(app, monkeypatch)
    base = f"/moderator/events/{event.id}"
    pages = _two_pages(mod_client)

    # Both pages showed the join screen (no current question: after=0).
    responses = _at_once(pages, f"{base}/next", {"csrf": mod_client.csrf, "after": "0"})

    assert [r.status_code for r in responses] == [303, 303]
    assert _flashes(pages, base) == [f"info: Inzwischen wurde schon weitergeschaltet: Jetzt ist „{first.text}“ dran.",
                                     "success: Nächste Frage geöffnet."]
    assert _audit(session, event.id) == [("next", "done")]
    assert published == [event.id]
    session.expire_all()
    assert session.get(Event, event.id).current_question_id == first.id
    assert session.get(Question, second.id).status == QuestionStatus.draft  # not skipped to


def test_the_api_answers_an_action_that_holds_already_with_the_state_as_it_is(mod_client, session, event):
    """The same rule without a race: a second close, reveal or "next" after someone moved on is 200 with the
    unchanged state, and neither logged nor published twice; a page's script (JSON) gets the note."""
    single, _ = questions_of(session, event)
    api = f"/api/events/{event.id}"
    assert mod_client.post(f"{api}/next", json={"after": 0}).json()["question"]["id"] == single.id
    again = mod_client.post(f"{api}/next", json={"after": 0})
    assert again.status_code == 200 and again.json()["question"]["id"] == single.id  # not skipped on
    assert mod_client.post(f"{api}/questions/{single.id}/close").status_code == 200
    second = mod_client.post(f"{api}/questions/{single.id}/close")
    assert second.status_code == 200 and second.json()["question"]["status"] == "closed"
    scripted = mod_client.post(f"/moderator/events/{event.id}/questions/{single.id}/close", data={"csrf": mod_client.csrf},
                               headers={"accept": "application/json"})
    assert scripted.json() == {"ok": True, "action": "close", "message": "Die Abstimmung war schon geschlossen.", "changed": False}
    assert _audit(session, event.id) == [("next", "done"), ("close", "done")]
    # "next" without `after` (a caller that does not say what it saw) moves on as before.
    assert mod_client.post(f"{api}/next").json()["question"]["id"] != single.id
    assert mod_client.post(f"{api}/next", json={"after": -1}).status_code == 422


def test_a_close_from_two_sessions_in_threads_closes_once(engine, session, event, moderator, monkeypatch):
    """The domain alone (what every route calls): two sessions, two threads, one close."""
    from sqlmodel import Session

    single, _ = questions_of(session, event)
    live_domain.open_question(session=session, question=single)
    _meeting(monkeypatch, "close_question")

    def close() -> control.Outcome:
        with Session(engine, expire_on_commit=False) as own:
            return control.perform(session=own, user=moderator, event=own.get(Event, event.id), verb="close", scope="question",
                                   question_id=single.id)

    with ThreadPoolExecutor(2) as pool:
        outcomes = [f.result(timeout=60) for f in [pool.submit(close), pool.submit(close)]]
    assert sorted(o.changed for o in outcomes) == [False, True]
    done, already = sorted(outcomes, key=lambda o: not o.changed)
    assert done.state is not None and done.message == "Abstimmung geschlossen."
    assert already.state is None and already.tally_of is None and already.message == "Die Abstimmung war schon geschlossen."
    assert _audit(session, event.id) == [("close", "done")]
