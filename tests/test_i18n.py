"""The translation catalogue: German source, other languages from .po files, picked per visitor."""

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from app import i18n


def test_pick_locale_prefers_cookie_then_browser(monkeypatch, tmp_path):
    (tmp_path / "en" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "en" / "LC_MESSAGES" / "messages.po").write_text("")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    assert i18n.pick_locale("en-GB,en;q=0.8") == "en"
    assert i18n.pick_locale("fr-FR, en;q=0.5") == "en"
    assert i18n.pick_locale("fr-FR") == "de"
    assert i18n.pick_locale("en", cookie="de") == "de"
    assert i18n.pick_locale(None) == "de"


def test_catalogue_translates_pages_and_errors(monkeypatch, tmp_path, client):
    catalog = Catalog(locale="en")
    catalog.add("Bei der Saalumfrage mitmachen", "Join the hall survey")
    catalog.add("Zum Code „{code}“ gibt es keine Veranstaltung.", "There is no event with the code “{code}”.")
    (tmp_path / "en" / "LC_MESSAGES").mkdir(parents=True)
    with (tmp_path / "en" / "LC_MESSAGES" / "messages.po").open("wb") as fh:
        write_po(fh, catalog)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        english = client.get("/", headers={"accept-language": "en"}).text
        assert "Join the hall survey" in english and '<html lang="en">' in english
        assert "There is no event with the code “42”." in client.get("/join?code=42", headers={"accept-language": "en"}).text
        german = client.get("/").text
        assert "Bei der Saalumfrage mitmachen" in german and '<html lang="de">' in german
    finally:
        i18n.translations.cache_clear()


def test_template_catalogue_is_current():
    """Every message the German source shows is in app/locale/messages.pot (run scripts/extract-messages.sh)."""
    pot = (i18n.LOCALE_DIR / "messages.pot").read_text(encoding="utf-8")
    for message in ["Bei der Saalumfrage mitmachen", "Die Abstimmung ist beendet.", "Bitte melden Sie sich an.", "Verbunden"]:
        assert f'msgid "{message}"' in pot, message
