"""The calendar warning banner shown to admins on every page while any of the next 90 days has
no calendar row (registered with portal.banners in ServicesConfig.ready)."""

import datetime
import logging

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from portal.models import Role
from services import dashboard

logger = logging.getLogger(__name__)
BANNER_SECONDS = 300


def _banner_key(today: datetime.date) -> str:
    return f"services:calendar-unverified-soon:{today:%Y-%m-%d}"


# The cache (Redis in production) only saves a query: when it is unreachable the banner is
# computed afresh, and no page fails because of it.
def _cached_dates(today: datetime.date):
    try:
        return cache.get(_banner_key(today))
    except Exception:
        logger.warning("cache unavailable; calendar banner computed without it", exc_info=True)
        return None


def _remember(today: datetime.date, dates) -> None:
    try:
        cache.set(_banner_key(today), dates, BANNER_SECONDS)
    except Exception:
        logger.warning("cache unavailable; calendar banner not cached")


def forget_banner(today: datetime.date) -> None:
    """After a calendar correction: the banner is computed afresh on the next page."""
    try:
        cache.delete(_banner_key(today))
    except Exception:
        logger.warning("cache unavailable; calendar banner expires by itself")


def calendar_banner(request) -> list[tuple[str, str, str]]:
    """For admins, while any of the next 90 days has no calendar row (DESIGN.md "Working days
    and SLA clocks"): deadlines there are counted Monday–Friday until the notice is loaded.
    One query, cached for a few minutes (a correction on the calendar page clears it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.role != Role.ADMIN:
        return []
    today = timezone.localdate()
    dates = _cached_dates(today)
    if dates is None:
        dates = dashboard.unverified_soon(today=today)
        _remember(today, dates)
    if not dates:
        return []
    text = (
        f"工作日历待核实：未来90天内有 {len(dates)} 天（自 {dates[0]:%Y-%m-%d} 起）尚未载入"
        "国务院放假安排，办理期限暂按周一至周五推算。请及时导入或逐日核对。"
    )
    return [("warning", text, f"{reverse('services:calendar')}?year={dates[0].year}")]
