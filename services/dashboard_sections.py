"""What the layers above add to the 督查看板 and to GET /api/v1/sla/summary/, without this
layer importing them (the import contract: portal ← cards ← services ← subsidies).

- a *section* of the dashboard page: ``register_section(name, fn)``, where
  ``fn(user, period, now)`` returns ``{"template": ..., "context": {...}}`` or None when the
  user has nothing to see there; the page renders the sections in the order registered.
- a *group* of the summary API: ``register_group(name, fn, row_serializer, choice)``, where
  ``fn(user, period, now)`` returns the rows (dicts the serializer writes out) or raises
  portal.errors.NotAllowed; ``?group_by=<name>`` answers them.

Both are filled from AppConfig.ready() (the subsidies layer registers 政策兑现 and
``group_by=policy``), so they are complete before the URLconf (and the API schema) is read.
"""

from collections.abc import Callable
from dataclasses import dataclass

_SECTIONS: dict[str, Callable] = {}
_GROUPS: dict[str, "Group"] = {}


@dataclass(frozen=True)
class Group:
    name: str
    rows: Callable  # fn(user, period, now) -> list[dict]
    row_serializer: type  # a DRF serializer class for one row
    choice: str  # how the API's documentation names it, e.g. "按政策"


def register_section(name: str, fn: Callable) -> None:
    """Add (or replace, on a reload) the dashboard section ``name``."""
    _SECTIONS[name] = fn


def register_group(name: str, fn: Callable, row_serializer: type, choice: str) -> None:
    """Add (or replace) the summary API's ``group_by=name``."""
    _GROUPS[name] = Group(name, fn, row_serializer, choice)


def sections(user, period, now) -> list[dict]:
    """The sections ``user`` sees on the dashboard for ``period``, in the order registered:
    ``[{"name", "template", "context"}]``."""
    shown = []
    for name, fn in _SECTIONS.items():
        section = fn(user, period, now)
        if section is not None:
            shown.append({"name": name, **section})
    return shown


def groups() -> dict[str, Group]:
    """The registered summary groups by name."""
    return dict(_GROUPS)
