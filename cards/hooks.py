"""Hooks filled by higher layers, so that the card layer never imports them.

The services a tier unlocks are data on the green-channel catalogue (``services``); the
services app registers a provider here from its AppConfig.ready().
"""

from collections.abc import Callable

_tier_services: Callable[[str], list[str]] | None = None


def set_tier_services_provider(provider: Callable[[str], list[str]]) -> None:
    global _tier_services
    _tier_services = provider


def services_for_tier(tier: str) -> list[str]:
    """Names of the green-channel services open to ``tier`` (empty without a catalogue)."""
    return _tier_services(tier) if _tier_services else []
