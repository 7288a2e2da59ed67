"""The texts each page's script shows, translated on the server and handed to the script as JSON.

Every page gets the shared texts (connection state, results); a page with a script of its own gets that
script's texts too (`js_strings(page)`), rendered into the page by templates/_js_strings.html.
"""

from app.i18n import N_, _

# Shared by every script: connection state, the phone's vote, the classic choice results.
JS_STRINGS: dict[str, str] = {
    "conn_open": N_("Verbunden"),
    "conn_connecting": N_("Verbinde …"),
    "conn_closed": N_("Keine Verbindung – neuer Versuch läuft"),
    "conn_stopped": N_("Keine Verbindung"),  # refused for good (socket.js FINAL_CLOSE_CODES): no new attempt
    "refused": N_("Die Seite kann sich nicht mehr verbinden. Bitte laden Sie die Seite neu."),
    "offline_pending": N_("Keine Verbindung. Ihre Stimme wird gesendet, sobald die Verbindung wieder steht."),
    "offline": N_("Keine Verbindung. Die Seite verbindet sich von selbst wieder."),
    "waiting_title": N_("Sie sind dabei!"),
    "waiting_big": N_("Gleich geht es los."),
    "waiting_text": N_("Sobald die Moderation eine Frage startet, erscheint sie hier."),
    "hint_single": N_("Bitte wählen Sie eine Antwort."),
    "hint_multiple": N_("Sie können bis zu {n} Antworten wählen."),
    "vote": N_("Abstimmen"),
    "change": N_("Stimme ändern"),
    "sending": N_("Wird gesendet …"),
    "voted": N_("Danke! Ihre Stimme wurde gezählt."),
    "already": N_("Sie haben bereits abgestimmt. Sie können Ihre Stimme ändern, solange die Abstimmung läuft."),
    "closed": N_("Die Abstimmung ist beendet."),
    "result_soon": N_("Das Ergebnis wird gleich vorne im Saal gezeigt."),
    "result": N_("Ergebnis"),
    "votes_n": N_("{n} Stimmen"),
    "votes_1": N_("1 Stimme"),
    "voters_n": N_("{n} Personen haben abgestimmt."),
    "voters_1": N_("1 Person hat abgestimmt."),
    "choose_one": N_("Bitte wählen Sie eine Antwort aus."),
    "too_many": N_("Bitte wählen Sie höchstens {n} Antworten."),
    "new_question": N_("Neue Frage: {text}"),
    "announce_closed": N_("Die Abstimmung ist beendet."),
    "announce_results": N_("Das Ergebnis wird angezeigt."),
    "announce_waiting": N_("Bitte warten Sie auf die nächste Frage."),
    "proj_open": N_("Abstimmung läuft"),
    "proj_closed": N_("Abstimmung beendet"),
    "proj_hidden": N_("Das Ergebnis wird später gezeigt."),
    "phones_n": N_("{n} Geräte verbunden"),
    "phones_1": N_("1 Gerät verbunden"),
    "count_votes_n": N_("{n} Stimmen abgegeben"),
    "count_votes_1": N_("1 Stimme abgegeben"),
    "changed": N_("Die Veranstaltung wurde geändert (z. B. in einem anderen Fenster)."),
    "reload": N_("Seite neu laden"),
    "gone": N_("Diese Veranstaltung gibt es nicht mehr."),
    "multi_note": N_("Mehrfachauswahl: Prozent der Abstimmenden, die diese Antwort gewählt haben."),
    "mine": N_("Ihre Antwort"),
    "interim": N_("Zwischenstand: {votes}."),
    "leader_1": N_("Vorne: {name} mit {pct} %."),
    "leader_n": N_("Gleichauf vorne: {names} mit je {pct} %."),
    "result_list": N_("Ergebnis: {items}."),
    "result_item": N_("{name}: {votes}, {pct} %"),
}


# Texts of the newer question kinds, one dict per script so each page's texts stay together.
# results.js (charts of every kind, shared by phone, projector and control page):
RESULTS_JS_STRINGS: dict[str, str] = {
    "result_hidden": N_("Das Ergebnis wird später gezeigt."),
    "no_votes": N_("Noch keine Stimmen."),
    "no_terms": N_("Noch keine Begriffe."),
    "no_answers": N_("Noch keine freigegebenen Antworten."),
    "people_1": N_("1 Person"),
    "people_n": N_("{n} Personen"),
    "points_1": N_("1 Punkt"),
    "points_n": N_("{n} Punkte"),
    "answers_1": N_("1 Antwort"),
    "answers_n": N_("{n} Antworten"),
    "scale_stats": N_("Mittelwert {mean} · Median {median}"),
    "scale_item": N_("{value}: {votes}, {pct} %"),
    "mean_mark": N_("Ø {mean}"),
    "avg_rank": N_("Ø Platz {rank}"),
    "avg_points": N_("Ø {n} Punkte"),
    "mine_rank": N_("Ihr Platz: {n}"),
    "mine_points": N_("Ihre Punkte: {n}"),
    "mine_term": N_("Ihr Begriff"),
    "ranking_note": N_("Punkte: Platz 1 bringt {n} Punkte, jeder Platz darunter einen weniger, der letzte keinen."),
    "points_note": N_("Durchschnitt der {total} Punkte, die jede Person verteilt hat."),
    "terms_more_1": N_("… und 1 weiterer Begriff"),
    "terms_more_n": N_("… und {n} weitere Begriffe"),
    "answers_more_1": N_("… und 1 weitere Antwort"),
    "answers_more": N_("… und {n} weitere Antworten"),
    "answers_count": N_("{received} eingegangen, {approved} freigegeben."),
    "summary_scale": N_("Mittelwert {mean}, Median {median}, {votes}."),
    "summary_ranking": N_("Platz 1: {names} (Ø Platz {rank})."),
    "summary_points": N_("Vorne: {names} mit Ø {n} Punkten."),
    "summary_terms": N_("Vorne: {items}."),
    "ranking_item": N_("{place}. {name}, Ø Platz {rank}"),
    "points_item": N_("{name}: Ø {n} Punkte"),
    "th_answer": N_("Antwort"),
    "th_votes": N_("Stimmen"),
    "th_percent": N_("Prozent"),
    "th_value": N_("Wert"),
    "th_place": N_("Platz"),
    "th_avg_rank": N_("Ø Platz"),
    "th_points": N_("Punkte"),
    "th_avg_points": N_("Ø Punkte"),
    "th_total_points": N_("Punkte insgesamt"),
    "th_term": N_("Begriff"),
    "th_people": N_("Personen"),
}
# attendee.js (the phone):
PHONE_JS_STRINGS: dict[str, str] = {
    "ph_round": N_("Runde {n}"),
    "ph_new_round": N_("Runde {n}: {text}"),
    "ph_time_left": N_("Noch {time}"),
    "ph_time_up": N_("Zeit abgelaufen"),
    "ph_time_30": N_("Noch 30 Sekunden."),
    "ph_time_10": N_("Noch 10 Sekunden."),
    "ph_send": N_("Absenden"),
    "ph_change_answer": N_("Antwort ändern"),
    "ph_live_results": N_("Zwischenstand"),
    "ph_hint_scale": N_("Bitte wählen Sie einen Wert von {min} bis {max}."),
    "ph_scale_end": N_("{value} = {label}"),
    "ph_no_value": N_("Bitte wählen Sie einen Wert."),
    "ph_hint_terms_1": N_("Bitte geben Sie einen Begriff ein, höchstens {max} Zeichen."),
    "ph_hint_terms_n": N_("Sie können bis zu {n} Begriffe eingeben, je höchstens {max} Zeichen."),
    "ph_term_1": N_("Ihr Begriff"),
    "ph_term_n": N_("Begriff {n}"),
    "ph_no_term": N_("Bitte geben Sie mindestens einen Begriff ein."),
    "ph_hint_text": N_("Ihre Antwort wird von der Moderation geprüft, bevor sie vorne im Saal erscheint."),
    "ph_text_label": N_("Ihre Antwort"),
    "ph_no_text": N_("Bitte schreiben Sie eine Antwort."),
    "ph_chars_left_n": N_("Noch {n} Zeichen"),
    "ph_chars_left_1": N_("Noch 1 Zeichen"),
    "ph_chars_none": N_("Keine Zeichen mehr übrig (höchstens {max})."),
    "ph_chars_over": N_("{n} Zeichen zu viel"),
    "ph_hint_ranking": N_("Ordnen Sie die Antworten mit den Pfeilen: oben steht, was Ihnen am wichtigsten ist."),
    "ph_rank_up": N_("{label} nach oben"),
    "ph_rank_down": N_("{label} nach unten"),
    "ph_rank_moved": N_("{label} auf Platz {n}"),
    "ph_rank_top": N_("{label} ist schon auf Platz 1."),
    "ph_rank_bottom": N_("{label} ist schon auf dem letzten Platz."),
    "ph_hint_points": N_("Verteilen Sie genau {total} Punkte auf die Antworten: mehr Punkte für das, was Ihnen wichtiger ist."),
    "ph_points_unit": N_("Punkte"),
    "ph_points_for": N_("Punkte für {label}"),
    "ph_points_now": N_("{label}: {n} Punkte."),
    "ph_points_left": N_("Noch {n} von {total} Punkten zu verteilen"),
    "ph_points_done": N_("Alle {total} Punkte sind verteilt."),
    "ph_points_over_1": N_("1 Punkt zu viel ({sum} von {total})"),
    "ph_points_over_n": N_("{n} Punkte zu viel ({sum} von {total})"),
    "ph_points_bad": N_("Bitte nur ganze Zahlen von 0 bis {total} eingeben."),
    "ph_points_reason": N_("Abstimmen geht, sobald genau {total} Punkte verteilt sind."),
    # The acknowledgement of words (the template attendee.html says the same without JavaScript).
    "ph_received": N_("Danke! Ihre Antwort ist eingegangen."),
    "ph_received_review": N_("Danke! Ihre Antwort ist eingegangen. Sie erscheint nach Prüfung durch die Moderation."),
    "ph_already_answered": N_("Sie haben bereits geantwortet. Sie können Ihre Antwort ändern, solange die Abstimmung läuft."),
    # A late resend of an older answer did not replace the newer one: the form now shows the one that stands.
    "ph_newer_kept": N_("Ihre neuere Antwort gilt. Eine ältere kam verspätet an und wurde nicht übernommen."),
    "ph_card_enter": N_("Abstimmkarte eingeben"),
    "ph_card_needed": N_("Bei dieser Veranstaltung stimmen Sie mit einer Abstimmkarte ab. Bitte geben Sie den Code Ihrer Karte ein."),
}
# projector.js:
PROJECTOR_JS_STRINGS: dict[str, str] = {
    "count_answers_1": N_("1 Antwort eingegangen"),
    "count_answers_n": N_("{n} Antworten eingegangen"),
    "hint_scale": N_("Bitte wählen Sie einen Wert von {min} bis {max}."),
    "hint_ranking": N_("Bringen Sie die Antworten in Ihre Reihenfolge."),
    "hint_points": N_("Verteilen Sie {total} Punkte auf die Antworten."),
    "hint_terms_1": N_("Ein Begriff pro Person."),
    "hint_terms_n": N_("Bis zu {n} Begriffe pro Person."),
    "hint_text": N_("Antworten erscheinen hier, sobald die Moderation sie freigibt."),
    "time_left": N_("Noch"),
    "time_up": N_("Zeit abgelaufen"),
    "time_left_say": N_("Noch {time} zum Abstimmen."),
    "minutes_1": N_("1 Minute"),
    "minutes_n": N_("{n} Minuten"),
    "seconds_1": N_("1 Sekunde"),
    "seconds_n": N_("{n} Sekunden"),
    "round_n": N_("Runde {n}"),
    "round_current": N_("aktuell"),
    "round_started": N_("Runde {n} beginnt."),
    "rounds_compared": N_("Die Runden werden nebeneinander gezeigt."),
    "topic_not_asked": N_("Noch nicht gestellt"),
    "topic_count": N_("{asked} von {n} Fragen gestellt"),
    "topic_overview": N_("Überblick: {topic}, {n} Fragen."),
    "join_live": N_("Gerade läuft: {text}"),
}
# moderator.js (the control page):
MODERATOR_JS_STRINGS: dict[str, str] = {
    "mod_time_up": N_("Die Zeit ist um: Die Abstimmung wurde geschlossen."),
    "mod_countdown_10": N_("Noch 10 Sekunden."),
    "mod_countdown_over": N_("Zeit abgelaufen – die Abstimmung wird geschlossen …"),
    "mod_countdown_closed": N_("Zeit abgelaufen – die Abstimmung ist geschlossen."),
    "mod_action_failed": N_("Das ging nicht. Bitte versuchen Sie es noch einmal."),
    "mod_offline": N_("Keine Verbindung zum Server. Bitte versuchen Sie es gleich noch einmal."),
    "mod_logged_out": N_("Abgemeldet – die Anmeldung öffnet sich."),
    "mod_refresh_failed": N_("Diese Seite konnte nicht aktualisiert werden (keine Verbindung?)."),
    "mod_no_access": N_("Sie moderieren diese Veranstaltung nicht mehr."),
    "mod_status_pending": N_("wartet"),
    "mod_status_approved": N_("freigegeben"),
    "mod_status_rejected": N_("abgelehnt"),
    "mod_flagged": N_("Verdacht auf beleidigende Sprache"),
    "mod_approve": N_("Freigeben"),
    "mod_reject": N_("Ablehnen"),
    "mod_requeue": N_("Zurück in die Warteschlange"),
    "mod_waiting_1": N_("1 Antwort wartet auf Prüfung."),
    "mod_waiting_n": N_("{n} Antworten warten auf Prüfung."),
    "mod_hide_term": N_("Ausblenden"),
    "mod_show_term": N_("Einblenden"),
    "mod_term_hidden": N_("ausgeblendet"),
    "mod_term_flagged_hidden": N_("ausgeblendet, bis Sie den Begriff einblenden"),
    "mod_terms_summary_1": N_("1 Begriff, davon {hidden} ausgeblendet. Ausgeblendete Begriffe sehen weder Beamer noch Handys."),
    "mod_terms_summary": N_("{n} Begriffe, davon {hidden} ausgeblendet. Ausgeblendete Begriffe sehen weder Beamer noch Handys."),
    "mod_check_title": N_("Achtung: mehr Stimmen als plausibel."),
    "mod_check_text": N_("Es gibt mehr Stimmen, als Geräte verbunden waren oder Personen im Saal sind. Vielleicht hat jemand mehrfach abgestimmt (z. B. mit immer neuen Cookies). Prüfen Sie das Ergebnis, bevor Sie es verwenden."),  # noqa: E501 (one msgid)
    "mod_not_entered": N_("nicht eingetragen"),
    # presenter-keys.js: what a key did, or why it did nothing
    "key_running": N_("{action} …"),
    "key_no_question": N_("Keine Frage geöffnet – mit Bild ↓ (oder N) öffnen Sie die nächste Frage."),
    "key_no_previous": N_("Keine vorherige Frage mit Ergebnis."),
    "key_join_already": N_("Der Beamer zeigt schon den QR-Code."),
    # The words after a number on the control page (the template says the same with ngettext).
    "mod_phones_unit_1": N_("Gerät verbunden"),
    "mod_phones_unit_n": N_("Geräte verbunden"),
    "mod_votes_unit_1": N_("Stimme"),
    "mod_votes_unit_n": N_("Stimmen"),
    "mod_answers_unit_1": N_("Antwort"),
    "mod_answers_unit_n": N_("Antworten"),
}


# term-review.js (the control page's word-cloud review, moderator/_terms.html), besides the moderator's texts:
TERM_REVIEW_JS_STRINGS: dict[str, str] = {
    "mod_merge_pick": N_("Zusammenführen …"),
    "mod_merge_counts_as": N_("zählt als"),
    "mod_unmerge": N_("Trennen"),
    "mod_unmerge_suffix": N_("„{term}“ von „{into}“"),
}

# The help-desk tablet (#18, help-desk-tablet.js); it reads the kinds' fields as the phone does.
TABLET_JS_STRINGS: dict[str, str] = {
    "tablet_thanks": N_("Ihre Stimme wurde gezählt."),
    "tablet_thanks_big": N_("Vielen Dank!"),
    "tablet_welcome": N_("Willkommen!"),
    "tablet_rest": N_("Bitte wenden Sie sich an die Helferin / den Helfer am Hilfe-Tisch."),
    "tablet_expiry_warning": N_("Noch {s} Sekunden: Bitte stimmen Sie jetzt ab, sonst wird die Freigabe beendet."),
    "tablet_send": N_("Absenden"),
}

PAGE_JS_STRINGS: dict[str, dict[str, str]] = {"attendee": PHONE_JS_STRINGS, "projector": PROJECTOR_JS_STRINGS,
                                              "moderator": {**MODERATOR_JS_STRINGS, **TERM_REVIEW_JS_STRINGS},
                                              "tablet": {**PHONE_JS_STRINGS, **TABLET_JS_STRINGS}, "helper": {}}


def js_strings(page: str | None = None) -> dict[str, str]:
    """The texts a page's script shows; a page gets only its own (the phone page is kept small)."""
    own = PAGE_JS_STRINGS.get(page) if page else None
    extra = own if own is not None else {**PHONE_JS_STRINGS, **PROJECTOR_JS_STRINGS, **MODERATOR_JS_STRINGS, **TERM_REVIEW_JS_STRINGS}
    texts = {**JS_STRINGS, **RESULTS_JS_STRINGS, **extra}
    return {key: _(text) for key, text in texts.items()}
