"""Public results pages (#17): publish and withdraw an event's or a series' page, choose its questions, downloads,
address and free-text flag (the dated follow-up notes per topic are in `followup`).

The rules: only closed questions can be public, and none is until the moderator ticks it; a page goes out only
with something on it (an event: a public closed question; a series: a published event); publishing, withdrawing,
every change of the settings and every note are audited with the change. The address (slug) is made from date
and place (or title), ASCII-folded (ä → ae, ß → ss), made unique with "-2", "-3" …, and never contains the join
code or the projector token. Whatever changes, `Publication.version` goes up: the public pages' caches are keyed
by it. A published page is found by `published_event` / `published_series` only; anything else is NotFound.
"""

import re
import unicodedata
from collections.abc import Iterable

from sqlmodel import Session, col, select

from app.domain import access
from app.domain.errors import Conflict, Invalid, NotFound
from app.models import AuditEntry, Event, Publication, Question, QuestionStatus, Series, User, utcnow

DOWNLOADS = ("csv", "pdf")  # what a moderator may release: the CSV tables with their metadata, the PDF report
SLUG_MIN, SLUG_MAX = 3, 80
RESERVED_SLUGS = {"reihe"}  # /ergebnisse/reihe/… is a series
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ẞ": "SS"})
# Audit actions (labels in domain/actions.py).
PUBLISH, WITHDRAW, SETTINGS = "publish", "withdraw", "publication-settings"
SERIES_PUBLISH, SERIES_WITHDRAW, SERIES_SETTINGS = "series-publish", "series-withdraw", "series-publication-settings"


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by "-": "Döbeln, Straße" → "doebeln-strasse"."""
    folded = unicodedata.normalize("NFKD", (text or "").translate(FOLD)).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:SLUG_MAX].strip("-")


def proposed_slug(*, event: Event | None = None, series: Series | None = None) -> str:
    """The address a new page gets: "2023-03-15-doebeln" (date and place, else title); a series: its title."""
    if series is not None:
        return slugify(series.title) or "reihe-ergebnisse"
    assert event is not None
    name = slugify(event.place) or slugify(event.title) or "veranstaltung"
    base = f"{event.date.isoformat()}-{name}" if event.date else name
    if event.join_code in base.replace("-", "") or event.projector_token.lower() in base:
        base = slugify(event.title) or "veranstaltung"
    return base[:SLUG_MAX].strip("-")


def _taken(session: Session, slug: str, own_id: int | None) -> bool:
    found = session.exec(select(Publication.id).where(Publication.slug == slug)).first()
    return found is not None and found != own_id


def unique_slug(*, session: Session, base: str, own_id: int | None = None) -> str:
    """`base`, or `base-2`, `base-3` … whichever no other page has."""
    base = base if base not in RESERVED_SLUGS and len(base) >= SLUG_MIN else f"{base}-ergebnisse".strip("-")
    slug, n = base, 1
    while _taken(session, slug, own_id):
        n += 1
        slug = f"{base[:SLUG_MAX - len(str(n)) - 1]}-{n}"
    return slug


def publication_for(*, session: Session, event_id: int | None = None, series_id: int | None = None) -> Publication | None:
    if event_id is not None:
        return session.exec(select(Publication).where(Publication.event_id == event_id)).first()
    return session.exec(select(Publication).where(Publication.series_id == series_id)).first()


def _ensure(session: Session, *, event: Event | None = None, series: Series | None = None) -> Publication:
    found = publication_for(session=session, event_id=event.id if event else None, series_id=series.id if series else None)
    if found is not None:
        return found
    slug = unique_slug(session=session, base=proposed_slug(event=event, series=series))
    publication = Publication(event_id=event.id if event else None, series_id=series.id if series else None, slug=slug)
    session.add(publication)
    return publication


def _touch(publication: Publication) -> None:
    publication.version += 1
    publication.updated_at = utcnow()


def touch_event(*, session: Session, event_id: int) -> None:
    """Something the public page shows changed outside these functions: its caches start again."""
    found = publication_for(session=session, event_id=event_id)
    if found is not None:
        _touch(found)
        session.add(found)


def _check_slug(session: Session, typed: str, publication: Publication, secrets: Iterable[str]) -> str:
    slug = typed.strip().lower()
    if not slug or slug == publication.slug:
        return publication.slug
    if not (SLUG_MIN <= len(slug) <= SLUG_MAX) or not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
        raise Invalid("bad_slug", "Die Adresse darf nur Kleinbuchstaben a–z, Ziffern und einzelne Bindestriche enthalten "
                      "(3 bis 80 Zeichen, z. B. „2023-03-15-doebeln“).")
    if any(secret and secret.lower() in slug.replace("-", "") for secret in secrets):
        raise Invalid("secret_in_slug", "Die Adresse darf weder den Beitrittscode noch den Beamer-Link enthalten.")
    if _taken(session, slug, publication.id):
        raise Conflict("slug_taken", "Die Adresse „{slug}“ ist schon vergeben. Frei wäre zum Beispiel „{free}“.",
                       slug=slug, free=unique_slug(session=session, base=slug, own_id=publication.id))
    return slug


def _downloads(chosen: Iterable[str]) -> str:
    picked = {d.strip() for d in chosen if d.strip()}
    if picked - set(DOWNLOADS):
        raise Invalid("bad_download", "Diese Datei kann nicht freigegeben werden. Bitte laden Sie die Seite neu.")
    return " ".join(d for d in DOWNLOADS if d in picked)


def _yes(flag: bool) -> str:
    return "ja" if flag else "nein"


def questions_of(*, session: Session, event_id: int) -> list[Question]:
    return list(session.exec(select(Question).where(Question.event_id == event_id).order_by(col(Question.position), col(Question.id))))


def visible_ids(*, session: Session, event_id: int) -> set[int]:
    """The questions a public page of the event shows: ticked and closed."""
    return set(session.exec(select(Question.id).where(Question.event_id == event_id, col(Question.public).is_(True),
                                                      Question.status == QuestionStatus.closed)))


def save_event_settings(*, session: Session, user: User, event: Event, question_ids: Iterable[int], show_texts: bool,
                        downloads: Iterable[str], slug: str = "") -> Publication:
    """Which closed questions are public, the free-text flag, the released downloads and the address (audited)."""
    chosen = set(question_ids)
    with access.audited(session=session, event_id=event.id, user=user, action=SETTINGS) as entry:
        publication = _ensure(session, event=event)
        questions = questions_of(session=session, event_id=event.id)
        if chosen - {q.id for q in questions}:
            raise Invalid("foreign_question", "Eine der gewählten Fragen gehört nicht zu dieser Veranstaltung. Bitte laden Sie die Seite neu.")
        for question in questions:
            if question.status != QuestionStatus.closed:
                if question.id in chosen:
                    raise Invalid("not_closed", "Nur geschlossene Fragen können veröffentlicht werden; „{text}“ ist nicht geschlossen.",
                                  text=question.text)
                continue
            question.public = question.id in chosen
            session.add(question)
        publication.slug = _check_slug(session, slug, publication, (event.join_code, event.projector_token))
        publication.show_texts = bool(show_texts)
        publication.downloads = _downloads(downloads)
        _touch(publication)
        session.add(publication)
        public = sum(1 for q in questions if q.public)
        entry.detail = (f"{public} Fragen öffentlich; freie Antworten: {_yes(publication.show_texts)}; "
                        f"Downloads: {publication.downloads or 'keine'}; Adresse: {publication.slug}")
    return publication


def publish_event(*, session: Session, user: User, event: Event, confirmed: bool) -> Publication:
    """Put the event's public page out (audited); refused without a public closed question or a confirmation."""
    if not confirmed:
        raise Invalid("confirm_publish", "Bitte bestätigen Sie, dass die gewählten Ergebnisse öffentlich sein sollen.")
    with access.audited(session=session, event_id=event.id, user=user, action=PUBLISH) as entry:
        publication = _ensure(session, event=event)
        if not visible_ids(session=session, event_id=event.id):
            raise Invalid("nothing_public", "Wählen Sie zuerst mindestens eine geschlossene Frage für die öffentliche Seite aus.")
        _set_published(publication, True)
        session.add(publication)
        entry.detail = f"/ergebnisse/{publication.slug}"
    return publication


def withdraw_event(*, session: Session, user: User, event: Event, confirmed: bool) -> Publication:
    """Take the event's public page down at once (audited)."""
    if not confirmed:
        raise Invalid("confirm_withdraw", "Bitte bestätigen Sie, dass die öffentliche Seite zurückgezogen werden soll.")
    with access.audited(session=session, event_id=event.id, user=user, action=WITHDRAW) as entry:
        publication = publication_for(session=session, event_id=event.id)
        if publication is None or not publication.published:
            raise Invalid("not_published", "Die Seite ist nicht veröffentlicht.")
        _set_published(publication, False)
        session.add(publication)
        entry.detail = f"/ergebnisse/{publication.slug}"
    return publication


def _set_published(publication: Publication, published: bool) -> None:
    publication.published = published
    if published and publication.published_at is None:
        publication.published_at = utcnow()
    _touch(publication)


def _series_audit(session: Session, user: User, events: list[Event], action: str, detail: str) -> None:
    """The entry on every other event of the series (the first gets it through `audited`)."""
    for event in events[1:]:
        session.add(AuditEntry(event_id=event.id, user_id=user.id, username=user.username, action=action, detail=detail[:300]))


def save_series_settings(*, session: Session, user: User, series: Series, events: list[Event], show_texts: bool,
                         downloads: Iterable[str], slug: str = "") -> Publication:
    """The series page's free-text flag, downloads and address (audited on each of its events)."""
    if not events:
        raise Invalid("series_empty", "Diese Reihe hat noch keine Veranstaltung.")
    with access.audited(session=session, event_id=events[0].id, user=user, action=SERIES_SETTINGS) as entry:
        publication = _ensure(session, series=series)
        secrets = [s for e in events for s in (e.join_code, e.projector_token)]
        publication.slug = _check_slug(session, slug, publication, secrets)
        publication.show_texts = bool(show_texts)
        publication.downloads = _downloads(downloads)
        _touch(publication)
        session.add(publication)
        entry.detail = (f"Reihe „{series.title}“: freie Antworten: {_yes(publication.show_texts)}; "
                        f"Downloads: {publication.downloads or 'keine'}; Adresse: reihe/{publication.slug}")
        _series_audit(session, user, events, SERIES_SETTINGS, entry.detail)
    return publication


def published_pages(*, session: Session, events: list[Event]) -> list[tuple[Event, Publication, set[int]]]:
    """Those of `events` whose own page is out and shows a question: each with its publication and public questions."""
    out = []
    for event in events:
        found = publication_for(session=session, event_id=event.id)
        visible = visible_ids(session=session, event_id=event.id) if found is not None and found.published else set()
        if found is not None and visible:
            out.append((event, found, visible))
    return out


def published_events(*, session: Session, events: list[Event]) -> list[Event]:
    """Those of `events` whose own page is out and shows a question."""
    return [event for event, _publication, _visible in published_pages(session=session, events=events)]


def publish_series(*, session: Session, user: User, series: Series, events: list[Event], confirmed: bool) -> Publication:
    """Put the series page out (audited); it shows the published events of the series only."""
    if not confirmed:
        raise Invalid("confirm_publish", "Bitte bestätigen Sie, dass die gewählten Ergebnisse öffentlich sein sollen.")
    if not events:
        raise Invalid("series_empty", "Diese Reihe hat noch keine Veranstaltung.")
    with access.audited(session=session, event_id=events[0].id, user=user, action=SERIES_PUBLISH) as entry:
        publication = _ensure(session, series=series)
        if not published_events(session=session, events=events):
            raise Invalid("nothing_public", "Veröffentlichen Sie zuerst mindestens eine Veranstaltung der Reihe.")
        _set_published(publication, True)
        session.add(publication)
        entry.detail = f"Reihe „{series.title}“: /ergebnisse/reihe/{publication.slug}"
        _series_audit(session, user, events, SERIES_PUBLISH, entry.detail)
    return publication


def withdraw_series(*, session: Session, user: User, series: Series, events: list[Event], confirmed: bool) -> Publication:
    if not confirmed:
        raise Invalid("confirm_withdraw", "Bitte bestätigen Sie, dass die öffentliche Seite zurückgezogen werden soll.")
    if not events:
        raise Invalid("series_empty", "Diese Reihe hat noch keine Veranstaltung.")
    with access.audited(session=session, event_id=events[0].id, user=user, action=SERIES_WITHDRAW) as entry:
        publication = publication_for(session=session, series_id=series.id)
        if publication is None or not publication.published:
            raise Invalid("not_published", "Die Seite ist nicht veröffentlicht.")
        _set_published(publication, False)
        session.add(publication)
        entry.detail = f"Reihe „{series.title}“: /ergebnisse/reihe/{publication.slug}"
        _series_audit(session, user, events, SERIES_WITHDRAW, entry.detail)
    return publication


def published_event(*, session: Session, slug: str) -> tuple[Publication, Event]:
    """The event whose page is out at this address, with a question on it; NotFound for anything else."""
    found = session.exec(select(Publication).where(Publication.slug == slug, col(Publication.event_id).is_not(None))).first()
    event = session.get(Event, found.event_id) if found is not None and found.published else None
    if found is None or event is None or not visible_ids(session=session, event_id=event.id):
        raise NotFound("page_not_found", "Diese Ergebnisseite gibt es nicht oder nicht mehr.")
    return found, event


def published_series(*, session: Session, slug: str) -> tuple[Publication, Series]:
    """The series whose page is out at this address (its published events: `published_events`); NotFound otherwise."""
    found = session.exec(select(Publication).where(Publication.slug == slug, col(Publication.series_id).is_not(None))).first()
    series = session.get(Series, found.series_id) if found is not None and found.published else None
    if found is None or series is None:
        raise NotFound("page_not_found", "Diese Ergebnisseite gibt es nicht oder nicht mehr.")
    return found, series


def has_published_questions(*, session: Session, event_id: int) -> bool:
    """Whether the event's page is out with a question on it ("Meine Antworten" is offered then)."""
    found = publication_for(session=session, event_id=event_id)
    return found is not None and found.published and bool(visible_ids(session=session, event_id=event_id))
