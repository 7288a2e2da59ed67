"""The printed sheet of voting cards: an A4 PDF made by WeasyPrint in a child process.

Drawing 2,000 cards keeps a CPU busy for a minute or more; in the app's own process that time would be
taken from the phones' vote path (one interpreter lock for both). So each sheet is drawn by a child process
(`python -m app.cards_sheet`) that reads the codes on its standard input and writes the PDF to its standard
output: the codes touch no disk, no command line and no log, and live only as long as the request.
"""

import base64
import json
import logging
import os
import struct
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import qrcode

from app.domain.errors import DomainError
from app.i18n import N_

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent

CARDS_PER_PAGE = 8  # 2 × 4 on A4, 97 × 70.25 mm each
CARD_W_MM, CARD_H_MM = 97.0, 281.0 / 4  # A4 minus 8 mm margins, in 2 columns and 4 rows
TITLE_MAX = 80  # two lines of the card's title; longer titles end in "…"
TIMEOUT_S = 600
# Sheets drawn at once by this app process; more wait their turn (each child holds a CPU and ~150 MB).
_drawing = threading.BoundedSemaphore(2)


class SheetFailed(DomainError):
    status = 503


def qr_png(url: str) -> str:
    """A link as a QR code: a 1-bit PNG, one pixel per module, as a data: URI.

    A PNG, not an SVG: WeasyPrint draws an SVG path of every module 40 times slower.
    """
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    qr.add_data(url)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    size = len(matrix)
    raw = b"".join(
        b"\x00" + bytes(
            sum((0 if row[x + bit] else 1) << (7 - bit) for bit in range(8) if x + bit < size) for x in range(0, size, 8)
        )
        for row in matrix
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode()


def draw(spec: dict) -> bytes:
    """The PDF of one batch (in this process).

    `spec`: locale, title, place, date, join_url, batch, made, and cards: [code, code as printed] each.
    """
    from app.pdf import render_pdf

    title = spec["title"] if len(spec["title"]) <= TITLE_MAX else spec["title"][:TITLE_MAX - 1].rstrip() + "…"
    cards = []
    for i, (code, printed) in enumerate(spec["cards"]):
        slot = i % CARDS_PER_PAGE
        cards.append({
            "number": i + 1, "code": printed, "qr": qr_png(f"{spec['join_url']}?karte={code}"),
            "col": slot % 2, "row": slot // 2,
            "left": f"{slot % 2 * CARD_W_MM:.2f}", "top": f"{slot // 2 * CARD_H_MM:.2f}",
        })
    pages = [cards[i:i + CARDS_PER_PAGE] for i in range(0, len(cards), CARDS_PER_PAGE)]
    return render_pdf("pdf/cards.html", locale=spec.get("locale") or "de", sheet={**spec, "title": title}, pages=pages,
                      card_w=CARD_W_MM, card_h=f"{CARD_H_MM:.2f}")


def draw_in_child(spec: dict) -> bytes:
    """The PDF of one batch, drawn by a child process (blocking: call from a thread)."""
    try:
        with _drawing:
            done = subprocess.run(
                [sys.executable, "-m", "app.cards_sheet"], input=json.dumps(spec).encode(), capture_output=True,
                cwd=ROOT, env=os.environ.copy(), timeout=TIMEOUT_S, check=False,
            )
    except subprocess.TimeoutExpired:
        log.error("Kartenbogen: nach %d s abgebrochen (%d Karten)", TIMEOUT_S, len(spec["cards"]))
        raise SheetFailed("sheet_timeout", N_("Die PDF-Datei wurde nicht rechtzeitig fertig. Bitte erzeugen Sie weniger Karten auf einmal.")) from None
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF-"):
        # The child's last words only: its error, never its input.
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["?"])[-1][:300]
        log.error("Kartenbogen: Kindprozess endete mit %s: %s", done.returncode, last)
        raise SheetFailed("sheet_failed", N_("Die PDF-Datei konnte nicht erzeugt werden; es wurden keine Karten angelegt. Bitte versuchen Sie es noch einmal."))
    return done.stdout


def main() -> int:
    spec = json.loads(sys.stdin.buffer.read())
    pdf = draw(spec)
    sys.stdout.buffer.write(pdf)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
