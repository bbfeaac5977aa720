"""Uploaded evidence: checked by content, stored privately, served only through permission checks.

A file's type is judged by its bytes, never by its name or the browser's Content-Type: a
renamed executable is refused. Accepted: PDF, JPEG, PNG. Files are stored under
``settings.PRIVATE_UPLOAD_ROOT`` (outside every served folder) under random names; the
original name is kept only as metadata for the download's file name.

Images that will be shown (a card holder's photo) go through ``reencode_image`` instead: only
their pixels are kept, so EXIF (GPS position, camera, time) and every other metadata is gone.
"""

import hashlib
import io
import os
import secrets
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
from PIL import Image, ImageOps, UnidentifiedImageError

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


def _is_image(upload) -> bool:
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image.verify()
        return True
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return False  # a header claiming billions of pixels is not an evidence scan


def check_upload(upload) -> CheckedUpload:
    """Validate an uploaded file (Django UploadedFile); raise ValidationError in Chinese."""
    if upload is None:
        raise ValidationError("请选择要上传的文件。", code="required")
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            f"文件过大：单个文件不能超过 {limit / 1024 / 1024:g} MB。", code="too_large"
        )
    if upload.size == 0:
        raise ValidationError("文件为空，请重新选择。", code="empty")
    upload.seek(0)
    kind = filetype.guess(upload.read(8192))
    content_type = kind.mime if kind else None
    if content_type not in ALLOWED:
        raise ValidationError("只能上传 PDF、JPG 或 PNG 格式的文件。", code="file_type")
    well_formed = (
        _looks_like_pdf(upload) if content_type == "application/pdf" else _is_image(upload)
    )
    if not well_formed:
        raise ValidationError("文件已损坏或格式不正确，请重新导出后上传。", code="corrupt")
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


# Formats reencode_image accepts, by Pillow's name: (content type, extension).
IMAGE_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png")}


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
    upload.seek(0)
    with Image.open(upload, formats=list(IMAGE_FORMATS)) as image:
        width, height = image.size
        # From the header alone: a few-kilobyte PNG may claim 30000×30000 pixels.
        if width * height > limits.max_pixels:
            raise ValidationError(_too_many_pixels(label, limits), code="too_many_pixels")
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
            f"{label}尺寸过小（{upright.width}×{upright.height}像素），宽不少于"
            f"{limits.min_width}像素、高不少于{limits.min_height}像素。",
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


def _too_many_pixels(label: str, limits: ImageLimits) -> str:
    return f"{label}像素过多（不能超过{limits.max_pixels / 10000:g}万像素），请缩小后重新上传。"


def reencode_image(upload, limits: ImageLimits, *, label: str = "图片"):
    """Check a JPEG or PNG upload by its content and re-encode its pixels.

    Returns ``(CheckedUpload, ContentFile)``: store the ContentFile (the re-encoded image),
    never the upload. Orientation recorded in EXIF is applied first, then every piece of
    metadata is dropped. Raises ValidationError with a Chinese message, never anything else,
    whatever the bytes: decompression bombs, truncated and malformed files included.
    """
    if upload is None:
        raise ValidationError(f"请选择要上传的{label}。", code="required")
    if upload.size > limits.max_bytes:
        raise ValidationError(
            f"文件过大：{label}不能超过 {limits.max_bytes / 1024 / 1024:g} MB。",
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError("文件为空，请重新选择。", code="empty")
    upload.seek(0)
    kind = filetype.guess(upload.read(8192))
    if kind is None or kind.mime not in {mime for mime, _ in IMAGE_FORMATS.values()}:
        raise ValidationError(f"{label}只能是 JPG 或 PNG 格式的图片。", code="file_type")
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
        # Pillow's own guard, for headers beyond even its limit (the warning is an error
        # where warnings are made errors, as in the tests).
        raise ValidationError(_too_many_pixels(label, limits), code="too_many_pixels") from None
    except Exception:  # Pillow's decoders raise many kinds of errors on hostile bytes
        raise ValidationError(
            f"{label}已损坏或格式不正确，请重新导出后上传。", code="corrupt"
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
