"""Where a count comes from (#18): a phone, the help-desk tablet, raised hands or paper slips.

Phones and tablets both store answers in the vote table; a tablet ballot votes under a voter of its own,
`desk:<tablet link id>:<random>`, made fresh per ballot, so nothing links two ballots or a ballot to a person,
and the tally tells the sources apart by that prefix. Hands and paper slips are counts the moderator enters
(`ManualCount`).
"""

import secrets

from app.models import CountSource

TABLET_PREFIX = "desk:"
# The order sources are shown in: the projector's stacked bars, tables and exports.
ORDER = (CountSource.phone, CountSource.tablet, CountSource.hands, CountSource.paper)
MANUAL = (CountSource.hands, CountSource.paper)


def tablet_voter(desk_id: int) -> str:
    """A fresh voter for one tablet ballot: the tablet it came from (for "answers per tablet"), nothing else."""
    return f"{TABLET_PREFIX}{desk_id}:{secrets.token_hex(16)}"


def desk_of(voter: str) -> int | None:
    """The tablet link a stored answer came from, or None for a phone (or a printed card entered on a phone)."""
    if not voter.startswith(TABLET_PREFIX):
        return None
    number = voter[len(TABLET_PREFIX):].partition(":")[0]
    return int(number) if number.isdigit() else None
