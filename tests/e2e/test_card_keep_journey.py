"""Keeping the card in a real browser (issue 14 point 2), at phone and desktop width: the
holder finds 保存优才卡 on the card page, downloads the PDF e-certificate and the phone image,
and someone who scans the certificate's QR code, signed out, reads the public page (valid,
tier, end date; nothing about the holder). The page checks of tests/e2e/conftest.py apply:
no console error, no axe-core violation."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from cards.keep import public_path
from cards.seed import seed_criteria
from tests.e2e.support import snap
from tests.e2e.test_journeys import sign_in
from tests.factories import TalentFactory
from tests.requests_support import give_card

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_holder_keeps_the_card_and_a_stranger_checks_it(screen_factory):
    seed_criteria()
    talent = TalentFactory(username="keep_talent", real_name="赵敏")
    card = give_card(talent, tier="B")

    screen = screen_factory()
    page = sign_in(screen, talent, "/card/")
    keep = page.locator("section.card-keep")
    expect(keep).to_contain_text("保存优才卡")
    for name in ("下载电子证书（PDF）", "保存图片到手机"):
        button = keep.get_by_role("button", name=name)
        expect(button).to_be_visible()
        assert button.bounding_box()["height"] >= 44, name
    snap(screen, "card-keep")

    with page.expect_download() as pdf:
        keep.get_by_role("button", name="下载电子证书（PDF）").click()
    assert pdf.value.suggested_filename.endswith(f"{card.number}.pdf")
    reader = PdfReader(pdf.value.path())
    assert len(reader.pages) == 1 and card.number in reader.pages[0].extract_text()

    with page.expect_download() as png:
        keep.get_by_role("button", name="保存图片到手机").click()
    with open(png.value.path(), "rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
    assert image.size == (1080, 1920)

    stranger = screen_factory()
    stranger.go(public_path(card))
    status = stranger.page.locator(".public-verify-status")
    expect(status).to_have_text(re.compile(r"^\s*有效\s*$"))
    expect(stranger.page.locator("main")).to_contain_text("B类 国家级领军人才")
    text = stranger.page.locator("main").inner_text()
    assert "赵敏" not in text and card.number not in text
    snap(stranger, "card-public-verify")
