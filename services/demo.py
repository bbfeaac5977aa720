"""Demo data beyond accounts (``seed_demo``, DEBUG only): a card for the demo talent, with a
drawn placeholder photo, so the green channel and verification can be tried at once; and a
handful of requests in different states across departments, so that every service can be
worked from the demo (demo_<code>_staff / _lead for each department, portal.demo)."""

import datetime

from django.db import transaction

from cards.applications import application_approve
from cards.demo import demo_photo_attach
from cards.issuance import live_card
from cards.models import ApplicationStatus, Card, CardApplication, Criterion, DocumentKind
from portal.demo import demo_department_people
from portal.models import User
from services.clocks import DERIVED, recompute
from services.filing import _next_number, request_file
from services.models import ServiceRequest, ServiceType
from services.workdays import SHANGHAI, Calendar, local_date
from services.workflow import request_accept, request_ask_info, request_resolve

# One request per service, each left in the state that lets its department try a step:
# (service type, state, form fields, 诉求说明). "overdue": filed OVERDUE_BY working days ago
# and never accepted, so it is late and on the 督办 list.
DEMO_REQUESTS = [
    (
        "HOUSING",
        "submitted",
        {
            "family_size": 3,
            "room_type": "两室一厅",
            "move_in_date": "2027-03-01",
            "current_housing": "租房",
            "no_own_house": True,
            "remarks": "希望离孩子学校近一些",
        },
        "一家三口，目前在江北租房，希望申请人才公寓。",
    ),
    (
        "SCHOOL",
        "accepted",
        {
            "child_name": "李小雨",
            "child_birth_date": "2019-05-12",
            "request_kind": "转学",
            "grade": "小学二年级",
            "preferred_school": "巴州区第三小学",
            "current_school": "成都市武侯区某小学",
            "living_in_bazhou": True,
        },
        "孩子随我来巴州工作，下学期需转学。",
    ),
    (
        "MEDICAL",
        "awaiting_talent",
        {"service": "年度健康体检", "hospital": "巴州区人民医院", "preferred_date": "2027-01-15"},
        "希望安排年度健康体检。",
    ),
    (
        "SPOUSE_JOB",
        "resolved",
        {
            "spouse_name": "王丽",
            "spouse_education": "本科",
            "previous_job": "成都某会计师事务所 审计助理",
            "was_civil_servant": False,
            "desired_fields": ["教育", "国有企业"],
        },
        "",
    ),
    (
        "SUBSIDY",
        "submitted",
        {
            "subsidy_type": "安家补助",
            "amount": 50000,
            "period": "2026年",
            "bank_name": "中国工商银行巴中分行",
        },
        "",
    ),
    (
        "GOV_AGENT",
        "accepted",
        {
            "matter": "不动产登记（购房过户）",
            "category": "不动产登记",
            "contact_time": "工作日下午",
            "details": "已签购房合同，需办理不动产转移登记，工作日难以到窗口。",
        },
        "",
    ),
    (
        "HUKOU",
        "overdue",
        {
            "move_type": "随迁子女",
            "persons": 1,
            "from_address": "四川省成都市武侯区",
            "to_address": "巴中市巴州区江北街道",
        },
        "孩子户口随迁，转学需要。",
    ),
]
OVERDUE_BY = 4  # working days since filing: past the 1-day accept limit and escalated (督办)


def seed_demo_card() -> str | None:
    """Give demo_talent a C-tier card through the real approval; return its number if new."""
    talent = User.objects.filter(username="demo_talent").first()
    admin = User.objects.filter(username="demo_admin").first()
    if talent is None or admin is None:
        return None
    card = live_card(talent)
    if card is not None:
        _photo_backfill(card)
        return None
    if CardApplication.objects.filter(talent=talent, status__in=["draft", "returned"]).exists():
        return None  # someone is trying the application pages with it; leave it alone
    app = CardApplication.objects.filter(talent=talent, status=ApplicationStatus.SUBMITTED).first()
    if app is None:
        app = CardApplication.objects.create(
            talent=talent,
            status=ApplicationStatus.SUBMITTED,
            employer="巴州区人民医院",
            position="主任医师",
            industry="医疗卫生",
            education="硕士研究生",
            professional_title="主任医师（正高级）",
            arrival_date=datetime.date(2024, 3, 1),
        )
        app.criteria.set(Criterion.objects.filter(code="C03"))
    if not app.documents.filter(kind=DocumentKind.PHOTO).exists():
        demo_photo_attach(app)
    app = application_approve(application=app, actor=admin, note="演示数据")
    return app.card.number


def _photo_backfill(card: Card) -> None:
    """A demo card seeded before cards had photos gets the placeholder on its application."""
    if card.photo_id is not None:
        return
    app = card.applications.filter(status=ApplicationStatus.APPROVED).order_by("-id").first()
    if app is not None:
        photo = app.documents.filter(kind=DocumentKind.PHOTO).first() or demo_photo_attach(app)
        Card.objects.filter(pk=card.pk).update(photo=photo)


def seed_demo_requests() -> list[str]:
    """File the demo talent's requests that do not exist yet (one per service type, whatever
    its state now: a request the demo has since worked on is left alone) through the real
    domain functions, each worked by its department's demo handler; return their numbers."""
    talent = User.objects.filter(username="demo_talent").first()
    if talent is None or live_card(talent) is None:
        return []
    filed = set(
        ServiceRequest.objects.filter(talent=talent).values_list("service_type__code", flat=True)
    )
    types = {s.code: s for s in ServiceType.objects.active().select_related("department")}
    created = []
    for code, state, fields, description in DEMO_REQUESTS:
        if code in filed or code not in types:
            continue
        staff_name, _ = demo_department_people(types[code].department.code)
        staff = User.objects.filter(username=staff_name, is_active=True).first()
        if staff is None and state not in ("submitted", "overdue"):
            continue  # nobody of that department to work it
        req = request_file(
            talent=talent,
            service_type=code,
            fields=fields,
            description=description,
            consent=bool(types[code].sensitivity),
        )
        if state == "overdue":
            req = _backdate(req, working_days=OVERDUE_BY)
        if state in ("accepted", "awaiting_talent", "resolved"):
            req = request_accept(req=req, actor=staff)
        if state == "awaiting_talent":
            req = request_ask_info(
                req=req,
                actor=staff,
                items=["近三个月内的体检或就诊记录（如有）", "方便体检的日期（工作日）"],
                note="请一次补齐，补正后即安排体检。",
            )
        if state == "resolved":
            req = request_resolve(
                req=req,
                actor=staff,
                note="已向区内3家用人单位推荐，巴州区第二中学财务岗位已安排面试，请留意电话通知。",
            )
        created.append(req.number)
    return created


def _backdate(req: ServiceRequest, *, working_days: int) -> ServiceRequest:
    """The demo's past: a just-filed request as if filed ``working_days`` working days ago and
    never accepted since (its number, filing time, stint and timeline moved back together);
    the deadlines are derived again by services.clocks.recompute, as after any transition."""
    today = local_date(req.submitted_at)
    calendar = Calendar.load(today - datetime.timedelta(days=3 * working_days + 30), today)
    day, counted = today, 0
    while counted < working_days:
        day -= datetime.timedelta(days=1)
        counted += calendar.is_workday(day)[0]
    when = datetime.datetime.combine(day, datetime.time(9, 30), tzinfo=SHANGHAI)
    with transaction.atomic():
        req = ServiceRequest.objects.select_for_update().get(pk=req.pk)
        req.number = _next_number(day)
        req.submitted_at = req.accept_started_at = when
        if req.consent_at:
            req.consent_at = when
        recompute(req)
        req.save(
            update_fields=["number", "submitted_at", "accept_started_at", "consent_at", *DERIVED]
        )
        for stint in req.stints.all():  # saved one by one: the rollups follow
            stint.entered_at = when
            stint.save(update_fields=["entered_at"])
        req.events.update(at=when)
    return req
