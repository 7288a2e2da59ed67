"""HTML and script in anything people type (titles, options, terms, open answers) render as inert text."""

from app.domain import events as e_domain
from app.domain import questions as q_domain
from app.domain import votes as v_domain
from tests.test_realtime import act

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_typed_markup_is_escaped_on_every_page(mod_client, session, event):
    event.title = "Konferenz " + EVIL
    event.place = EVIL
    session.add(event)
    session.commit()
    topic = e_domain.add_topic(session=session, event_id=event.id, title="Thema " + EVIL)
    choice = q_domain.create_question(session=session, topic=topic, text="Frage " + EVIL, kind="single", options=[EVIL, "Nein"])
    cloud = q_domain.create_question(session=session, topic=topic, text="Wolke", kind="wordcloud", options=[])
    text = q_domain.create_question(session=session, topic=topic, text="Offen", kind="text", options=[])
    v_domain.insert_votes_directly(session=session, rows=[
        v_domain.VoteRow(cloud.id, event.id, "d1", ("<b>fett</b>",), "v1"),
        v_domain.VoteRow(text.id, event.id, "d1", EVIL, "v2", moderation="approved"),
    ])
    for q in (cloud, text, choice):
        act(mod_client, event, f"questions/{q.id}/open")
        pages = {
            "control": mod_client.get(f"/moderator/events/{event.id}").text,
            "events": mod_client.get("/moderator").text,
            "phone": mod_client.get(f"/j/{event.join_code}").text,
            "projector": mod_client.get(f"/p/{event.projector_token}").text,
        }
        api = mod_client.get(f"/api/events/{event.id}")
        # Data, not a page: served as JSON with nosniff, so a browser never renders it as HTML.
        assert api.headers["content-type"] == "application/json" and api.headers["x-content-type-options"] == "nosniff"
        act(mod_client, event, f"questions/{q.id}/close")
        pages["phone-closed"] = mod_client.get(f"/j/{event.join_code}").text
        pages["control-closed"] = mod_client.get(f"/moderator/events/{event.id}").text
        for name, html in pages.items():
            assert "<script>alert" not in html, name
            assert "<img src=x" not in html, name
            assert "<b>fett</b>" not in html, name
            # Shown as text: the escaped form is on the page (or inside the JSON handed to the script).
            assert "&lt;script&gt;" in html or "\\u003cscript\\u003e" in html, name
