"""Demo content: the regional conference in Döbeln with the four Agenda 2030 topics and the format questions."""

import datetime as dt
import random
import uuid

from sqlmodel import Session, select

from app import auth
from app.domain import events as e_domain
from app.domain import questions as q_domain
from app.domain import votes as v_domain
from app.models import Event, Series, User

DEMO_USER = "moderation"
DEMO_PASSWORD = "saalumfrage-demo"
DEMO_SERIES = "Regionalkonferenzen Agenda 2030"
DEMO_EVENT = "Regionalkonferenz Döbeln"

AGENDA: list[tuple[str, list[tuple[str, str, list[str], int | None]]]] = [
    (
        "Digitalisierung",
        [
            ("Wie zufrieden sind Sie mit dem Internet an Ihrem Wohnort?", "single",
             ["Sehr zufrieden", "Eher zufrieden", "Eher unzufrieden", "Sehr unzufrieden", "Weiß nicht"], None),
            ("Welche Behördengänge möchten Sie künftig online erledigen?", "multiple",
             ["Kfz-Zulassung", "Führerschein", "Bauantrag", "Elterngeld und Kita", "Wohngeld", "Termine im Landratsamt"], 3),
        ],
    ),
    (
        "Mobilität",
        [
            ("Wie kommen Sie meistens zur Arbeit, Schule oder Ausbildung?", "single",
             ["Auto", "Bus oder Bahn", "Fahrrad", "Zu Fuß", "Ich pendle nicht"], None),
            ("Was würde Sie am ehesten zum Umstieg auf Bus und Bahn bewegen?", "multiple",
             ["Häufigere Takte", "Fahrten abends und am Wochenende", "Günstigere Tickets", "Rufbus auf Bestellung",
              "Bessere Anschlüsse"], 2),
        ],
    ),
    (
        "Nachhaltigkeit",
        [
            ("Wie wichtig ist Ihnen der Ausbau erneuerbarer Energien im Landkreis?", "single",
             ["Sehr wichtig", "Eher wichtig", "Eher unwichtig", "Unwichtig"], None),
            ("Wo sollte der Landkreis zuerst ansetzen?", "multiple",
             ["Energie sparen in öffentlichen Gebäuden", "Solaranlagen auf Dächern", "Regionale Produkte stärken",
              "Flächen schützen", "Wasser und Wald"], None),
        ],
    ),
    (
        "Ermöglichung",
        [
            ("Fühlen Sie sich gut über Entscheidungen des Landkreises informiert?", "single", ["Ja", "Teilweise", "Nein"], None),
            ("Wie möchten Sie sich künftig beteiligen?", "multiple",
             ["Regionalkonferenzen", "Online-Umfragen", "Bürgerwerkstätten", "Sprechstunden vor Ort", "Gar nicht"], None),
        ],
    ),
    (
        "Zum Format der Konferenz",
        [
            ("Wie gefällt Ihnen das Format der Regionalkonferenz?", "single", ["Sehr gut", "Gut", "Geht so", "Nicht gut"], None),
            ("Sollte es weitere Regionalkonferenzen geben?", "single", ["Ja", "Nein", "Weiß nicht"], None),
        ],
    ),
]


def seed(session: Session, *, with_votes: bool = False) -> Event:
    """Create the demo account, series and event unless they exist; return the event."""
    user = session.exec(select(User).where(User.username == DEMO_USER)).first()
    if user is None:
        user = auth.create_user(session=session, username=DEMO_USER, password=DEMO_PASSWORD, is_admin=True)
    event = session.exec(select(Event).where(Event.title == DEMO_EVENT)).first()
    if event is not None:
        return event
    series = session.exec(select(Series).where(Series.title == DEMO_SERIES)).first()
    if series is None:
        series = e_domain.create_series(session=session, title=DEMO_SERIES)
    event = e_domain.create_event(
        session=session, owner_id=user.id, title=DEMO_EVENT, place="Döbeln", date=dt.date(2023, 3, 15), series_id=series.id
    )
    for title, questions in AGENDA:
        topic = e_domain.add_topic(session=session, event_id=event.id, title=title)
        for text, kind, options, max_choices in questions:
            question = q_domain.create_question(
                session=session, topic=topic, text=text, kind=kind, options=options, max_choices=max_choices
            )
            if with_votes:
                _fake_votes(session, question)
    return event


def _fake_votes(session: Session, question) -> None:
    """A plausible spread of votes, for screenshots and trying the moderator page alone."""
    rng = random.Random(question.id)
    options = q_domain.options_of(session=session, question_id=question.id)
    weights = [rng.randint(1, 10) for _ in options]
    rows = []
    for _ in range(rng.randint(40, 90)):
        if question.kind == "single":
            picked = (rng.choices(options, weights)[0].id,)
        else:
            k = rng.randint(1, question.max_choices or len(options))
            picked = tuple(sorted({rng.choices(options, weights)[0].id for _ in range(k)}))
        rows.append(
            v_domain.VoteRow(question_id=question.id, event_id=question.event_id, device_hash=uuid.uuid4().hex,
                             choices=picked, vote_id=uuid.uuid4().hex)
        )
    v_domain.insert_votes_directly(session=session, rows=rows)
    question.status = "closed"
    session.add(question)
    session.commit()
