"""The method note every results page, export and report begins with, built from the data it describes:
who asked, where and when; how people took part; how many answered; what the numbers do and do not say; how
they are rounded; what moderation removed (counts only) and what was left out."""

from collections.abc import Sequence

from app.config import settings
from app.i18n import N_, translate
from app.reports import formatting as fmt
from app.reports.resultset import SMALL_N, EventResults

NOT_REPRESENTATIVE = N_("Die Ergebnisse sind nicht repräsentativ, sondern ein Stimmungsbild der Anwesenden.")


def _where_when(event: EventResults, locale: str) -> str:
    organisation = settings.report_organisation.strip()
    place = event.place or translate("ohne Ortsangabe", locale)
    if organisation:
        return translate("{org} hat bei der Veranstaltung „{title}“ am {date} in {place} Saalumfragen durchgeführt.", locale,
                         org=organisation, title=event.title, date=fmt.date(event.date), place=place)
    return translate("Die Saalumfragen wurden bei der Veranstaltung „{title}“ am {date} in {place} durchgeführt.", locale,
                     title=event.title, date=fmt.date(event.date), place=place)


def _taking_part(events: Sequence[EventResults], locale: str) -> str:
    if all(e.voting_cards for e in events):
        return translate("Abgestimmt wurde mit gedruckten Abstimmkarten, die im Saal ausgegeben wurden: eine Antwort je Karte "
                         "und Frage, ohne Namen. Eine Identitätsprüfung gab es nicht.", locale)
    text = translate("Teilnehmen konnte jede Person im Saal, ohne Anmeldung und ohne Namen: mit dem eigenen Handy über einen "
                     "QR-Code oder Kurzcode, eine Antwort je Gerät und Frage (eine geänderte Antwort ersetzt die frühere). "
                     "Eine Identitätsprüfung gab es nicht.", locale)
    if any(e.voting_cards for e in events):
        text += " " + translate("Bei einigen Veranstaltungen wurde stattdessen mit gedruckten Abstimmkarten abgestimmt.", locale)
    return text


def method_note(events: Sequence[EventResults], locale: str = "de") -> list[str]:
    """The note's paragraphs, for one event or for the events of a series."""
    paragraphs = [_where_when(e, locale) for e in events]
    paragraphs.append(_taking_part(events, locale))
    for e in events:
        if e.people_in_hall:
            paragraphs.append(translate("{title}: nach Zählung der Veranstalter etwa {people} Personen im Saal.", locale,
                                        title=e.title, people=fmt.number(e.people_in_hall)))
    ns = [q.final.n for e in events for q in e.questions() if q.asked]
    if ns:
        paragraphs.append(translate("Die Zahl der Antworten (n) steht bei jeder Frage; sie liegt zwischen {low} und {high}. "
                                    "Wer nicht abgestimmt hat, ist nicht mitgezählt.", locale, low=fmt.number(min(ns)), high=fmt.number(max(ns))))
    else:
        paragraphs.append(translate("Es wurden noch keine Antworten abgegeben.", locale))
    counted = [r for e in events for q in e.questions() for r in q.rounds if r.sources]
    if counted:
        by_hand = any(source in ("hands", "paper") for r in counted for source, _n, _e in r.sources)
        paragraphs.append(translate(
            "Wer kein Handy nutzen wollte, konnte auch per Handzeichen oder Stimmzettel abstimmen, oder am Hilfe-Tisch auf einem "
            "Tablet. Bei {n} Ergebnissen steht, wie viele Stimmen aus welcher Quelle kamen; die Prozente beziehen sich auf alle "
            "Stimmen zusammen. „ca.“ heißt: geschätzt, nicht genau gezählt.", locale, n=len(counted)) if by_hand else translate(
            "Wer kein Handy nutzen wollte, konnte am Hilfe-Tisch auf einem Tablet abstimmen. Bei {n} Ergebnissen steht, wie viele "
            "Stimmen vom Tablet kamen; die Prozente beziehen sich auf alle Stimmen zusammen.", locale, n=len(counted)))
    paragraphs.append(translate(NOT_REPRESENTATIVE, locale))
    paragraphs.append(translate(
        "Prozentwerte sind auf ganze Zahlen gerundet; Summen können deshalb von 100 % abweichen. Bei Mehrfachnennung "
        "beziehen sich die Prozente auf die Abstimmenden und ergeben zusammen mehr als 100 %. Enthaltungen sind eine "
        "eigene Zeile und zählen zur Basis. Bei weniger als {small} Antworten stehen nur Anzahlen, keine Prozente.",
        locale, small=SMALL_N))
    second = sum(1 for e in events for q in e.questions() if len(q.rounds) > 1)
    if second:
        paragraphs.append(translate("Bei einer Frage wurde nach einer Diskussion erneut abgestimmt; alle Runden stehen nebeneinander, "
                                    "die letzte Runde ist das Ergebnis.", locale) if second == 1 else
                          translate("Bei {n} Fragen wurde nach einer Diskussion erneut abgestimmt; alle Runden stehen nebeneinander, "
                                    "die letzte Runde ist das Ergebnis.", locale, n=second))
    not_approved = sum(r.not_approved for e in events for q in e.questions() for r in q.rounds)
    hidden = sum(r.hidden_terms for e in events for q in e.questions() for r in q.rounds)
    if not_approved or hidden:
        paragraphs.append(translate("Von der Moderation nicht freigegebene freie Antworten: {texts}; ausgeblendete Begriffe: {terms}. "
                                    "Sie sind hier nicht enthalten, nur gezählt.", locale, texts=not_approved, terms=hidden))
    merged = sum(len(q.final.merged_terms) for e in events for q in e.questions() if q.kind == "wordcloud")
    if merged:
        paragraphs.append(translate("Gleichbedeutende Begriffe einer Wortwolke hat die Moderation zusammengeführt ({n}); sie sind im "
                                    "Anhang genannt. Schreibweisen, die sich nur durch Groß- und Kleinschreibung, Leerzeichen, "
                                    "Bindestriche oder Umlaute unterscheiden, zählen immer als ein Begriff.", locale, n=merged))
    if any(e.interim for e in events):
        made = max(e.made_at for e in events)
        paragraphs.append(translate("Zwischenstand: Mindestens eine Abstimmung lief noch (Stand {stamp}).", locale, stamp=fmt.stamp(made)))
    left_out = [text for e in events for text in e.left_out]
    if left_out:
        paragraphs.append(translate("Auf Wunsch nicht aufgenommene Fragen ({n}): {texts}.", locale, n=len(left_out),
                                    texts="; ".join(f"„{t}“" for t in left_out)))
    return paragraphs
