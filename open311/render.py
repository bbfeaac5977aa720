"""Open311 answers in JSON or XML, as GeoReport v2 writes them: a list is an array in JSON and
a wrapper element of repeated children in XML (``services`` → ``service``); errors are
``[{code, description}]`` / ``<errors><error>…``."""

import json
from xml.etree import ElementTree as ET

from django.http import HttpResponse

# XML: the child element of each list's wrapper.
CHILD = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "service_requests": "request",
}
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _element(tag: str, value) -> ET.Element:
    node = ET.Element(tag)
    if isinstance(value, dict):
        for key, inner in value.items():
            node.append(_element(key, inner))
    elif isinstance(value, list):
        child = CHILD.get(tag, "item")
        for inner in value:
            node.append(_element(child, inner))
    else:
        node.text = _text(value)
    return node


def xml_bytes(root: str, value) -> bytes:
    return ET.tostring(_element(root, value), encoding="utf-8", xml_declaration=True)


def answer(fmt: str, root: str, value, status: int = 200) -> HttpResponse:
    """``value`` as JSON, or as XML under ``root`` (for a list: the wrapper element)."""
    if fmt == "xml":
        body = xml_bytes(root, value)
    else:
        body = json.dumps(value, ensure_ascii=False).encode()
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def errors(fmt: str, status: int, description: str) -> HttpResponse:
    return answer(fmt, "errors", [{"code": status, "description": description}], status=status)
