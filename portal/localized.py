"""Data in two languages: catalogue rows carry their English besides the Chinese
(``name_en``, ``guide_en``, ``title_en``, and ``label_en``/``name_en`` keys in JSON lists).
What a page shows is the English when the active language is English and the row has it,
else the Chinese: a row an admin has not translated yet still reads, in Chinese."""

from django.utils import translation
from django.utils.functional import lazy


def english_active() -> bool:
    """Whether the current request (or the surrounding ``override``) speaks English."""
    return (translation.get_language() or "").lower().startswith("en")


def localized(obj, field: str):
    """``obj.<field>_en`` when English is active and it is present, else ``obj.<field>``.
    ``obj`` is a model instance or a dict (a material or a form field of a service type)."""
    get = (
        obj.get if isinstance(obj, dict) else lambda name, default=None: getattr(obj, name, default)
    )
    if english_active():
        english = get(f"{field}_en", None)
        if english:
            return english
    return get(field, "")


def localized_choices(field: dict) -> list[tuple[str, str]]:
    """The ``(value, label)`` choices of a list field: the value stored stays the Chinese one,
    the label is the English one when English is active and ``values_en`` matches."""
    values = field.get("values") or []
    labels = field.get("values_en") if english_active() else None
    if not isinstance(labels, list) or len(labels) != len(values):
        labels = values
    return [(value, label or value) for value, label in zip(values, labels, strict=True)]


# ``localized`` evaluated when the text is rendered: a notification composed during a request
# in one language reads in its recipient's (portal.notify renders it under their language).
localized_lazy = lazy(localized, str)
