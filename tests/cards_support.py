"""Helpers for the card tests: sample files and an application walked to a given state."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

PDF = b"%PDF-1.4\n1 0 obj<< /Type /Catalog >>endobj\ntrailer<< /Root 1 0 R >>\n%%EOF\n"


def png_bytes(size=(24, 24)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 24), "blue").save(buffer, "JPEG")
    return buffer.getvalue()


def photo_bytes(size=(240, 320), kind="PNG", **save) -> bytes:
    """A portrait big enough for the card's photo checks (at least 200×250)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, "#438edb").save(buffer, kind, **save)
    return buffer.getvalue()


def upload(client, app_id, kind, content=None, name="证书.png", content_type="image/png"):
    if content is None:
        content = photo_bytes() if kind == "photo" else png_bytes()
    file = SimpleUploadedFile(name, content, content_type)
    return client.post(
        f"/api/v1/card-applications/{app_id}/documents/",
        {"kind": kind, "file": file},
        format="multipart",
    )


# D02 全日制博士研究生 needs id_card, degree, contract;
# C03 正高级职称 needs id_card, title, contract.
PROFILE = {"employer": "巴州区人民医院", "position": "主任医师", "arrival_date": "2024-03-01"}


def draft(client, criteria=("D02", "C03"), **extra) -> dict:
    response = client.post(
        "/api/v1/card-applications/", {"criteria": list(criteria), **PROFILE, **extra}
    )
    assert response.status_code == 201, response.content
    return response.json()


def submitted(client, criteria=("D02", "C03"), **extra) -> dict:
    app = draft(client, criteria, **extra)
    for kind in app["missing_evidence"]:
        assert upload(client, app["id"], kind).status_code == 201
    response = client.post(f"/api/v1/card-applications/{app['id']}/submit/")
    assert response.status_code == 200, response.content
    return response.json()


def approved(talent_client, admin_client, criteria=("D02", "C03"), **approve) -> dict:
    app = submitted(talent_client, criteria)
    response = admin_client.post(f"/api/v1/card-applications/{app['id']}/approve/", approve)
    assert response.status_code == 200, response.content
    return response.json()
