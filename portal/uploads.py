"""Uploaded evidence: checked by content, stored privately, served only through permission checks.

A file's type is judged by its bytes, never by its name or the browser's Content-Type: a
renamed executable is refused. Accepted: PDF, JPEG, PNG. Files are stored under
``settings.PRIVATE_UPLOAD_ROOT`` (outside every served folder) under random names; the
original name is kept only as metadata for the download's file name.
"""

import hashlib
import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

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
