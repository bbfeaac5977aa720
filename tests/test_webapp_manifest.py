"""The web app manifest (issue 14 point 2): the portal can be added to a phone's home screen
as 巴州优才卡, with the brand's colour and icons of the sizes the manifest claims."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from PIL import Image

from portal.fonts import cjk_font_for
from portal.views.webapp import ICONS

pytestmark = pytest.mark.django_db


def static_file(src: str) -> str:
    assert src.startswith(settings.STATIC_URL), src
    path = finders.find(src.removeprefix(settings.STATIC_URL))
    assert path, f"{src} is not a static file"
    return path


def test_the_manifest_is_served_with_its_content_type_and_says_what_to_install():
    response = Client().get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "巴州优才卡"
    assert manifest["short_name"]
    assert manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    # site.css --brand
    assert manifest["theme_color"] == "#b71c1c"
    assert "--brand: #b71c1c;" in Path(finders.find("css/site.css")).read_text(encoding="utf-8")
    assert manifest["background_color"]


def test_every_icon_exists_with_the_size_it_claims_and_one_is_maskable():
    manifest = json.loads(Client().get("/manifest.webmanifest").content)
    sizes = set()
    for icon in manifest["icons"]:
        with Image.open(static_file(icon["src"])) as image:
            assert image.format == "PNG" and icon["type"] == "image/png"
            assert f"{image.width}x{image.height}" == icon["sizes"], icon
        sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes
    assert any(icon["purpose"] == "maskable" for icon in manifest["icons"])
    maskable = next(i for i in manifest["icons"] if i["purpose"] == "maskable")
    with Image.open(static_file(maskable["src"])) as image:
        # A maskable icon fills its square: no transparent corner.
        assert image.convert("RGBA").getpixel((0, 0))[3] == 255


def test_every_page_links_the_manifest_theme_colour_and_touch_icon():
    html = Client().get("/").content.decode()
    head = html.split("</head>", 1)[0]
    assert '<link rel="manifest" href="/manifest.webmanifest">' in head
    assert '<meta name="theme-color" content="#b71c1c">' in head
    touch = head.split('<link rel="apple-touch-icon" href="', 1)[1].split('"', 1)[0]
    with Image.open(static_file(touch)) as image:
        assert image.size == (180, 180)


def test_the_icons_command_draws_what_the_manifest_lists(tmp_path, settings):
    if cjk_font_for("才") is None:
        pytest.skip("no CJK font on this machine (.ci/run installs fonts-wqy-microhei)")
    settings.BASE_DIR = tmp_path
    call_command("make_icons", stdout=StringIO())
    for path, side, _purpose in ICONS:
        with Image.open(tmp_path / "static" / path) as image:
            assert image.size == (side, side)
