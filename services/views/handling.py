"""The handling side's request page, shared by the department's desk (staff, leads) and the
organization department (admins, who are handlers everywhere): every action the viewer may
take, internal notes, attachments, timeline, the departments' stints, rating and follow-up."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from portal.audit import client_ip
from portal.idempotency import answers_repeats, form_once
from portal.identity import mask_name, mask_phone
from portal.models import Department, Role, User
from portal.views.reveal import never_cached, reveal_panel, reveal_post
from services import conversation, feedback, permissions, workflow
from services import reveal as reveal_domain
from services.forms import (
    AskInfoForm,
    AssignForm,
    AttachmentForm,
    FollowUpForm,
    RejectForm,
    ResolveForm,
    StaffCommentForm,
    TransferForm,
)
from services.models import OPEN_STATUSES, DepartmentStint, FollowUp, RequestStatus
from services.views.common import (
    attachments,
    clock,
    comments,
    form_values,
    outcome,
    perform,
    rating_of,
    request_for,
    timeline,
    visible_requests,
)
from services.views.talent import upload_limit_label

S = RequestStatus
AREAS = {
    "desk": {"list": "services:desk", "detail": "services:desk-request"},
    "manage": {"list": "services:manage", "detail": "services:manage-request"},
}
# Keys of the page's forms; the URL spells them with a hyphen (request_info → request-info/).
ACTION_NAMES = (
    "accept",
    "assign",
    "request_info",
    "resolve",
    "reject",
    "transfer",
    "comment",
    "attach",
    "followup",
)


def _followup(req):
    return FollowUp.objects.filter(request=req).first()


def allowed_actions(user, req, followup) -> dict[str, bool]:
    """Which forms to offer the viewer: exactly the actions services.permissions allows now
    (the domain functions ask the same table before acting)."""
    offered = permissions.offered(
        user,
        req,
        ("accept", "assign", "request_info", "resolve", "reject", "transfer", "comment", "attach"),
    )
    offered["followup"] = permissions.followup_allowed(user, "close", followup)
    return offered


def _people(req):
    """Who may be assigned: the department's active staff and leads."""
    return User.objects.filter(
        department_id=req.department_id, role__in=(Role.STAFF, Role.LEAD), is_active=True
    ).order_by("role", "real_name", "username")


def _departments(req):
    return Department.objects.active().exclude(pk=req.department_id).order_by("code")


def _forms(req, allowed, data=None, files=None, only=None) -> dict:
    """The action forms; ``only`` is bound to ``data`` (the POSTed one)."""

    def make(name, cls, prefix, **kwargs):
        bound = name == only
        return cls(data if bound else None, files if bound else None, prefix=prefix, **kwargs)

    return {
        "accept": make("accept", forms.Form, "accept"),
        "assign": make(
            "assign",
            AssignForm,
            "assign",
            people=_people(req),
            initial={"assignee": req.assignee.username if req.assignee else ""},
        )
        if allowed["assign"] or only == "assign"
        else None,
        "request_info": make("request_info", AskInfoForm, "ask"),
        "resolve": make("resolve", ResolveForm, "resolve"),
        "reject": make("reject", RejectForm, "reject"),
        "transfer": make("transfer", TransferForm, "transfer", departments=_departments(req))
        if allowed["transfer"] or only == "transfer"
        else None,
        "comment": make("comment", StaffCommentForm, "comment"),
        "attach": make("attach", AttachmentForm, "attach"),
        "followup": make("followup", FollowUpForm, "followup"),
    }


def stints(req) -> list[dict]:
    """How long each department held the request (a transfer closes one stint)."""
    rows = DepartmentStint.objects.filter(request=req).select_related("department")
    return [
        {
            "department": s.department.name,
            "entered_at": s.entered_at,
            "left_at": s.left_at,
            "accepted_on_time": s.accepted_on_time,
            "current": s.left_at is None and req.status in OPEN_STATUSES,
        }
        for s in rows
    ]


def render_handling(request, req, area: str, *, bound=None, reveal=None, status=200):
    """The handling page of ``area`` ("desk" or "manage"); ``bound`` = (action, form) after a
    POST whose errors are shown next to that form's fields; ``reveal`` = the 查看完整信息
    panel after a reveal (portal.views.reveal)."""
    user = request.user
    followup = _followup(req)
    allowed = allowed_actions(user, req, followup)
    action_forms = _forms(req, allowed)
    if bound:
        action_forms[bound[0]] = bound[1]
    number = req.number
    urls = {
        name: reverse(f"services:{area}-action", args=[number, name.replace("_", "-")])
        for name in (*ACTION_NAMES, "reveal")
    }
    context = {
        "req": req,
        "area": area,
        "list_url": reverse(AREAS[area]["list"]),
        "urls": urls,
        "sla": clock(req),
        "talent_name_masked": mask_name(req.talent.real_name),
        "talent_phone_masked": mask_phone(req.talent.phone),
        "reveal": reveal
        or reveal_panel(allowed=reveal_domain.can_reveal(user, req), url=urls["reveal"]),
        "values": form_values(req, user),
        "events": timeline(req),
        "outcome": outcome(req),
        "comments": comments(req),
        "attachments": attachments(req, request.user),
        "stints": stints(req),
        "rating": rating_of(req),
        "followup": followup,
        "allowed": allowed,
        "any_action": any(allowed[a] for a in allowed if a not in ("comment", "attach")),
        "forms": action_forms,
        "upload_limit": upload_limit_label(),
        "Status": RequestStatus,
    }
    return render(request, "services/handling/request_detail.html", context, status=status)


def handling_detail(request, number: str, area: str):
    return render_handling(request, request_for(request, number, detail=True), area)


def _run(action, req, user, data, form, ip):
    """Call the domain function of ``action``; return the success message."""
    if action == "accept":
        workflow.request_accept(req=req, actor=user, ip=ip)
        return "已受理。"
    if action == "assign":
        done = workflow.request_assign(req=req, actor=user, assignee=data["assignee"], ip=ip)
        return f"已指派给{done.assignee.display_name}。"
    if action == "request_info":
        workflow.request_ask_info(
            req=req, actor=user, items=form.items_list(), note=data["note"], ip=ip
        )
        return "已一次性告知申请人需补正的事项，办理时限暂停计算。"
    if action == "resolve":
        workflow.request_resolve(req=req, actor=user, note=data["note"], ip=ip)
        return "已办结，申请人将收到评价邀请。"
    if action == "reject":
        workflow.request_reject(req=req, actor=user, reason=data["reason"], ip=ip)
        return "已作出不予办理决定，理由已告知申请人。"
    if action == "transfer":
        done = workflow.request_transfer(
            req=req,
            actor=user,
            department=data["department"],
            reason=data["reason"],
            ip=ip,
        )
        return f"已转至{done.department.name}办理。"
    if action == "comment":
        note = conversation.request_comment(
            req=req, actor=user, body=data["body"], internal=data["internal"], ip=ip
        )
        return "内部备注已保存。" if note.internal else "留言已发送，申请人可以看到。"
    if action == "attach":
        conversation.request_attach(req=req, actor=user, upload=data["file"], ip=ip)
        return "附件已上传。"
    if action == "followup":
        followup = _followup(req)
        if followup is None:
            raise Http404
        feedback.followup_close(followup=followup, actor=user, note=data["note"], ip=ip)
        return "差评回访已办结。"
    raise Http404  # pragma: no cover - the URL names the actions


def _after(request, number: str, area: str) -> str:
    """Where the handler goes after an action: the request, or the list when a transfer took
    it out of their sight."""
    if not visible_requests(request.user).filter(number=number).exists():
        return reverse(AREAS[area]["list"])
    return reverse(AREAS[area]["detail"], args=[number])


@answers_repeats
def handling_action(request, number: str, action: str, area: str):
    """POST one action, once per form key (a repeat is answered with the page it led to);
    errors next to the form's fields, refusals as a message."""
    action = action.replace("-", "_") if "_" not in action else ""
    if action == "reveal":
        return handling_reveal(request, number, area)
    if action not in ACTION_NAMES:
        raise Http404
    req = request_for(request, number)
    followup = _followup(req)
    allowed = allowed_actions(request.user, req, followup)
    form = _forms(req, allowed, request.POST, request.FILES, only=action)[action]

    def once(data):
        with form_once(request) as claim:
            result = _run(action, req, request.user, data, form, client_ip(request))
            claim.location = _after(request, number, area)
        return result

    outcome = perform(request, form, once)
    if outcome.done:
        messages.success(request, outcome.result)
    if outcome.done or outcome.refused:
        return redirect(_after(request, number, area))
    req = request_for(request, number, detail=True)
    return render_handling(request, req, area, bound=(action, form), status=200)


def handling_reveal(request, number: str, area: str):
    """POST 查看完整信息: the same page again with the applicant's full name, phone and ID
    number in a marked box (or the purpose's error, or the daily limit's message), never
    cached. services.reveal.request_reveal decides and records; nothing keeps the values."""
    req = request_for(request, number, detail=True)
    panel = reveal_post(
        request,
        lambda purpose, ip: reveal_domain.request_reveal(
            req=req, actor=request.user, purpose=purpose, ip=ip
        ),
        url=reverse(f"services:{area}-action", args=[number, "reveal"]),
    )
    return never_cached(render_handling(request, req, area, reveal=panel))
