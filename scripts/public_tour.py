"""Read the demo's public results pages as a citizen would, in Chromium, and publish as the moderator: the series
page, an event page with its follow-up notes, the released downloads and the JSON-LD; then the moderator's
"Veröffentlichen" page and its preview. Screenshots of the public pages for docs/.

Start the demo with votes first (it publishes Döbeln, Frankenberg, Freiberg and the series):

    ./scripts/start-demo.sh --with-votes --port 8551
    uv run --frozen python scripts/public_tour.py http://127.0.0.1:8551 --shots docs

It prints what it found and checks every step; a failed check stops it with the reason.
"""

import argparse
import json
import re
import urllib.request
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from app.demo import DEMO_PASSWORD, DEMO_USER

SERIES = "/ergebnisse/reihe/regionalkonferenzen-agenda-2030"


def _shot(page, selector: str, path: Path) -> None:
    """The part of the page that shows the point: from a little above `selector` down."""
    page.locator(selector).first.scroll_into_view_if_needed()
    page.evaluate(f"window.scrollTo(0, document.querySelector({selector!r}).getBoundingClientRect().top + window.scrollY - 90)")
    page.screenshot(path=path, full_page=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("--shots", type=Path, default=Path("docs"))
    args = parser.parse_args()
    args.shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        citizen = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="de-DE", java_script_enabled=False)
        citizen.goto(args.base + SERIES)
        expect(citizen.get_by_role("heading", level=1)).to_contain_text("Regionalkonferenzen Agenda 2030")
        events = citizen.locator(".event-list a")
        print("series page:", citizen.title(), "–", events.count(), "events,", citizen.locator("article.question").count(), "linked questions")
        _shot(citizen, "article.question", args.shots / "public-series.png")
        events.first.click()
        expect(citizen.get_by_role("heading", name="Was ist daraus geworden").first).to_be_visible()
        print("event page:", citizen.url, "–", citizen.locator("article.question").count(), "questions,",
              citizen.locator(".followup li").count(), "follow-up notes")
        _shot(citizen, ".followup", args.shots / "public-event.png")
        for link in citizen.locator(".downloads a").all():
            href = link.get_attribute("href") or ""
            with urllib.request.urlopen(href if href.startswith("http") else args.base + href) as response:
                body = response.read()
                print(f"  download {href.rsplit('/', 1)[-1]:40} {response.status} {response.headers['Content-Type']:35} {len(body):,} bytes")
        with urllib.request.urlopen(citizen.url + ".jsonld") as response:
            doc = json.loads(response.read())
            print("  JSON-LD:", doc["@type"], "–", doc["dct:title"]["@value"], "–", len(doc.get("dcat:distribution", [])), "distributions")
        assert not re.search(r"/j/\d{6}|/p/", citizen.content()), "the public page links the join code or the projector"

        moderator = browser.new_page(viewport={"width": 1280, "height": 900}, locale="de-DE")
        moderator.goto(f"{args.base}/login")
        moderator.fill("#username", DEMO_USER)
        moderator.fill("#password", DEMO_PASSWORD)
        moderator.click("button[type=submit]")
        moderator.goto(f"{args.base}/moderator/events/1/results")
        moderator.get_by_role("link", name="Veröffentlichen …").click()
        expect(moderator.get_by_role("heading", level=1)).to_contain_text("Ergebnisse veröffentlichen")
        print("moderator page:", moderator.locator("input[name=question]:checked").count(), "questions public,",
              moderator.locator("#public-url").input_value())
        moderator.screenshot(path=args.shots / "publication-settings.png", full_page=False)
        moderator.get_by_role("link", name="Vorschau ansehen").click()
        expect(moderator.locator(".preview-banner")).to_be_visible()
        print("preview:", moderator.locator("article.question").count(), "questions, noindex:",
              moderator.locator("meta[name=robots]").get_attribute("content"))
        browser.close()


if __name__ == "__main__":
    main()
