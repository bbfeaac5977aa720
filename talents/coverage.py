"""联系服务 coverage: holders with a liaison (of all active cards and of the A–C tiers), visits
on time, concerns raised and resolved; the same figures per officer. Four aggregate queries,
whatever the number of liaisons: the active cards; the liaisons of active cards grouped by
officer (the totals are their sums); the visits of the period grouped by officer; the concerns
of the period."""

import datetime

from django.db.models import Count, Q
from django.utils import timezone

from cards.models import Card, CardStatus
from talents.models import Concern, ConcernStatus, Liaison, Visit
from talents.visits import RESOLVED_Q

KEY_TIERS = ("A", "B", "C")


def _rate(part, whole):
    return round(part / whole, 4) if whole else None


def report(today: datetime.date | None = None, since: datetime.date | None = None) -> dict:
    """The figures as of ``today`` (visits and concerns counted from ``since``, default the
    start of the year), with ``by_officer``: per officer, holders served, of them overdue,
    and visits since ``since``."""
    today = today or timezone.localdate()
    since = since or today.replace(month=1, day=1)
    cards = Card.objects.filter(status=CardStatus.ACTIVE).aggregate(
        holders=Count("id"), key_holders=Count("id", filter=Q(tier__in=KEY_TIERS))
    )
    officers = list(
        Liaison.objects.filter(card__status=CardStatus.ACTIVE)
        .values("officer_id", "officer__real_name", "officer__username")
        .annotate(
            holders=Count("id"),
            key_holders=Count("id", filter=Q(card__tier__in=KEY_TIERS)),
            overdue=Count("id", filter=Q(due_on__lt=today)),
        )
        .order_by("-holders", "officer_id")
    )
    visits = {
        row["liaison__officer_id"]: row
        for row in Visit.objects.filter(visited_on__gte=since, visited_on__lte=today)
        .values("liaison__officer_id")
        .annotate(n=Count("id"), in_person=Count("id", filter=Q(mode="in_person")))
        .order_by()
    }
    concerns = Concern.objects.filter(visit__visited_on__gte=since).aggregate(
        raised=Count("id"),
        filed=Count("id", filter=Q(request__isnull=False)),
        awaiting=Count("id", filter=Q(status=ConcernStatus.AWAITING_CONSENT)),
        resolved=Count("id", filter=RESOLVED_Q),
    )
    with_liaison = sum(r["holders"] for r in officers)
    key_with_liaison = sum(r["key_holders"] for r in officers)
    overdue = sum(r["overdue"] for r in officers)
    return {
        "today": today,
        "since": since,
        "holders": cards["holders"],
        "key_holders": cards["key_holders"],
        "with_liaison": with_liaison,
        "key_with_liaison": key_with_liaison,
        "coverage_rate": _rate(with_liaison, cards["holders"]),
        "key_coverage_rate": _rate(key_with_liaison, cards["key_holders"]),
        "liaisons": with_liaison,
        "on_time": with_liaison - overdue,
        "overdue": overdue,
        "on_time_rate": _rate(with_liaison - overdue, with_liaison),
        "visits": sum(r["n"] for r in visits.values()),
        "visits_in_person": sum(r["in_person"] for r in visits.values()),
        "concerns_raised": concerns["raised"],
        "concerns_filed": concerns["filed"],
        "concerns_awaiting": concerns["awaiting"],
        "concerns_resolved": concerns["resolved"],
        "resolved_rate": _rate(concerns["resolved"], concerns["raised"]),
        "by_officer": [
            {
                "officer": r["officer__real_name"] or r["officer__username"],
                "holders": r["holders"],
                "overdue": r["overdue"],
                "visits": visits.get(r["officer_id"], {}).get("n", 0),
            }
            for r in officers
        ],
    }
