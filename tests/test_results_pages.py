"""The results pages (app/routes/results.py) against hand-counted answers: an event's results by topic with every
round, the topic roll-up, the series overview and the comparison of one linked question; escaping, n = 0, the
interim stamp, the pooled column only for identical questions; who may see them (403/404/login)."""

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from app import auth
from app.domain import access
from app.domain import events as e_domain
from app.domain import questions as q_domain
from app.domain.access import Forbidden
from app.models import EventModerator, QuestionStatus
from app.reports import resultset
from tests import factories
from tests.factories import add_votes as _votes
from tests.helpers import login

NOW = dt.datetime(2023, 3, 15, 18, 42, tzinfo=dt.UTC)  # 19:42 in Döbeln
NBSP = "\u00a0"


def _squeeze(text: str) -> str:
    """Runs of ASCII white space as one space; the no-break space of "62 %" stays."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


class Tables(HTMLParser):
    """Every <table> of a page as rows of cell texts (th and td alike), by the table's caption."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._rows: list[list[str]] | None = None
        self._caption: list[str] | None = None
        self._cell: list[str] | None = None
        self._name = ""

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._rows, self._name = [], ""
        elif tag == "caption":
            self._caption = []
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("th", "td") and self._rows is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "caption" and self._caption is not None:
            self._name = _squeeze("".join(self._caption))
            self._caption = None
        elif tag in ("th", "td") and self._cell is not None and self._rows:
            self._rows[-1].append(_squeeze("".join(self._cell)))
            self._cell = None
        elif tag == "table" and self._rows is not None:
            name = self._name
            while name in self.tables:
                name += "'"
            self.tables[name] = self._rows
            self._rows = None

    def handle_data(self, data):
        if self._caption is not None:
            self._caption.append(data)
        if self._cell is not None:
            self._cell.append(data)


def tables_of(html: str) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def _close(session, question, status=QuestionStatus.closed):
    question.status = status
    session.add(question)
    session.commit()


def _event(session, owner, title="Regionalkonferenz Döbeln", place="Döbeln", date=dt.date(2023, 3, 15), series_id=None,
           topic="Mobilität"):
    event = e_domain.create_event(session=session, owner_id=owner.id if owner else None, title=title, place=place, date=date,
                                  series_id=series_id)
    return event, e_domain.add_topic(session=session, event_id=event.id, title=topic)


def _q(session, topic, text, kind, options=(), key=None, **settings):
    extra = {"key": key} if key else {}
    return q_domain.create_question(session=session, topic=topic, text=text, kind=kind, options=list(options), **extra, **settings)


def _ids(session, question):
    return [o.id for o in q_domain.options_of(session=session, question_id=question.id)]


@pytest.fixture
def fixed_now(monkeypatch):
    monkeypatch.setattr(resultset, "utcnow", lambda: NOW)


def test_event_results_page_prints_the_hand_counted_numbers_of_every_kind(mod_client, session, moderator, fixed_now):
    event, topic = _event(session, moderator)
    single = _q(session, topic, "Wie kommen Sie her?", "single", ["Auto", "Bus", "Rad"])
    multiple = _q(session, topic, "Was fehlt?", "multiple", ["Takt", "Abend", "Preis"], max_choices=2)
    yesno = _q(session, topic, "Mehr Busse?", "yesno")
    other = e_domain.add_topic(session=session, event_id=event.id, title="Digitales")
    scale = _q(session, other, "Wie wichtig ist Breitband?", "scale", scale_min=1, scale_max=5)
    ranking = _q(session, other, "Was zuerst?", "ranking", ["A", "B", "C"])
    points = _q(session, other, "Wohin das Geld?", "points", ["X", "Y"])
    cloud = _q(session, other, "Ein Wort?", "wordcloud")
    auto, bus, _rad = _ids(session, single)
    _votes(session, single, [[auto]] * 5 + [[bus]] * 3)
    takt, abend, preis = _ids(session, multiple)
    _votes(session, multiple, [[takt, abend]] * 4 + [[takt]] * 2 + [[preis]] * 4)
    ja, nein, enth = _ids(session, yesno)
    _votes(session, yesno, [[ja]] * 6 + [[nein]] * 3 + [[enth]] * 1)
    _votes(session, scale, [[1], [2], [2], [4], [5], [5]])
    a, b, c = _ids(session, ranking)
    _votes(session, ranking, [[a, b, c]] * 3 + [[c, a, b]] * 2)
    x, y = _ids(session, points)
    _votes(session, points, [{str(x): 70, str(y): 30}] * 4 + [{str(x): 20, str(y): 80}])
    _votes(session, cloud, [["Bus", "Rad"], ["bus"], ["Bus"], ["Zug"], ["Rad"]])
    for q in (single, multiple, yesno, scale, ranking, points, cloud):
        _close(session, q)

    page = mod_client.get(f"/moderator/events/{event.id}/results")
    assert page.status_code == 200
    html = page.text
    t = tables_of(html)
    assert t["Wie kommen Sie her?"] == [
        ["Antwort", "Anzahl", "Anteil"], ["Auto", "5", f"63{NBSP}%"], ["Bus", "3", f"38{NBSP}%"], ["Rad", "0", f"0{NBSP}%"],
        ["Antworten (n)", "8"], ["Basis", "Anteil an 8 Antworten"]]
    # Multiple choice: shares of the people, together more than 100 %.
    assert t["Was fehlt?"][1:4] == [["Takt", "6", f"60{NBSP}%"], ["Abend", "4", f"40{NBSP}%"], ["Preis", "4", f"40{NBSP}%"]]
    assert t["Was fehlt?"][5] == ["Basis", "Mehrfachnennung: Prozent der 10 Abstimmenden"]
    # The abstention is its own row, after the others, in a body of its own.
    yn = t["Mehr Busse?"]
    assert yn[1:4] == [["Ja", "6", f"60{NBSP}%"], ["Nein", "3", f"30{NBSP}%"], ["Enthaltung (eigene Zeile, zählt zur Basis)", "1", f"10{NBSP}%"]]
    assert re.search(r'<tbody class="abstentions">\s*<tr><th scope="row">Enthaltung', html)
    sc = t["Wie wichtig ist Breitband?"]
    assert sc[0] == ["Wert", "Anzahl", "Anteil"] and [r[1] for r in sc[1:6]] == ["1", "2", "0", "1", "2"]
    assert ["Mittelwert", "3,17"] in sc and ["Median", "3"] in sc
    assert t["Was zuerst?"][:4] == [["Antwort", "Borda-Punkte", "Ø Platz"], ["A", "8", "1,40"], ["C", "4", "2,20"], ["B", "3", "2,40"]]
    assert t["Wohin das Geld?"][:3] == [["Antwort", "Ø Punkte", "Summe"], ["X", "60", "300"], ["Y", "40", "200"]]
    assert t["Ein Wort?"][:4] == [["Begriff", "Nennungen", "Anteil"], ["Bus", "3", f"60{NBSP}%"], ["Rad", "2", f"40{NBSP}%"], ["Zug", "1", f"20{NBSP}%"]]
    # The roll-up: per topic, each question with n and the answer given most.
    assert t["Mobilität"] == [["Frage", "n", "Häufigste Antwort"], ["Wie kommen Sie her?", "8", f"Auto – 5 (63{NBSP}%)"],
                              ["Was fehlt?", "10", f"Takt – 6 (60{NBSP}%)"], ["Mehr Busse?", "10", f"Ja – 6 (60{NBSP}%)"]]
    assert t["Digitales"][4] == ["Ein Wort?", "5", f"Bus – 3 (60{NBSP}%)"]
    # Headings per topic and question, the method note, a chart beside each table (hidden: the table says it all).
    assert '<h2 id="topic-' in html and f'<h3 id="q-{single.id}-title">Wie kommen Sie her?</h3>' in html
    assert "nicht repräsentativ" in html and "Fragetyp: Mehrfachauswahl" in html and "Status: geschlossen" in html
    assert html.count('<div class="charts" aria-hidden="true">') == 7 and html.count("<svg") == 7
    assert f"/moderator/events/{event.id}/export" in html and "Zwischenstand" not in html


def test_open_text_is_escaped_and_unapproved_answers_are_counted_not_shown(mod_client, session, moderator):
    event, topic = _event(session, moderator)
    text = _q(session, topic, "Was noch?", "text")
    _votes(session, text, ["<script>alert('x')</script>", "Mehr <b>Busse</b>"], moderation="approved")
    _votes(session, text, ["noch offen"], moderation="pending")
    _votes(session, text, ["beleidigend"], moderation="rejected")
    _close(session, text)
    html = mod_client.get(f"/moderator/events/{event.id}/results").text
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "Mehr &lt;b&gt;Busse&lt;/b&gt;" in html
    assert "4 freie Antworten" in html and "2 Antworten nicht freigegeben" in html
    assert "noch offen" not in html and "beleidigend" not in html


def test_no_answers_small_groups_and_an_open_round_stamped(mod_client, session, moderator, fixed_now):
    event, topic = _event(session, moderator)
    never = _q(session, topic, "Nie gestellt", "single", ["A", "B"])
    small = _q(session, topic, "Klein", "single", ["A", "B"])
    twice = _q(session, topic, "Zweimal", "single", ["Ja", "Nein"])
    a, _b = _ids(session, small)
    _votes(session, small, [[a]] * 3)
    _close(session, small)
    ja, nein = _ids(session, twice)
    _votes(session, twice, [[ja]] * 2 + [[nein]] * 6, round=1)
    _votes(session, twice, [[ja]] * 7 + [[nein]] * 3, round=2)
    twice.round = 2
    _close(session, twice, QuestionStatus.open)
    html = mod_client.get(f"/moderator/events/{event.id}/results").text
    t = tables_of(html)
    assert f'id="q-{never.id}-title">Nie gestellt</h3>' in html
    assert "keine Antworten (n = 0) – die Frage wurde nicht gestellt" in html
    assert t["Mobilität"][1] == ["Nie gestellt", "0", "keine Antworten (n = 0)"]
    # n < 5: counts only, not even a share column.
    assert t["Klein"][:3] == [["Antwort", "Anzahl"], ["A", "3"], ["B", "0"]]
    assert "Weniger als 5 Antworten: nur Anzahlen, keine Prozente." in html
    # Two rounds side by side, the open one stamped with the time in the events' zone.
    rounds = t["Zweimal"]
    assert rounds[0] == ["", "Runde 1", "Runde 2 – Zwischenstand, Stand 19:42"]
    assert rounds[2] == ["Ja", "2", f"25{NBSP}%", "7", f"70{NBSP}%"] and rounds[4] == ["Antworten (n)", "8", "10"]
    assert "Zwischenstand, Stand 19:42</strong>" in html and "2 Runden; die letzte zählt" in html
    assert "Mindestens eine Abstimmung läuft noch" in html


def _series_of_three(session, owner):
    series = e_domain.create_series(session=session, title="Regionalkonferenzen")
    made = []
    for place, date, spread in (("Döbeln", dt.date(2023, 3, 15), (6, 2)), ("Frankenberg", dt.date(2023, 6, 14), (1, 4)),
                                ("Freiberg", dt.date(2023, 11, 16), (3, 3))):
        event, topic = _event(session, owner, title=f"Regionalkonferenz {place}", place=place, date=date, series_id=series.id)
        q = _q(session, topic, "Wie gefällt Ihnen das Format?", "single", ["Gut", "Schlecht"], key="k-format")
        good, bad = _ids(session, q)
        _votes(session, q, [[good]] * spread[0] + [[bad]] * spread[1])
        _close(session, q)
        text = "Kennen Sie den ÖPNV?" if place != "Frankenberg" else "Kennen Sie den ÖPNV im Landkreis?"
        _q(session, topic, text, "yesno", key="k-oepnv")
        made.append((event, topic))
    _q(session, made[2][1], "Nur in Freiberg", "single", ["A", "B"])
    return series, made


def test_series_overview_rolls_up_each_linked_question_per_event(mod_client, session, moderator):
    series, made = _series_of_three(session, moderator)
    html = mod_client.get(f"/moderator/series/{series.id}/results").text
    t = tables_of(html)
    events = t["Veranstaltungen der Reihe nach Datum"]
    assert [row[1:] for row in events[1:]] == [["Döbeln", "15.03.2023", "8"], ["Frankenberg", "14.06.2023", "5"],
                                              ["Freiberg", "16.11.2023", "6"]]
    rollup = t["Mobilität"]
    assert rollup[0] == ["Frage", "Döbeln, 15.03.2023", "Frankenberg, 14.06.2023", "Freiberg, 16.11.2023"]
    assert rollup[1] == ["Wie gefällt Ihnen das Format?", f"n = 8: Gut – 6 (75{NBSP}%)", f"n = 5: Schlecht – 4 (80{NBSP}%)",
                         "n = 6: Gleichstand"]
    assert rollup[2] == ["Kennen Sie den ÖPNV? (geändert)", "keine Antworten (n = 0)", "keine Antworten (n = 0)",
                         "keine Antworten (n = 0)"]
    assert f'href="/moderator/series/{series.id}/compare/k-format"' in html
    assert "„Nur in Freiberg“" in html and "nur bei dieser Veranstaltung gestellt" in html
    assert "Wortlaut geändert – nicht gepoolt" in html and "nur eine Veranstaltung" not in html
    assert f"/moderator/series/{series.id}/export" in html


def test_comparison_pools_identical_questions_and_flags_changed_ones(mod_client, session, moderator):
    series, _made = _series_of_three(session, moderator)
    html = mod_client.get(f"/moderator/series/{series.id}/compare/k-format").text
    t = tables_of(html)["Wie gefällt Ihnen das Format?"]
    assert t[0] == ["", "Döbeln, 15.03.2023", "Frankenberg, 14.06.2023", "Freiberg, 16.11.2023", "gepoolt, ungewichtet"]
    assert t[2] == ["Gut", "6", f"75{NBSP}%", "1", f"20{NBSP}%", "3", f"50{NBSP}%", "10", f"53{NBSP}%"]
    assert t[3] == ["Schlecht", "2", f"25{NBSP}%", "4", f"80{NBSP}%", "3", f"50{NBSP}%", "9", f"47{NBSP}%"]
    assert t[4] == ["Antworten (n)", "8", "5", "6", "19"]
    assert html.count("<svg") == 4 and "Wortlaut geändert" not in html
    changed = mod_client.get(f"/moderator/series/{series.id}/compare/k-oepnv").text
    assert "Wortlaut geändert:" in changed and "gepoolt" not in tables_of(changed)["Kennen Sie den ÖPNV?"][0]
    for wording in ("Döbeln, 15.03.2023: „Kennen Sie den ÖPNV?“", "Frankenberg, 14.06.2023: „Kennen Sie den ÖPNV im Landkreis?“"):
        assert wording in changed
    assert "Antwortmöglichkeiten geändert" not in changed


def test_changed_options_are_flagged_and_not_pooled(mod_client, session, moderator):
    series = e_domain.create_series(session=session, title="Reihe")
    for place, options in (("A", ["Ja", "Nein"]), ("B", ["Ja", "Nein", "Weiß nicht"])):
        _event_, topic = _event(session, moderator, title=place, place=place, series_id=series.id)
        q = _q(session, topic, "Gleich?", "single", options, key="k-same")
        _votes(session, q, [[_ids(session, q)[0]]] * 5)
        _close(session, q)
    html = mod_client.get(f"/moderator/series/{series.id}/compare/k-same").text
    assert "Antwortmöglichkeiten geändert" in html and "Ja · Nein · Weiß nicht" in html and "gepoolt" not in html
    assert tables_of(html)["Gleich?"][-3] == ["Weiß nicht", "–", "–", "0", f"0{NBSP}%"]  # not offered at A: no number


def test_a_series_with_one_event_says_so(mod_client, session, moderator):
    series = e_domain.create_series(session=session, title="Allein")
    _event(session, moderator, series_id=series.id)
    html = mod_client.get(f"/moderator/series/{series.id}/results").text
    assert "Diese Reihe hat bisher nur eine Veranstaltung." in html and "Nicht vergleichbar" not in html


def test_who_may_see_the_results_pages(client, session, moderator):
    other = factories.make_moderator(session, username="andere", password="andere-geheim-1")
    series, made = _series_of_three(session, moderator)
    foreign, _topic = _event(session, other, title="Fremd", series_id=series.id)
    mine = made[0][0]
    urls = [f"/moderator/events/{mine.id}/results", f"/moderator/series/{series.id}/results",
            f"/moderator/series/{series.id}/compare/k-format"]
    # Not logged in (whoever has the projector link or a phone's cookie is not): to the login page.
    for url in urls:
        response = client.get(url, follow_redirects=False)
        assert response.status_code in (302, 303) and "/login" in response.headers["location"], url
    login(client)
    assert client.get(urls[0]).status_code == 200
    assert client.get(f"/moderator/events/{foreign.id}/results").status_code == 403
    # A series needs every one of its events: one foreign event among four is a 403 that says why.
    for url in urls[1:]:
        refused = client.get(url)
        assert refused.status_code == 403, url
        assert "1 von 4 Veranstaltungen dieser Reihe moderieren Sie nicht" in refused.text
    session.add(EventModerator(event_id=foreign.id, user_id=moderator.id))
    session.commit()
    assert all(client.get(url).status_code == 200 for url in urls[1:])
    # Unknown: 404, with a German page.
    assert client.get("/moderator/events/999999/results").status_code == 404
    assert client.get("/moderator/series/999999/results").status_code == 404
    missing = client.get(f"/moderator/series/{series.id}/compare/k-gibt-es-nicht")
    assert missing.status_code == 404 and "keine verknüpfte Frage" in missing.text
    assert client.get(f"/moderator/series/{series.id}/compare/{'x' * 500}").status_code == 404
    assert client.get("/moderator/series/abc/results").status_code == 400  # the app answers invalid input with 400


def test_an_empty_series_is_for_its_creator_and_admins(client, session, moderator):
    series = e_domain.create_series(session=session, title="Leer")
    with pytest.raises(Forbidden):
        access.series_for_results(session=session, user=moderator, series_id=series.id)
    series.owner_id = moderator.id
    session.add(series)
    session.commit()
    assert access.series_for_results(session=session, user=moderator, series_id=series.id) == (series, [])
    auth.create_user(session=session, username="chefin", password="chefin-geheim-1", is_admin=True)
    login(client, "chefin", "chefin-geheim-1")
    page = client.get(f"/moderator/series/{series.id}/results")
    assert page.status_code == 200 and "Diese Reihe hat noch keine Veranstaltung." in page.text


def test_control_page_and_overview_link_the_results(mod_client, event):
    control = mod_client.get(f"/moderator/events/{event.id}").text
    assert f'href="/moderator/events/{event.id}/results">Ergebnisse ansehen</a>' in control
    assert 'href="/static/css/print.css" media="print"' in control
    overview = mod_client.get("/moderator").text
    assert f'href="/moderator/events/{event.id}/results">Ergebnisse ansehen' in overview
