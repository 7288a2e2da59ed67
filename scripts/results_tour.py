"""Walk through the results of a running demo as a moderator would, in Chromium: the series results, one
question compared across the events, an event's results, and every export format of the series downloaded.

Start the demo first (`./scripts/start-demo.sh --with-votes --port 8700`), then

    uv run --frozen python scripts/results_tour.py http://127.0.0.1:8700 --shots docs/reports --downloads /tmp/tour

Screenshots go to --shots, the downloaded files to --downloads; it prints what it downloaded.
"""

import argparse
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from app.demo import DEMO_PASSWORD, DEMO_USER

FORMATS = ["pdf", "csv-excel", "csv", "xlsx", "zip"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("--shots", type=Path, default=Path("docs/reports"))
    parser.add_argument("--downloads", type=Path, default=Path("/tmp/tour"))
    parser.add_argument("--series", type=int, default=1)
    args = parser.parse_args()
    args.shots.mkdir(parents=True, exist_ok=True)
    args.downloads.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="de-DE", accept_downloads=True)
        page.goto(f"{args.base}/login")
        page.fill("#username", DEMO_USER)
        page.fill("#password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{args.base}/moderator/series/{args.series}/results")
        page.screenshot(path=args.shots / "Reihe_Ergebnisse_Browser.png", full_page=False)
        links = page.locator(f"a[href*='/moderator/series/{args.series}/compare/']")
        print(f"linked questions: {links.count()}")
        hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
        page.goto(f"{args.base}{hrefs[0]}")
        page.screenshot(path=args.shots / "Vergleich_drei_Veranstaltungen.png", full_page=True)
        print("compared:", page.locator("h1").inner_text())
        for fmt in FORMATS:
            page.goto(f"{args.base}/moderator/series/{args.series}/export")
            page.check(f"input[name=format][value='{fmt}']")
            page.click("section[aria-labelledby=new-heading] button[type=submit]")
            link = page.locator("li.job.shown a.download")
            expect(link).to_be_visible(timeout=120_000)
            with page.expect_download() as info:
                link.click()
            download = info.value
            target = args.downloads / download.suggested_filename
            download.save_as(target)
            print(f"{fmt:10} {target.name} {target.stat().st_size:,} bytes")
        page.goto(f"{args.base}/moderator/series/{args.series}/export")
        page.screenshot(path=args.shots / "Export_Dialog.png", full_page=False)
        browser.close()


if __name__ == "__main__":
    main()
