"""Hooks filled by higher layers, so that the card layer never imports them.

The services a tier unlocks are data on the green-channel catalogue (``services``); the
services app registers a provider here from its AppConfig.ready(); so does the working-day
clock of card reviews (below).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

_tier_services: Callable[[str], list[str]] | None = None


def set_tier_services_provider(provider: Callable[[str], list[str]]) -> None:
    global _tier_services
    _tier_services = provider


def services_for_tier(tier: str) -> list[str]:
    """Names of the green-channel services open to ``tier`` (empty without a catalogue)."""
    return _tier_services(tier) if _tier_services else []


# --- the working-day clock -------------------------------------------------------------------
# Card reviews run on a working-day clock (审核时限), like requests. The calendar table
# (services.CalendarDay) and its arithmetic (services.workdays) stay in services and are lent to
# this layer through this hook rather than moved down: the table is edited, imported, synced and
# recomputed from there (the calendar pages, import_calendar, the recompute after a correction),
# and moving a model between apps means a state-only migration pair on a live table while its
# owner stays above. Only the card layer sits below services; the later domains (subsidies,
# liaison) are apps above services and import services.workdays directly. So one table and one
# implementation, and cards still never imports services (import-linter contract).
@dataclass(frozen=True)
class WorkingDayClock:
    """Working-day arithmetic over the portal's calendar (DESIGN.md "Working days and SLA
    clocks"); each function returns whether every day it counted had a confirmed row."""

    # The N-th working day after a date (the date itself not counted), and verified.
    add_working_days: Callable[[datetime.date, int], tuple[datetime.date, bool]]
    # Working days d with after < d <= through, and verified.
    working_days_between: Callable[[datetime.date, datetime.date], tuple[int, bool]]
    # 24:00 of a day in Asia/Shanghai (00:00 of the next day), the instant a limit runs out.
    end_of_day: Callable[[datetime.date], datetime.datetime]
    # The Asia/Shanghai date of an instant.
    local_date: Callable[[datetime.datetime], datetime.date]
    # 督办: still open this many working days after the deadline.
    escalate_after_days: int


_clock: WorkingDayClock | None = None


def set_working_day_clock(clock: WorkingDayClock) -> None:
    global _clock
    _clock = clock


def working_day_clock() -> WorkingDayClock:
    """The registered clock. Without one a review deadline cannot be counted: failing loudly
    beats an application that silently never falls due."""
    if _clock is None:
        raise ImproperlyConfigured(
            "No working-day clock registered: services registers it in ServicesConfig.ready()."
        )
    return _clock


# --- a card given ----------------------------------------------------------------------------
# Layers above (subsidies: 政策直达, entitlements offered when a card is issued, renewed or
# changed) are told inside the approval's transaction. A listener must not fail the approval:
# each is called in its own savepoint and a failure is logged (the listener retries on its own).
_card_granted: dict[str, Callable] = {}


def on_card_granted(name: str, listener: Callable) -> None:
    """Call ``listener(card=, application=, actor=, ip=)`` whenever an approval issues, renews
    or changes a card."""
    _card_granted[name] = listener


def card_granted(*, card, application, actor, ip) -> None:
    import logging

    from django.db import transaction

    for name, listener in _card_granted.items():
        try:
            with transaction.atomic():
                listener(card=card, application=application, actor=actor, ip=ip)
        except Exception:
            logging.getLogger("cards.hooks").exception(
                "the %s listener failed for card %s", name, card.pk
            )


# --- a card changed --------------------------------------------------------------------------
# Layers above (talents: the talent database's standing, the liaison's visit clock) are told
# of every change of a card (issued, renewed, changed, suspended, revoked, reinstated,
# expired) inside the change's transaction, each in its own savepoint: a failure is logged and
# never fails the change (the listener's own reconcile catches up).
_card_changed: dict[str, Callable] = {}


def on_card_changed(name: str, listener: Callable) -> None:
    """Call ``listener(card=)`` whenever a card's status, tier or validity changes."""
    _card_changed[name] = listener


def card_changed(card) -> None:
    import logging

    from django.db import transaction

    for name, listener in _card_changed.items():
        try:
            with transaction.atomic():
                listener(card=card)
        except Exception:
            logging.getLogger("cards.hooks").exception(
                "the %s listener failed for card %s", name, card.pk
            )


# --- sections of the card page -----------------------------------------------------------------
# The organization department's card page (cards:card) shows what layers above know of the
# holder (talents: the profile and the liaison), each a template and its context.
_card_sections: dict[str, Callable] = {}


def register_card_section(name: str, section: Callable) -> None:
    """``section(card, user)`` returns ``{"template": …, **context}`` or None (nothing to
    show to this user)."""
    _card_sections[name] = section


def card_sections(card, user) -> list[dict]:
    sections = []
    for section in _card_sections.values():
        shown = section(card, user)
        if shown:
            sections.append(shown)
    return sections
