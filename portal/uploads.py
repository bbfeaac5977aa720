"""Uploaded evidence: checked by content, stored privately, served only through permission checks.

A file's type is judged by its bytes, never by its name or the browser's Content-Type: a
renamed executable is refused. Accepted: PDF, JPEG, PNG. Files are stored under
``settings.PRIVATE_UPLOAD_ROOT`` (outside every served folder) under random names; the
original name is kept only as metadata for the download's file name.

Images that will be shown (a card holder's photo) go through ``reencode_image`` instead: only
their pixels are kept, so EXIF (GPS position, camera, time) and every other metadata is gone.

Whatever the bytes, both answer with a ValidationError in Chinese and nothing else: an image's
pixel count is read from its header and refused above ``settings.UPLOAD_MAX_IMAGE_PIXELS``
before anything is decoded (a few-kilobyte PNG may declare 30000×30000 pixels), Pillow's
``DecompressionBombWarning`` counts as a refusal like its ``DecompressionBombError``, and a file
cut short or otherwise malformed is refused as damaged.
"""

import hashlib
import io
import os
import secrets
import struct
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from PIL import Image, ImageOps

ALLOWED = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
}


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    extension: str
    size: int
    sha256: str
    name: str


def private_storage() -> FileSystemStorage:
    # Built per call so that tests overriding PRIVATE_UPLOAD_ROOT take effect.
    return FileSystemStorage(location=settings.PRIVATE_UPLOAD_ROOT, base_url=None)


def _clean_name(name: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    return base[:200] or "file"


def _looks_like_pdf(upload) -> bool:
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(max(0, upload.size - 2048))
    tail = upload.read()
    return head.startswith(b"%PDF-") and b"%%EOF" in tail


# Formats uploaded images may have, by Pillow's name: (content type, extension). Pillow opens
# a phone's MPO (a JPEG with extra frames) through its JPEG plugin as well.
IMAGE_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png")}

# Pillow's own guard, process-wide, set deliberately rather than left at its default (89
# million pixels warns, twice that raises). Ours below is stricter: it refuses what Pillow
# would only warn about, read from the header, before any decoding.
Image.MAX_IMAGE_PIXELS = settings.UPLOAD_MAX_IMAGE_PIXELS

CORRUPT = gettext_noop("文件已损坏或格式不正确，请重新导出后上传。")  # gettext where raised
IMAGE = gettext_noop("图片")


def _too_many_pixels(label: str, max_pixels: int) -> str:
    return gettext("%(label)s像素过多（不能超过%(n)s万像素），请缩小后重新上传。") % {
        "label": label,
        "n": f"{max_pixels / 10000:g}",
    }


@contextmanager
def _opened_image(upload, *, max_pixels: int, label: str, corrupt: str):
    """The upload opened as a JPEG or PNG, its header read and nothing decoded yet; refused
    (ValidationError) when it declares more than ``max_pixels`` (or the site's ceiling) pixels
    or cannot be opened at all."""
    max_pixels = min(max_pixels, settings.UPLOAD_MAX_IMAGE_PIXELS)
    upload.seek(0)
    try:
        image = Image.open(upload, formats=list(IMAGE_FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's guard: its warning is an error here (and wherever warnings are errors).
        raise ValidationError(_too_many_pixels(label, max_pixels), code="too_many_pixels") from None
    except Exception:  # hostile headers raise many kinds of errors
        raise ValidationError(corrupt, code="corrupt") from None
    with image:
        width, height = image.size
        if width * height > max_pixels:
            raise ValidationError(_too_many_pixels(label, max_pixels), code="too_many_pixels")
        yield image


# PNG colour types: samples per pixel. Adam7 passes: (x0, y0, dx, dy).
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2))
_ADAM7 += ((0, 1, 1, 2),)


def _png_data_size(width: int, height: int, depth: int, color: int, interlace: int) -> int:
    """Bytes the header promises once the IDAT stream is inflated (filter byte per row)."""
    bits = depth * _PNG_CHANNELS[color]
    total = 0
    for x0, y0, dx, dy in _ADAM7 if interlace else ((0, 0, 1, 1),):
        columns, rows = -(-(width - x0) // dx), -(-(height - y0) // dy)
        if columns > 0 and rows > 0:
            total += rows * (1 + (columns * bits + 7) // 8)
    return total


def _png_complete(upload) -> bool:
    """Whether a PNG's pixel data is all there: its IDAT chunks inflate to at least the bytes
    its header promises. Inflated a megabyte at a time and counted, never kept, so even the
    largest allowed image is checked in little memory; and never past what was promised."""
    upload.seek(8)
    inflate = zlib.decompressobj()
    expected = produced = None
    while True:
        head = upload.read(8)
        if len(head) < 8:
            return False
        length, kind = struct.unpack(">I4s", head)
        data = upload.read(length)
        if len(data) < length:
            return False
        upload.read(4)  # the CRC, checked by Pillow's verify()
        if kind == b"IHDR" and expected is None and length >= 13:
            expected = _png_data_size(*struct.unpack(">IIBB", data[:10]), data[12])
            produced = 0
        elif kind == b"IDAT":
            if expected is None:
                return False
            while data and produced < expected and not inflate.eof:
                produced += len(inflate.decompress(data, 1 << 20))
                data = inflate.unconsumed_tail
        elif kind == b"IEND":
            return expected is not None and produced >= expected


def _image_intact(image, upload) -> None:
    """Read the whole image without holding its pixels; raise (anything) if it is damaged.
    A JPEG is decoded at an eighth of its size, which still reads every byte of it."""
    if image.format == "PNG":
        image.verify()  # every chunk's CRC, up to IEND
        if not _png_complete(upload):
            raise ValueError("PNG pixel data incomplete")
    else:
        image.draft(None, (1, 1))
        image.load()


def _check_image(upload) -> None:
    with _opened_image(
        upload,
        max_pixels=settings.UPLOAD_MAX_IMAGE_PIXELS,
        label=gettext(IMAGE),
        corrupt=gettext(CORRUPT),
    ) as image:
        try:
            _image_intact(image, upload)
        except Exception:  # Pillow's decoders raise many kinds of errors on hostile bytes
            raise ValidationError(gettext(CORRUPT), code="corrupt") from None


def check_upload(upload) -> CheckedUpload:
    """Validate an uploaded file (Django UploadedFile); raise ValidationError in Chinese."""
    if upload is None:
        raise ValidationError(gettext("请选择要上传的文件。"), code="required")
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            gettext("文件过大：单个文件不能超过 %(mb)s MB。") % {"mb": f"{limit / 1024 / 1024:g}"},
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(gettext("文件为空，请重新选择。"), code="empty")
    upload.seek(0)
    kind = filetype.guess(upload.read(8192))
    content_type = kind.mime if kind else None
    if content_type not in ALLOWED:
        raise ValidationError(gettext("只能上传 PDF、JPG 或 PNG 格式的文件。"), code="file_type")
    if content_type == "application/pdf":
        if not _looks_like_pdf(upload):
            raise ValidationError(gettext(CORRUPT), code="corrupt")
    else:
        _check_image(upload)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(
        content_type=content_type,
        extension=ALLOWED[content_type],
        size=upload.size,
        sha256=digest.hexdigest(),
        name=_clean_name(upload.name),
    )


@dataclass(frozen=True)
class ImageLimits:
    """What an image upload must fit: file size, smallest width and height, most pixels
    (checked from the header, before any decoding), and the longest side kept (larger
    images are scaled down when re-encoded)."""

    max_bytes: int
    min_width: int
    min_height: int
    max_pixels: int
    max_side: int


def _decoded(upload, limits: ImageLimits, label: str) -> tuple[Image.Image, str]:
    """The upload's pixels, upright, as a new image without any metadata; and its format."""
    corrupt = gettext("%(label)s已损坏或格式不正确，请重新导出后上传。") % {"label": label}
    # From the header alone: a few-kilobyte PNG may claim 30000×30000 pixels.
    with _opened_image(upload, max_pixels=limits.max_pixels, label=label, corrupt=corrupt) as image:
        # Phones often write MPO (a JPEG with extra frames); its first frame is the photo.
        image_format = "JPEG" if image.format == "MPO" else image.format
        if image_format == "JPEG":
            # Let the JPEG decoder scale down by a power of two as it reads: a 12-megapixel
            # phone photo then never sits in memory at full size (only max_side is kept).
            image.draft("RGB", (limits.max_side, limits.max_side))
        image.load()  # decodes everything: a truncated file fails here
        image.thumbnail((limits.max_side, limits.max_side), Image.Resampling.LANCZOS)
        upright = ImageOps.exif_transpose(image)
    if upright.width < limits.min_width or upright.height < limits.min_height:
        raise ValidationError(
            gettext(
                "%(label)s尺寸过小（%(width)s×%(height)s像素），宽不少于"
                "%(min_width)s像素、高不少于%(min_height)s像素。"
            )
            % {
                "label": label,
                "width": upright.width,
                "height": upright.height,
                "min_width": limits.min_width,
                "min_height": limits.min_height,
            },
            code="too_small",
        )
    alpha = upright.mode in ("RGBA", "LA", "PA", "RGBa") or "transparency" in upright.info
    if image_format == "PNG" and alpha:
        mode = "RGBA"
    elif upright.mode == "L":
        mode = "L"
    else:
        mode = "RGB"
    if upright.mode != mode:
        upright = upright.convert(mode)
    upright.thumbnail((limits.max_side, limits.max_side), Image.Resampling.LANCZOS)
    # A new image from the bare pixels: no EXIF, ICC profile, comment, text chunk or DPI
    # can travel along (Pillow's savers copy some of them from ``info``).
    return Image.frombytes(mode, upright.size, upright.tobytes()), image_format


def reencode_image(upload, limits: ImageLimits, *, label: str = IMAGE):
    """Check a JPEG or PNG upload by its content and re-encode its pixels.

    Returns ``(CheckedUpload, ContentFile)``: store the ContentFile (the re-encoded image),
    never the upload. Orientation recorded in EXIF is applied first, then every piece of
    metadata is dropped. Raises ValidationError with a Chinese message, never anything else,
    whatever the bytes: decompression bombs, truncated and malformed files included.
    """
    label = gettext(label)  # a Chinese msgid (gettext_noop), in the request's language
    if upload is None:
        raise ValidationError(
            gettext("请选择要上传的%(label)s。") % {"label": label}, code="required"
        )
    if upload.size > limits.max_bytes:
        raise ValidationError(
            gettext("文件过大：%(label)s不能超过 %(mb)s MB。")
            % {"label": label, "mb": f"{limits.max_bytes / 1024 / 1024:g}"},
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(gettext("文件为空，请重新选择。"), code="empty")
    upload.seek(0)
    kind = filetype.guess(upload.read(8192))
    if kind is None or kind.mime not in {mime for mime, _ in IMAGE_FORMATS.values()}:
        raise ValidationError(
            gettext("%(label)s只能是 JPG 或 PNG 格式的图片。") % {"label": label}, code="file_type"
        )
    try:
        pixels, image_format = _decoded(upload, limits, label)
        buffer = io.BytesIO()
        if image_format == "JPEG":
            pixels.save(buffer, "JPEG", quality=90, optimize=True)
        else:
            pixels.save(buffer, "PNG")
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard (a frame beyond the header's size); its warning is an error too.
        max_pixels = min(limits.max_pixels, settings.UPLOAD_MAX_IMAGE_PIXELS)
        raise ValidationError(_too_many_pixels(label, max_pixels), code="too_many_pixels") from None
    except Exception:  # Pillow's decoders raise many kinds of errors on hostile bytes
        raise ValidationError(
            gettext("%(label)s已损坏或格式不正确，请重新导出后上传。") % {"label": label},
            code="corrupt",
        ) from None
    finally:
        upload.seek(0)
    data = buffer.getvalue()
    content_type, extension = IMAGE_FORMATS[image_format]
    checked = CheckedUpload(
        content_type=content_type,
        extension=extension,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        name=_clean_name(upload.name),
    )
    return checked, ContentFile(data, name=f"image{extension}")


def store_upload(upload, checked: CheckedUpload, *, folder: str) -> str:
    """Save under a random name in ``folder``; return the storage name to keep in the row."""
    stamp = timezone.localdate().strftime("%Y/%m")
    name = f"{folder}/{stamp}/{secrets.token_hex(16)}{checked.extension}"
    upload.seek(0)
    return private_storage().save(name, upload)


@contextmanager
def stored_upload(upload, checked: CheckedUpload, *, folder: str):
    """Store the file and yield its storage name; if the block fails (the row that should
    point at the file is not written), delete the file again, so no orphan is left."""
    storage_name = store_upload(upload, checked, folder=folder)
    try:
        yield storage_name
    except BaseException:
        delete_upload(storage_name)
        raise


def delete_upload(storage_name: str) -> None:
    private_storage().delete(storage_name)


def serve_upload(storage_name: str, *, content_type: str, filename: str, inline: bool):
    """Stream a stored file. Call only after the caller's visible_to() check passed."""
    storage = private_storage()
    path = Path(storage.path(storage_name))
    if not path.is_file():
        raise Http404
    response = FileResponse(
        path.open("rb"),
        content_type=content_type,
        as_attachment=not inline,
        filename=filename,
    )
    # Even a file that slipped past the checks cannot run script in the portal's origin.
    # (Chromium refuses to render a PDF in a sandbox, so an inline PDF goes without; the
    # content check above and nosniff already keep HTML out.)
    if not (inline and content_type == "application/pdf"):
        response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
