"""Demo data of the card layer (``seed_demo``, DEBUG only): a placeholder 证件照, drawn at run
time so that no picture of anyone is committed, for the demo talent's card."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from cards.models import ApplicationDocument, CardApplication, DocumentKind
from cards.photos import photo_check
from portal.uploads import stored_upload

BACKGROUND = "#438edb"  # the blue of a Chinese ID photo's backdrop
SKIN = "#f1c9a5"
HAIR = "#2b2b2b"
JACKET = "#37474f"
SHIRT = "#fafafa"


def placeholder_portrait(size: tuple[int, int] = (300, 400)) -> bytes:
    """A simple drawn head-and-shoulders figure on a blue backdrop, as PNG bytes."""
    width, height = size
    image = Image.new("RGB", size, BACKGROUND)
    draw = ImageDraw.Draw(image)
    cx = width // 2
    # Shoulders and jacket, a white collar, then the neck.
    draw.ellipse((cx - 140, height * 0.72, cx + 140, height * 1.25), fill=JACKET)
    draw.polygon([(cx - 34, height * 0.72), (cx + 34, height * 0.72), (cx, height * 0.86)], SHIRT)
    draw.rectangle((cx - 24, height * 0.55, cx + 24, height * 0.74), fill=SKIN)
    # Head: hair behind, the face, two eyes and a mouth.
    draw.ellipse((cx - 72, height * 0.16, cx + 72, height * 0.52), fill=HAIR)
    draw.ellipse((cx - 64, height * 0.22, cx + 64, height * 0.60), fill=SKIN)
    draw.chord((cx - 70, height * 0.15, cx + 70, height * 0.40), 180, 360, fill=HAIR)
    for dx in (-26, 26):
        draw.ellipse((cx + dx - 6, height * 0.38, cx + dx + 6, height * 0.41), fill=HAIR)
    draw.arc((cx - 22, height * 0.44, cx + 22, height * 0.52), 20, 160, fill="#a0522d", width=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def demo_photo_attach(application: CardApplication) -> ApplicationDocument:
    """Give a demo application the placeholder photo, checked and stored as an upload is."""
    upload = SimpleUploadedFile("证件照.png", placeholder_portrait(), "image/png")
    checked, content = photo_check(upload)
    with stored_upload(content, checked, folder="cards") as storage_name:
        return ApplicationDocument.objects.create(
            application=application,
            kind=DocumentKind.PHOTO,
            name=checked.name,
            size=checked.size,
            content_type=checked.content_type,
            sha256=checked.sha256,
            storage_name=storage_name,
        )
