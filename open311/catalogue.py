"""The green-channel catalogue as Open311 services and service definitions: each active
service type is a service (its department the group, its tiers the keywords); its typed form
fields are the definition's attributes (datatype, required, order, values)."""

from django.utils.translation import get_language, gettext

from portal.localized import localized
from services.models import Datatype, ServiceType

JURISDICTION = "511902"
# The portal's field types as Open311 datatypes (a date is a datetime; yes/no a list).
DATATYPES = {
    Datatype.STRING: "string",
    Datatype.TEXT: "text",
    Datatype.NUMBER: "number",
    Datatype.DATE: "datetime",
    Datatype.BOOLEAN: "singlevaluelist",
    Datatype.SINGLE: "singlevaluelist",
    Datatype.MULTI: "multivaluelist",
}
DESCRIPTION_CHARS = 200


def active_types():
    return ServiceType.objects.active().select_related("department").order_by("sort_order", "code")


def _summary(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= DESCRIPTION_CHARS else text[: DESCRIPTION_CHARS - 1] + "…"


def service(service_type: ServiceType) -> dict:
    return {
        "service_code": service_type.code,
        "service_name": localized(service_type, "name"),
        "description": _summary(localized(service_type, "guide")),
        "metadata": bool(service_type.fields),
        "type": "batch",
        "keywords": ",".join(service_type.eligible_tiers),
        "group": localized(service_type.department, "name"),
    }


def _values(definition: dict) -> list[dict]:
    if definition["datatype"] == Datatype.BOOLEAN:
        return [{"key": "true", "name": gettext("是")}, {"key": "false", "name": gettext("否")}]
    values = definition.get("values") or []
    names = definition.get("values_en") or []
    english = (get_language() or "").startswith("en") and len(names) == len(values)
    return [
        {"key": value, "name": names[i] if english else value} for i, value in enumerate(values)
    ]


def definition(service_type: ServiceType) -> dict:
    attributes = []
    for order, field in enumerate(service_type.fields, start=1):
        kind = field["datatype"]
        attribute = {
            "variable": True,
            "code": field["code"],
            "datatype": DATATYPES.get(kind, "string"),
            "required": bool(field.get("required")),
            "datatype_description": str(Datatype(kind).label) if kind in Datatype.values else "",
            "order": order,
            "description": localized(field, "label"),
        }
        if DATATYPES.get(kind) in ("singlevaluelist", "multivaluelist"):
            attribute["values"] = _values(field)
        attributes.append(attribute)
    return {"service_code": service_type.code, "attributes": attributes}
