"""A font with Chinese glyphs for images the portal draws with Pillow (the card's phone image,
cards.card_image; the home-screen icons, ``manage.py make_icons``).

The first of ``FONT_CANDIDATES`` present on the machine that has a glyph for every character
asked for is used (settings.CJK_FONT comes first when set): Debian's fonts-wqy-microhei, which
`make venv` and .ci/run install, and the usual Noto, Droid, AR PL, macOS and Windows faces.
Each character is compared with the font's missing-glyph shape (.notdef), so a caller never
draws boxes: a text no font can draw gets None, and the caller says so instead.
"""

import functools
import os

from django.conf import settings
from PIL import ImageFont

FONT_CANDIDATES = (
    # Debian / Ubuntu
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    # Fedora, Arch, Alpine
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    # macOS, Windows
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
)
# A code point no font has: what a font draws for a character it lacks.
_MISSING = chr(0x10FFFD)


def candidates() -> list[str]:
    configured = getattr(settings, "CJK_FONT", "")
    paths = ([configured] if configured else []) + list(FONT_CANDIDATES)
    return [path for path in paths if os.path.isfile(path)]


@functools.lru_cache(maxsize=16)
def _probe(path: str) -> ImageFont.FreeTypeFont | None:
    try:
        return ImageFont.truetype(path, 32)
    except OSError:
        return None


def _shape(font: ImageFont.FreeTypeFont, char: str) -> tuple:
    mask = font.getmask(char)
    return mask.size, bytes(mask)


@functools.lru_cache(maxsize=16)
def _missing_shape(path: str) -> tuple | None:
    font = _probe(path)
    return None if font is None else _shape(font, _MISSING)


@functools.lru_cache(maxsize=8192)
def has_glyph(path: str, char: str) -> bool:
    """Whether the font at ``path`` draws ``char`` as itself rather than as .notdef."""
    missing = _missing_shape(path)
    if missing is None:
        return False
    if char.isspace():
        return True
    return _shape(_probe(path), char) != missing


@functools.lru_cache(maxsize=64)
def font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """The font at ``path`` in ``size`` pixels, loaded once per process."""
    return ImageFont.truetype(path, size)


def cjk_font_for(text: str) -> str | None:
    """The path of the first usable font with a glyph for every character of ``text``; None
    when the machine has none."""
    chars = set(text)
    for path in candidates():
        if all(has_glyph(path, char) for char in chars):
            return path
    return None
