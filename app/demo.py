"""Demo content: the regional conference in Döbeln with the four Agenda 2030 topics and the format questions.

With votes, the whole series "Regionalkonferenzen Agenda 2030": Döbeln, then Frankenberg and Freiberg made from
Döbeln's template, each with its own voters and spread of answers, every question closed. Frankenberg asks one
question a second time after a discussion (round 2); Freiberg touches up the wording of one linked question
and asks one question of its own, so the series comparison has something to flag and something to leave out.
"""

import datetime as dt
import json
import random
import uuid

from sqlmodel import Session, col, select, update

from app import auth
from app.domain import events as e_domain
from app.domain import followup
from app.domain import publication as p_domain
from app.domain import questions as q_domain
from app.domain import segments as seg_domain
from app.domain import templates as t_domain
from app.domain import votes as v_domain
from app.models import Event, ManualCount, PhoneResults, Question, QuestionStatus, Series, Template, User, Vote

DEMO_USER = "moderation"
DEMO_PASSWORD = "saalumfrage-demo"
DEMO_SERIES = "Regionalkonferenzen Agenda 2030"
DEMO_EVENT = "Regionalkonferenz Döbeln"
DEMO_TEMPLATE = "Regionalkonferenz Agenda 2030"
# The series' events: title, place, date. The first is DEMO_EVENT, the source of the template.
SERIES_EVENTS = [
    (DEMO_EVENT, "Döbeln", dt.date(2023, 3, 15)),
    ("Regionalkonferenz Frankenberg", "Frankenberg", dt.date(2023, 6, 14)),
    ("Regionalkonferenz Freiberg", "Freiberg", dt.date(2023, 11, 16)),
]
# Frankenberg asks this question again after a discussion (round 2, rounds compared on the projector).
ROUND_TWO = "Wie wichtig ist Ihnen der Ausbau erneuerbarer Energien im Landkreis?"
# Freiberg touches up this linked question's wording (the comparison flags it) …
REWORDED = ("Fühlen Sie sich gut über Entscheidungen des Landkreises informiert?",
            "Fühlen Sie sich gut über die Entscheidungen des Landkreises informiert?")
# … and asks one question of its own in "Mobilität" (not from the template: not comparable).
EXTRA = ("Würden Sie einen Rufbus nutzen, den Sie per App oder Telefon bestellen?", "yesno")

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
           "Mehr Informationen in einfacher Sprache.", "Radwege zwischen den Dörfern.", "Jugendclubs erhalten.",
           "Weniger Bürokratie für Vereine.", "Das ist doch alles Quatsch!"]
# Open text: most answers approved, some left in the queue, one rejected.
MODERATION_CYCLE = ["approved", "approved", "pending", "approved", "rejected"]


def seed(session: Session, *, with_votes: bool = False) -> Event:
    """Create the demo account, series and event unless they exist; return the event (Döbeln).

    With votes: the series' three events with votes (see the module docstring); an event that has votes already
    is left as it is, so running it again changes nothing.
    """
    user = session.exec(select(User).where(User.username == DEMO_USER)).first()
    if user is None:
        user = auth.create_user(session=session, username=DEMO_USER, password=DEMO_PASSWORD, is_admin=True)
    event = session.exec(select(Event).where(Event.title == DEMO_EVENT)).first()
    if event is None:
        event = _doebeln(session, user)
    if with_votes:
        events = _series_events(session, user, event)
        for index, each in enumerate(events):
            if not _has_votes(session, each):
                _vote_event(session, each, index)
        _publish(session, user, events)
    return event


# Published with votes (#17): these topics' questions on each event's public page, follow-up notes on Döbeln's.
PUBLIC_TOPICS = ("Digitalisierung", "Mobilität")
NOTES = [("Mobilität", "10.05.2023", "Im Kreistag am 10.05.2023 vorgestellt, Drucksache 45/2023: Rufbus-Versuch im Raum Döbeln beschlossen."),
         ("Digitalisierung", "01.09.2023", "Förderantrag für den Glasfaserausbau in 12 Ortsteilen gestellt.")]


def _publish(session: Session, user: User, events: list[Event]) -> None:
    """Each event's page with the questions of PUBLIC_TOPICS, free answers and both downloads; the series' page; Döbeln's
    notes. A page published already is left as it is."""
    for event in events:
        found = p_domain.publication_for(session=session, event_id=event.id)
        if found is not None and found.published:
            continue
        topics = {t.id: t.title for t in e_domain.topics(session=session, event_id=event.id)}
        chosen = [q.id for q in q_domain.ordered_questions(session=session, event_id=event.id) if topics.get(q.topic_id) in PUBLIC_TOPICS and not q.segment]
        p_domain.save_event_settings(session=session, user=user, event=event, question_ids=chosen, show_texts=True, downloads=["csv", "pdf"])
        p_domain.publish_event(session=session, user=user, event=event, confirmed=True)
        if event.place == "Döbeln":
            by_title = {title: tid for tid, title in topics.items()}
            for topic, day, text in NOTES:
                followup.add_note(session=session, user=user, event=event, topic_id=by_title[topic], date=day, text=text)
    series = session.get(Series, events[0].series_id) if events[0].series_id else None
    found = p_domain.publication_for(session=session, series_id=series.id) if series else None
    if series is not None and (found is None or not found.published):
        p_domain.save_series_settings(session=session, user=user, series=series, events=events, show_texts=True, downloads=["csv", "pdf"])
        p_domain.publish_series(session=session, user=user, series=series, events=events, confirmed=True)


def _doebeln(session: Session, user: User) -> Event:
    series = session.exec(select(Series).where(Series.title == DEMO_SERIES)).first()
    if series is None:
        series = e_domain.create_series(session=session, title=DEMO_SERIES, owner_id=user.id)
    title, place, date = SERIES_EVENTS[0]
    event = e_domain.create_event(session=session, owner_id=user.id, title=title, place=place, date=date, series_id=series.id)
    for topic_title, questions in AGENDA:
        topic = e_domain.add_topic(session=session, event_id=event.id, title=topic_title)
        for text, kind, options, max_choices in questions:
            q_domain.create_question(session=session, topic=topic, text=text, kind=kind, options=options, max_choices=max_choices)
        for text, kind, options, settings in MORE_KINDS.get(topic_title, []):
            q_domain.create_question(session=session, topic=topic, text=text, kind=kind, options=options, **settings)
    return event


def _series_events(session: Session, user: User, doebeln: Event) -> list[Event]:
    """Döbeln, and Frankenberg and Freiberg made from Döbeln's template (created the first time)."""
    template = session.exec(select(Template).where(Template.title == DEMO_TEMPLATE)).first()
    if template is None:
        template = t_domain.save_template(session=session, event=doebeln, title=DEMO_TEMPLATE, owner_id=user.id)
        doebeln.template_id = template.id  # its questions are the template's (same keys)
        session.add(doebeln)
        session.commit()
    events = [doebeln]
    for title, place, date in SERIES_EVENTS[1:]:
        event = session.exec(select(Event).where(Event.title == title)).first()
        if event is None:
            event = t_domain.event_from_template(session=session, template=template, owner_id=user.id, title=title, place=place,
                                                 date=date)
            if place == "Freiberg":
                _freiberg_changes(session, event)
        events.append(event)
    return events


def _freiberg_changes(session: Session, event: Event) -> None:
    """One linked question reworded, one question of Freiberg's own."""
    for question in q_domain.ordered_questions(session=session, event_id=event.id):
        if question.text == REWORDED[0]:
            question.text = REWORDED[1]
            session.add(question)
    mobility = next(t for t in e_domain.topics(session=session, event_id=event.id) if t.title == "Mobilität")
    q_domain.create_question(session=session, topic=mobility, text=EXTRA[0], kind=EXTRA[1], options=[])
    session.commit()


def _has_votes(session: Session, event: Event) -> bool:
    return session.exec(select(Vote.id).join(Question, col(Question.id) == Vote.question_id)
                        .where(Question.event_id == event.id).limit(1)).first() is not None


def _vote_event(session: Session, event: Event, index: int) -> None:
    """Votes for every question of the event from its own voters, with its own spread; every question closed."""
    rng = random.Random(f"demo:{event.place}")
    voters = [f"{rng.getrandbits(128):032x}" for _ in range(rng.randint(60, 150))]
    start = dt.datetime.combine(event.date or dt.date(2023, 1, 1), dt.time(18, 0), tzinfo=dt.UTC)
    for n, question in enumerate(q_domain.ordered_questions(session=session, event_id=event.id)):
        q_rng = random.Random(f"demo:{event.place}:{question.text}")
        turnout = q_rng.uniform(0.7, 0.97)
        _fake_votes(session, question, q_rng, [v for v in voters if q_rng.random() < turnout])
        if question.text == ROUND_TWO and index == 1:
            # After the discussion the hall answers again: round 2, with a different spread.
            _fake_votes(session, question, random.Random(f"demo:{event.place}:round2"), voters[: int(len(voters) * 0.9)], round_=2)
            question.round, question.compare_rounds = 2, True
        question.opened_at = start + dt.timedelta(minutes=6 * n)
        question.closed_at = question.opened_at + dt.timedelta(minutes=3 if question.round == 1 else 12)
        question.status = QuestionStatus.closed
        session.add(question)
    event.people_in_hall = len(voters) + rng.randint(18, 30)
    session.add(event)
    session.commit()
    _count_by_hand(session, event, rng, extra=event.people_in_hall - len(voters))
    _segment_answers(session, event, voters, start)


# "Ich bin hier als …" (#18), the same key at every event: most phones answer it on joining; Politik, Wirtschaft
# and the others stay small, so a breakdown shows "< 5" and "×" next to the Bürger:innen.
SEGMENT_KEY = "demo-ich-bin-hier-als"
SEGMENT_SPREAD = [56, 26, 3, 9, 6]  # Bürger:in, Politik, Wirtschaft, Verwaltung, Zivilgesellschaft


def _segment_answers(session: Session, event: Event, voters: list[str], start: dt.datetime) -> None:
    """The ready-made segment question, first in the first topic, answered by about 85 % before the first question."""
    text, labels = seg_domain.PRESETS["role"]
    topic = e_domain.topics(session=session, event_id=event.id)[0]
    question = q_domain.create_question(session=session, topic=topic, text=text, kind="single", options=list(labels),
                                        key=SEGMENT_KEY, segment=True, phone_results=PhoneResults.hidden)
    question.position = 0  # asked when a phone joins: shown above the agenda's questions
    session.add(question)
    session.commit()
    rng = random.Random(f"demo:{event.place}:segment")
    options = q_domain.options_of(session=session, question_id=question.id)
    rows = [v_domain.VoteRow(question_id=question.id, event_id=event.id, device_hash=voter, vote_id=uuid.uuid4().hex,
                             choices=(rng.choices(options, SEGMENT_SPREAD)[0].id,)) for voter in voters if rng.random() < 0.85]
    v_domain.insert_votes_directly(session=session, rows=rows)
    joined = start - dt.timedelta(minutes=10)  # before any question closed: the breakdown counts these answers
    session.execute(update(Vote).where(col(Vote.question_id) == question.id).values(created_at=joined, updated_at=joined))
    session.commit()


# Counted by hand (#18): the people without a phone answered this question by raised hands and paper slips.
HAND_COUNTED = "Sollte es weitere Regionalkonferenzen geben?"


def _count_by_hand(session: Session, event: Event, rng: random.Random, *, extra: int) -> None:
    """Hands and (estimated) paper slips for HAND_COUNTED, together no more than the people without a vote."""
    question = session.exec(select(Question).where(Question.event_id == event.id, Question.text == HAND_COUNTED)).first()
    if question is None or extra < 2:
        return
    options = q_domain.options_of(session=session, question_id=question.id)
    hands, paper = extra // 2, extra - extra // 2
    for source, people, estimated in (("hands", hands, False), ("paper", paper, True)):
        split = [0] * len(options)
        for _ in range(people):
            split[rng.choices(range(len(options)), [5, 2, 1][: len(options)])[0]] += 1
        session.add(ManualCount(question_id=question.id, round=question.round, source=source, voters=people, estimated=estimated,
                                counted_by="Team Empfang" if source == "hands" else "",
                                counts=json.dumps({str(o.id): n for o, n in zip(options, split, strict=True)})))
    session.commit()


def _answer(question, options, weights, rng: random.Random, i: int) -> tuple[object, str]:
    """One plausible answer of this kind, and (open text) its review state."""
    if question.kind in ("single", "yesno"):
        return (rng.choices(options, weights)[0].id,), ""
    if question.kind == "multiple":
        k = rng.randint(1, question.max_choices or len(options))
        return tuple(sorted({rng.choices(options, weights)[0].id for _ in range(k)})), ""
    if question.kind == "scale":
        values = list(range(question.scale_min, question.scale_max + 1))
        return (rng.choices(values, [weights[0] + v for v in range(len(values))])[0],), ""
    if question.kind == "ranking":
        return tuple(o.id for o in sorted(options, key=lambda o: -weights[options.index(o)] * rng.random())), ""
    if question.kind == "points":
        cuts = sorted(rng.sample(range(0, 101, 10), len(options) - 1))
        shares = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
        return {str(o.id): n for o, n in zip(options, shares, strict=True) if n}, ""
    if question.kind == "wordcloud":
        return tuple(dict.fromkeys(rng.choices(WORDS, [12 - k for k in range(len(WORDS))], k=rng.randint(1, 3)))), ""
    return ANSWERS[i % len(ANSWERS)], MODERATION_CYCLE[i % len(MODERATION_CYCLE)]


def _fake_votes(session: Session, question: Question, rng: random.Random, voters: list[str], round_: int = 1) -> None:
    """A plausible spread of answers from these voters, for screenshots, reports and trying the moderator pages."""
    options = q_domain.options_of(session=session, question_id=question.id)
    weights = [rng.randint(1, 10) for _ in options] or [rng.randint(0, 4)]
    if question.kind == "text":
        voters = voters[: rng.randint(len(ANSWERS) // 2, len(ANSWERS))]  # few write something
    rows = []
    for i, voter in enumerate(voters):
        picked, moderation = _answer(question, options, weights, rng, i)
        rows.append(v_domain.VoteRow(question_id=question.id, event_id=question.event_id, device_hash=voter, choices=picked,
                                     vote_id=uuid.uuid4().hex, round=round_, moderation=moderation))
    v_domain.insert_votes_directly(session=session, rows=rows)


def public_pages(session: Session, event: Event) -> list[str]:
    """The addresses of the demo's published pages: Döbeln's and the series'."""
    own = p_domain.publication_for(session=session, event_id=event.id)
    series = p_domain.publication_for(session=session, series_id=event.series_id) if event.series_id else None
    return ([f"/ergebnisse/{own.slug}"] if own and own.published else []) + ([f"/ergebnisse/reihe/{series.slug}"] if series and series.published else [])
