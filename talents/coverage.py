"""联系服务 coverage: holders with a liaison (of all live cards and of the A–C tiers), visits
on time, concerns raised and resolved; the same figures per officer. A few aggregate queries,
whatever the number of liaisons."""

import datetime

from django.db.models import Count, Q
from django.utils import timezone

from cards.models import Card, CardStatus
from talents.models import Concern, ConcernStatus, Liaison, Visit
from talents.visits import RESOLVED_Q

KEY_TIERS = ("A", "B", "C")


def coverage(today: datetime.date | None = None, since: datetime.date | None = None) -> dict:
    """Figures as of ``today``; visits and concerns counted from ``since`` (default: the start
    of the year)."""
    today = today or timezone.localdate()
    since = since or today.replace(month=1, day=1)
    cards = Card.objects.filter(status=CardStatus.ACTIVE).aggregate(
        holders=Count("id"),
        key_holders=Count("id", filter=Q(tier__in=KEY_TIERS)),
        with_liaison=Count("id", filter=Q(liaison__isnull=False)),
        key_with_liaison=Count("id", filter=Q(liaison__isnull=False, tier__in=KEY_TIERS)),
    )
    liaisons = Liaison.objects.filter(card__status=CardStatus.ACTIVE).aggregate(
        total=Count("id"),
        on_time=Count("id", filter=Q(due_on__gte=today)),
        overdue=Count("id", filter=Q(due_on__lt=today)),
    )
    visits = Visit.objects.filter(visited_on__gte=since, visited_on__lte=today).aggregate(
        total=Count("id"),
        in_person=Count("id", filter=Q(mode="in_person")),
    )
    concerns = Concern.objects.filter(visit__visited_on__gte=since).aggregate(
        raised=Count("id"),
        filed=Count("id", filter=Q(request__isnull=False)),
        awaiting=Count("id", filter=Q(status=ConcernStatus.AWAITING_CONSENT)),
        resolved=Count("id", filter=RESOLVED_Q),
    )

    def rate(part, whole):
        return round(part / whole, 4) if whole else None

    return {
        "today": today,
        "since": since,
        "holders": cards["holders"],
        "key_holders": cards["key_holders"],
        "with_liaison": cards["with_liaison"],
        "key_with_liaison": cards["key_with_liaison"],
        "coverage_rate": rate(cards["with_liaison"], cards["holders"]),
        "key_coverage_rate": rate(cards["key_with_liaison"], cards["key_holders"]),
        "liaisons": liaisons["total"],
        "on_time": liaisons["on_time"],
        "overdue": liaisons["overdue"],
        "on_time_rate": rate(liaisons["on_time"], liaisons["total"]),
        "visits": visits["total"],
        "visits_in_person": visits["in_person"],
        "concerns_raised": concerns["raised"],
        "concerns_filed": concerns["filed"],
        "concerns_awaiting": concerns["awaiting"],
        "concerns_resolved": concerns["resolved"],
        "resolved_rate": rate(concerns["resolved"], concerns["raised"]),
    }


def by_officer(today: datetime.date | None = None, since: datetime.date | None = None) -> list:
    """Per officer (of live cards' liaisons): holders served, of them overdue, and visits
    since ``since``."""
    today = today or timezone.localdate()
    since = since or today.replace(month=1, day=1)
    rows = (
        Liaison.objects.filter(card__status=CardStatus.ACTIVE)
        .values("officer_id", "officer__real_name", "officer__username")
        .annotate(
            holders=Count("id", distinct=True),
            overdue=Count("id", filter=Q(due_on__lt=today), distinct=True),
        )
        .order_by("-holders", "officer_id")
    )
    visits = dict(
        Visit.objects.filter(visited_on__gte=since, visited_on__lte=today)
        .values("liaison__officer_id")
        .annotate(n=Count("id"))
        .values_list("liaison__officer_id", "n")
    )
    return [
        {
            "officer": r["officer__real_name"] or r["officer__username"],
            "holders": r["holders"],
            "overdue": r["overdue"],
            "visits": visits.get(r["officer_id"], 0),
        }
        for r in rows
    ]
