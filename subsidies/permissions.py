"""Who may do what to an entitlement and an instalment, and from which states: the tables
(portal.permissions.Table). The domain functions (subsidies.entitlements, subsidies.payments,
subsidies.reveal) call ``require``; pages, templates and the API ask ``allowed`` /
``offered``.

The paying department is the policy's (Entitlement.department): its staff and leads review,
pay and may reveal the bank account; the organization department supervises every
entitlement and suspends one when a talent leaves, but never reads the account.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.models import Role
from portal.permissions import Rule, Table, active
from subsidies.models import EntitlementStatus as S
from subsidies.models import InstalmentStatus as I


def _owner(user, ent) -> bool:
    return active(user) and user.role == Role.TALENT and user.pk == ent.talent_id


def _payer(user, obj) -> bool:
    """Staff or lead of the paying department (an entitlement's or an instalment's)."""
    return (
        active(user)
        and user.role in (Role.STAFF, Role.LEAD)
        and user.department_id is not None
        and user.department_id == obj.department_id
    )


def _admin(user, obj) -> bool:
    return active(user) and user.role == Role.ADMIN


PAYER = _("只有兑现部门的经办人或负责人可以办理。")
OWNER = _("只有本人可以办理。")

ENTITLEMENT_RULES = {
    # The talent confirms an account (again after a return, or to correct it while being
    # paid: a failed instalment is then due again).
    "confirm": Rule(
        _owner,
        (S.OFFERED, S.RETURNED, S.APPROVED),
        OWNER,
        pgettext_lazy("cannot", "确认收款账户"),
    ),
    "decline": Rule(
        _owner, (S.OFFERED, S.CONFIRMED, S.RETURNED), OWNER, pgettext_lazy("cannot", "放弃")
    ),
    "approve": Rule(_payer, (S.CONFIRMED,), PAYER, pgettext_lazy("cannot", "审核通过")),
    "return": Rule(_payer, (S.CONFIRMED,), PAYER, pgettext_lazy("cannot", "退回修改")),
    "suspend": Rule(
        _admin,
        (S.OFFERED, S.CONFIRMED, S.RETURNED, S.APPROVED),
        _("只有组织部人才办可以中止待遇。"),
        pgettext_lazy("cannot", "中止"),
    ),
    # The full bank account: the paying department only, with a stated purpose.
    "reveal": Rule(
        _payer,
        (S.CONFIRMED, S.RETURNED, S.APPROVED, S.COMPLETED, S.SUSPENDED),
        _("只有兑现部门可以查看完整银行账号。"),
        pgettext_lazy("cannot", "查看完整银行账号"),
    ),
}
ENTITLEMENTS = Table(ENTITLEMENT_RULES, noun=pgettext_lazy("noun", "待遇"))

INSTALMENT_RULES = {
    "pay": Rule(_payer, (I.SCHEDULED, I.DUE), PAYER, pgettext_lazy("cannot", "登记兑现")),
    "fail": Rule(_payer, (I.SCHEDULED, I.DUE), PAYER, pgettext_lazy("cannot", "登记兑现失败")),
}
INSTALMENTS = Table(INSTALMENT_RULES, noun=pgettext_lazy("noun", "兑现分期"))


def pays(user) -> bool:
    """Whether ``user`` works a paying department's desk (staff or lead with a department)."""
    return bool(
        active(user) and user.role in (Role.STAFF, Role.LEAD) and user.department_id is not None
    )
