"""Who may do what to a green-channel request, and in which states: the one table (DESIGN.md
"Roles"). The domain functions call ``require`` (403 NotAllowed for the wrong person, 409
InvalidTransition for the wrong state); pages, templates and the API ask ``allowed`` to decide
what to offer, so a button is shown exactly when the action would succeed.

``RULES``: verb → (who, from-states). "Who" is one of a few relations between the user and the
request (its applicant, its department's staff and leads, the organization department); the
states are the request's statuses the verb may start from (None: any). Follow-ups (差评回访)
have their own small table, ``FOLLOWUP_RULES``.
"""

from collections.abc import Callable
from dataclasses import dataclass

from portal.errors import InvalidTransition, NotAllowed
from portal.models import Role
from services.models import OPEN_STATUSES, FollowUp, RequestStatus, ServiceRequest

S = RequestStatus
# A conversation stays open until the request is finished: messages after 办结 too.
COMMENTABLE = (*OPEN_STATUSES, S.RESOLVED)


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def in_department(user, req: ServiceRequest) -> bool:
    """Staff or lead of the department holding the request now."""
    return (
        _active(user)
        and user.role in (Role.STAFF, Role.LEAD)
        and user.department_id == req.department_id
    )


def is_handler(user, req: ServiceRequest) -> bool:
    """Who handles a request: its department's staff and leads, and the organization
    department (admins handle every request)."""
    return in_department(user, req) or (_active(user) and user.role == Role.ADMIN)


def is_owner(user, req: ServiceRequest) -> bool:
    return _active(user) and user.role == Role.TALENT and user.pk == req.talent_id


def _lead_or_admin(user, req: ServiceRequest) -> bool:
    return (user.role == Role.LEAD and in_department(user, req)) or (
        _active(user) and user.role == Role.ADMIN
    )


def _owner_or_handler(user, req: ServiceRequest) -> bool:
    return is_owner(user, req) or is_handler(user, req)


def _sees_sensitive(user, req: ServiceRequest) -> bool:
    """Medical and minors' details: the talent and the routed department only (DESIGN.md);
    other types' details whoever may see the request."""
    if not req.service_type.sensitivity:
        return True
    return is_owner(user, req) or in_department(user, req)


@dataclass(frozen=True)
class Rule:
    who: Callable
    states: tuple | None
    # 403: who may.
    denied: str
    # 409: "申请当前为“X”状态，不能{verb}。" (or ``state_message`` with {status}).
    verb: str = ""
    state_message: str = ""


RULES: dict[str, Rule] = {
    "accept": Rule(in_department, (S.SUBMITTED,), "只有承办部门的经办人或负责人可以受理。", "受理"),
    "assign": Rule(
        _lead_or_admin,
        OPEN_STATUSES,
        "只有承办部门负责人或组织部人才办可以指派经办人。",
        "指派经办人",
    ),
    "request_info": Rule(
        is_handler, (S.ACCEPTED,), "只有承办部门或组织部人才办可以要求补正。", "要求补正"
    ),
    "supply_info": Rule(is_owner, (S.AWAITING_TALENT,), "只有申请人可以提交补正。", "提交补正"),
    "resolve": Rule(is_handler, (S.ACCEPTED,), "只有承办部门或组织部人才办可以办结。", "办结"),
    "reject": Rule(
        is_handler,
        OPEN_STATUSES,
        "只有承办部门或组织部人才办可以作出不予办理决定。",
        "作出不予办理决定",
    ),
    "transfer": Rule(
        is_handler, (S.SUBMITTED, S.ACCEPTED), "只有承办部门或组织部人才办可以转办。", "转办"
    ),
    "withdraw": Rule(is_owner, OPEN_STATUSES, "只有申请人可以撤回申请。", "撤回"),
    "comment": Rule(_owner_or_handler, COMMENTABLE, "只有申请人和承办部门可以留言。", "再留言"),
    "comment_internal": Rule(is_handler, COMMENTABLE, "只有工作人员可以添加内部备注。", "再留言"),
    "attach": Rule(
        _owner_or_handler, OPEN_STATUSES, "只有申请人和承办部门可以上传附件。", "再上传附件"
    ),
    "rate": Rule(
        is_owner,
        (S.RESOLVED,),
        "只有申请人可以评价。",
        state_message="申请当前为“{status}”状态，办结后才能评价，且只能评价一次。",
    ),
    "reveal": Rule(
        is_handler,
        None,
        "只有承办部门的经办人、负责人或组织部人才办可以查看申请人的完整信息。",
    ),
    "see_sensitive": Rule(
        _sees_sensitive, None, "医疗、未成年人等敏感信息仅申请人和承办部门可见。"
    ),
}


def _state_ok(rule: Rule, req: ServiceRequest) -> bool:
    return rule.states is None or req.status in rule.states


def allowed(user, verb: str, req: ServiceRequest) -> bool:
    """Whether ``user`` may ``verb`` ``req`` now (who and state)."""
    rule = RULES[verb]
    return bool(rule.who(user, req)) and _state_ok(rule, req)


def require_who(user, verb: str, req: ServiceRequest) -> None:
    """NotAllowed (403) for the wrong person (before the row is locked and its state read)."""
    rule = RULES[verb]
    if not rule.who(user, req):
        raise NotAllowed(rule.denied)


def require(user, verb: str, req: ServiceRequest) -> None:
    """NotAllowed (403) for the wrong person, InvalidTransition (409) for the wrong state."""
    rule = RULES[verb]
    require_who(user, verb, req)
    if not _state_ok(rule, req):
        status = req.get_status_display()
        message = (
            rule.state_message.format(status=status)
            if rule.state_message
            else f"申请当前为“{status}”状态，不能{rule.verb}。"
        )
        raise InvalidTransition(message, status=req.status)


def offered(user, req: ServiceRequest, verbs=None) -> dict[str, bool]:
    """``{verb: allowed}`` for the pages and templates (every verb unless named)."""
    return {verb: allowed(user, verb, req) for verb in (verbs or RULES)}


# --- follow-ups (回访整改) -------------------------------------------------------------------


def _followup_lead_or_admin(user, followup: FollowUp) -> bool:
    return _active(user) and (
        user.role == Role.ADMIN
        or (user.role == Role.LEAD and user.department_id == followup.department_id)
    )


FOLLOWUP_RULES: dict[str, Rule] = {
    "close": Rule(_followup_lead_or_admin, ("open",), "只有部门负责人或组织部人才办可以办结回访。"),
}


def followup_allowed(user, verb: str, followup: FollowUp | None) -> bool:
    if followup is None:
        return False
    rule = FOLLOWUP_RULES[verb]
    state = "open" if followup.closed_at is None else "closed"
    return bool(rule.who(user, followup)) and state in rule.states


def followup_require(user, verb: str, followup: FollowUp) -> None:
    rule = FOLLOWUP_RULES[verb]
    if not rule.who(user, followup):
        raise NotAllowed(rule.denied)
    if followup.closed_at is not None:
        raise InvalidTransition("该回访已办结。", status="closed")
