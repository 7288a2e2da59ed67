"""Strict mode with printed voting cards: codes and their hashes, the card gate on page, form and socket, the
moderator's PDF sheet, withdrawing a batch. docs/voting-cards.md names these tests."""

import io
import os
import re
import uuid
from contextlib import contextmanager

import httpx
import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader
from sqlmodel import select
from starlette.websockets import WebSocketDisconnect

from app.config import settings
from app.cookies import DEVICE_COOKIE, new_device_cookie
from app.domain import cards as c_domain
from app.domain import live as live_domain
from app.domain import votes as v_domain
from app.domain.errors import DomainError, Invalid
from app.models import AuditEntry, Event, Vote, VotingCard
from app.routes import cards as card_routes
from tests import factories
from tests.factories import option_ids, questions_of
from tests.helpers import csrf_of, login

CODE_RE = re.compile(r"^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{2}$")


def make_cards(session, event, n: int) -> list[str]:
    _batch, codes = c_domain.generate_cards(session=session, event=event, count=n, print_sheet=lambda _b, codes: list(codes))
    return codes


def strict(session, event, on: bool = True) -> None:
    c_domain.set_strict(session=session, event=event, on=on)


def open_first(session, event):

    single, _multiple = questions_of(session, event)
    live_domain.open_question(session=session, question=single)
    return single


@contextmanager
def as_phone(client, cookies: dict[str, str] | None = None):
    """Another phone on the same test client: its own cookies for the duration (one app, one event loop)."""
    jar = httpx.Cookies(client.cookies)
    client.cookies.clear()
    for name, value in (cookies or {}).items():
        client.cookies.set(name, value)
    try:
        yield client
    finally:
        client.cookies = jar


def take_card(client, event, code: str) -> str:
    """Open the card's QR link; returns the card cookie the phone now holds."""
    r = client.get(f"/j/{event.join_code}?karte={code}", follow_redirects=False)
    assert r.status_code == 303, r.text
    return client.cookies.get(card_routes.cookie_name(event.id))


def socket(client, event, *, card_cookie: str | None = None, device_cookie: str | None = None):
    if device_cookie is None:
        _device, device_cookie = new_device_cookie()
    cookie = f"{DEVICE_COOKIE}={device_cookie}"
    if card_cookie:
        cookie += f"; {card_routes.cookie_name(event.id)}={card_cookie}"
    jar = httpx.Cookies(client.cookies)
    client.cookies.clear()
    try:
        return client.websocket_connect(f"/ws/j/{event.join_code}", headers={"cookie": cookie})
    finally:
        client.cookies = jar


def until(ws, type_, pred=lambda m: True, limit=50):
    for _ in range(limit):
        msg = ws.receive_json()
        if msg["type"] == type_ and pred(msg):
            return msg
    pytest.fail(f"no {type_} message")


def closed_with(ws) -> tuple[int, list[dict]]:
    messages = []
    with pytest.raises(WebSocketDisconnect) as closed:
        for _ in range(50):
            messages.append(ws.receive_json())
    return closed.value.code, messages


# ---- domain ---------------------------------------------------------------------------------------


def test_cards_have_readable_codes_and_only_keyed_hashes_are_stored(session, event):
    codes = make_cards(session, event, 50)
    assert len(set(codes)) == 50
    for code in codes:
        assert CODE_RE.match(c_domain.format_code(code)), code
    stored = session.exec(select(VotingCard).where(VotingCard.event_id == event.id)).all()
    assert len(stored) == 50 and {c.batch for c in stored} == {1}
    hashes = {c.code_hash for c in stored}
    assert hashes == {c_domain.code_hash(event.id, code) for code in codes}
    # Neither the code nor a plain (unkeyed) hash of it is in the table.
    import hashlib

    for code in codes:
        assert all(code not in h and c_domain.format_code(code) not in h for h in hashes)
        assert hashlib.sha256(code.encode()).hexdigest() not in hashes
        assert hashlib.sha256(f"{event.id}:{code}".encode()).hexdigest() not in hashes


def test_card_check_accepts_typing_variants_and_refuses_wrong_or_foreign_codes(session, event, moderator):
    code = make_cards(session, event, 3)[0]
    voter = c_domain.check_card(session=session, event_id=event.id, raw=code)
    assert voter == c_domain.card_voter_hash(event.id, code) and c_domain.is_card_voter(voter)
    pretty = c_domain.format_code(code)
    for typed in (pretty, pretty.lower(), " " + pretty.replace("-", " ") + " ", pretty.replace("-", "–")):
        assert c_domain.check_card(session=session, event_id=event.id, raw=typed) == voter, typed
    wrong = ("2" if code[0] != "2" else "3") + code[1:]
    with pytest.raises(c_domain.CardRefused) as refused:
        c_domain.check_card(session=session, event_id=event.id, raw=wrong)
    assert "zurückgezogen" in refused.value.message
    other = factories.make_event(session, owner=moderator, title="Andere Konferenz")
    with pytest.raises(c_domain.CardRefused):
        c_domain.check_card(session=session, event_id=other.id, raw=code)  # a card of one event is no card of another
    for malformed, error in (("", "card_missing"), ("ABC", "card_malformed"), ("O0I1LO0I1L", "card_malformed"),
                             (code + "2", "card_malformed")):
        with pytest.raises(Invalid) as exc:
            c_domain.check_card(session=session, event_id=event.id, raw=malformed)
        assert exc.value.code == error


def test_card_voter_hash_is_per_card_and_event_and_never_a_device_hash(session, event, moderator):
    other = factories.make_event(session, owner=moderator, title="Andere Konferenz")
    code = c_domain.new_code()
    voter = c_domain.card_voter_hash(event.id, code)
    assert voter == c_domain.card_voter_hash(event.id, code)  # every phone with the card votes as the card
    assert voter != c_domain.card_voter_hash(other.id, code)
    assert voter != c_domain.card_voter_hash(event.id, c_domain.new_code())
    assert len(voter) <= Vote.model_fields["device_hash"].metadata[0].max_length
    device_hash = v_domain.device_hash(code, settings.secret_key)
    assert not c_domain.is_card_voter(device_hash) and voter.startswith("card:") and code not in voter


def test_a_failed_sheet_leaves_no_cards(session, event):
    def broken(_batch, _codes):
        raise RuntimeError("printer on fire")

    with pytest.raises(RuntimeError):
        c_domain.generate_cards(session=session, event=event, count=5, print_sheet=broken)
    assert session.exec(select(VotingCard)).all() == []


def test_withdrawn_batch_stops_working_and_other_batches_stay(session, event):
    first = make_cards(session, event, 4)
    second = make_cards(session, event, 2)
    assert [(b.batch, b.cards) for b in c_domain.batches(session=session, event_id=event.id)] == [(1, 4), (2, 2)]
    voters = c_domain.withdraw_batch(session=session, event=event, batch=1)
    assert sorted(voters) == sorted(c_domain.card_voter_hash(event.id, c) for c in first)
    for code in first:
        with pytest.raises(c_domain.CardRefused):
            c_domain.check_card(session=session, event_id=event.id, raw=code)
    assert c_domain.check_card(session=session, event_id=event.id, raw=second[0])
    with pytest.raises(DomainError) as exc:
        c_domain.withdraw_batch(session=session, event=event, batch=1)
    assert exc.value.status == 404


@pytest.mark.parametrize("raw", ["", "0", "2001", "abc", "1.5", "-3", "1e3", "9" * 40])
def test_card_count_must_be_1_to_2000(raw):
    with pytest.raises(Invalid) as exc:
        c_domain.parse_count(raw)
    assert "Karten" in exc.value.message or "ganze Zahl von 1 bis {max}" in exc.value.message


# ---- the phone -------------------------------------------------------------------------------------


def test_strict_mode_without_card_shows_the_entry_form_and_refuses_form_votes(client, session, event):
    strict(session, event)
    single = open_first(session, event)
    page = client.get(f"/j/{event.join_code}")
    assert page.status_code == 200 and 'id="vote-form"' not in page.text
    html = page.text
    assert '<label for="karte">Code Ihrer Abstimmkarte</label>' in html
    field = re.search(r"<input id=\"karte\"[^>]*>", html, re.S).group(0)
    for attr in ('autocomplete="off"', 'inputmode="text"', 'autocapitalize="characters"', 'spellcheck="false"'):
        assert attr in field
    assert page.headers["cache-control"] == "no-store"
    a, _b, _c = option_ids(session, single)
    r = client.post(f"/j/{event.join_code}/vote", data={"question_id": single.id, "choice": a}, follow_redirects=False)
    assert r.status_code == 403 and "Ihre Antwort wurde nicht gezählt" in r.text and 'name="karte"' in r.text
    assert session.exec(select(Vote)).all() == []


def test_card_link_sets_an_httponly_cookie_and_redirects_to_the_clean_url(client, session, event):
    strict(session, event)
    code = make_cards(session, event, 1)[0]
    r = client.get(f"/j/{event.join_code}?karte={code}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/j/{event.join_code}"
    assert r.headers["cache-control"] == "no-store" and r.headers["referrer-policy"] == "no-referrer"
    set_cookie = r.headers["set-cookie"]
    assert set_cookie.startswith(f"saal_card_{event.id}=") and "HttpOnly" in set_cookie and "samesite=lax" in set_cookie.lower()
    page = client.get(f"/j/{event.join_code}")
    assert page.status_code == 200 and 'id="card-held"' in page.text
    assert c_domain.format_code(code)[-2:] in page.text and c_domain.format_code(code) not in page.text
    # A forged or another event's cookie is no card.
    assert card_routes.code_from_cookie(event.id, "falsch") is None
    assert card_routes.code_from_cookie(event.id + 1, client.cookies.get(f"saal_card_{event.id}")) is None


def test_entry_form_works_without_javascript_and_explains_wrong_codes(client, session, event):
    strict(session, event)
    code = make_cards(session, event, 2)[0]
    r = client.post(f"/j/{event.join_code}/karte", data={"karte": "K7QX-M2PD-9R"})
    assert r.status_code == 403 and "Diese Karte gilt hier nicht" in r.text
    assert 'value="K7QX-M2PD-9R"' in r.text and 'aria-invalid="true"' in r.text and 'role="alert"' in r.text
    r = client.post(f"/j/{event.join_code}/karte", data={"karte": "12345"})
    assert r.status_code == 422 and "Ein Kartencode hat 10 Zeichen" in r.text
    r = client.post(f"/j/{event.join_code}/karte", data={"karte": ""})
    assert r.status_code == 422 and "Bitte geben Sie den Code Ihrer Abstimmkarte ein." in r.text
    r = client.get(f"/j/{event.join_code}?karte=nix")
    assert r.status_code == 422 and "Ein Kartencode hat 10 Zeichen" in r.text
    assert client.cookies.get(card_routes.cookie_name(event.id)) is None
    r = client.post(f"/j/{event.join_code}/karte", data={"karte": c_domain.format_code(code).lower()}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/j/{event.join_code}"
    assert client.get(f"/j/{event.join_code}").text.count('id="card-held"') == 1


def test_card_entry_from_another_site_is_refused(client, session, event):
    code = make_cards(session, event, 1)[0]
    for headers in ({"origin": "http://evil.example"}, {"origin": "http://testserver:8081"}, {"sec-fetch-site": "cross-site"}):
        r = client.post(f"/j/{event.join_code}/karte", data={"karte": code}, headers=headers, follow_redirects=False)
        # Refused by the app-wide origin check (app/origin.py) or, behind it, by the card route's own.
        assert r.status_code == 403 and ("direkt auf dieser Seite" in r.text or "Saalumfrage direkt" in r.text), headers
        assert "set-cookie" not in r.headers or "saal_card_" not in r.headers["set-cookie"]
    r = client.post(f"/j/{event.join_code}/karte", data={"karte": code}, headers={"origin": "http://testserver"},
                    follow_redirects=False)
    assert r.status_code == 303


def test_a_link_does_not_silently_swap_the_card_a_phone_holds(client, session, event):
    strict(session, event)
    mine, other = make_cards(session, event, 2)
    held = take_card(client, event, mine)
    r = client.get(f"/j/{event.join_code}?karte={other}", follow_redirects=False)
    assert r.status_code == 200 and "schon eine andere Abstimmkarte" in r.text
    assert f'value="{c_domain.format_code(other)}"' in r.text
    assert client.cookies.get(card_routes.cookie_name(event.id)) == held
    # Confirming on the page (same site) switches.
    r = client.post(f"/j/{event.join_code}/karte", data={"karte": other}, follow_redirects=False)
    assert r.status_code == 303 and client.cookies.get(card_routes.cookie_name(event.id)) != held


def test_one_answer_per_card_and_question_over_socket_and_form_from_two_phones(client, session, event):
    """Two phones with the same card: the card counts once; the later answer replaces the earlier one."""
    strict(session, event)
    code = make_cards(session, event, 1)[0]
    single = open_first(session, event)
    auto, bus, rad = option_ids(session, single)
    card_cookie = take_card(client, event, code)
    with socket(client, event, card_cookie=card_cookie) as first_phone:
        assert until(first_phone, "state")["phase"] == "open"
        first_phone.send_json({"type": "vote", "vote_id": str(uuid.uuid4()), "question_id": single.id, "choices": [auto]})
        until(first_phone, "ack")
    with socket(client, event, card_cookie=card_cookie) as second_phone:
        state = until(second_phone, "state")
        assert state["my_vote"] == [auto]  # the card's answer, on a phone that never voted
        second_phone.send_json({"type": "vote", "vote_id": str(uuid.uuid4()), "question_id": single.id, "choices": [bus]})
        until(second_phone, "ack")
    with as_phone(client, {card_routes.cookie_name(event.id): card_cookie}) as third_phone:  # no device cookie at all
        r = third_phone.post(f"/j/{event.join_code}/vote", data={"question_id": single.id, "choice": rad}, follow_redirects=False)
    assert r.status_code == 303
    session.expire_all()
    votes = session.exec(select(Vote).where(Vote.question_id == single.id)).all()
    assert len(votes) == 1 and votes[0].answer == f"[{rad}]"
    assert votes[0].device_hash == c_domain.card_voter_hash(event.id, code)
    assert c_domain.cards_voted(session=session, question_id=single.id, round=1) == 1


def test_socket_without_card_in_strict_mode_is_refused_with_4403(client, session, event):
    strict(session, event)
    make_cards(session, event, 1)
    with socket(client, event) as ws:
        code, messages = closed_with(ws)
    assert code == 4403 and messages[-1]["type"] == "error" and messages[-1]["code"] == "card_required"
    assert "Abstimmkarte" in messages[-1]["message"]
    forged = card_routes._cookie_value(event.id, c_domain.new_code())  # signed, but no card of this event
    with socket(client, event, card_cookie=forged) as ws:
        code, messages = closed_with(ws)
    assert code == 4403 and messages[-1]["code"] == "card_withdrawn"


def test_switching_strict_mode_on_closes_phones_without_card_and_keeps_card_holders(mod_client, session, event):
    code = make_cards(session, event, 1)[0]
    card_cookie = take_card(mod_client, event, code)
    with socket(mod_client, event) as plain, socket(mod_client, event, card_cookie=card_cookie) as carded:
        until(plain, "state")
        until(carded, "state")
        r = mod_client.post(f"/moderator/events/{event.id}/cards/strict", data={"csrf": mod_client.csrf, "on": "1"},
                            follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].endswith("#cards")
        close_code, messages = closed_with(plain)
        assert close_code == 4403 and messages[-1]["code"] == "card_required"
        carded.send_json({"type": "ping"})
        until(carded, "pong")
    session.expire_all()
    assert session.get(Event, event.id).voting_cards is True
    actions = [e.action for e in session.exec(select(AuditEntry).where(AuditEntry.event_id == event.id))]
    assert "cards-on" in actions
    mod_client.post(f"/moderator/events/{event.id}/cards/strict", data={"csrf": mod_client.csrf, "on": "0"})
    session.expire_all()
    assert session.get(Event, event.id).voting_cards is False
    assert "cards-off" in [e.action for e in session.exec(select(AuditEntry).where(AuditEntry.event_id == event.id))]


def test_card_holders_keep_their_card_identity_when_strict_mode_is_switched_off(client, session, event):
    """Switching strict mode off in the middle gives no card holder a second answer."""
    strict(session, event)
    code = make_cards(session, event, 1)[0]
    single = open_first(session, event)
    auto, bus, _rad = option_ids(session, single)
    take_card(client, event, code)
    assert client.post(f"/j/{event.join_code}/vote", data={"question_id": single.id, "choice": auto}, follow_redirects=False).status_code == 303
    strict(session, event, on=False)
    assert client.post(f"/j/{event.join_code}/vote", data={"question_id": single.id, "choice": bus}, follow_redirects=False).status_code == 303
    session.expire_all()
    votes = session.exec(select(Vote).where(Vote.question_id == single.id)).all()
    assert len(votes) == 1 and votes[0].answer == f"[{bus}]"


def test_withdrawing_a_batch_closes_its_phones_at_once(mod_client, session, event):
    strict(session, event)
    lost, kept = make_cards(session, event, 1)[0], make_cards(session, event, 1)[0]
    lost_cookie = take_card(mod_client, event, lost)
    mod_client.cookies.delete(card_routes.cookie_name(event.id))
    kept_cookie = take_card(mod_client, event, kept)
    with socket(mod_client, event, card_cookie=lost_cookie) as a, socket(mod_client, event, card_cookie=kept_cookie) as b:
        until(a, "state")
        until(b, "state")
        r = mod_client.post(f"/moderator/events/{event.id}/cards/withdraw", data={"csrf": mod_client.csrf, "batch": "1"},
                            follow_redirects=False)
        assert r.status_code == 303
        close_code, messages = closed_with(a)
        assert close_code == 4403 and messages[-1]["code"] == "card_withdrawn"
        b.send_json({"type": "ping"})
        until(b, "pong")
    with as_phone(mod_client, {card_routes.cookie_name(event.id): lost_cookie}) as phone:
        page = phone.get(f"/j/{event.join_code}")
    assert page.status_code == 403 and "zurückgezogen" in page.text and 'name="karte"' in page.text
    detail = session.exec(select(AuditEntry).where(AuditEntry.action == "cards-withdraw")).one().detail
    assert detail == "Satz 1: 1 Karten"


# ---- the moderator -----------------------------------------------------------------------------


def pdf_codes(pdf: bytes) -> tuple[list[str], str]:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.findall(r"\b[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{2}\b", text), text


def qr_texts(pdf: bytes, page: int = 0) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    image = document[page].render(scale=4).to_pil()
    return sorted(b.text for b in zxingcpp.read_barcodes(image))


def test_moderator_generates_a_pdf_sheet_with_every_code_and_its_qr_link(mod_client, session, event):
    r = mod_client.post(f"/moderator/events/{event.id}/cards", data={"csrf": mod_client.csrf, "count": "10"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == f'attachment; filename="abstimmkarten-{event.join_code}-satz-1.pdf"'
    assert r.headers["cache-control"] == "no-store"
    pdf = r.content
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2  # 8 cards a page
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert abs(width - 595.28) < 1 and abs(height - 841.89) < 1  # A4 in points
    codes, text = pdf_codes(pdf)
    assert len(codes) == 10 and len(set(codes)) == 10
    flat = " ".join(text.split())
    assert event.title in flat and "Die Karte ist anonym – bitte nicht weitergeben." in flat
    assert flat.count("Scannen oder Code eingeben, dann abstimmen.") == 10
    session.expire_all()
    stored = {c.code_hash for c in session.exec(select(VotingCard).where(VotingCard.event_id == event.id))}
    assert stored == {c_domain.code_hash(event.id, c_domain.normalize(code)) for code in codes}
    # The QR codes of the first page: the join link with the card, one per card on the page.
    links = qr_texts(pdf)
    assert links == sorted(f"http://testserver/j/{event.join_code}?karte={c_domain.normalize(code)}" for code in codes[:8])
    # Each link works on a phone.
    with as_phone(mod_client) as phone:
        assert phone.get(links[0].removeprefix("http://testserver"), follow_redirects=False).status_code == 303
    page = mod_client.get(f"/moderator/events/{event.id}").text
    assert "Satz 1 mit 10 Karten erzeugt" in page and '<dd id="cards-total">10</dd>' in page
    assert "Die Codes werden nicht gespeichert – PDF jetzt herunterladen und aufbewahren." in page
    assert "cards-generate" in [e.action for e in session.exec(select(AuditEntry).where(AuditEntry.event_id == event.id))]


@pytest.mark.parametrize("count", ["", "0", "2001", "zehn", "-1"])
def test_bad_card_counts_are_explained_and_make_nothing(mod_client, session, event, count):
    page = f"http://testserver/moderator/events/{event.id}"
    r = mod_client.post(f"/moderator/events/{event.id}/cards", data={"csrf": mod_client.csrf, "count": count},
                        headers={"referer": page}, follow_redirects=True)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert ("Bitte geben Sie eine ganze Zahl von 1 bis 2000 ein." in r.text
            or "Bitte geben Sie an, wie viele Karten erzeugt werden sollen." in r.text)
    assert session.exec(select(VotingCard)).all() == []


def test_control_page_counts_cards_that_answered_the_current_question(mod_client, session, event):
    strict(session, event)
    codes = make_cards(session, event, 3)
    single = open_first(session, event)
    from app.domain import events as e_domain

    auto = option_ids(session, single)[0]
    for code in codes[:2]:
        with as_phone(mod_client) as phone:
            take_card(phone, event, code)
            assert phone.post(f"/j/{event.join_code}/vote", data={"question_id": single.id, "choice": auto},
                              follow_redirects=False).status_code == 303
    page = mod_client.get(f"/moderator/events/{event.id}").text
    assert '<dd id="cards-total">3</dd>' in page and '<dd id="cards-voted">2</dd>' in page
    assert e_domain.get_event(session=session, event_id=event.id).voting_cards


def test_only_the_events_moderators_may_switch_strict_mode_or_make_cards(client, session, event):
    factories.make_moderator(session, username="andere", password="andere-geheim-1")
    make_cards(session, event, 1)
    base = f"/moderator/events/{event.id}/cards"
    for path, data in ((base + "/strict", {"on": "1"}), (base, {"count": "5"}), (base + "/withdraw", {"batch": "1"})):
        r = client.post(path, data=data, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
    login(client, "andere", "andere-geheim-1")
    token = csrf_of(client.get("/moderator").text)
    for path, data in ((base + "/strict", {"on": "1"}), (base, {"count": "5"}), (base + "/withdraw", {"batch": "1"})):
        r = client.post(path, data={**data, "csrf": token}, follow_redirects=False)
        assert r.status_code == 403, path
    session.expire_all()
    assert session.get(Event, event.id).voting_cards is False
    assert len(session.exec(select(VotingCard)).all()) == 1


def test_served_without_access_log_so_card_links_are_never_logged(monkeypatch):
    """`saalumfrage serve` runs uvicorn with the access log off (a `?karte=` link in it would leak the card)."""
    import uvicorn

    from app import cli

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    monkeypatch.setattr(cli, "cmd_migrate", lambda args: 0)
    # `serve` switches start-up migrations off for its workers: keep that from leaking into other tests.
    monkeypatch.setenv("AUTO_MIGRATE", os.environ.get("AUTO_MIGRATE", "true"))
    monkeypatch.setattr(settings, "auto_migrate", settings.auto_migrate)
    cli.main(["serve", "--port", "9599"])
    assert seen.get("access_log") is False
    from pathlib import Path

    dockerfile = (Path(__file__).resolve().parent.parent / "Dockerfile").read_text()
    assert "--no-access-log" in dockerfile


def test_votes_are_not_held_up_while_a_sheet_is_drawn(session, event, engine):
    """Drawing 2,000 cards takes a minute: no write lock may be held meanwhile (SQLite has one writer)."""
    import time

    from sqlmodel import Session

    single = questions_of(session, event)[0]
    waited = []

    def slow_sheet(_batch, codes):
        with Session(engine) as other:
            started = time.monotonic()
            v_domain.insert_votes_directly(session=other, rows=[v_domain.VoteRow(
                question_id=single.id, event_id=event.id, device_hash="d" * 64, choices=[1], vote_id="v1")])
            waited.append(time.monotonic() - started)
        return codes

    c_domain.generate_cards(session=session, event=event, count=3, print_sheet=slow_sheet)
    assert waited and waited[0] < 2.0
    assert len(session.exec(select(VotingCard)).all()) == 3


def test_two_batches_made_at_the_same_moment_do_not_share_a_number(session, event, engine):
    from sqlmodel import Session

    def meanwhile(_batch, codes):
        with Session(engine, expire_on_commit=False) as other:
            make_cards(other, other.get(Event, event.id), 2)  # another moderator, same event, same moment
        return codes

    with pytest.raises(DomainError) as exc:
        c_domain.generate_cards(session=session, event=event, count=3, print_sheet=meanwhile)
    assert exc.value.code == "cards_race" and exc.value.status == 409
    assert [(b.batch, b.cards) for b in c_domain.batches(session=session, event_id=event.id)] == [(1, 2)]


def test_a_sheet_that_cannot_be_drawn_is_explained_and_makes_no_cards(mod_client, session, event, monkeypatch):
    from app import cards_sheet

    def broken(_spec):
        raise cards_sheet.SheetFailed("sheet_failed", "Die PDF-Datei konnte nicht erzeugt werden; es wurden keine Karten angelegt. "
                                      "Bitte versuchen Sie es noch einmal.")

    monkeypatch.setattr(cards_sheet, "draw_in_child", broken)
    page = f"http://testserver/moderator/events/{event.id}"
    r = mod_client.post(f"/moderator/events/{event.id}/cards", data={"csrf": mod_client.csrf, "count": "4"},
                        headers={"referer": page}, follow_redirects=True)
    assert r.status_code == 200 and "es wurden keine Karten angelegt" in r.text
    assert session.exec(select(VotingCard)).all() == []


def test_fresh_machines_and_the_image_get_pango_for_weasyprint():
    """WeasyPrint needs the system's Pango: the bootstrap of both scripts installs it on Debian, the image has it."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for path in ("Dockerfile", "scripts/_bootstrap.sh"):
        text = (root / path).read_text()
        assert "libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core" in text, path
    import weasyprint  # and here it loads

    assert weasyprint.HTML(string="<p>Abstimmkarte</p>").write_pdf().startswith(b"%PDF-")


def test_markup_in_the_event_title_is_printed_as_text_and_fetches_nothing():
    """The sheet is HTML for WeasyPrint: a title with markup is escaped, and nothing but data: URIs is ever fetched."""
    from app import cards_sheet
    from app.pdf import render_html

    evil = '<img src="file:///etc/passwd"><b>Fett</b>'
    spec = {"locale": "de", "title": evil, "place": "<i>Ort</i>", "date": "", "join_url": "http://testserver/j/123456",
            "batch": 1, "made": "", "cards": [["ABCDEFGHJK", "ABCD-EFGH-JK"]]}
    _codes, text = pdf_codes(cards_sheet.draw(spec))
    flat = " ".join(text.split())
    assert '<img src="file:///etc/passwd"><b>Fett</b>' in flat and "<i>Ort</i>" in flat
    html = render_html("pdf/cards.html", locale="de", sheet=spec, pages=[], card_w=97, card_h=70)
    assert "&lt;img" in html and "<img src=\"file" not in html
