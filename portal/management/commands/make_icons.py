"""``manage.py make_icons``: draw the home-screen icons of the web app manifest
(portal.views.webapp) into static/icons/ from the brand design of static/favicon.svg — a
white 才 on the brand red (#b71c1c, site.css --brand). Run once when the design changes;
the PNGs are committed, the portal never draws them at run time."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from PIL import Image, ImageDraw, ImageFont

from portal.fonts import cjk_font_for

BRAND = (183, 28, 28)
GLYPH = "才"
# name → (side, maskable): a maskable icon fills its square and keeps the glyph inside the
# 80 % safe circle; the others are rounded squares like the favicon (rx 6 of 32).
ICONS = {
    "icon-192.png": (192, False),
    "icon-512.png": (512, False),
    "icon-maskable-512.png": (512, True),
    "apple-touch-icon.png": (180, True),  # iOS rounds the corners itself
}


def draw_icon(side: int, maskable: bool, font_path: str) -> Image.Image:
    scale = 4  # drawn large, then reduced: smooth edges
    big = side * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, big, big), fill=BRAND)
        glyph_size = round(big * 0.46)
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=round(big * 6 / 32), fill=BRAND)
        glyph_size = round(big * 18 / 32)
    font = ImageFont.truetype(font_path, glyph_size)
    left, top, right, bottom = draw.textbbox((0, 0), GLYPH, font=font)
    x = (big - (right - left)) / 2 - left
    y = (big - (bottom - top)) / 2 - top
    draw.text((x, y), GLYPH, font=font, fill="white")
    return image.resize((side, side), Image.Resampling.LANCZOS)


class Command(BaseCommand):
    help = "Draw the web app manifest's icons into static/icons/ (committed; run once)."

    def handle(self, *args, **options):
        font_path = cjk_font_for(GLYPH)
        if font_path is None:
            raise CommandError("No font with Chinese glyphs found (set CJK_FONT).")
        folder = Path(settings.BASE_DIR) / "static" / "icons"
        folder.mkdir(parents=True, exist_ok=True)
        for name, (side, maskable) in ICONS.items():
            draw_icon(side, maskable, font_path).save(folder / name, optimize=True)
            self.stdout.write(f"{folder / name} ({side}×{side})")
