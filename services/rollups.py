"""Keeping the daily rollups (services.models.rollups) equal to the raw rows.

Each counted row (a request, a department stint, a rating) *contributes* to a few cells: a
request to the day it was filed, the day it was accepted and the day it was resolved (keyed by
its current department and its service type), a stint to the day it began, a bad rating to the
day it was given. The contribution is a pure function of the row's columns, so every change is
the difference between the row's contribution after and before it, applied in the same
transaction as ``UPDATE cell SET n = n + delta`` (an upsert; additions commute, so two
transitions at once never lose a count). The model signals below compute it for every
``save()`` and ``delete()``; writes that bypass them (``QuerySet.update``, ``bulk_create``,
the benchmark's SQL) must be followed by ``rebuild()`` (``manage.py rebuild_rollups``).

Cells are upserted in key order, so two transactions never wait for each other's cells in
opposite orders.
"""

import datetime
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from services.models import DepartmentStint, Rating, ServiceRequest
from services.models.rollups import BUCKET_FIELDS, RequestDay, StintDay
from services.workdays import SHANGHAI, local_date

BAD_SCORE = 2
# (low, high, column): services.dashboard.BUCKETS.
BUCKETS = [
    (0, 1, "b0"),
    (2, 3, "b2"),
    (4, 5, "b4"),
    (6, 10, "b6"),
    (11, 15, "b11"),
    (16, 20, "b16"),
    (21, None, "b21"),
]
REQUEST_COLUMNS = (
    "filed",
    "accepted",
    "accept_wait_us",
    "resolved",
    "resolved_on_time",
    "resolve_days_sum",
    "resolve_days_n",
    *BUCKET_FIELDS,
    "bad_ratings",
)
STINT_COLUMNS = ("received", "left", "held_us", "transferred_out", "handled_on_time")

REQUEST_FIELDS = (
    "department_id",
    "service_type_id",
    "submitted_at",
    "accept_started_at",
    "accepted_at",
    "resolved_at",
    "resolved_on_time",
    "handling_working_days",
)
STINT_FIELDS = ("department_id", "entered_at", "left_at", "accepted_on_time", "transferred_out")


def _micros(delta: datetime.timedelta) -> int:
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def bucket_of(days: int) -> str:
    for low, high, column in BUCKETS:
        if days >= low and (high is None or days <= high):
            return column
    return BUCKETS[0][2]


def request_cells(row: dict | None) -> dict:
    """{(day, department_id, service_type_id): {column: n}} that a request counts for."""
    cells = defaultdict(lambda: defaultdict(int))
    if row is None:
        return cells
    group = (row["department_id"], row["service_type_id"])
    cells[(local_date(row["submitted_at"]), *group)]["filed"] += 1
    if row["accepted_at"] is not None:
        cell = cells[(local_date(row["accepted_at"]), *group)]
        cell["accepted"] += 1
        cell["accept_wait_us"] += _micros(row["accepted_at"] - row["accept_started_at"])
    if row["resolved_at"] is not None:
        cell = cells[(local_date(row["resolved_at"]), *group)]
        cell["resolved"] += 1
        cell["resolved_on_time"] += row["resolved_on_time"] is True
        days = row["handling_working_days"]
        if days is not None:
            cell["resolve_days_sum"] += days
            cell["resolve_days_n"] += 1
            cell[bucket_of(days)] += 1
    return cells


def stint_cells(row: dict | None) -> dict:
    """{(day, department_id): {column: n}} that a department stint counts for."""
    cells = defaultdict(lambda: defaultdict(int))
    if row is None:
        return cells
    cell = cells[(local_date(row["entered_at"]), row["department_id"])]
    cell["received"] += 1
    if row["left_at"] is not None:
        cell["left"] += 1
        cell["held_us"] += _micros(row["left_at"] - row["entered_at"])
    cell["transferred_out"] += bool(row["transferred_out"])
    cell["handled_on_time"] += row["accepted_on_time"] is True
    return cells


def rating_cells(score: int, created_at, department_id: int, service_type_id: int) -> dict:
    cells = defaultdict(lambda: defaultdict(int))
    if score <= BAD_SCORE:
        cells[(local_date(created_at), department_id, service_type_id)]["bad_ratings"] += 1
    return cells


def _difference(before: dict, after: dict) -> dict:
    changes = {}
    for key in set(before) | set(after):
        old, new = before.get(key, {}), after.get(key, {})
        delta = {c: new.get(c, 0) - old.get(c, 0) for c in set(old) | set(new)}
        delta = {c: n for c, n in delta.items() if n}
        if delta:
            changes[key] = delta
    return changes


def _upsert(model, key_columns: tuple, columns: tuple, changes: dict) -> None:
    """Add ``changes`` ({key: {column: delta}}) to the cells, creating missing ones."""
    if not changes:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = [*key_columns, *columns]
    placeholders = "(" + ", ".join(["%s"] * len(names)) + ")"
    params = []
    for key in sorted(changes):
        delta = changes[key]
        params.extend([*key, *(delta.get(c, 0) for c in columns)])
    # Table and column names come from the models, never from input; values are parameters.
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(n) for n in names)}) "  # noqa: S608
        f"VALUES {', '.join([placeholders] * len(changes))} "
        f"ON CONFLICT ({', '.join(quote(n) for n in key_columns)}) DO UPDATE SET "
        + ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in columns)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def add_request_changes(changes: dict) -> None:
    _upsert(RequestDay, ("day", "department_id", "service_type_id"), REQUEST_COLUMNS, changes)


def add_stint_changes(changes: dict) -> None:
    _upsert(StintDay, ("day", "department_id"), STINT_COLUMNS, changes)


# --- The signals: every save() and delete() of a counted row --------------------------------


def _attnames(model, update_fields) -> set[str] | None:
    if update_fields is None:
        return None
    return {model._meta.get_field(name).attname for name in update_fields}


def _before(sender, instance, fields: tuple, update_fields) -> dict | None:
    """The row as stored, if this save may change what it counts (one query by key)."""
    if instance._state.adding or instance.pk is None:
        return None
    changed = _attnames(sender, update_fields)
    if changed is not None and not changed & set(fields):
        return "unchanged"
    return sender.objects.filter(pk=instance.pk).values(*fields).first()


def _after(instance, before, fields: tuple, update_fields) -> dict:
    changed = _attnames(type(instance), update_fields)
    if changed is None or not isinstance(before, dict):
        return {f: getattr(instance, f) for f in fields}
    return {f: getattr(instance, f) if f in changed else before[f] for f in fields}


@receiver(pre_save, sender=ServiceRequest, dispatch_uid="services.rollups.request_pre")
def _request_pre_save(sender, instance, update_fields=None, raw=False, **kwargs):
    instance._rollup_before = (
        None if raw else _before(sender, instance, REQUEST_FIELDS, update_fields)
    )


@receiver(post_save, sender=ServiceRequest, dispatch_uid="services.rollups.request_post")
def _request_post_save(sender, instance, update_fields=None, raw=False, **kwargs):
    before = getattr(instance, "_rollup_before", None)
    instance._rollup_before = None
    if raw or before == "unchanged":
        return
    after = _after(instance, before, REQUEST_FIELDS, update_fields)
    add_request_changes(_difference(request_cells(before), request_cells(after)))


@receiver(post_delete, sender=ServiceRequest, dispatch_uid="services.rollups.request_delete")
def _request_deleted(sender, instance, **kwargs):
    row = {f: getattr(instance, f) for f in REQUEST_FIELDS}
    add_request_changes(_difference(request_cells(row), {}))


@receiver(pre_save, sender=DepartmentStint, dispatch_uid="services.rollups.stint_pre")
def _stint_pre_save(sender, instance, update_fields=None, raw=False, **kwargs):
    instance._rollup_before = (
        None if raw else _before(sender, instance, STINT_FIELDS, update_fields)
    )


@receiver(post_save, sender=DepartmentStint, dispatch_uid="services.rollups.stint_post")
def _stint_post_save(sender, instance, update_fields=None, raw=False, **kwargs):
    before = getattr(instance, "_rollup_before", None)
    instance._rollup_before = None
    if raw or before == "unchanged":
        return
    after = _after(instance, before, STINT_FIELDS, update_fields)
    add_stint_changes(_difference(stint_cells(before), stint_cells(after)))


@receiver(post_delete, sender=DepartmentStint, dispatch_uid="services.rollups.stint_delete")
def _stint_deleted(sender, instance, **kwargs):
    row = {f: getattr(instance, f) for f in STINT_FIELDS}
    add_stint_changes(_difference(stint_cells(row), {}))


def _rating_group(rating) -> tuple[int, int] | None:
    row = (
        ServiceRequest.objects.filter(pk=rating.request_id)
        .values_list("department_id", "service_type_id")
        .first()
    )
    return row


@receiver(pre_save, sender=Rating, dispatch_uid="services.rollups.rating_pre")
def _rating_pre_save(sender, instance, raw=False, **kwargs):
    instance._rollup_before = None
    if not raw and not instance._state.adding and instance.pk is not None:
        instance._rollup_before = (
            sender.objects.filter(pk=instance.pk).values("score", "created_at").first()
        )


@receiver(post_save, sender=Rating, dispatch_uid="services.rollups.rating_post")
def _rating_post_save(sender, instance, raw=False, **kwargs):
    before = getattr(instance, "_rollup_before", None)
    instance._rollup_before = None
    if raw:
        return
    group = _rating_group(instance)
    if group is None:
        return
    old = rating_cells(before["score"], before["created_at"], *group) if before else {}
    new = rating_cells(instance.score, instance.created_at, *group)
    add_request_changes(_difference(old, new))


@receiver(post_delete, sender=Rating, dispatch_uid="services.rollups.rating_delete")
def _rating_deleted(sender, instance, **kwargs):
    group = _rating_group(instance)
    if group is not None:
        old = rating_cells(instance.score, instance.created_at, *group)
        add_request_changes(_difference(old, {}))


# --- Rebuilding from the raw rows -----------------------------------------------------------


def _day(field: str):
    return TruncDate(field, tzinfo=SHANGHAI)


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    return value


def computed_request_cells() -> dict:
    """Every RequestDay cell, from the raw rows (a handful of grouped queries)."""
    cells = defaultdict(lambda: defaultdict(int))
    requests = ServiceRequest.objects.order_by()
    group = ("department_id", "service_type_id")
    for row in (
        requests.annotate(d=_day("submitted_at")).values("d", *group).annotate(n=Count("id"))
    ):
        cells[(_as_date(row["d"]), row["department_id"], row["service_type_id"])]["filed"] += row[
            "n"
        ]
    accepted = (
        requests.filter(accepted_at__isnull=False)
        .annotate(d=_day("accepted_at"))
        .values("d", *group, "accepted_at", "accept_started_at")
    )
    # The wait is summed in Python: interval arithmetic differs between the databases, and the
    # accepted requests are read as three columns, in one pass.
    for row in accepted.iterator(chunk_size=5000):
        cell = cells[(_as_date(row["d"]), row["department_id"], row["service_type_id"])]
        cell["accepted"] += 1
        cell["accept_wait_us"] += _micros(row["accepted_at"] - row["accept_started_at"])
    buckets = {}
    for low, high, column in BUCKETS:
        condition = Q(handling_working_days__gte=low)
        if high is not None:
            condition &= Q(handling_working_days__lte=high)
        buckets[column] = Count("id", filter=condition)
    resolved = (
        requests.filter(resolved_at__isnull=False)
        .annotate(d=_day("resolved_at"))
        .values("d", *group)
        .annotate(
            resolved=Count("id"),
            resolved_on_time=Count("id", filter=Q(resolved_on_time=True)),
            resolve_days_sum=Sum("handling_working_days"),
            resolve_days_n=Count("handling_working_days"),
            **buckets,
        )
    )
    for row in resolved:
        cell = cells[(_as_date(row["d"]), row["department_id"], row["service_type_id"])]
        for column in ("resolved", "resolved_on_time", "resolve_days_n", *BUCKET_FIELDS):
            cell[column] += row[column]
        cell["resolve_days_sum"] += row["resolve_days_sum"] or 0
    bad = (
        Rating.objects.order_by()
        .filter(score__lte=BAD_SCORE)
        .annotate(
            d=_day("created_at"),
            department_id=F("request__department_id"),
            service_type_id=F("request__service_type_id"),
        )
        .values("d", "department_id", "service_type_id")
        .annotate(n=Count("id"))
    )
    for row in bad:
        key = (_as_date(row["d"]), row["department_id"], row["service_type_id"])
        cells[key]["bad_ratings"] += row["n"]
    return cells


def computed_stint_cells() -> dict:
    cells = defaultdict(lambda: defaultdict(int))
    stints = DepartmentStint.objects.order_by().annotate(d=_day("entered_at"))
    for row in stints.values("d", "department_id").annotate(
        received=Count("id"),
        left=Count("id", filter=Q(left_at__isnull=False)),
        transferred_out=Count("id", filter=Q(transferred_out=True)),
        handled_on_time=Count("id", filter=Q(accepted_on_time=True)),
    ):
        cell = cells[(_as_date(row["d"]), row["department_id"])]
        for column in ("received", "left", "transferred_out", "handled_on_time"):
            cell[column] += row[column]
    closed = stints.filter(left_at__isnull=False).values(
        "d", "department_id", "entered_at", "left_at"
    )
    for row in closed.iterator(chunk_size=5000):
        cells[(_as_date(row["d"]), row["department_id"])]["held_us"] += _micros(
            row["left_at"] - row["entered_at"]
        )
    return cells


def _lock_tables() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (RequestDay, StintDay):
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")


def rebuild(progress=None) -> dict:
    """Recompute every cell from the raw rows, in one transaction. Transitions that run
    meanwhile wait for it at their first cell and then add their change on top, so nothing is
    lost. Returns how many cells were written."""
    say = progress or (lambda text: None)
    with transaction.atomic():
        _lock_tables()
        say("汇总申请（提交、受理、办结、差评）…")
        request_cells_now = computed_request_cells()
        say("汇总承办记录（转办、办理时长）…")
        stint_cells_now = computed_stint_cells()
        RequestDay.objects.all().delete()
        StintDay.objects.all().delete()
        RequestDay.objects.bulk_create(
            (
                RequestDay(day=k[0], department_id=k[1], service_type_id=k[2], **dict(v))
                for k, v in request_cells_now.items()
            ),
            batch_size=2000,
        )
        StintDay.objects.bulk_create(
            (StintDay(day=k[0], department_id=k[1], **dict(v)) for k, v in stint_cells_now.items()),
            batch_size=2000,
        )
    return {"request_days": len(request_cells_now), "stint_days": len(stint_cells_now)}


def stored_request_cells() -> dict:
    """The stored cells, without zeros (a transfer can leave a cell at zero everywhere)."""
    columns = ("day", "department_id", "service_type_id", *REQUEST_COLUMNS)
    return _nonzero(
        {
            (row[0], row[1], row[2]): dict(zip(REQUEST_COLUMNS, row[3:], strict=True))
            for row in RequestDay.objects.values_list(*columns)
        }
    )


def stored_stint_cells() -> dict:
    columns = ("day", "department_id", *STINT_COLUMNS)
    return _nonzero(
        {
            (row[0], row[1]): dict(zip(STINT_COLUMNS, row[2:], strict=True))
            for row in StintDay.objects.values_list(*columns)
        }
    )


def _nonzero(cells: dict) -> dict:
    return {k: {c: n for c, n in v.items() if n} for k, v in cells.items() if any(v.values())}


def drift() -> dict:
    """Cells whose stored value differs from the raw rows' (empty when the rollups are right):
    ``manage.py rebuild_rollups --check`` and the tests."""
    stored, stored_stints = stored_request_cells(), stored_stint_cells()
    wrong = _difference(stored, _nonzero(computed_request_cells()))
    wrong.update(
        {
            ("stint", *k): v
            for k, v in _difference(stored_stints, _nonzero(computed_stint_cells())).items()
        }
    )
    return wrong
