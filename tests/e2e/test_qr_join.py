"""The projector's QR code: decoded from a real screenshot, it is the join URL, and phones that open it join."""

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.helpers import WAITING

pytestmark = pytest.mark.e2e


def test_projector_qr_code_is_the_join_url_and_phones_join_with_it(moderator, projector, phones, demo, screenshot):
    moderator.show_join_screen()
    projector.expect_join_screen()

    # The join URL as the moderator page shows it; the server printed the same at start.
    join_href = moderator.page.locator("a.copy[href*='/j/']").get_attribute("href")
    assert join_href == demo.join_url
    expect(projector.page.locator(".join-code")).to_have_text(f"{demo.join_code[:3]} {demo.join_code[3:]}")

    expect(projector.page.locator("figure.qr svg")).to_be_visible()
    path = screenshot(projector.page, "projector-join", docs=True)
    barcodes = zxingcpp.read_barcodes(Image.open(path))
    assert len(barcodes) == 1, f"expected one QR code on the join screen, found {len(barcodes)}"
    assert barcodes[0].format == zxingcpp.BarcodeFormat.QRCode
    decoded = barcodes[0].text
    assert decoded == demo.join_url, f"QR code says {decoded!r}, join URL is {demo.join_url!r}"
    expect(projector.page.locator("figure.qr figcaption")).to_have_text(decoded)

    for phone in phones:
        phone.join(decoded)
        assert phone.page.url == decoded
        expect(phone.page.locator("#phone-heading")).to_have_text(WAITING)
    screenshot(phones[0].page, "phone-waiting", docs=True)

    moderator.expect_phones(len(phones))
