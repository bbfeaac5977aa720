"""The 待办 count in the header: how much work waits for the signed-in user now.

What counts as work is a higher layer's business (the green-channel requests live in
``services``), so that layer registers a provider from ``AppConfig.ready()``, as with
navigation and banners, and the portal shows it without importing it. A provider takes the
user and returns ``(count, link)`` or None when it has nothing to say to that user; it runs
on every page, so it must be one cheap indexed query at most.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Todo:
    count: int
    link: str


_providers: list[Callable] = []


def register(provider: Callable) -> None:
    """Add ``provider`` (idempotent: ready() may run more than once in tests)."""
    if provider not in _providers:
        _providers.append(provider)


def todo_for(user) -> Todo | None:
    """The first provider's answer for ``user`` (one role has one place where its work is)."""
    if not user.is_authenticated:
        return None
    for provider in _providers:
        found = provider(user)
        if found is not None:
            count, link = found
            return Todo(count, link)
    return None
