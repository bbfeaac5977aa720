"""Who may do what to a green-channel request, and in which states: the one table (DESIGN.md
"Roles"). The domain functions call ``require`` (403 NotAllowed for the wrong person, 409
InvalidTransition for the wrong state); pages, templates and the API ask ``allowed`` to decide
what to offer, so a button is shown exactly when the action would succeed.

``RULES``: verb → (who, from-states). "Who" is one of a few relations between the user and the
request (its applicant, its department's staff and leads, the organization department); the
states are the request's statuses the verb may start from (None: any). Follow-ups (差评回访)
have their own small table, ``FOLLOWUP_RULES``.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.models import Role
from portal.permissions import Rule, Table, active
from services.models import OPEN_STATUSES, FollowUp, RequestStatus, ServiceRequest

S = RequestStatus
# A conversation stays open until the request is finished: messages after 办结 too.
COMMENTABLE = (*OPEN_STATUSES, S.RESOLVED)


def in_department(user, req: ServiceRequest) -> bool:
    """Staff or lead of the department holding the request now."""
    return (
        active(user)
        and user.role in (Role.STAFF, Role.LEAD)
        and user.department_id == req.department_id
    )


def is_handler(user, req: ServiceRequest) -> bool:
    """Who handles a request: its department's staff and leads, and the organization
    department (admins handle every request)."""
    return in_department(user, req) or (active(user) and user.role == Role.ADMIN)


def is_owner(user, req: ServiceRequest) -> bool:
    return active(user) and user.role == Role.TALENT and user.pk == req.talent_id


def _lead_or_admin(user, req: ServiceRequest) -> bool:
    return (user.role == Role.LEAD and in_department(user, req)) or (
        active(user) and user.role == Role.ADMIN
    )


def _owner_or_handler(user, req: ServiceRequest) -> bool:
    return is_owner(user, req) or is_handler(user, req)


def _admin(user, req) -> bool:
    return active(user) and user.role == Role.ADMIN


def _talent(user, service) -> bool:
    return active(user) and user.role == Role.TALENT


def _sees_sensitive(user, req: ServiceRequest) -> bool:
    """Medical and minors' details: the talent and the routed department only (DESIGN.md);
    other types' details whoever may see the request."""
    if not req.service_type.sensitivity:
        return True
    return is_owner(user, req) or in_department(user, req)


RULES: dict[str, Rule] = {
    "accept": Rule(
        in_department,
        (S.SUBMITTED,),
        _("只有承办部门的经办人或负责人可以受理。"),
        pgettext_lazy("cannot", "受理"),
    ),
    "assign": Rule(
        _lead_or_admin,
        OPEN_STATUSES,
        _("只有承办部门负责人或组织部人才办可以指派经办人。"),
        pgettext_lazy("cannot", "指派经办人"),
    ),
    "request_info": Rule(
        is_handler,
        (S.ACCEPTED,),
        _("只有承办部门或组织部人才办可以要求补正。"),
        pgettext_lazy("cannot", "要求补正"),
    ),
    "supply_info": Rule(
        is_owner,
        (S.AWAITING_TALENT,),
        _("只有申请人可以提交补正。"),
        pgettext_lazy("cannot", "提交补正"),
    ),
    "resolve": Rule(
        is_handler,
        (S.ACCEPTED,),
        _("只有承办部门或组织部人才办可以办结。"),
        pgettext_lazy("cannot", "办结"),
    ),
    "reject": Rule(
        is_handler,
        OPEN_STATUSES,
        _("只有承办部门或组织部人才办可以作出不予办理决定。"),
        pgettext_lazy("cannot", "作出不予办理决定"),
    ),
    "transfer": Rule(
        is_handler,
        (S.SUBMITTED, S.ACCEPTED),
        _("只有承办部门或组织部人才办可以转办。"),
        pgettext_lazy("cannot", "转办"),
    ),
    "withdraw": Rule(
        is_owner, OPEN_STATUSES, _("只有申请人可以撤回申请。"), pgettext_lazy("cannot", "撤回")
    ),
    "comment": Rule(
        _owner_or_handler,
        COMMENTABLE,
        _("只有申请人和承办部门可以留言。"),
        pgettext_lazy("cannot", "再留言"),
    ),
    "comment_internal": Rule(
        is_handler,
        COMMENTABLE,
        _("只有工作人员可以添加内部备注。"),
        pgettext_lazy("cannot", "再留言"),
    ),
    "attach": Rule(
        _owner_or_handler,
        OPEN_STATUSES,
        _("只有申请人和承办部门可以上传附件。"),
        pgettext_lazy("cannot", "再上传附件"),
    ),
    "rate": Rule(
        is_owner,
        (S.RESOLVED,),
        _("只有申请人可以评价。"),
        state_message=_("申请当前为“{status}”状态，办结后才能评价，且只能评价一次。"),
    ),
    "reveal": Rule(
        is_handler,
        None,
        _("只有承办部门的经办人、负责人或组织部人才办可以查看申请人的完整信息。"),
    ),
    "see_sensitive": Rule(
        _sees_sensitive, None, _("医疗、未成年人等敏感信息仅申请人和承办部门可见。")
    ),
    # The handling side's own notes: internal comments and the follow-up of a bad rating
    # (the talent reads only that a call-back is coming: services.feedback.followup_promise).
    "see_internal": Rule(
        is_handler, None, _("内部备注和回访整改情况仅承办部门和组织部人才办可见。")
    ),
    # Transferring from the 督办 list is the organization department's instrument; a lead
    # comments there and transfers from the department's desk (``transfer``).
    "supervise_transfer": Rule(
        _admin,
        (S.SUBMITTED, S.ACCEPTED),
        _("只有组织部人才办可以在督办清单中转办；部门负责人请在办件工作台转办。"),
        pgettext_lazy("cannot", "转办"),
    ),
    # ``obj`` is the service type filed under (the card and its tier are the domain's checks:
    # services.filing.request_file).
    "file": Rule(_talent, None, _("只有持卡人才可以提交绿色通道服务申请。")),
}


REQUESTS = Table(RULES, noun=pgettext_lazy("service request", "申请"))
allowed = REQUESTS.allowed
require = REQUESTS.require
require_who = REQUESTS.require_who
offered = REQUESTS.offered


# --- follow-ups (回访整改) -------------------------------------------------------------------


def _followup_lead_or_admin(user, followup: FollowUp) -> bool:
    return active(user) and (
        user.role == Role.ADMIN
        or (user.role == Role.LEAD and user.department_id == followup.department_id)
    )


FOLLOWUP_RULES: dict[str, Rule] = {
    "close": Rule(
        _followup_lead_or_admin,
        ("open",),
        _("只有部门负责人或组织部人才办可以办结回访。"),
        state_message=_("该回访已办结。"),
    ),
}
FOLLOWUPS = Table(
    FOLLOWUP_RULES,
    noun=pgettext_lazy("noun", "回访"),
    state=lambda f: "open" if f.closed_at is None else "closed",
    label=lambda f: _("待回访") if f.closed_at is None else _("已办结"),
)
followup_allowed = FOLLOWUPS.allowed
followup_require = FOLLOWUPS.require
