"""Countdowns: questions whose timer ran out are closed, on whichever instance gets there first.

Every instance checks every TIMER_CHECK_S; the close is one database update that only one of them wins
(domain.questions.close_expired), and the winner publishes the new state like a moderator action.
"""

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.domain import live as live_domain
from app.domain.shapes import State
from app.domain.snapshot import snapshot
from app.models import Event
from app.realtime.loops import QuietFailures, repeat

TIMER_CHECK_S = 0.5  # how often countdowns that ran out are closed

StateChanged = Callable[[int, State], Awaitable[None]]


async def close_expired_forever(engine: Engine, state_changed: StateChanged) -> None:
    """Close questions whose countdown ran out and publish each event's new state, until cancelled."""
    failures = QuietFailures("Countdowns konnten nicht geprüft werden", "Countdowns werden wieder geprüft.")

    async def close_expired() -> None:
        for event_id, state in await asyncio.to_thread(_close_expired_sync, engine):
            await state_changed(event_id, state)

    await repeat(close_expired, every=lambda: TIMER_CHECK_S, failures=failures)


def _close_expired_sync(engine: Engine) -> list[tuple[int, State]]:
    with Session(engine, expire_on_commit=False) as session:
        changed = live_domain.close_expired(session=session)
        events = [event for event_id in changed if (event := session.get(Event, event_id)) is not None]
        return [(event.id, snapshot(session=session, event=event)) for event in events]
