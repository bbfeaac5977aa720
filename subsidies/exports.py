"""Finance exports of instalments (issue 15 point 5): one row per instalment of a period and a
paying department, names and bank accounts masked, streamed whatever the number of rows.

- The rows: instalments due in the period (应兑现日期) or paid in it, oldest due date first,
  read as tuples in chunks from one query with the names joined in (as services.exports).
- Who: the organization department every department (or one, ``department=CODE``); the staff
  and leads of a paying department their own (subsidies.figures.scope_for).
- The bank account is the masked copy only (Entitlement.account_number_masked): the full
  number leaves the portal through subsidies.reveal alone, never in a file.
- Each export writes an audit event (sla.export, kind "instalments"), as the supervision
  exports do.
"""

from django.db.models import Q

from portal.audit import audit_record
from portal.identity import mask_name
from portal.models import Department
from portal.streaming import csv_response
from services.actions import SlaAction
from services.dashboard import Period
from services.exports import CHUNK, xlsx_response
from services.workdays import SHANGHAI
from subsidies.figures import Scope
from subsidies.models import Instalment, InstalmentStatus, Policy

FORMATS = ("csv", "xlsx")
_STATUS = dict(InstalmentStatus.choices)


def _plain(value):
    return "" if value is None else value


def _when(value):
    if not value:
        return ""
    return value.astimezone(SHANGHAI).replace(tzinfo=None).isoformat(" ", "minutes")


def _day(value):
    return value.isoformat() if value else ""


def _amount(value):
    # Plain digits with the cents (no thousands separator): finance software reads it as a number.
    return f"{value:.2f}"


# (header, field read from the database, how the value is shown): masking happens here, once,
# for both formats.
COLUMNS = [
    ("待遇编号", "entitlement_id", _plain),
    ("政策", "policy__name", _plain),
    ("文件号", "policy__policy_ref", _plain),
    ("兑现部门", "department__name", _plain),
    ("人才", "entitlement__talent__real_name", mask_name),
    ("卡号", "entitlement__card__number", _plain),
    ("期次", "n", _plain),
    ("金额（元）", "amount", _amount),
    ("应兑现日期", "due_on", _day),
    ("状态", "status", lambda value: str(_STATUS.get(value, value))),
    ("兑现时间", "paid_at", _when),
    ("凭证号", "voucher", _plain),
    ("开户银行", "entitlement__bank_name", _plain),
    ("银行账号（脱敏）", "entitlement__account_number_masked", _plain),
    ("失败原因", "fail_reason", _plain),
]
HEADER = [header for header, _, _ in COLUMNS]


def period_instalments(user, period: Period, scope: Scope):
    """The instalments ``user`` may see (Instalment.objects.visible_to) due or paid in
    ``period`` within ``scope``, oldest due date first, as tuples of COLUMNS' fields: one
    query."""
    due = Q(due_on__gte=period.first, due_on__lte=period.last)
    queryset = Instalment.objects.visible_to(user).filter(period.q("paid_at") | due)
    return (
        scope.filter(queryset)
        .order_by("due_on", "pk")
        .values_list(*[field for _, field, _ in COLUMNS])
    )


def instalment_rows(instalments):
    """The export's rows, CHUNK at a time (a server-side cursor on PostgreSQL)."""
    shows = [show for _, _, show in COLUMNS]
    for values in instalments.iterator(chunk_size=CHUNK):
        yield [show(value) for show, value in zip(shows, values, strict=True)]


def export_name(period: Period, scope: Scope) -> str:
    suffix = f"-{scope.department.code}" if scope.department is not None else ""
    return f"bazhou-subsidies-{period.first:%Y%m%d}-{period.last:%Y%m%d}{suffix}"


def pays(scope: Scope) -> bool:
    """Whether the scope's department pays a policy (the organization department: always)."""
    return scope.department is None or Policy.objects.filter(department=scope.department).exists()


def export_scope(scope: Scope, code: str | None) -> Scope:
    """The organization department may narrow its export to one department (``code``); a
    paying department's export is its own whatever it asks. Department.DoesNotExist for an
    unknown code."""
    if not code or scope.department is not None:
        return scope
    return Scope(Department.objects.get(code=code))


def instalments_export(*, user, period: Period, scope: Scope, fmt: str, ip=None):
    """The file (a streamed CSV, or an XLSX written to a temporary file and streamed from
    there), and its audit event."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}.")
    rows = instalment_rows(period_instalments(user, period, scope))
    name = export_name(period, scope)
    if fmt == "csv":
        response = csv_response(f"{name}.csv", HEADER, rows)
    else:
        response = xlsx_response(f"{name}.xlsx", [("兑现明细", HEADER, rows)])
    audit_record(
        action=SlaAction.EXPORT,
        actor=user,
        ip=ip,
        format=fmt,
        kind="instalments",
        department=scope.department.code if scope.department is not None else "all",
        period=f"{period.first}..{period.last}",
    )
    return response
