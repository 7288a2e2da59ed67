"""Series as an object (list, page, create, rename, visibility), moving events in and out, deleting events and templates."""

import datetime as dt
import re
import uuid

import pytest
from sqlmodel import Session, col, func, select

from app import auth
from app.domain import access, deletion
from app.domain import events as e_domain
from app.domain import series as s_domain
from app.domain import templates as t_domain
from app.domain import votes as v_domain
from app.models import (
    AuditEntry,
    Event,
    EventModerator,
    Option,
    Question,
    ResultArchive,
    Series,
    Template,
    Topic,
    Vote,
    VotingCard,
)
from app.routes.series import de_number
from tests import factories
from tests.helpers import csrf_of, login

OTHER, OTHER_PW = "andere", "andere-geheim-1"
ADMIN, ADMIN_PW = "admin", "admin-geheim-1"


def _as(client, username: str, password: str):
    client.cookies.clear()
    login(client, username, password)
    client.csrf = csrf_of(client.get("/moderator").text)
    return client


def _votes(session: Session, question: Question, devices: list[str], round_: int = 1) -> None:
    first = q_options(session, question)[0]
    v_domain.insert_votes_directly(session=session, rows=[
        v_domain.VoteRow(question_id=question.id, event_id=question.event_id, device_hash=d, choices=(first,),
                         vote_id=uuid.uuid4().hex, round=round_) for d in devices])


def q_options(session: Session, question: Question) -> list[int]:
    return list(session.exec(select(Option.id).where(Option.question_id == question.id).order_by(col(Option.position))))


def _count(session: Session, model, *where) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def _order(html: str, *names: str) -> list[int]:
    """Where each name first appears in the page's (first) table."""
    table = html[html.index("<table"):html.index("</table>")]
    return [table.index(n) for n in names]


@pytest.fixture
def other(session):
    return factories.make_moderator(session, username=OTHER, password=OTHER_PW)


@pytest.fixture
def admin(session):
    return auth.create_user(session=session, username=ADMIN, password=ADMIN_PW, is_admin=True)


def test_create_list_in_order_and_rename(mod_client, session, moderator):
    r = mod_client.post("/moderator/series", data={"csrf": mod_client.csrf, "title": "  Leere   Reihe "}, follow_redirects=False)
    assert r.status_code == 303
    empty = session.exec(select(Series).where(Series.title == "Leere Reihe")).one()
    assert r.headers["location"] == f"/moderator/series/{empty.id}" and empty.owner_id == moderator.id
    older = s_domain.create_series(session=session, user=moderator, title="Ältere Reihe")
    newer = s_domain.create_series(session=session, user=moderator, title="Neuere Reihe")
    for series, year in ((older, 2023), (newer, 2024)):
        e_domain.create_event(session=session, owner_id=moderator.id, title=f"K {year}", date=dt.date(year, 5, 1), series_id=series.id)
    page = mod_client.get("/moderator/series").text
    # The latest series first, a series without (dated) events last; each with its number of events and dates.
    a, b, c = _order(page, "Neuere Reihe", "Ältere Reihe", "Leere Reihe")
    assert a < b < c
    assert "01.05.2024" in page and "01.05.2023" in page and "ohne Datum" in page

    r = mod_client.post(f"/moderator/series/{older.id}/rename", data={"csrf": mod_client.csrf, "title": "Umbenannt"},
                        follow_redirects=False)
    assert r.status_code == 303
    session.refresh(older)
    assert older.title == "Umbenannt"
    # Bad input: a German message on the page, nothing changed, never a 500.
    r = mod_client.post(f"/moderator/series/{older.id}/rename", data={"csrf": mod_client.csrf, "title": "   "})
    assert r.status_code == 422 and "Bitte füllen Sie das Feld „Titel“ aus." in r.text
    r = mod_client.post("/moderator/series", data={"csrf": mod_client.csrf, "title": ""})
    assert r.status_code == 422 and "Bitte füllen Sie das Feld „Titel“ aus." in r.text
    r = mod_client.post("/moderator/series", data={"csrf": mod_client.csrf, "title": "x" * 201})
    assert r.status_code == 422 and "höchstens 200 Zeichen" in r.text
    session.refresh(older)
    assert older.title == "Umbenannt"
    assert mod_client.post("/moderator/series", data={"title": "ohne Token"}).status_code == 403


def test_series_page_events_in_date_order_with_sizes_and_the_template_form(mod_client, session, moderator, event):
    template = t_domain.save_template(session=session, event=event, title="Agenda", owner_id=moderator.id)
    series = session.get(Series, template.series_id)
    later = t_domain.event_from_template(session=session, template=template, owner_id=moderator.id, title="Konferenz Mai",
                                         place="Mittweida", date=dt.date(2024, 5, 2))
    t_domain.event_from_template(session=session, template=template, owner_id=moderator.id, title="Konferenz März",
                                 place="Rochlitz", date=dt.date(2024, 3, 2))
    question = factories.questions_of(session, later)[0]
    _votes(session, question, ["a", "b", "c"])
    _votes(session, factories.questions_of(session, later)[1], ["a", "d"])  # 4 devices in all
    page = mod_client.get(f"/moderator/series/{series.id}").text
    # Dated events by date, the undated one (event A) last; links to their control pages.
    march, may, undated = _order(page, "Konferenz März", "Konferenz Mai", "Regionalkonferenz Freiberg")
    assert march < may < undated
    assert f'href="/moderator/events/{later.id}"' in page and "02.05.2024" in page and "Mittweida" in page
    row = re.search(r"Konferenz Mai</a></th>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r"<td>(\d+)</td>", row) == ["2", "4"]  # questions, voting devices
    assert "Nächste Veranstaltung aus dieser Vorlage anlegen" in page and f'name="template_id" value="{template.id}"' in page
    # The form there makes the next event of this series from the template.
    r = mod_client.post("/moderator/events/from-template", data={"csrf": mod_client.csrf, "template_id": str(template.id),
                                                                 "title": "Konferenz Juni", "date": "2024-06-01"}, follow_redirects=False)
    assert r.status_code == 303
    made = session.exec(select(Event).where(Event.title == "Konferenz Juni")).one()
    assert made.series_id == series.id and made.template_id == template.id
    # The moderator header and the overview link the series.
    overview = mod_client.get("/moderator").text
    assert 'href="/moderator/series"' in overview and f'href="/moderator/series/{series.id}"' in overview


def test_a_foreign_series_is_forbidden_an_unknown_one_not_found(client, session, moderator, other, admin, event):
    mine = s_domain.create_series(session=session, user=moderator, title="Meine Reihe")
    event.series_id = mine.id
    session.add(event)
    session.commit()
    c = _as(client, OTHER, OTHER_PW)
    assert "Meine Reihe" not in c.get("/moderator/series").text
    r = c.get(f"/moderator/series/{mine.id}")
    assert r.status_code == 403 and "Meine Reihe" not in r.text
    assert c.post(f"/moderator/series/{mine.id}/rename", data={"csrf": c.csrf, "title": "Gekapert"}).status_code == 403
    session.refresh(mine)
    assert mine.title == "Meine Reihe"
    assert c.get("/moderator/series/999999").status_code == 404
    assert c.get("/moderator/series/abc").status_code == 400
    assert c.get("/moderator/series/0").status_code == 400
    assert c.get(f"/moderator/series/{2**40}").status_code == 400
    # As co-moderator of its only event the other account sees it, and may rename it (it drives every event) …
    session.add(EventModerator(event_id=event.id, user_id=other.id))
    session.commit()
    assert c.get(f"/moderator/series/{mine.id}").status_code == 200
    assert c.post(f"/moderator/series/{mine.id}/rename", data={"csrf": c.csrf, "title": "Gemeinsam"},
                  follow_redirects=False).status_code == 303
    # … but not once the series holds an event it does not moderate.
    e_domain.create_event(session=session, owner_id=moderator.id, title="Nur meine", series_id=mine.id)
    page = c.get(f"/moderator/series/{mine.id}").text
    assert "Reihe umbenennen" not in page and "von jemand anderem moderiert" in page
    assert c.post(f"/moderator/series/{mine.id}/rename", data={"csrf": c.csrf, "title": "Nochmal"}).status_code == 403
    # An admin sees every series.
    c = _as(client, ADMIN, ADMIN_PW)
    assert "Gemeinsam" in c.get("/moderator/series").text
    assert c.get(f"/moderator/series/{mine.id}").status_code == 200
    # Not logged in: the login page.
    client.cookies.clear()
    assert "/login" in client.get(f"/moderator/series/{mine.id}", follow_redirects=False).headers["location"]


def test_move_event_into_a_series_and_out_audited(mod_client, session, moderator, other, event):
    target = s_domain.create_series(session=session, user=moderator, title="Ziel")
    foreign = s_domain.create_series(session=session, user=other, title="Fremd")
    page = mod_client.get(f"/moderator/events/{event.id}").text
    assert f'<option value="{target.id}">Ziel</option>' in page and "Fremd" not in page
    url = f"/moderator/events/{event.id}/series"
    r = mod_client.post(url, data={"csrf": mod_client.csrf, "series_id": str(target.id)}, follow_redirects=False)
    assert r.status_code == 303
    session.refresh(event)
    assert event.series_id == target.id
    assert "gehört jetzt zur Reihe „Ziel“" in mod_client.get(r.headers["location"]).text
    r = mod_client.post(url, data={"csrf": mod_client.csrf, "series_id": "none"}, follow_redirects=False)
    assert r.status_code == 303
    session.refresh(event)
    assert event.series_id is None
    entries = access.audit_log(session=session, event_id=event.id)
    moves = [(e.detail, e.outcome) for e in entries if e.action == "move-to-series"]
    assert moves == [("Ziel → ohne Reihe", "done"), ("ohne Reihe → Ziel", "done")]
    assert access.audit_log(session=session, event_id=event.id)  # the label is in the table
    from app.domain.actions import audit_labels

    assert audit_labels()["move-to-series"] == "In Reihe verschoben"
    # Someone else's series: 403; unknown: 404; nothing or nonsense: a German message. The event stays where it was.
    assert mod_client.post(url, data={"csrf": mod_client.csrf, "series_id": str(foreign.id)}).status_code == 403
    assert mod_client.post(url, data={"csrf": mod_client.csrf, "series_id": "999999"}).status_code == 404
    r = mod_client.post(url, data={"csrf": mod_client.csrf, "series_id": ""})
    assert r.status_code == 422 and "Bitte wählen Sie eine Reihe" in r.text
    r = mod_client.post(url, data={"csrf": mod_client.csrf, "series_id": "zwei"})
    assert r.status_code == 422 and "ganze Zahl" in r.text
    session.refresh(event)
    assert event.series_id is None


def _full_event(session: Session, owner, co) -> Event:
    """An event with a bit of everything that deleting it must remove."""
    event = factories.make_event(session, owner=owner, title="Regionalkonferenz Döbeln")
    single, multiple = factories.questions_of(session, event)
    _votes(session, single, ["a", "b"])
    _votes(session, single, ["a"], round_=2)
    _votes(session, multiple, [f"d{i}" for i in range(1231)])
    session.add(ResultArchive(question_id=single.id, round=1, results="{}"))
    session.add(VotingCard(event_id=event.id, code_hash=uuid.uuid4().hex))
    session.add(EventModerator(event_id=event.id, user_id=co.id))
    session.commit()
    access.record(session=session, event_id=event.id, user=owner, action="open", detail="Wie kommen Sie zur Arbeit?")
    return event


def test_delete_event_removes_all_of_it_and_keeps_the_log(mod_client, session, moderator, other, admin):
    event = _full_event(session, moderator, other)
    template = t_domain.save_template(session=session, event=event, title="Agenda", owner_id=moderator.id)
    sibling = t_domain.event_from_template(session=session, template=template, owner_id=moderator.id, title="Frankenberg")
    _votes(session, factories.questions_of(session, sibling)[0], ["x"])
    page = mod_client.get(f"/moderator/events/{event.id}/delete").text
    assert "Sie löschen „Regionalkonferenz Döbeln“ mit 1 Thema, 2 Fragen, 1.234 Antworten und 1 archivierten Ergebnis. " \
           "Das lässt sich nicht rückgängig machen." in page.replace("\n", " ")
    assert "und ihre anderen Veranstaltungen bleiben. Das Protokoll der Moderation bleibt erhalten." in page
    assert f'href="/moderator/events/{event.id}/delete"' in mod_client.get(f"/moderator/events/{event.id}").text
    url = f"/moderator/events/{event.id}/delete"
    r = mod_client.post(url, data={"csrf": mod_client.csrf, "confirm_title": "Regionalkonferenz"})
    assert r.status_code == 422 and "den Titel „Regionalkonferenz Döbeln“ genau so eintippen" in r.text
    assert session.get(Event, event.id) is not None
    question_ids = [q.id for q in factories.questions_of(session, event)]
    event_id, series_id = event.id, event.series_id
    r = mod_client.post(url, data={"csrf": mod_client.csrf, "confirm_title": " regionalkonferenz  döbeln "}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/moderator/series/{series_id}"
    session.expire_all()
    assert session.get(Event, event_id) is None
    assert _count(session, Topic, Topic.event_id == event_id) == 0
    assert _count(session, Question, Question.event_id == event_id) == 0
    assert _count(session, Option, col(Option.question_id).in_(question_ids)) == 0
    assert _count(session, Vote, col(Vote.question_id).in_(question_ids)) == 0
    assert _count(session, ResultArchive, col(ResultArchive.question_id).in_(question_ids)) == 0
    assert _count(session, VotingCard, VotingCard.event_id == event_id) == 0
    assert _count(session, EventModerator, EventModerator.event_id == event_id) == 0
    # The series, its template and its other event stay, with their votes.
    assert session.get(Series, template.series_id) is not None and session.get(Template, template.id) is not None
    assert session.get(Event, sibling.id) is not None and _count(session, Vote) == 1
    # The log stays: the event's entries without it, prefixed with its title, and the deletion itself.
    detached = session.exec(select(AuditEntry).where(col(AuditEntry.event_id).is_(None)).order_by(col(AuditEntry.id))).all()
    assert ("open", "Regionalkonferenz Döbeln: Wie kommen Sie zur Arbeit?") in [(e.action, e.detail) for e in detached]
    assert detached[-1].action == "delete-event" and detached[-1].detail == "Regionalkonferenz Döbeln"
    assert detached[-1].username == factories.MODERATOR
    assert "Veranstaltung „Regionalkonferenz Döbeln“ gelöscht." in mod_client.get(r.headers["location"]).text
    # The admin's log shows the deletion (not the detached entries).
    admin_page = _as(mod_client, ADMIN, ADMIN_PW).get("/admin/users").text
    assert "Veranstaltung gelöscht" in admin_page and "Regionalkonferenz Döbeln: Wie kommen" not in admin_page
    assert mod_client.get(url).status_code == 404


def test_delete_is_refused_while_a_question_is_open_and_for_anyone_but_owner_or_admin(client, session, moderator, other, admin):
    event = _full_event(session, moderator, other)
    question = factories.questions_of(session, event)[0]
    c = _as(client, factories.MODERATOR, factories.PASSWORD)
    assert c.post(f"/moderator/events/{event.id}/questions/{question.id}/open", data={"csrf": c.csrf},
                  follow_redirects=False).status_code == 303
    url = f"/moderator/events/{event.id}/delete"
    page = c.get(url).text
    assert "Während eine Abstimmung läuft" in page and 'name="confirm_title"' not in page
    r = c.post(url, data={"csrf": c.csrf, "confirm_title": event.title})
    assert r.status_code == 409 and "Schließen Sie zuerst die offene Frage" in r.text
    session.expire_all()
    assert session.get(Event, event.id) is not None
    refused = [e for e in access.audit_log(session=session, event_id=event.id) if e.action == "delete-event"]
    assert [e.outcome for e in refused] == ["refused"]
    c.post(f"/moderator/events/{event.id}/questions/{question.id}/close", data={"csrf": c.csrf})
    # A co-moderator drives the event but may not delete it; the page does not offer it either.
    c = _as(client, OTHER, OTHER_PW)
    assert f'href="{url}"' not in c.get(f"/moderator/events/{event.id}").text
    assert c.get(url).status_code == 403
    assert c.post(url, data={"csrf": c.csrf, "confirm_title": event.title}).status_code == 403
    session.expire_all()
    assert session.get(Event, event.id) is not None
    # Without the form token nothing happens either.
    c = _as(client, ADMIN, ADMIN_PW)
    event_id, title = event.id, event.title
    assert c.post(url, data={"confirm_title": title}).status_code == 403
    # An admin may.
    assert c.post(url, data={"csrf": c.csrf, "confirm_title": title}, follow_redirects=False).status_code == 303
    session.expire_all()
    assert session.get(Event, event_id) is None
    assert c.get("/moderator/events/999999/delete").status_code == 404
    assert c.get("/moderator/events/abc/delete").status_code == 400


def test_delete_template_keeps_its_events_and_series(client, session, moderator, other, event):
    template = t_domain.save_template(session=session, event=event, title="Agenda 2030", owner_id=moderator.id)
    made = t_domain.event_from_template(session=session, template=template, owner_id=other.id, title="Frankenberg")
    c = _as(client, factories.MODERATOR, factories.PASSWORD)
    url = f"/moderator/templates/{template.id}/delete"
    assert f'href="{url}"' in c.get("/moderator").text
    page = c.get(url).text
    assert "Sie löschen die Vorlage „Agenda 2030“ mit 1 Thema und 2 Fragen." in page
    assert "Die 1 Veranstaltung, die aus ihr angelegt wurde, bleibt" in page
    r = c.post(url, data={"csrf": c.csrf})
    assert r.status_code == 422 and "Bitte bestätigen Sie mit dem Häkchen" in r.text
    # The other account moderates an event of the series (it may use the template) but did not save it.
    c = _as(client, OTHER, OTHER_PW)
    assert c.get(url).status_code == 403 and c.post(url, data={"csrf": c.csrf, "confirm": "1"}).status_code == 403
    assert c.get("/moderator/templates/999999/delete").status_code == 404
    assert c.get("/moderator/templates/x/delete").status_code == 400
    c = _as(client, factories.MODERATOR, factories.PASSWORD)
    template_id, series_id = template.id, template.series_id
    r = c.post(url, data={"csrf": c.csrf, "confirm": "1"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/moderator/series/{series_id}"
    session.expire_all()
    assert session.get(Template, template_id) is None
    made_now = session.get(Event, made.id)
    assert made_now is not None and made_now.template_id is None and made_now.series_id == series_id
    assert session.get(Series, series_id) is not None and session.get(Event, event.id) is not None
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "delete-template")).one()
    assert entry.event_id is None and entry.detail == "Agenda 2030"
    assert c.get(url).status_code == 404


def test_german_numbers_and_losses_counted_in_the_database(session, moderator, other):
    assert [de_number(n) for n in (0, 7, 1234, 1234567)] == ["0", "7", "1.234", "1.234.567"]
    event = _full_event(session, moderator, other)
    assert deletion.losses(session=session, event=event) == deletion.Losses(topics=1, questions=2, answers=1234, archived=1)


def test_upgrade_gives_an_existing_series_the_owner_of_its_first_event(tmp_path):
    """Migration 0007: a series from before owners were kept belongs to whoever owns its first owned event."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from app.config import ROOT
    from app.main import migrate

    url = f"sqlite:///{tmp_path / 'old.db'}"
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "0006")
    engine = create_engine(url)
    with engine.begin() as conn:
        for uid in (1, 2):
            conn.exec_driver_sql("INSERT INTO user (id, username, password_hash, is_admin, is_active, created_at) "
                                 f"VALUES ({uid}, 'u{uid}', 'x', 0, 1, '2026-01-01 00:00:00')")
        conn.exec_driver_sql("INSERT INTO series (id, title, created_at) VALUES (1, 'Alt', '2026-01-01 00:00:00'), "
                             "(2, 'Leer', '2026-01-01 00:00:00')")
        for eid, owner in ((1, "NULL"), (2, "2"), (3, "1")):
            conn.exec_driver_sql("INSERT INTO event (id, title, place, series_id, owner_id, join_code, projector_token, projector_mode, "
                                 f"voting_cards, created_at) VALUES ({eid}, 'E{eid}', '', 1, {owner}, '10000{eid}', 't{eid}', 'question', "
                                 "0, '2026-01-01 00:00:00')")
    migrate(url)
    with engine.connect() as conn:
        owners = dict(conn.exec_driver_sql("SELECT id, owner_id FROM series ORDER BY id").all())
    assert owners == {1: 2, 2: None}
    engine.dispose()
