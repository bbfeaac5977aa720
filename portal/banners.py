"""Site-wide banners at the top of every page.

Higher layers register providers from ``AppConfig.ready()`` (as with navigation), so the
portal shows their warnings without importing them. A provider takes the request and returns
a list of ``(level, text, link)`` tuples, or ``[]``; it runs on every page, so it must be
cheap (one cached query at most).
"""

from collections.abc import Callable
from dataclasses import dataclass

LEVELS = ("info", "warning", "error")


@dataclass(frozen=True)
class Banner:
    level: str
    text: str
    link: str = ""


_providers: list[Callable] = []


def register(provider: Callable) -> None:
    """Add ``provider`` (idempotent: ready() may run more than once in tests)."""
    if provider not in _providers:
        _providers.append(provider)


def banners(request) -> list[Banner]:
    """Every provider's banners for this request, in registration order."""
    found = []
    for provider in _providers:
        for level, text, link in provider(request) or []:
            found.append(Banner(level if level in LEVELS else "info", text, link or ""))
    return found
