"""Strict mode on the phones' sockets: who may keep one open when cards are switched on or withdrawn.

A phone socket in strict mode is opened only with a valid card (routes.cards.socket_voter); this module
closes the sockets that lose that right later, on every instance: all phones without a card when strict
mode is switched on, the phones of a withdrawn batch at once. They are closed with 4403 after an error
message, so the page stops retrying and asks for a card instead.
"""

from collections.abc import Mapping
from typing import Any, Protocol

from app.domain.cards import is_card_voter
from app.i18n import N_, translate
from app.realtime import protocol
from app.realtime.bus import Bus
from app.realtime.rooms import Room

KIND = protocol.CARDS_NOTE
CLOSE_CODE = 4403
CARD_REQUIRED = N_("Bei dieser Veranstaltung stimmen Sie mit einer Abstimmkarte ab. Bitte geben Sie den Code Ihrer Karte ein.")
CARD_WITHDRAWN = N_("Ihre Abstimmkarte wurde zurückgezogen. Bitte holen Sie sich am Einlass eine neue Karte.")


class HasBus(Protocol):
    bus: Bus  # the hub's


async def cards_changed(hub: HasBus, event_id: int, *, strict: bool, withdrawn: list[str] | None = None) -> None:
    """Tell every instance that an event's cards changed: strict mode now on/off, these card voters withdrawn."""
    note = protocol.CardsNote(kind="cards", event_id=event_id, strict=strict, withdrawn=list(withdrawn or ()))
    await hub.bus.publish(protocol.CHANNEL, note)


def apply(room: Room, message: Mapping[str, Any]) -> None:
    """On each instance (Hub._on_bus): close the phone sockets that may no longer vote."""
    withdrawn = set(message.get("withdrawn") or ())
    strict = bool(message.get("strict"))
    for conn in list(room.attendees):
        if conn.device in withdrawn:
            text, code = CARD_WITHDRAWN, "card_withdrawn"
        elif strict and not is_card_voter(conn.device):
            text, code = CARD_REQUIRED, "card_required"
        else:
            continue
        conn.push(protocol.error(code, translate(text, conn.locale)))
        conn.close(CLOSE_CODE, drain=True)
