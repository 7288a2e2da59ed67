"""Every moderator action in one table: what it runs, its success message, what it publishes, its audit label.

The table is data; `domain/control.py` performs an entry. Messages and labels are German gettext msgids;
the routes translate them.
"""

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlmodel import Session

from app.domain import access, counts, plausibility, review
from app.domain import events as e_domain
from app.domain import live as live_domain
from app.domain import questions as q_domain
from app.domain import segments as seg_domain
from app.domain import series as s_domain
from app.domain import templates as t_domain
from app.domain.action_kit import Action, Message, Params, Run, Scope, Target, _say, _silent
from app.domain.errors import Invalid
from app.domain.parsing import optional_date, optional_int
from app.i18n import N_
from app.models import Question, User


def _question_detail(target: Target, params: Params) -> str:
    return " · ".join([target.the_question.text, *(f"{k}={v}" for k, v in params.items() if v is not None and v != "")])


def _on_question(run: Callable[[Session, Question, Params], object]) -> Run:
    return lambda target, params: run(target.session, target.the_question, params)


def _answer_id(params: Params) -> int:
    return optional_int(params.get("answer_id"), field="answer_id") or 0


def _timer_message(_result: object, params: Params) -> Message:
    if not str(params.get("seconds") or "").strip("0 "):
        return N_("Countdown angehalten; die Abstimmung läuft ohne Zeitlimit weiter."), {}
    return N_("Countdown eingestellt."), {}


def _question(name: str, label: str, run: Callable[[Session, Question, Params], object], message: str = "", *,
              live: bool = True, tally: bool = False) -> Action:
    return Action(name=name, label=label, scope="question", run=_on_question(run), message=_say(message) if message else _silent,
                  publish="tally" if tally else "state", live=live, detail=_question_detail)


def _moderation(state: str) -> Callable[[Session, Question, Params], object]:
    return lambda s, q, p: review.set_moderation(session=s, question=q, answer_id=_answer_id(p), state=state)


def _term(hidden: bool) -> Callable[[Session, Question, Params], object]:
    return lambda s, q, p: review.set_term_hidden(session=s, question=q, term=str(p.get("term", "")), hidden=hidden)


def _merge_detail(target: Target, params: Params) -> str:
    """"A → B" first, so the audit line keeps it whatever the question's length."""
    names = [str(params.get(name) or "").strip() for name in ("term", "into") if name in params]
    return " · ".join([" → ".join(names), target.the_question.text])


def _merged(before: str, merge: object) -> str:
    source, into = getattr(merge, "source_label", ""), getattr(merge, "into_label", "")
    return f"{source} → {into} · {before.partition(' · ')[2]}"


def _merge_message(text: str) -> Callable[[object, Params], Message]:
    return lambda merge, _params: (text, {"term": getattr(merge, "source_label", ""), "into": getattr(merge, "into_label", "")})


def _term_action(name: str, label: str, run: Callable[[Session, Question, Params], object], message: str) -> Action:
    return Action(name=name, label=label, scope="question", run=_on_question(run), message=_merge_message(message), publish="tally",
                  live=True, detail=_merge_detail, describe=_merged)


def _count_detail(target: Target, params: Params) -> str:
    return f"{counts.SOURCE_LABELS.get(str(params.get('source')), '?')} · {target.the_question.text}"


def _source_label(change: object) -> str:
    return counts.SOURCE_LABELS.get(str(getattr(change, "source", "")), "")


QUESTION_ACTIONS = [
    _question("open", N_("Abstimmung geöffnet"), lambda s, q, p: live_domain.open_voting(session=s, question=q),
              N_("Abstimmung geöffnet.")),
    _question("close", N_("Abstimmung geschlossen"), lambda s, q, p: live_domain.close_question(session=s, question=q),
              N_("Abstimmung geschlossen.")),
    _question("new-round", N_("Neue Runde"), lambda s, q, p: live_domain.new_round(session=s, question=q),
              N_("Neue Runde gestartet. Die Stimmen der früheren Runden bleiben erhalten.")),
    _question("show", N_("Frage angezeigt"), lambda s, q, p: live_domain.show_on_screen(session=s, question=q),
              N_("Frage wird angezeigt.")),
    _question("show-breakdown", N_("Ergebnis nach Gruppen auf dem Beamer"),
              lambda s, q, p: seg_domain.show_breakdown(session=s, question=q, segment_id=p.get("segment")),
              N_("Der Beamer zeigt das Ergebnis nach Gruppen.")),
    _question("show-results", N_("Ergebnis auf dem Beamer gezeigt"),
              lambda s, q, p: live_domain.set_results_shown(session=s, question=q, shown=True), N_("Ergebnis wird angezeigt.")),
    _question("hide-results", N_("Ergebnis auf dem Beamer ausgeblendet"),
              lambda s, q, p: live_domain.set_results_shown(session=s, question=q, shown=False), N_("Ergebnis ist ausgeblendet.")),
    _question("phone-results", N_("Ergebnis auf den Handys eingestellt"),
              lambda s, q, p: live_domain.set_phone_results(session=s, question=q, mode=p.get("mode")),
              N_("Einstellung für die Handys gespeichert.")),
    _question("compare-rounds", N_("Runden verglichen"), lambda s, q, p: live_domain.set_compare_rounds(session=s, question=q, on=True),
              N_("Der Beamer zeigt die Runden nebeneinander.")),
    _question("single-round", N_("Nur aktuelle Runde"), lambda s, q, p: live_domain.set_compare_rounds(session=s, question=q, on=False),
              N_("Der Beamer zeigt nur die aktuelle Runde.")),
    _question("hide-term", N_("Begriff ausgeblendet"), _term(True), N_("Begriff ausgeblendet."), tally=True),
    _question("show-term", N_("Begriff eingeblendet"), _term(False), N_("Begriff wird angezeigt."), tally=True),
    _term_action("merge-term", N_("Begriffe zusammengeführt"), lambda s, q, p: review.merge_terms(
        session=s, question=q, term=str(p.get("term", "")), into=str(p.get("into", ""))), N_("„{term}“ wird jetzt als „{into}“ gezählt.")),
    _term_action("unmerge-term", N_("Zusammenführung getrennt"), lambda s, q, p: review.unmerge_term(
        session=s, question=q, term=str(p.get("term", ""))), N_("„{term}“ wird wieder als eigener Begriff gezählt.")),
    _question("approve", N_("Antwort freigegeben"), _moderation("approved"), N_("Antwort freigegeben."), tally=True),
    _question("reject", N_("Antwort abgelehnt"), _moderation("rejected"), N_("Antwort abgelehnt."), tally=True),
    _question("requeue", N_("Antwort zurück in die Warteschlange"), _moderation("pending"),
              N_("Antwort zurück in die Warteschlange gelegt."), tally=True),
    _question("move-up", N_("Frage nach oben"), lambda s, q, p: q_domain.move_question(session=s, question=q, direction=-1),
              live=False),
    _question("move-down", N_("Frage nach unten"), lambda s, q, p: q_domain.move_question(session=s, question=q, direction=1),
              live=False),
    _question("delete", N_("Frage gelöscht"), lambda s, q, p: q_domain.delete_question(session=s, question=q), N_("Frage gelöscht."),
              live=False),
    Action(name="count-start", label=N_("Zählung begonnen"), scope="question", live=True, detail=_count_detail,
           message=lambda _r, p: (N_("Die Handys und der Beamer bitten jetzt um Handzeichen.") if p.get("source") == "hands"
                                  else N_("Die Handys und der Beamer sagen jetzt, dass Stimmzettel gezählt werden."), {}),
           run=lambda t, p: counts.start(session=t.session, event=t.event, question=t.the_question, source=p.get("source"))),
    Action(name="count-save", label=N_("Zählung eingetragen"), scope="question", live=True, detail=lambda t, _p: t.the_question.text,
           describe=lambda before, change: f"{getattr(change, 'detail', '')} · {before}",
           message=lambda change, _p: (N_("Gespeichert: {n} Personen ({source})."),
                                       {"n": getattr(change, "voters", 0), "source": _source_label(change)}),
           run=lambda t, p: counts.save(session=t.session, event=t.event, question=t.the_question, params=p)),
    Action(name="count-remove", label=N_("Zählung entfernt"), scope="question", live=True, detail=lambda t, _p: t.the_question.text,
           describe=lambda before, change: f"{getattr(change, 'detail', '')} · {before}", message=_say(N_("Zählung entfernt.")),
           run=lambda t, p: counts.remove(session=t.session, question=t.the_question, source=p.get("source"))),
    Action(name="count-end", label=N_("Zählung beendet"), live=True, message=_say(N_("Zählung beendet.")),
           run=lambda t, p: counts.stop(session=t.session, event=t.event)),
    Action(
        name="timer", label=N_("Countdown"), scope="question", live=True, detail=_question_detail, message=_timer_message,
        run=_on_question(lambda s, q, p: live_domain.set_timer(session=s, question=q,
                                                            seconds=optional_int(p.get("seconds"), field="seconds"))),
    ),
]


def _topic_title(target: Target, _params: Params) -> str:
    return target.the_topic.title


def _titled(result: object) -> str:
    return str(getattr(result, "title", ""))


TOPIC_ACTIONS = [
    Action(name="topic-rename", label=N_("Thema umbenannt"), scope="topic", detail=_topic_title,
           run=lambda t, p: e_domain.rename_topic(session=t.session, topic=t.the_topic, title=str(p.get("title", ""))),
           describe=lambda before, topic: f"{before} → {_titled(topic)}"),
    Action(name="topic-delete", label=N_("Thema gelöscht"), scope="topic", detail=_topic_title, message=_say(N_("Thema gelöscht.")),
           run=lambda t, p: e_domain.delete_topic(session=t.session, topic=t.the_topic)),
    Action(name="topic-move-up", label=N_("Thema nach oben"), scope="topic", detail=_topic_title,
           run=lambda t, p: e_domain.move_topic(session=t.session, topic=t.the_topic, direction=-1)),
    Action(name="topic-move-down", label=N_("Thema nach unten"), scope="topic", detail=_topic_title,
           run=lambda t, p: e_domain.move_topic(session=t.session, topic=t.the_topic, direction=1)),
]


def _param(name: str) -> Callable[[Target, Params], str]:
    return lambda _t, params: str(params.get(name) or "")


def _question_fields(params: Params) -> dict[str, Any]:
    fields = params.get("fields")
    return dict(fields) if isinstance(fields, Mapping) else {}


def _save_question(target: Target, params: Params) -> Question:
    """Create (no question named) or update a question from its definition, `params["fields"]`."""
    if target.question is None:
        return q_domain.create_question(session=target.session, topic=target.the_topic, **_question_fields(params))
    return q_domain.update_question(session=target.session, question=target.question, topic=target.topic, **_question_fields(params))


def _next_message(question: object, _params: Params) -> Message:
    if question is None:
        return N_("Keine weitere Frage: Der Beamer zeigt wieder den Beitrittscode."), {}
    return N_("Nächste Frage geöffnet."), {}


def _after(params: Params) -> int | None:
    """"next": the question that was current when the moderator pressed it (0: none; empty: not said)."""
    after = optional_int(params.get("after"), field="after")
    if after is not None and after < 0:
        raise Invalid("bad_number", "„{field}“ muss eine ganze Zahl sein.", field="after")
    return after


def _date(params: Params) -> dt.date | None:
    date = params.get("date")
    return optional_date(date) if isinstance(date, str) else date if isinstance(date, dt.date) else None


PROJECTOR_MESSAGES = {
    "question": N_("Der Beamer zeigt die aktuelle Frage."),
    "topic": N_("Der Beamer zeigt die Themenübersicht."),
    "join": N_("Der Beamer zeigt den Beitrittscode; die Abstimmung läuft weiter."),
}


def _projector_topic(params: Params) -> int | None:
    return optional_int(params.get("topic_id"), field="Thema")


EVENT_ACTIONS = [
    Action(name="edit-event", label=N_("Angaben geändert"), detail=_param("title"), describe=lambda _b, event: _titled(event),
           message=_say(N_("Angaben gespeichert.")),
           run=lambda t, p: e_domain.update_event(session=t.session, event=t.event, title=str(p.get("title", "")),
                                                  place=str(p.get("place", "")), date=_date(p))),
    Action(name="save-template", label=N_("Als Vorlage gespeichert"), publish="nothing",
           detail=lambda t, p: str(p.get("title") or t.event.title), describe=lambda _b, template: _titled(template),
           message=lambda template, _p: (N_("Vorlage „{title}“ gespeichert. Neue Veranstaltungen der Reihe legen Sie in der Übersicht "
                                            "daraus an."), {"title": _titled(template)}),
           run=lambda t, p: t_domain.save_template(session=t.session, event=t.event, title=str(p.get("title") or t.event.title),
                                                   owner_id=t.user.id)),
    Action(name="add-topic", label=N_("Thema hinzugefügt"), detail=_param("title"), describe=lambda _b, topic: _titled(topic),
           message=lambda topic, _p: (N_("Thema „{title}“ hinzugefügt."), {"title": _titled(topic)}),
           run=lambda t, p: e_domain.add_topic(session=t.session, event_id=t.event.id, title=str(p.get("title", "")))),
    Action(name="save-question", label=N_("Frage gespeichert"), detail=_param("text"), run=_save_question,
           describe=lambda _b, question: str(getattr(question, "text", "")), message=_say(N_("Frage gespeichert."))),
    Action(name="add-question", label=N_("Frage hinzugefügt"), detail=_param("text"), run=_save_question,
           describe=lambda _b, question: str(getattr(question, "text", ""))),
    Action(name="next", label=N_("Nächste Frage"), message=_next_message,
           describe=lambda _b, question: str(getattr(question, "text", "")),
           run=lambda t, p: live_domain.next_question(session=t.session, event=t.event, after=_after(p))),
    Action(name="join-screen", label=N_("QR-Code gezeigt"), message=_say(N_("Der Beamer zeigt den Beitrittscode.")),
           run=lambda t, p: live_domain.show_join_screen(session=t.session, event=t.event)),
    Action(name="projector", label=N_("Beamer umgeschaltet"), detail=_param("mode"),
           message=lambda _r, p: (PROJECTOR_MESSAGES.get(str(p.get("mode")), N_("Beamer umgeschaltet.")), {}),
           run=lambda t, p: live_domain.set_projector(session=t.session, event=t.event, mode=p.get("mode"), topic_id=_projector_topic(p))),
    Action(name="add-co-moderator", label=N_("Co-Moderation hinzugefügt"), publish="nothing",
           detail=lambda _t, p: str(p.get("username") or "")[:80], describe=lambda _b, added: str(getattr(added, "username", "")),
           message=lambda added, _p: (N_("„{name}“ kann diese Veranstaltung jetzt mitmoderieren."),
                                      {"name": str(getattr(added, "username", ""))}),
           run=lambda t, p: access.add_co_moderator(session=t.session, actor=t.user, event=t.event, username=str(p.get("username") or ""))),
    Action(name="remove-co-moderator", label=N_("Co-Moderation entfernt"), publish="nothing", message=_say(N_("Co-Moderation entfernt.")),
           detail=lambda t, p: _username(t.session, p.get("user_id")),
           run=lambda t, p: access.remove_co_moderator(session=t.session, actor=t.user, event=t.event,
                                                       user_id=optional_int(p.get("user_id"), field="user_id") or 0)),
    Action(name="renew-projector-link", label=N_("Beamer-Link erneuert"), publish="nothing",
           message=_say(N_("Neuer Beamer-Link erstellt. Der alte Link funktioniert nicht mehr; öffnen Sie am Beamer den neuen.")),
           run=lambda t, p: access.renew_projector_token(session=t.session, event=t.event)),
    Action(name="move-to-series", label=N_("In Reihe verschoben"), publish="nothing",
           detail=lambda t, p: s_domain.move_detail(session=t.session, event=t.event),
           describe=lambda before, series: f"{before} → {_titled(series) or 'ohne Reihe'}",
           message=lambda series, _p: ((N_("Die Veranstaltung gehört jetzt zur Reihe „{title}“."), {"title": _titled(series)}) if series
                                       else (N_("Die Veranstaltung gehört jetzt zu keiner Reihe."), {})),
           run=lambda t, p: s_domain.move_event(session=t.session, user=t.user, event=t.event, series_id=p.get("series_id"))),
]

# Written to the audit log by their own code (a new event's id exists only after its commit; accounts have no
# event; cards and the head count audit themselves): here only for their labels.
RECORDED_ACTIONS = [
    Action(name="create-event", label=N_("Veranstaltung angelegt")),
    Action(name="create-account", label=N_("Konto angelegt")),
    Action(name="deactivate-account", label=N_("Konto abgeschaltet")),
    Action(name="activate-account", label=N_("Konto wieder aktiviert")),
    Action(name="cards-on", label=N_("Strenger Modus (Abstimmkarten) eingeschaltet")),
    Action(name="cards-off", label=N_("Strenger Modus (Abstimmkarten) ausgeschaltet")),
    Action(name="cards-generate", label=N_("Abstimmkarten erzeugt")),
    Action(name="cards-withdraw", label=N_("Abstimmkarten zurückgezogen")),
    Action(name="people-in-hall", label=N_("Personen im Saal eingetragen")),
    Action(name=plausibility.WARNING_ACTION, label=N_("Warnung: mehr Stimmen als Geräte bzw. Personen im Saal")),
    Action(name="delete-event", label=N_("Veranstaltung gelöscht")),
    Action(name="delete-template", label=N_("Vorlage gelöscht")),
    Action(name="export-start", label=N_("Ergebnisse exportiert (Export gestartet)")),
    Action(name="export-download", label=N_("Export heruntergeladen")),
    Action(name="publish", label=N_("Öffentliche Ergebnisseite veröffentlicht")),
    Action(name="withdraw", label=N_("Öffentliche Ergebnisseite zurückgezogen")),
    Action(name="publication-settings", label=N_("Öffentliche Ergebnisseite eingestellt")),
    Action(name="series-publish", label=N_("Öffentliche Seite der Reihe veröffentlicht")),
    Action(name="series-withdraw", label=N_("Öffentliche Seite der Reihe zurückgezogen")),
    Action(name="series-publication-settings", label=N_("Öffentliche Seite der Reihe eingestellt")),
    Action(name="note-add", label=N_("Notiz „Was ist daraus geworden“ hinzugefügt")),
    Action(name="note-edit", label=N_("Notiz „Was ist daraus geworden“ geändert")),
    Action(name="note-delete", label=N_("Notiz „Was ist daraus geworden“ gelöscht")),
    Action(name="desk-link-create", label=N_("Hilfe-Tisch: Link angelegt")),
    Action(name="desk-link-revoke", label=N_("Hilfe-Tisch: Link zurückgezogen")),
]

ACTIONS: dict[str, Action] = {a.name: a for a in [*QUESTION_ACTIONS, *TOPIC_ACTIONS, *EVENT_ACTIONS, *RECORDED_ACTIONS]}
_BY_VERB: dict[tuple[Scope, str], Action] = {(a.scope, a.verb): a for a in ACTIONS.values() if a.run is not None}
OUTCOME_LABELS = {access.DONE: N_("ausgeführt"), access.REFUSED: N_("abgelehnt")}


def _username(session: Session, user_id: object) -> str:
    uid = optional_int(user_id, field="user_id")
    found = session.get(User, uid) if uid else None
    return found.username if found else str(user_id)


def verbs(scope: Scope) -> list[str]:
    """The action names a URL of this scope may carry."""
    return sorted(verb for s, verb in _BY_VERB if s == scope)


def audit_labels() -> dict[str, str]:
    return {a.name: a.label for a in ACTIONS.values()}
