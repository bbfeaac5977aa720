"""The privacy texts' retention periods are enforced (portal.retention and the rules of cards
and services): a request that ended 3 years ago (6 months for medical and minors' details) is
anonymized to the second, its files leave the storage, the supervision figures stay as they
were, open requests are never touched; ended cards and rejected applications lose their
documents and details; the audit log and the access log lose rows older than 3 years (on
PostgreSQL the trigger still refuses a younger row, even to the retention job); the dry run
changes nothing; a bad row does not stop the job; each run is audited with counts only."""

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from cards.models import ApplicationDocument, Card, CardApplication, CardStatus
from portal import retention
from portal.audit import AccountAction, RetentionAction, audit_record
from portal.models import AccessLog, AppendOnlyError, AuditEvent, Notification
from portal.uploads import private_storage
from services import dashboard, rollups
from services.calendar import calendar_sync
from services.conversation import request_attach, request_comment
from services.feedback import followup_close, request_rate
from services.filing import request_file
from services.links import desk_link, talent_link
from services.models import RequestAttachment, RequestComment, ServiceRequest
from services.seed import seed_service_types
from services.workflow import request_accept, request_reject, request_resolve
from tests import cards_support
from tests.cards_support import PDF
from tests.requests_support import HOUSING, give_card

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
FILED = datetime(2026, 3, 2, 9, 30, tzinfo=SH)
RESOLVED = datetime(2026, 3, 4, 15, 20, 7, tzinfo=SH)
MARCH = dashboard.Period.parse("2026-03-01", "2026-03-31")
SECOND = timedelta(seconds=1)
MEDICAL = {"service": "年度健康体检", "hospital": "巴州区人民医院", "notes": "高血压病史"}


def years_later(moment: datetime, years: int) -> datetime:
    return moment.replace(year=moment.year + years)


def months_later(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    return moment.replace(year=moment.year + month // 12, month=month % 12 + 1)


@pytest.fixture(autouse=True)
def world(departments, talent):
    seed_service_types()
    calendar_sync(year=2026)
    give_card(talent)


def run(*names, dry_run=False):
    return {one.rule.name: one for one in retention.run(names=list(names), dry_run=dry_run)}


def pdf(name="病历.pdf"):
    return SimpleUploadedFile(name, PDF, "application/pdf")


def worked_request(talent, handler, *, code="HOUSING", fields=None, consent=False, score=4):
    """Filed at FILED with a description, an attachment and a comment each side, resolved at
    RESOLVED exactly, rated ``score`` stars with a comment."""
    with time_machine.travel(FILED, tick=False):
        req = request_file(
            talent=talent,
            service_type=code,
            fields=fields or dict(HOUSING),
            description="家中老人需要照顾，住址：巴州区江北大道 8 号",
            consent=consent,
        )
        request_attach(req=req, actor=talent, upload=pdf())
        request_comment(req=req, actor=talent, body="我的电话 13800002688")
        department = req.department
    handler = handler if department == handler.department else _staff_of(department)
    with time_machine.travel(FILED + timedelta(hours=1), tick=False):
        req = request_accept(req=req, actor=handler)
        request_comment(req=req, actor=handler, body="内部：核实住房", internal=True)
    with time_machine.travel(RESOLVED, tick=False):
        req = request_resolve(req=req, actor=handler, note="已配租 3 号楼")
    with time_machine.travel(RESOLVED + timedelta(hours=2), tick=False):
        request_rate(req=req, actor=talent, score=score, comment="经办人李四很耐心")
    return ServiceRequest.objects.get(pk=req.pk)


def _staff_of(department):
    from portal.models import Role
    from tests.factories import UserFactory

    return UserFactory(username=f"staff_{department.code}", role=Role.STAFF, department=department)


def figures():
    """Everything the dashboard shows for March 2026, as of a fixed moment."""
    now = datetime(2026, 4, 1, 12, 0, tzinfo=SH)
    return {
        "headline": dashboard.headline(MARCH, now=now),
        "by_department": dashboard.summary(MARCH, "department", now=now),
        "by_type": dashboard.summary(MARCH, "service_type", now=now),
        "trend": dashboard.weekly_trend(now=now),
        "distribution": dashboard.resolve_time_distribution(MARCH),
    }


def stored(names) -> list[bool]:
    storage = private_storage()
    return [storage.exists(name) for name in names]


def test_a_request_is_anonymized_three_years_after_it_ended_to_the_second(
    talent, handler, admin_user, client_for, client
):
    # A bad rating: counted on the dashboard; its follow-up closed with a note.
    req = worked_request(talent, handler, score=2)
    with time_machine.travel(RESOLVED + timedelta(days=1), tick=False):
        followup_close(followup=req.followup, actor=admin_user, note="已回访，李明表示满意")
    assert req.resolved_at == RESOLVED
    files = list(
        RequestAttachment.objects.filter(request=req).values_list("storage_name", flat=True)
    )
    assert files and stored(files) == [True]
    with time_machine.travel(FILED, tick=False):
        still_open = request_file(
            talent=talent, service_type="HOUSING", fields=dict(HOUSING), description="仍在办理"
        )
    before = figures()
    about = Notification.objects.filter(link__in=[talent_link(req), desk_link(req)])
    assert about.filter(recipient=talent, body="已配租 3 号楼").exists()

    with time_machine.travel(years_later(RESOLVED, 3) - SECOND, tick=False):
        assert run("services.requests")["services.requests"].handled == 0
    req.refresh_from_db()
    assert req.erased_at is None and req.description and stored(files) == [True]

    moment = years_later(RESOLVED, 3) + SECOND
    with time_machine.travel(moment, tick=False):
        outcome = run("services.requests")["services.requests"]
    assert (outcome.due, outcome.handled, outcome.failed) == (1, 1, [])
    req.refresh_from_db()
    assert req.erased_at == moment
    assert (req.description, req.fields) == ("", {})
    assert not RequestAttachment.objects.filter(request=req).exists()
    assert not RequestComment.objects.filter(request=req).exists()
    assert stored(files) == [False]
    assert not any(event.note for event in req.events.all())
    assert not about.exists()
    assert req.rating.comment == "" and req.rating.score == 2
    assert req.followup.note == "（已按保存期限删除）" and req.followup.closed_at is not None
    # The bare row stays as it was counted.
    assert req.resolved_at == RESOLVED and req.status in ("resolved", "closed")
    # Supervision figures: the same, and the rollups agree with the rows (a rebuild changes
    # nothing either).
    assert figures() == before
    assert rollups.drift() == {}
    # The open request was not touched.
    still_open.refresh_from_db()
    assert still_open.erased_at is None and still_open.description == "仍在办理"

    # The talent still sees the request, without its content.
    body = client_for(talent).get(f"/api/v1/service-requests/{req.number}/").json()
    assert body["number"] == req.number and body["description"] == ""
    assert "13800002688" not in str(body) and "江北大道" not in str(body)
    client.force_login(talent)
    page = client.get(f"/requests/{req.number}/")
    assert page.status_code == 200
    assert "江北大道" not in page.content.decode() and req.number in page.content.decode()
    client.force_login(handler)
    desk = client.get(desk_link(req))
    assert desk.status_code == 200 and "江北大道" not in desk.content.decode()


def test_a_second_run_handles_nothing_and_each_run_is_audited_with_counts_only(talent, handler):
    worked_request(talent, handler)
    with time_machine.travel(years_later(RESOLVED, 3) + SECOND, tick=False):
        first = run("services.requests", "services.sensitive")
        second = run("services.requests", "services.sensitive")
    assert first["services.requests"].handled == 1
    assert second["services.requests"].handled == second["services.requests"].due == 0
    events = AuditEvent.objects.filter(action=RetentionAction.RUN).order_by("id")
    assert events.count() == 2
    detail = events[0].detail
    assert detail["retention_handled"] == 1 and detail["retention_failed"] == 0
    assert "绿色通道服务申请 1/1" in detail["retention_counts"]
    assert "李明" not in str(detail) and "江北大道" not in str(detail)


def test_medical_details_go_after_six_months_other_requests_stay(talent, handler):
    medical = worked_request(talent, handler, code="MEDICAL", fields=dict(MEDICAL), consent=True)
    housing = worked_request(talent, handler)
    files = list(
        RequestAttachment.objects.filter(request=medical).values_list("storage_name", flat=True)
    )
    with time_machine.travel(months_later(RESOLVED, 6) - SECOND, tick=False):
        assert run("services.sensitive")["services.sensitive"].handled == 0
    with time_machine.travel(months_later(RESOLVED, 6) + SECOND, tick=False):
        outcome = run("services.sensitive", "services.requests")
    assert outcome["services.sensitive"].handled == 1
    assert outcome["services.requests"].handled == 0
    medical.refresh_from_db()
    housing.refresh_from_db()
    assert (medical.fields, medical.description) == ({}, "")
    assert medical.erased_at is not None and stored(files) == [False]
    assert housing.erased_at is None and housing.fields == HOUSING


def test_the_dry_run_changes_nothing(talent, handler):
    req = worked_request(talent, handler)
    events = AuditEvent.objects.count()
    out = StringIO()
    with time_machine.travel(years_later(RESOLVED, 3) + SECOND, tick=False):
        call_command("retention", "--dry-run", stdout=out)
    assert "services.requests\t绿色通道服务申请（3 年）\t到期 1" in out.getvalue()
    req.refresh_from_db()
    assert req.erased_at is None and req.description and req.fields == HOUSING
    assert RequestAttachment.objects.filter(request=req).count() == 1
    assert AuditEvent.objects.count() == events

    out = StringIO()
    with time_machine.travel(years_later(RESOLVED, 3) + SECOND, tick=False):
        call_command("retention", stdout=out)
    assert "services.requests\t绿色通道服务申请（3 年）\t到期 1\t已处理 1\t失败 0" in out.getvalue()


def test_a_bad_row_does_not_stop_the_job(talent, handler, monkeypatch):
    first, second = worked_request(talent, handler), worked_request(talent, handler)
    bad = RequestAttachment.objects.get(request=first).storage_name

    from services import retention as services_retention

    real = services_retention.delete_upload

    def failing(name):
        if name == bad:
            raise OSError("disk")
        real(name)

    monkeypatch.setattr(services_retention, "delete_upload", failing)
    with time_machine.travel(years_later(RESOLVED, 3) + SECOND, tick=False):
        outcome = run("services.requests")["services.requests"]
    assert (outcome.handled, outcome.failed) == (1, [first.number])
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.erased_at is None and first.description  # rolled back, tried again
    assert second.erased_at is not None
    monkeypatch.setattr(services_retention, "delete_upload", real)
    with time_machine.travel(years_later(RESOLVED, 3) + 2 * SECOND, tick=False):
        assert run("services.requests")["services.requests"].handled == 1
    first.refresh_from_db()
    assert first.erased_at is not None and stored([bad]) == [False]


def test_a_run_handles_a_bounded_number_of_rows_and_the_next_run_goes_on(talent, handler, settings):
    settings.RETENTION_MAX_ROWS = 1
    first, second = worked_request(talent, handler), worked_request(talent, handler)
    with time_machine.travel(years_later(RESOLVED, 3) + SECOND, tick=False):
        assert run("services.requests")["services.requests"].handled == 1
        assert ServiceRequest.objects.filter(erased_at__isnull=True).count() == 1
        assert run("services.requests")["services.requests"].handled == 1
        assert run("services.requests")["services.requests"].handled == 0
    assert not ServiceRequest.objects.filter(pk__in=[first.pk, second.pk], erased_at=None).exists()


def test_open_requests_are_never_touched(talent, handler):
    with time_machine.travel(FILED, tick=False):
        submitted = request_file(talent=talent, service_type="HOUSING", fields=dict(HOUSING))
        accepted = request_accept(
            req=request_file(talent=talent, service_type="HOUSING", fields=dict(HOUSING)),
            actor=handler,
        )
    with time_machine.travel(years_later(FILED, 10), tick=False):
        run("services.requests", "services.sensitive")
    for req in (submitted, accepted):
        req.refresh_from_db()
        assert req.erased_at is None and req.fields == HOUSING


def test_a_request_whose_bad_rating_follow_up_is_open_waits(talent, handler):
    req = worked_request(talent, handler, score=1)
    with time_machine.travel(years_later(RESOLVED, 5), tick=False):
        assert run("services.requests")["services.requests"].due == 0
    req.refresh_from_db()
    assert req.erased_at is None and req.description


def test_a_rejected_request_counts_from_its_rejection(talent, handler):
    with time_machine.travel(FILED, tick=False):
        req = request_file(talent=talent, service_type="HOUSING", fields=dict(HOUSING))
    with time_machine.travel(RESOLVED, tick=False):
        request_reject(req=req, actor=handler, reason="不符合条件")
    with time_machine.travel(years_later(RESOLVED, 3) - SECOND, tick=False):
        assert run("services.requests")["services.requests"].handled == 0
    with time_machine.travel(years_later(RESOLVED, 3) + SECOND, tick=False):
        assert run("services.requests")["services.requests"].handled == 1


# --- Cards ----------------------------------------------------------------------------------


@pytest.fixture
def card_world(criteria, client_for, talent, admin_user):
    """An approved application with its documents and photo, its card expired on 2026-12-31;
    and a rejected application of another talent, decided at RESOLVED."""
    Card.objects.filter(holder=talent).delete()
    app = cards_support.approved(client_for(talent), client_for(admin_user))
    card = Card.objects.get(holder=talent)
    Card.objects.filter(pk=card.pk).update(
        status=CardStatus.EXPIRED, valid_until=datetime(2026, 12, 31).date()
    )
    from tests.factories import TalentFactory

    other = TalentFactory(username="other", real_name="王五")
    rejected = cards_support.submitted(client_for(other))
    response = client_for(admin_user).post(
        f"/api/v1/card-applications/{rejected['id']}/reject/", {"reason": "材料不实"}
    )
    assert response.status_code == 200, response.content
    CardApplication.objects.filter(pk=rejected["id"]).update(decided_at=RESOLVED)
    return (
        card,
        CardApplication.objects.get(pk=app["id"]),
        CardApplication.objects.get(pk=rejected["id"]),
    )


def test_an_expired_card_and_a_rejected_application_are_erased_after_three_years(card_world):
    card, approved, rejected = card_world
    files = list(
        ApplicationDocument.objects.filter(application__in=[approved, rejected]).values_list(
            "storage_name", flat=True
        )
    )
    assert files and all(stored(files))
    assert card.photo_id is not None
    about_rejection = Notification.objects.filter(link=f"/card/applications/{rejected.pk}/")
    assert about_rejection.exists()
    # Expired at the end of 2026-12-31: 3 years run from 2027-01-01 00:00.
    with time_machine.travel(datetime(2029, 12, 31, 23, 59, 59, tzinfo=SH), tick=False):
        assert run("cards.cards")["cards.cards"].handled == 0
    with time_machine.travel(datetime(2030, 1, 1, 0, 0, 1, tzinfo=SH), tick=False):
        outcome = run("cards.cards", "cards.rejected_applications")
    assert outcome["cards.cards"].handled == 1
    assert outcome["cards.rejected_applications"].handled == 1
    card.refresh_from_db()
    approved.refresh_from_db()
    rejected.refresh_from_db()
    assert card.erased_at is not None and card.photo_id is None
    assert card.number.startswith("BZYC-") and card.status == CardStatus.EXPIRED
    assert not ApplicationDocument.objects.filter(application__in=[approved, rejected]).exists()
    assert not any(stored(files))
    for application in (approved, rejected):
        assert application.erased_at is not None
        assert (application.employer, application.position, application.arrival_date) == (
            "",
            "",
            None,
        )
        assert not application.criteria.exists()
    assert rejected.reject_reason == "（已按保存期限删除）"
    assert not about_rejection.exists()


def test_a_revoked_card_counts_from_its_revocation(criteria, client_for, talent, admin_user):
    from cards.issuance import card_revoke

    Card.objects.filter(holder=talent).delete()
    cards_support.approved(client_for(talent), client_for(admin_user))
    card = Card.objects.get(holder=talent)
    with time_machine.travel(RESOLVED, tick=False):
        card_revoke(card=card, actor=admin_user, reason="弄虚作假")
    with time_machine.travel(years_later(RESOLVED, 3) - SECOND, tick=False):
        assert run("cards.cards")["cards.cards"].due == 0
    with time_machine.travel(years_later(RESOLVED, 3) + SECOND, tick=False):
        assert run("cards.cards")["cards.cards"].handled == 1
    card.refresh_from_db()
    assert card.erased_at is not None and card.status_reason == ""
    assert not any(event.note for event in card.events.all())
    assert not ApplicationDocument.objects.filter(application__card=card).exists()


def test_a_live_card_is_never_erased(criteria, client_for, talent, admin_user):
    Card.objects.filter(holder=talent).delete()
    cards_support.approved(client_for(talent), client_for(admin_user))
    with time_machine.travel(years_later(FILED, 20), tick=False):
        assert run("cards.cards")["cards.cards"].due == 0
    assert Card.objects.get(holder=talent).erased_at is None


# --- The audit log and the access log -------------------------------------------------------


def _old_event(at):
    return AuditEvent.objects.create(action=AccountAction.CHANGE.value, at=at)


def test_audit_and_access_log_rows_older_than_three_years_are_deleted(talent, handler):
    # Real time, not travelled: on PostgreSQL the trigger judges a row's age by the
    # database's clock.
    now = timezone.localtime()
    margin = timedelta(minutes=5)
    old = _old_event(retention.Period(years=3).before(now) - margin)
    young = _old_event(retention.Period(years=3).before(now) + margin)
    kept_log = AccessLog.objects.create(
        at=retention.Period(years=3).before(now) + margin,
        subject=talent,
        actor=handler,
        actor_name="张三",
        purpose="核实",
        object_type="x",
        object_label="y",
    )
    gone_log = AccessLog.objects.create(
        at=retention.Period(years=3).before(now) - margin,
        subject=talent,
        actor=handler,
        actor_name="张三",
        purpose="核实",
        object_type="x",
        object_label="y",
    )
    outcome = run("portal.audit", "portal.access_log")
    assert outcome["portal.audit"].handled == 1 and outcome["portal.access_log"].handled == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=young.pk).exists()
    assert not AccessLog.objects.filter(pk=gone_log.pk).exists()
    assert AccessLog.objects.filter(pk=kept_log.pk).exists()


def test_the_audit_log_stays_append_only_outside_the_retention_path(talent):
    event = audit_record(action=AccountAction.CHANGE, actor=talent, obj=talent)
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    # Even the retention path refuses a cutoff younger than the period.
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).retention_delete(event.at + SECOND)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.postgres
def test_postgres_trigger_lets_only_old_rows_go_and_only_with_the_retention_setting(talent):
    now = timezone.now()
    young = audit_record(action=AccountAction.CHANGE, actor=talent, obj=talent)
    old = _old_event(now - timedelta(days=3 * 366 + 1))
    delete = "DELETE FROM portal_auditevent WHERE id = %s"
    # Without the setting: refused, however old.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(delete, [old.pk])
    # With it: a young row is still refused.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL portal.retention_delete = 'on'")
        cursor.execute(delete, [young.pk])
    # UPDATE is refused even with the setting.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL portal.retention_delete = 'on'")
        cursor.execute("UPDATE portal_auditevent SET action = 'x' WHERE id = %s", [old.pk])
    assert AuditEvent.objects.filter(pk__in=[young.pk, old.pk]).count() == 2
    # The retention job's own path deletes the old one only.
    assert run("portal.audit")["portal.audit"].handled == 1
    assert list(AuditEvent.objects.filter(pk__in=[young.pk, old.pk])) == [young]
    # The setting does not outlive the job's transaction.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(delete, [young.pk])


# --- The schedule and the registry ----------------------------------------------------------


def test_the_job_runs_every_night_and_every_promise_has_a_rule():
    entry = settings.CELERY_BEAT_SCHEDULE["retention"]
    assert entry["task"] == "portal.tasks.retention"
    assert entry["schedule"] == crontab(hour=3, minute=10)
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
    names = {rule.name: rule for rule in retention.rules()}
    assert {
        "portal.audit",
        "portal.access_log",
        "cards.cards",
        "cards.rejected_applications",
        "services.requests",
        "services.sensitive",
    } <= set(names)
    assert names["services.sensitive"].period == retention.Period(months=6)
    assert names["services.requests"].period == retention.Period(years=3)


def test_the_celery_task_runs_every_rule_and_returns_the_counts():
    from portal.tasks import retention as task

    result = task.apply().get()
    assert "绿色通道服务申请 0/0" in result and "审计日志" in result


@pytest.mark.parametrize(
    ("moment", "period", "expected"),
    [
        (
            datetime(2029, 3, 4, 15, 20, tzinfo=SH),
            retention.Period(years=3),
            datetime(2026, 3, 4, 15, 20, tzinfo=SH),
        ),
        (
            datetime(2028, 2, 29, 1, 0, tzinfo=SH),
            retention.Period(years=3),
            datetime(2025, 2, 28, 1, 0, tzinfo=SH),
        ),
        (
            datetime(2026, 8, 31, 1, 0, tzinfo=SH),
            retention.Period(months=6),
            datetime(2026, 2, 28, 1, 0, tzinfo=SH),
        ),
        (
            datetime(2026, 3, 15, 1, 0, tzinfo=SH),
            retention.Period(months=6),
            datetime(2025, 9, 15, 1, 0, tzinfo=SH),
        ),
    ],
)
def test_periods_are_counted_on_the_calendar(moment, period, expected):
    assert period.before(moment) == expected
