"""Word-cloud terms the moderator can tidy (#16 point 6): variants that count as one term by themselves, and merges
of two different terms (audited, reversible, refused with a German message where they make no sense), published
to projector and phones at once.

The browser side (merging on the control page by keyboard, axe, the same fold in JavaScript) is
tests/e2e/test_term_review.py.
"""

import json
import re

import pytest
from sqlmodel import select

from app.domain import control, review
from app.domain import results as r_domain
from app.domain.errors import Invalid
from app.domain.kinds.wordcloud import clean_term, term_key
from app.models import AuditEntry, Question
from app.reports import jobs
from tests.test_question_kinds import make, results_of, store
from tests.test_realtime import phone, until

# ---- variants: one key ----------------------------------------------------------------------------------


@pytest.mark.parametrize("variants", [
    ["Online-Termine", "online termine", "OnlineTermine", "ONLINE_TERMINE", "Online–Termine", "Online — Termine", "online\u00adtermine"],
    ["Straße", "STRASSE", "strasse"],
    ["Bürgerbüro", "Buergerbuero", "BÜRGERBÜRO", "Bu\u0308rgerbu\u0308ro"],
    ["Bürger*innen", "Bürger:innen", "Bürger_innen", "BürgerInnen", "Bürger/innen", "Bürger·innen"],
    ["Café", "Cafe", "CAFÉ"],
    ["E-Mail", "Email", "e mail", "ｅ－ｍａｉｌ"],
    ["z.B.", "zB", "Z. B."],
])
def test_variants_of_a_term_have_one_key(variants):
    keys = {term_key(clean_term(v)) for v in variants}
    assert len(keys) == 1, keys


@pytest.mark.parametrize(("one", "other"), [
    ("Bürger", "Burger"),  # an umlaut is not dropped, it is spelled out
    ("1,5 Grad", "15 Grad"),  # marks between digits stay
    ("1.5", "15"),
    ("Bus", "Busse"),
    ("Rad", "Rat"),
])
def test_different_terms_keep_different_keys(one, other):
    assert term_key(one) != term_key(other)


@pytest.mark.parametrize("raw", ["Online-Termine", " „Bus & Bahn“! ", "Bürger*innen", "⑴ Rad", "Ärzte–Mangel", "z.B.", "ﬁ", "Σίσυφος"])
def test_a_key_folds_to_itself(raw):
    """The moderator's forms send keys back: a key must name the same term."""
    key = term_key(raw)
    assert key and term_key(key) == key


def test_the_label_is_the_spelling_most_people_used_on_a_tie_the_one_first_seen(session, event):
    q = make(session, event, "wordcloud")
    store(session, q, "d1", ("online termine",))
    store(session, q, "d2", ("Online-Termine",))
    store(session, q, "d3", ("ONLINE TERMINE",))
    r = results_of(session, q)
    # Three spellings, one person each: the first one stored, not the one that sorts first ("ONLINE TERMINE").
    assert [(t["key"], t["label"], t["n"]) for t in r["terms"]] == [("onlinetermine", "online termine", 3)]
    store(session, q, "d4", ("Online-Termine",))
    assert results_of(session, q)["terms"][0]["label"] == "Online-Termine"  # now the most used


def test_someone_who_named_two_variants_counts_once(session, event):
    """Answers stored before the fold may hold two variants of one term: the person counts once."""
    q = make(session, event, "wordcloud")
    store(session, q, "d1", ("Online-Termine", "online termine", "Bus"))
    store(session, q, "d2", ("onlinetermine",))
    r = results_of(session, q)
    assert r["voters"] == 2
    assert r["counts"] == {"onlinetermine": 2, "bus": 1}


def test_a_term_hidden_under_its_former_key_stays_hidden(session, event):
    """Hidden keys were folded less before (case only): read again, they fold as now, so nothing reappears."""
    q = make(session, event, "wordcloud")
    store(session, q, "d1", ("Online-Termine",))
    store(session, q, "d2", ("Kita",))
    store(session, q, "d3", ("Mist-Haufen",))
    q.hidden_terms = json.dumps({"hide": ["online-termine"], "allow": []})
    session.add(q)
    session.commit()
    r = results_of(session, q)
    assert [(t["label"], t["hidden"]) for t in r["terms"]] == [("Kita", False), ("Mist-Haufen", False), ("Online-Termine", True)]
    assert "onlinetermine" not in r["counts"]
    q.hidden_terms = json.dumps(["mist haufen"])  # the first form, a plain list
    session.add(q)
    session.commit()
    assert results_of(session, q)["counts"] == {"kita": 1, "onlinetermine": 1}
    # Two stored keys that are one now, one hidden and one shown: hidden wins.
    q.hidden_terms = json.dumps({"hide": ["kita"], "allow": ["KITA"]})
    session.add(q)
    session.commit()
    assert "kita" not in results_of(session, q)["counts"]


# ---- merges ---------------------------------------------------------------------------------------------


def _cloud(session, event, answers):
    q = make(session, event, "wordcloud")
    for i, terms in enumerate(answers):
        store(session, q, f"d{i}", terms)
    return q


def _merge(session, moderator, event, q, term, into, verb="merge-term"):
    params = {"term": term} if into is None else {"term": term, "into": into}
    return control.perform(session=session, user=moderator, event=event, verb=verb, scope="question", question_id=q.id, params=params)


CLOUD = [("Online-Termine", "Bus"), ("Digitale Termine",), ("digitale termine", "Online Termine"), ("Bus",), ("Radwege",)]


def test_a_merge_counts_both_terms_as_one_under_the_others_label_and_is_audited(session, event, moderator):
    q = _cloud(session, event, CLOUD)
    assert results_of(session, q)["counts"] == {"onlinetermine": 2, "bus": 2, "digitaletermine": 2, "radwege": 1}

    outcome = _merge(session, moderator, event, q, "digitaletermine", "onlinetermine")
    r = results_of(session, q)
    # d3 named both: one person. The label is the term merged into.
    assert r["counts"] == {"onlinetermine": 3, "bus": 2, "radwege": 1}
    assert [(t["label"], t["n"]) for t in r["terms"]] == [("Online-Termine", 3), ("Bus", 2), ("Radwege", 1)]
    assert r["merges"] == [{"from": "digitaletermine", "into": "onlinetermine", "from_label": "Digitale Termine",
                            "into_label": "Online-Termine", "n": 2}]
    public = r_domain.public(r)
    assert "merges" not in public and public["merged"] == {"digitaletermine": "onlinetermine"}
    assert r_domain.hidden(r) == {"question_id": q.id, "round": 1, "kind": "wordcloud", "voters": 5, "counts": None}
    assert (outcome.message, outcome.message_params) == ("„{term}“ wird jetzt als „{into}“ gezählt.",
                                                         {"term": "Digitale Termine", "into": "Online-Termine"})

    _merge(session, moderator, event, q, "Digitale Termine", None, verb="unmerge-term")
    r = results_of(session, q)
    assert r["counts"] == {"onlinetermine": 2, "bus": 2, "digitaletermine": 2, "radwege": 1} and r["merges"] == []
    entries = session.exec(select(AuditEntry).where(AuditEntry.event_id == event.id).order_by(AuditEntry.id)).all()
    assert [(e.action, e.detail, e.outcome, e.username) for e in entries] == [
        ("merge-term", f"Digitale Termine → Online-Termine · {q.text}", "done", moderator.username),
        ("unmerge-term", f"Digitale Termine → Online-Termine · {q.text}", "done", moderator.username),
    ]
    assert all(e.at is not None for e in entries)


def test_merges_apply_to_every_round_and_travel_with_merges_of_merges(session, event, moderator):
    q = _cloud(session, event, [("Radweg",), ("Radwege",), ("Fahrradwege",), ("Fahrradwege",), ("Bus",)])
    _merge(session, moderator, event, q, "radweg", "radwege")
    # Into a term that is itself merged: it goes to the term that one counts as.
    _merge(session, moderator, event, q, "radwege", "fahrradwege")
    r = results_of(session, q)
    assert r["counts"] == {"fahrradwege": 4, "bus": 1}
    assert r_domain.public(r)["merged"] == {"radweg": "fahrradwege", "radwege": "fahrradwege"}
    # Undoing the second keeps the first: "Radweg" stays with "Radwege".
    _merge(session, moderator, event, q, "radwege", None, verb="unmerge-term")
    assert results_of(session, q)["counts"] == {"fahrradwege": 2, "radwege": 2, "bus": 1}
    # A new round: the merge holds there too.
    q.round = 2
    session.add(q)
    session.commit()
    store(session, q, "n1", ("radweg",))
    store(session, q, "n2", ("Radwege",))
    assert results_of(session, q)["counts"] == {"radwege": 2}


def test_a_merge_into_a_merged_term_goes_to_the_term_it_counts_as(session, event, moderator):
    q = _cloud(session, event, [("A-Weg",), ("B-Weg",), ("C-Weg",), ("C-Weg",)])
    _merge(session, moderator, event, q, "bweg", "cweg")
    outcome = _merge(session, moderator, event, q, "aweg", "bweg")
    assert outcome.result.into == "cweg" and outcome.message_params == {"term": "A-Weg", "into": "C-Weg"}
    assert results_of(session, q)["counts"] == {"cweg": 4}


REFUSALS = [
    # (term, into, code, message)
    ("Bus", "bus", "merge_self", "Ein Begriff lässt sich nicht mit sich selbst zusammenführen. Bitte wählen Sie einen anderen Begriff."),
    ("Bus", "B U S!", "merge_self", "Ein Begriff lässt sich nicht mit sich selbst zusammenführen. Bitte wählen Sie einen anderen Begriff."),
    ("Bus", "Stau", "merge_into_hidden", "„Stau“ ist ausgeblendet; in einen ausgeblendeten Begriff lässt sich nichts zusammenführen. "
                                         "Blenden Sie ihn zuerst ein."),
    ("Bus", "Idiot", "merge_into_hidden", "„Idiot“ ist ausgeblendet; in einen ausgeblendeten Begriff lässt sich nichts zusammenführen. "
                                          "Blenden Sie ihn zuerst ein."),
    ("Stau", "Bus", "merge_hidden", "„Stau“ ist ausgeblendet und lässt sich nicht zusammenführen. Blenden Sie den Begriff zuerst ein."),
    ("Idiot", "Bus", "merge_hidden", "„Idiot“ ist ausgeblendet und lässt sich nicht zusammenführen. Blenden Sie den Begriff zuerst ein."),
    ("Tram", "Bus", "unknown_term", "Den Begriff „Tram“ hat in dieser Runde niemand genannt."),
    ("Bus", "Tram", "unknown_term", "Den Begriff „Tram“ hat in dieser Runde niemand genannt."),
    ("Radweg", "Bus", "term_merged", "„Radweg“ ist schon mit „Radwege“ zusammengeführt. Trennen Sie die beiden zuerst."),
    ("Radwege", "Radweg", "merge_loop", "„Radweg“ wird schon als „Radwege“ gezählt. Bitte wählen Sie einen anderen Begriff."),
    ("Radwege", "radweg", "merge_loop", "„Radweg“ wird schon als „Radwege“ gezählt. Bitte wählen Sie einen anderen Begriff."),
    ("Bus", "", "no_term", "Bitte geben Sie einen Begriff an."),
    ("", "Bus", "no_term", "Bitte geben Sie einen Begriff an."),
    ("Bus", "?!", "no_term", "Bitte geben Sie einen Begriff an."),
    ("Bus", "Ra\x00dwege", "bad_term", "Der Begriff enthält unzulässige Zeichen."),
    ("Bus", "Radwege" * 30, "term_too_long", "Ein Begriff darf höchstens 30 Zeichen lang sein."),
]


@pytest.mark.parametrize(("term", "into", "code", "message"), REFUSALS)
def test_a_merge_that_makes_no_sense_is_refused_with_a_message_and_changes_nothing(session, event, moderator, term, into, code,
                                                                                 message):
    q = _cloud(session, event, [("Bus", "Stau"), ("Idiot",), ("Radweg",), ("Radwege",), ("Bus",)])
    review.set_term_hidden(session=session, question=q, term="Stau", hidden=True)
    _merge(session, moderator, event, q, "Radweg", "Radwege")
    before = session.get(Question, q.id).term_merges, results_of(session, q)
    with pytest.raises(Invalid) as refused:
        _merge(session, moderator, event, q, term, into)
    assert refused.value.code == code
    assert refused.value.message.format(**refused.value.params) == message
    session.expire_all()
    assert (session.get(Question, q.id).term_merges, results_of(session, q)) == before
    last = session.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (last.action, last.outcome) == ("merge-term", "refused") and message in last.detail


def test_other_refusals_undo_of_nothing_hiding_a_merged_term_and_other_kinds(session, event, moderator):
    q = _cloud(session, event, [("Radweg",), ("Radwege",)])
    with pytest.raises(Invalid, match="mit keinem anderen Begriff") as refused:
        _merge(session, moderator, event, q, "Radweg", None, verb="unmerge-term")
    assert refused.value.code == "merge_not_found"
    _merge(session, moderator, event, q, "Radweg", "Radwege")
    # Hiding the term merged away would do nothing visible: refused, with what to do instead.
    with pytest.raises(Invalid) as refused:
        review.set_term_hidden(session=session, question=q, term="radweg", hidden=True)
    assert refused.value.message.format(**refused.value.params) == (
        "„Radweg“ wird als „Radwege“ gezählt. Blenden Sie „Radwege“ aus oder trennen Sie die beiden zuerst.")
    review.set_term_hidden(session=session, question=q, term="Radwege", hidden=True)  # the merged term: hidden as a whole
    assert results_of(session, q)["counts"] == {}
    text = make(session, event, "text")
    for verb, into in (("merge-term", "b"), ("unmerge-term", None)):
        with pytest.raises(Invalid, match="keine Wortwolke"):
            _merge(session, moderator, event, text, "a", into, verb=verb)


def test_merge_and_unmerge_through_the_api_and_the_form(mod_client, session, event):
    q = _cloud(session, event, CLOUD)
    api = f"/api/events/{event.id}/questions/{q.id}"
    state = mod_client.post(f"{api}/merge-term", json={"term": "Digitale Termine", "into": "Online-Termine"})
    assert state.status_code == 200, state.text
    refused = mod_client.post(f"{api}/merge-term", json={"term": "Bus", "into": "bus"})
    assert refused.status_code == 422
    assert refused.json() == {"code": "merge_self",
                              "detail": "Ein Begriff lässt sich nicht mit sich selbst zusammenführen. Bitte wählen Sie einen anderen Begriff."}
    assert mod_client.post(f"{api}/merge-term", json={"term": "x" * 201, "into": "Bus"}).status_code == 422
    assert results_of(session, q)["counts"]["onlinetermine"] == 3

    # The form: the control page's script posts it with fetch and gets the message to announce.
    form = f"/moderator/events/{event.id}/questions/{q.id}"
    answer = mod_client.post(f"{form}/unmerge-term", data={"csrf": mod_client.csrf, "term": "digitaletermine"},
                             headers={"accept": "application/json"})
    assert answer.json() == {"ok": True, "action": "unmerge-term", "changed": True,
                             "message": "„Digitale Termine“ wird wieder als eigener Begriff gezählt."}
    # Without script: a redirect back to the page, which says what happened or why not.
    page = f"http://testserver/moderator/events/{event.id}"
    done = mod_client.post(f"{form}/merge-term", data={"csrf": mod_client.csrf, "term": "bus", "into": "radwege"},
                           headers={"referer": page}, follow_redirects=False)
    assert done.status_code == 303
    assert "„Bus“ wird jetzt als „Radwege“ gezählt." in mod_client.get(done.headers["location"]).text
    no = mod_client.post(f"{form}/merge-term", data={"csrf": mod_client.csrf, "term": "radwege", "into": "radwege"},
                         headers={"referer": page}, follow_redirects=False)
    assert no.status_code == 303
    assert "nicht mit sich selbst zusammenführen" in mod_client.get(no.headers["location"]).text
    assert results_of(session, q)["counts"] == {"radwege": 3, "onlinetermine": 2, "digitaletermine": 2}


def test_a_merge_reaches_projector_phones_and_every_control_page_at_once(mod_client, session, event):
    """The projector, a phone that shows the cloud live and two control pages get the merged cloud in the next tally."""
    q = make(session, event, "wordcloud", phone_results="live")
    client = mod_client
    assert client.post(f"/api/events/{event.id}/questions/{q.id}/open").status_code == 200
    with client.websocket_connect(f"/ws/p/{event.projector_token}") as projector, phone(client, event) as p1, \
            client.websocket_connect(f"/ws/moderator/{event.id}") as m1, client.websocket_connect(f"/ws/moderator/{event.id}") as m2:
        until(p1, "state")
        for i, terms in enumerate([["Digitale Termine"], ["Online-Termine"], ["online termine", "Bus"]]):
            with phone(client, event) as p:
                until(p, "state")
                p.send_json({"type": "vote", "vote_id": f"v{i}", "question_id": q.id, "terms": terms})
                until(p, "ack")
        until(projector, "tally", lambda m: m["voters"] == 3)
        response = client.post(f"/api/events/{event.id}/questions/{q.id}/merge-term", json={"term": "Digitale Termine", "into": "Online-Termine"})
        assert response.status_code == 200

        def merged(msg):
            return msg.get("counts") == {"onlinetermine": 3, "bus": 1}

        shown = until(projector, "tally", merged)
        assert [t["label"] for t in shown["terms"]] == ["Online-Termine", "Bus"] and shown["merged"] == {"digitaletermine": "onlinetermine"}
        assert "merges" not in shown
        assert until(p1, "tally", merged)["merged"] == {"digitaletermine": "onlinetermine"}
        for moderator in (m1, m2):
            msg = until(moderator, "tally", merged)
            assert [(m["from_label"], m["into_label"]) for m in msg["merges"]] == [("Digitale Termine", "Online-Termine")]

        client.post(f"/api/events/{event.id}/questions/{q.id}/unmerge-term", json={"term": "digitaletermine"})
        apart = until(projector, "tally", lambda m: m.get("counts", {}).get("digitaletermine") == 1)
        assert apart["merged"] == {} and apart["counts"]["onlinetermine"] == 2


def test_a_merge_changes_what_an_export_is_made_of(session, event, moderator):
    """A finished export of the same data is reused: a merge must count as a change of the data."""
    q = _cloud(session, event, CLOUD)
    before = jobs.data_state(session, (event.id,))
    _merge(session, moderator, event, q, "Bus", "Radwege")
    assert jobs.data_state(session, (event.id,)) != before


def test_hidden_terms_and_the_60_shown_ones_in_counts_as_the_protocol_says(session, event):
    """The moderator's `counts`: every term not hidden; projector and phones: the 60 most frequent shown ones,
    in `terms` and `counts` alike."""
    q = make(session, event, "wordcloud")
    for i in range(62):
        store(session, q, f"d{i}", (f"Begriff {i:02d}",) if i else ("Begriff 00", "Stau"))
    store(session, q, "late", ("Begriff 00",))
    review.set_term_hidden(session=session, question=q, term="Stau", hidden=True)
    r = results_of(session, q)
    assert len(r["terms"]) == 63 and [t["key"] for t in r["terms"] if t["hidden"]] == ["stau"]
    assert len(r["counts"]) == 62 and "stau" not in r["counts"] and r["counts"]["begriff00"] == 2
    public = r_domain.public(r)
    assert len(public["terms"]) == 60 and list(public["counts"]) == [t["key"] for t in public["terms"]]
    assert public["terms"][0] == {"key": "begriff00", "label": "Begriff 00", "n": 2} and "begriff61" not in public["counts"]


def test_the_control_page_works_without_script(mod_client, session, event):
    """The merge form and each merge's "Trennen" are plain forms in the page as the server renders it."""
    q = _cloud(session, event, CLOUD)
    assert mod_client.post(f"/api/events/{event.id}/questions/{q.id}/open").status_code == 200
    mod_client.post(f"/api/events/{event.id}/questions/{q.id}/merge-term", json={"term": "Digitale Termine", "into": "Online-Termine"})
    review.set_term_hidden(session=session, question=q, term="Radwege", hidden=True)
    page = mod_client.get(f"/moderator/events/{event.id}").text
    base = f"/moderator/events/{event.id}/questions/{q.id}"
    form = page[page.index('id="merge-form"') - 80:page.index('id="merges-title"')]
    assert f'action="{base}/merge-term"' in form and 'name="csrf"' in form
    # Only shown terms, by key, in both lists: hidden "Radwege" and the merged-away term are no choice.
    for name in ("term", "into"):
        select = form[form.index(f'name="{name}"'):]
        select = select[:select.index("</select>")]
        assert [(v, label) for v, label in re.findall(r'<option value="([^"]*)">([^<]*)</option>', select)] == [
            ("", "– bitte wählen –"), ("bus", "Bus"), ("onlinetermine", "Online-Termine")]
    merges = page[page.index('id="merge-list"'):page.index('id="merges-empty"')]
    assert "Digitale Termine" in merges and "Online-Termine" in merges
    assert f'action="{base}/unmerge-term"' in merges and 'name="term" value="digitaletermine"' in merges
    assert "Trennen<span class=\"visually-hidden\">: „Digitale Termine“ von „Online-Termine“</span>" in merges


def test_the_results_pages_and_the_report_name_the_merges(session, event, moderator):
    """A merge changes a published result: the results page, the report's appendix and its method note say so."""
    from app.reports import method, page_tables, report_view
    from app.reports.resultset import event_results

    q = _cloud(session, event, CLOUD)
    _merge(session, moderator, event, q, "Digitale Termine", "Online-Termine")
    results = event_results(session, event)
    question = next(item for t in results.topics for item in t.questions if item.id == q.id)
    assert question.final.merged_terms == (("Digitale Termine", "Online-Termine"),)
    assert [row.label for row in question.final.rows][:1] == ["Online-Termine"]
    foot = {row.label: row.cells for row in page_tables.round_grid(question).foot}
    assert foot["zusammengeführte Begriffe"] == ("Digitale Termine → Online-Termine",)
    notes = next(item.notes for item in report_view.appendix_terms([results]) if item.heading.startswith(q.text))
    assert ("Von der Moderation zusammengeführt (gezählt als der zweite Begriff; wer beide nannte, zählt einmal): "
            "„Digitale Termine“ → „Online-Termine“.") in notes
    assert any("hat die Moderation zusammengeführt (1)" in p for p in method.method_note([results]))
