"""The figures' own bookkeeping (DESIGN.md "dashboard figures from rollups"): per entitlement
its committed and paid amounts, and per day, policy and department the instalments paid
(PaidDay). The transitions keep them in their transaction; ``rebuild`` recomputes both from
the instalments (after a bulk load: the benchmark's generator, a data migration), so the
政策兑现 section never adds up a million instalments per view.
"""

from decimal import Decimal

from django.db import models, transaction
from django.db.models import F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from subsidies.models import Entitlement, Instalment, InstalmentStatus, PaidDay

AMOUNT = models.DecimalField(max_digits=14, decimal_places=2)


def paid_day_add(inst: Instalment) -> None:
    """Count ``inst`` (just paid) in its day's cell: the row created if missing, then one
    UPDATE with increments (concurrent payments of a cell queue on its row lock)."""
    day = timezone.localdate(inst.paid_at)
    cell = {"day": day, "policy_id": inst.policy_id, "department_id": inst.department_id}
    PaidDay.objects.bulk_create([PaidDay(**cell)], ignore_conflicts=True)
    PaidDay.objects.filter(**cell).update(
        amount=F("amount") + inst.amount,
        paid=F("paid") + 1,
        on_time=F("on_time") + (1 if inst.paid_on_time else 0),
    )


def _sum_of(rows) -> Subquery:
    """The sum of the amounts of ``rows`` (instalments) of the outer entitlement, 0 if none."""
    total = (
        rows.filter(entitlement=OuterRef("pk"))
        .order_by()
        .values("entitlement")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    return Coalesce(Subquery(total, output_field=AMOUNT), Value(Decimal(0)), output_field=AMOUNT)


@transaction.atomic
def rebuild() -> None:
    """Recompute every entitlement's amounts (one UPDATE) and the PaidDay table from the
    instalments (a bulk load's last step)."""
    Entitlement.objects.update(
        committed_amount=_sum_of(Instalment.objects.exclude(status=InstalmentStatus.STOPPED)),
        paid_amount=_sum_of(Instalment.objects.filter(status=InstalmentStatus.PAID)),
    )
    PaidDay.objects.all().delete()
    # The day is the paid instant's date in Asia/Shanghai: grouped here rather than in SQL, the
    # same on every database (SQLite has no time zones).
    cells: dict = {}
    for paid_at, policy, department, amount, on_time in (
        Instalment.objects.filter(status=InstalmentStatus.PAID)
        .values_list("paid_at", "policy_id", "department_id", "amount", "paid_on_time")
        .iterator(chunk_size=10_000)
    ):
        key = (timezone.localdate(paid_at), policy, department)
        cell = cells.setdefault(key, [Decimal(0), 0, 0])
        cell[0] += amount
        cell[1] += 1
        cell[2] += 1 if on_time else 0
    PaidDay.objects.bulk_create(
        (
            PaidDay(day=d, policy_id=p, department_id=dep, amount=a, paid=n, on_time=o)
            for (d, p, dep), (a, n, o) in cells.items()
        ),
        batch_size=5000,
    )
