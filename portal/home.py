"""Sections of the home page that higher layers fill in.

The portal layer owns the home page but knows nothing of the catalogue above it: a higher
layer registers a section from ``AppConfig.ready()`` (as with navigation and banners), and
the page lists what its provider returns. A provider takes the request and returns a list of
``HomeItem``; it runs on every visit of the home page, so it must cost one query at most.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class HomeItem:
    title: str
    text: str
    url: str


@dataclass(frozen=True)
class HomeSection:
    title: str
    items: list
    note: str = ""


_sections: dict[str, tuple[int, Callable, str]] = {}


def register(title: str, provider: Callable, *, note: str = "", order: int = 100) -> None:
    """Show ``provider(request)``'s items under ``title`` (idempotent: keyed by title)."""
    _sections[title] = (order, provider, note)


def sections(request) -> list[HomeSection]:
    """Every registered section with its items, in ``order``; empty sections are left out."""
    found = []
    for title, (_, provider, note) in sorted(_sections.items(), key=lambda kv: kv[1][0]):
        items = list(provider(request) or [])
        if items:
            found.append(HomeSection(title, items, note))
    return found
