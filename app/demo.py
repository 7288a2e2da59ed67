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


# The other question kinds, one or two per topic, after the choice questions above:
# topic -> [(text, kind, options, settings)].
MORE_KINDS: dict[str, list[tuple[str, str, list[str], dict]]] = {
    "Digitalisierung": [
        ("Was verbinden Sie mit Digitalisierung im Landkreis?", "wordcloud", [], {"max_choices": 3}),
    ],
    "Mobilität": [
        ("Was ist Ihnen bei Bus und Bahn am wichtigsten? Bringen Sie es in eine Reihenfolge.", "ranking",
         ["Pünktlichkeit", "Häufiger Takt", "Günstiger Preis", "Haltestelle in der Nähe"], {}),
        ("Verteilen Sie 100 Punkte auf diese Vorhaben.", "points",
         ["Radwege", "Rufbus", "Bahnhöfe sanieren", "Carsharing auf dem Land"], {}),
    ],
    "Nachhaltigkeit": [
        ("Wie wichtig sind Ihnen Lebensmittel aus der Region?", "scale", [],
         {"scale_min": 1, "scale_max": 5, "scale_label_min": "gar nicht wichtig", "scale_label_max": "sehr wichtig"}),
    ],
    "Ermöglichung": [
        ("Was sollte der Landkreis als Erstes anpacken?", "text", [], {}),
    ],
    "Zum Format der Konferenz": [
        ("Würden Sie wieder an einer Regionalkonferenz teilnehmen?", "yesno", [], {}),
        ("Wie wahrscheinlich ist es, dass Sie die Regionalkonferenz weiterempfehlen?", "scale", [],
         {"scale_min": 0, "scale_max": 10, "scale_label_min": "sehr unwahrscheinlich", "scale_label_max": "sehr wahrscheinlich"}),
    ],
}

WORDS = ["Glasfaser", "Funklöcher", "Online-Termine", "Schule", "Datenschutz", "Ärzte per Video", "Ehrenamt", "Homeoffice",
         "Bürgeramt", "Senioren", "Mobilfunk", "Förderung"]
ANSWERS = ["Mehr Busse am Abend, damit junge Leute ohne Auto wegkommen.", "Ärzte auf dem Land halten.",
           "Schnelles Internet in jedem Ort.", "Die Kreisstraßen sanieren.", "Bürgerbüros, die auch samstags offen haben.",
           "Mehr Informationen in einfacher Sprache."]


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
        for text, kind, options, settings in MORE_KINDS.get(title, []):
            question = q_domain.create_question(session=session, topic=topic, text=text, kind=kind, options=options, **settings)
            if with_votes:
                _fake_votes(session, question)
    return event


def _fake_votes(session: Session, question) -> None:
    """A plausible spread of votes, for screenshots and trying the moderator page alone."""
    rng = random.Random(question.id)
    options = q_domain.options_of(session=session, question_id=question.id)
    weights = [rng.randint(1, 10) for _ in options]
    rows = []
    for i in range(rng.randint(40, 90)):
        moderation = ""
        picked: object
        if question.kind in ("single", "yesno"):
            picked = (rng.choices(options, weights)[0].id,)
        elif question.kind == "multiple":
            k = rng.randint(1, question.max_choices or len(options))
            picked = tuple(sorted({rng.choices(options, weights)[0].id for _ in range(k)}))
        elif question.kind == "scale":
            values = list(range(question.scale_min, question.scale_max + 1))
            picked = (rng.choices(values, [v + 1 for v in range(len(values))])[0],)
        elif question.kind == "ranking":
            picked = tuple(o.id for o in sorted(options, key=lambda o: -weights[options.index(o)] * rng.random()))
        elif question.kind == "points":
            cuts = sorted(rng.sample(range(0, 101, 10), len(options) - 1))
            shares = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
            picked = {str(o.id): n for o, n in zip(options, shares, strict=True) if n}
        elif question.kind == "wordcloud":
            picked = tuple(dict.fromkeys(rng.choices(WORDS, [12 - k for k in range(len(WORDS))], k=rng.randint(1, 3))))
        else:
            if i >= len(ANSWERS):
                break
            picked, moderation = ANSWERS[i], ("approved" if i % 2 == 0 else "pending")
        rows.append(
            v_domain.VoteRow(question_id=question.id, event_id=question.event_id, device_hash=uuid.uuid4().hex,
                             choices=picked, vote_id=uuid.uuid4().hex, moderation=moderation)
        )
    v_domain.insert_votes_directly(session=session, rows=rows)
    question.status = "closed"
    session.add(question)
    session.commit()
