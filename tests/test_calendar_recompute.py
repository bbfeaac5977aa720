"""The deadline recomputation after a calendar change runs in the background (issue 12 point
7): the change answers at once and records a CalendarRecompute; the task recomputes batch by
batch with its progress, resumes where it stopped, does nothing when run again, survives a bad
row, is picked up by the retry job when the broker was down; the calendar page shows it."""

import logging
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from portal.models import Role
from services import clocks, recompute
from services.calendar import calendar_set_day, calendar_sync
from services.models import CalendarRecompute, RecomputeStatus, ServiceRequest
from services.recompute import recompute_run, recomputes_retry
from services.seed import seed_service_types
from services.tasks import calendar_recompute
from tests.factories import UserFactory
from tests.recompute_support import run_recomputes
from tests.requests_support import file_housing, give_card

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
FILED = datetime(2026, 3, 4, 10, 0, tzinfo=SH)  # accept clock due at the end of Thursday 03-05
EDITED = datetime(2026, 3, 4, 11, 0, tzinfo=SH)
DUE_BEFORE, DUE_AFTER = datetime(2026, 3, 6, tzinfo=SH), datetime(2026, 3, 7, tzinfo=SH)


@pytest.fixture(autouse=True)
def world(departments, talent):
    seed_service_types()
    calendar_sync(year=2026)
    give_card(talent)
    run_recomputes()  # the calendar's own loading, before any request


def file_many(talent, n: int) -> list[ServiceRequest]:
    with time_machine.travel(FILED, tick=False):
        return [file_housing(talent) for _ in range(n)]


def close_thursday(admin_user) -> CalendarRecompute:
    with time_machine.travel(EDITED, tick=False):
        calendar_set_day(day=date(2026, 3, 5), is_workday=False, note="停电", actor=admin_user)
    return CalendarRecompute.objects.latest("pk")


def due_dates(requests) -> set:
    return set(
        ServiceRequest.objects.filter(pk__in=[r.pk for r in requests]).values_list(
            "accept_due_at", flat=True
        )
    )


def test_an_edit_records_a_recompute_and_moves_nothing_yet(talent, admin_user):
    requests = file_many(talent, 3)
    job = close_thursday(admin_user)
    assert (job.status, job.get_status_display()) == ("queued", "排队中")
    assert job.requested_by == admin_user and job.first_day == date(2026, 3, 5)
    assert job.reason == "将 2026-03-05 设为休息日"
    assert due_dates(requests) == {DUE_BEFORE}  # the page did not wait for them


def test_the_task_reports_progress_batch_by_batch_and_resumes_until_done(
    talent, admin_user, monkeypatch
):
    requests = file_many(talent, 7)
    job = close_thursday(admin_user)
    monkeypatch.setattr(recompute, "BATCH_SIZE", 3)
    seen = []
    while (outcome := recompute_run(job.pk, seconds=0)) == "continued":
        job.refresh_from_db()
        seen.append((job.status, job.stage, job.done, job.total, job.percent, job.lease_until))
    assert outcome == "done"
    # One batch per slice; the lease is let go between slices (the next task takes it).
    assert seen == [
        ("running", "requests", 3, 7, 42, None),
        ("running", "requests", 6, 7, 85, None),
        ("running", "requests", 7, 7, 99, None),
    ]
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.moved, job.failed_rows) == ("done", 7, 7, 7, 0)
    assert job.percent == 100 and job.finished_at is not None and job.lease_until is None
    assert due_dates(requests) == {DUE_AFTER}


def test_running_it_again_does_nothing(talent, admin_user, django_assert_num_queries):
    requests = file_many(talent, 2)
    job = close_thursday(admin_user)
    assert calendar_recompute(job.pk) == "done"
    with django_assert_num_queries(1):  # the claim finds nothing to claim
        assert calendar_recompute(job.pk) == "skipped"
    assert recomputes_retry(grace=timedelta(0)) == 0
    job.refresh_from_db()
    assert (job.status, job.done, job.moved) == ("done", 2, 2)
    assert due_dates(requests) == {DUE_AFTER}


def test_a_held_recompute_is_left_alone_until_its_lease_runs_out(talent, admin_user):
    requests = file_many(talent, 2)
    job = close_thursday(admin_user)
    # A worker took it and died: running, its lease still on.
    CalendarRecompute.objects.filter(pk=job.pk).update(
        status=RecomputeStatus.RUNNING, lease_until=datetime.now(SH) + timedelta(minutes=5)
    )
    assert recompute_run(job.pk) == "skipped"
    assert recomputes_retry(grace=timedelta(0)) == 0
    with time_machine.travel(timedelta(minutes=6)):
        assert recomputes_retry() == 1
    job.refresh_from_db()
    assert job.status == "done" and due_dates(requests) == {DUE_AFTER}


def test_a_bad_row_is_counted_and_the_others_are_recomputed(
    talent, admin_user, monkeypatch, caplog
):
    bad, *good = file_many(talent, 4)
    job = close_thursday(admin_user)
    derive = clocks.recompute

    def failing(req):
        if req.pk == bad.pk:
            raise ValueError("bad row")
        return derive(req)

    monkeypatch.setattr(clocks, "recompute", failing)
    with caplog.at_level(logging.ERROR, logger="services.clocks"):
        assert recompute_run(job.pk) == "done"
    assert any(bad.number in record.getMessage() for record in caplog.records)
    job.refresh_from_db()
    assert (job.status, job.done, job.moved, job.failed_rows) == ("done", 4, 3, 1)
    assert due_dates(good) == {DUE_AFTER} and due_dates([bad]) == {DUE_BEFORE}
    assert "1 件未能计算" in recompute.recompute_detail(job)


def test_a_failed_run_is_retried_by_the_periodic_job(talent, admin_user, monkeypatch):
    requests = file_many(talent, 2)
    job = close_thursday(admin_user)

    def down(changed):
        raise RuntimeError("database went away")

    monkeypatch.setattr(recompute, "open_candidates", down)
    assert recompute_run(job.pk) == "failed"
    job.refresh_from_db()
    assert (job.status, job.attempts, job.lease_until) == ("failed", 1, None)
    assert "RuntimeError" in job.error
    assert "系统将在一分钟后自动重试" in recompute.recompute_text(job)
    monkeypatch.undo()
    assert recomputes_retry() == 0  # not before a minute has passed
    with time_machine.travel(timedelta(minutes=2)):
        assert recomputes_retry() == 1
    job.refresh_from_db()
    assert job.status == "done" and due_dates(requests) == {DUE_AFTER}


def test_card_applications_follow_after_the_requests(criteria, admin_user, client_for):
    from cards.models import CardApplication
    from tests.cards_support import submitted
    from tests.factories import TalentFactory

    applicant = TalentFactory()
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SH), tick=False):
        app = submitted(client_for(applicant))  # 10 working days: end of Monday 03-16
    job = close_thursday(admin_user)
    assert recompute_run(job.pk) == "done"
    job.refresh_from_db()
    assert (job.done, job.moved) == (1, 1)
    moved = CardApplication.objects.get(pk=app["id"]).review_due_at
    assert moved == datetime(2026, 3, 18, tzinfo=SH)  # one working day later


# --- the pages ------------------------------------------------------------------------------
def test_an_edit_on_the_page_enqueues_the_task_after_commit(
    client, talent, admin_user, monkeypatch, django_capture_on_commit_callbacks
):
    requests = file_many(talent, 2)
    published = []
    monkeypatch.setattr(
        calendar_recompute, "apply_async", lambda args, **kw: published.append(args)
    )
    client.force_login(admin_user)
    with (
        time_machine.travel(EDITED, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            "/manage/calendar/?year=2026",
            {"date": "2026-03-05", "is_workday": "0", "note": "停电"},
            follow=True,
        )
    job = CalendarRecompute.objects.latest("pk")
    assert published == [(job.pk,)]
    page = response.content.decode()
    assert "未办结申请的期限正在按新日历重新计算，进度见工作日历页面。" in page
    assert "已排队，即将重新计算在办申请的期限…" in page
    assert f'data-recompute-url="/manage/calendar/recomputes/{job.pk}/"' in page
    assert due_dates(requests) == {DUE_BEFORE}


def test_with_the_broker_down_the_edit_succeeds_and_the_retry_job_runs_it(
    client, talent, admin_user, monkeypatch, django_capture_on_commit_callbacks
):
    requests = file_many(talent, 2)

    def refused(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(calendar_recompute, "apply_async", refused)
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/manage/calendar/days/2026-03-05/", {"is_workday": "0", "note": "停电"}
        )
    assert response.status_code == 302
    job = CalendarRecompute.objects.latest("pk")
    assert job.status == "queued"
    with time_machine.travel(timedelta(minutes=2)):
        assert recomputes_retry() == 1
    assert due_dates(requests) == {DUE_AFTER}


def test_the_page_shows_the_progress_and_then_the_result(client, talent, admin_user, handler):
    job = CalendarRecompute.objects.create(
        reason="将 2026-03-05 设为休息日",
        first_day=date(2026, 3, 5),
        status=RecomputeStatus.RUNNING,
        stage="requests",
        total=50,
        done=21,
    )
    client.force_login(handler)  # staff see the calendar, and whose deadlines move
    html = client.get("/manage/calendar/?year=2026").content.decode()
    assert "正在重新计算 50 件在办申请的期限… 42%" in html
    assert re.search(r'<progress max="100" value="42"[^>]*>42%</progress>', html)
    assert f'data-recompute-url="/manage/calendar/recomputes/{job.pk}/"' in html
    assert "data-recompute-follow" in html
    assert '<script src="/static/js/calendar-recompute.js" defer></script>' in html
    state = client.get(f"/manage/calendar/recomputes/{job.pk}/").json()
    assert state == {
        "id": job.pk,
        "status": "running",
        "status_label": "计算中",
        "total": 50,
        "done": 21,
        "moved": 0,
        "percent": 42,
        "finished": False,
        "text": "正在重新计算 50 件在办申请的期限… 42%",
        "detail": "将 2026-03-05 设为休息日。",
    }
    CalendarRecompute.objects.filter(pk=job.pk).update(
        status=RecomputeStatus.DONE, done=50, moved=12, finished_at=datetime.now(SH)
    )
    html = client.get("/manage/calendar/?year=2026").content.decode()
    assert "期限已按新日历重新计算（50 件）" in html
    assert "将 2026-03-05 设为休息日；其中 12 件期限有变化。" in html
    assert '<progress max="100" value="100"' in html and "data-recompute-follow" not in html
    assert client.get(f"/manage/calendar/recomputes/{job.pk}/").json()["finished"] is True
    # A day later the result is no longer shown.
    with time_machine.travel(timedelta(days=2)):
        client.force_login(handler)
        html = client.get("/manage/calendar/?year=2026").content.decode()
    assert "重新计算" not in html.split("<main", 1)[1].split("calendar-legend")[0]
    assert "calendar-recompute.js" not in html


def test_the_progress_endpoint_is_for_calendar_readers_only(client, talent, admin_user):
    job = close_thursday(admin_user)
    url = f"/manage/calendar/recomputes/{job.pk}/"
    assert client.get(url).status_code == 302  # visitors sign in first
    client.force_login(talent)
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(role=Role.AUDITOR))
    assert client.get(url).status_code == 404
    client.force_login(admin_user)
    assert client.get(url).json()["status"] == "queued"
    assert client.get("/manage/calendar/recomputes/999999/").status_code == 404


def test_the_api_answers_at_once_and_the_recompute_follows(talent, admin_user, client_for):
    requests = file_many(talent, 2)
    with time_machine.travel(EDITED, tick=False):
        api = client_for(admin_user)
        response = api.put("/api/v1/calendar/2026-03-05/", {"is_workday": False, "note": "停电"})
    assert response.status_code == 200 and response.json()["is_workday"] is False
    assert due_dates(requests) == {DUE_BEFORE}
    assert CalendarRecompute.objects.latest("pk").reason == "将 2026-03-05 设为休息日"
    run_recomputes()
    assert due_dates(requests) == {DUE_AFTER}


def test_a_change_that_leaves_the_running_clock_keeps_the_sweeps_place(talent, handler, admin_user):
    from services.supervision import sla_sweep

    (req,) = file_many(talent, 1)
    assert sla_sweep(now=datetime(2026, 3, 5, 9, 0, tzinfo=SH)) > 0  # due today: told
    req.refresh_from_db()
    swept = req.next_notice_at
    assert swept == req.due_at == DUE_BEFORE  # next look: when it is overdue
    promised = req.promised_due_at
    # A day off after the accept deadline: the talent's promise moves, the running clock not.
    with time_machine.travel(EDITED, tick=False):
        calendar_set_day(day=date(2026, 3, 20), is_workday=False, note="停电", actor=admin_user)
    job = CalendarRecompute.objects.latest("pk")
    assert recompute_run(job.pk) == "done"
    req.refresh_from_db()
    assert req.promised_due_at > promised and req.due_at == DUE_BEFORE
    assert req.next_notice_at == swept  # not set back to the start of the due day
    job.refresh_from_db()
    assert (job.done, job.moved) == (1, 1)


def test_after_the_last_attempt_the_page_says_it_stopped(client, talent, admin_user, monkeypatch):
    job = close_thursday(admin_user)
    CalendarRecompute.objects.filter(pk=job.pk).update(attempts=recompute.MAX_ATTEMPTS - 1)

    def down(changed):
        raise RuntimeError("database went away")

    monkeypatch.setattr(recompute, "open_candidates", down)
    assert recompute_run(job.pk) == "failed"
    with time_machine.travel(timedelta(minutes=2)):
        assert recomputes_retry() == 0  # no more attempts
    job.refresh_from_db()
    assert job.finished_at is not None and job.attempts == recompute.MAX_ATTEMPTS
    client.force_login(admin_user)
    html = client.get("/manage/calendar/?year=2026").content.decode()
    assert "重新计算期限多次出错，已停止，请联系系统管理员。" in html


def test_the_retry_job_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["calendar-recomputes-retry"]
    assert entry == {
        "task": "services.tasks.calendar_recomputes_retry",
        "schedule": timedelta(minutes=1),
    }
