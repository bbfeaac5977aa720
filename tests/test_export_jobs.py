"""Big exports with progress (issue 12 point 4, API.md "Big exports, with progress"): a job
started by an admin, run by the worker with progress, its file downloaded by that admin only
and deleted after 24 hours; the direct export streams; the dashboard's buttons show the bar."""

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery import current_app
from django.db.models.query import QuerySet
from openpyxl import load_workbook
from rest_framework.test import APIClient

from portal import jobs
from portal.models import AuditEvent, Job, JobStatus
from services import exports
from services.calendar import calendar_sync
from services.feedback import request_rate
from services.filing import request_file
from services.seed import seed_service_types
from services.workflow import request_accept, request_resolve
from tests.conftest import celery_broker
from tests.factories import UserFactory
from tests.requests_support import HOUSING, give_card

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def at(day, hour=9):
    return datetime(2026, 3, day, hour, 0, tzinfo=SH)


@pytest.fixture
def march(departments, talent, handler):
    """Five housing requests filed in March (one resolved and rated 4 stars), one in April."""
    seed_service_types()
    calendar_sync(year=2026)
    give_card(talent)
    filed = []
    for day in (2, 3, 4, 5, 6, 1):
        moment = at(day) if day != 1 else datetime(2026, 4, 1, 9, 0, tzinfo=SH)
        with time_machine.travel(moment, tick=False):
            filed.append(request_file(talent=talent, service_type="HOUSING", fields=dict(HOUSING)))
    with time_machine.travel(at(9), tick=False):
        done = request_resolve(
            req=request_accept(req=filed[0], actor=handler), actor=handler, note="已配租"
        )
        request_rate(req=done, actor=talent, score=4)
    return filed[:5]


@pytest.fixture
def admin(client_for, admin_user):
    return client_for(admin_user)


@pytest.fixture
def sent(monkeypatch):
    """The job ids sent to the broker (after commit), instead of a real publish."""
    ids = []
    monkeypatch.setattr(jobs.run_job, "apply_async", lambda args, **kw: ids.append(args[0]))
    return ids


def start(client, **body):
    return client.post("/api/v1/exports/", {"kind": "requests", "format": "csv", **MARCH, **body})


def download(client, job_id):
    return client.get(f"/api/v1/exports/{job_id}/download/")


def body_of(response) -> bytes:
    assert response.streaming, "a download is streamed, never built in memory"
    return b"".join(response.streaming_content)


# --- the contract ---------------------------------------------------------------------------
def test_an_export_is_queued_after_commit_run_by_the_worker_and_downloaded_masked(
    march, admin, admin_user, talent, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = start(admin)
    assert response.status_code == 202
    job_id = response.json()["id"]
    assert response.json() == {"id": job_id, "status": "queued"}
    assert response["Location"] == f"/api/v1/exports/{job_id}/"
    # Nothing reaches the broker inside the request's transaction; after commit, the job id.
    assert sent == [] and len(callbacks) == 1
    callbacks[0]()
    assert sent == [job_id]

    queued = admin.get(f"/api/v1/exports/{job_id}/").json()
    assert queued["status"] == "queued" and queued["progress"] == 0
    assert queued["download_url"] is None and queued["error"] is None
    assert download(admin, job_id).status_code == 409

    assert jobs.job_run(job_id) == "done"
    done = admin.get(f"/api/v1/exports/{job_id}/").json()
    assert done["status"] == "done" and done["status_label"] == "已完成"
    assert done["progress"] == 100 and done["rows"] == 5 and done["total"] == 5
    assert done["download_url"] == f"/api/v1/exports/{job_id}/download/"
    assert done["format"] == "csv" and done["period"] == MARCH

    response = download(admin, job_id)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="bazhou-sla-20260301-20260331-requests.csv"' in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    text = body_of(response).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == exports.REQUEST_HEADER and table[0][:3] == ["编号", "服务事项", "承办部门"]
    assert [row[0] for row in table[1:]] == [r.number for r in march]  # March only, in order
    first = dict(zip(table[0], table[1], strict=True))
    assert first["申请人"] == "李*" and first["手机号码"] == "138****2688"
    assert first["状态"] == "已归档" and first["评分"] == "4" and first["按时办结"] == "是"
    assert talent.phone not in text and talent.real_name not in text
    assert talent.id_number not in text

    started = AuditEvent.objects.get(action="sla.export_start")
    downloaded = AuditEvent.objects.get(action="sla.export_download")
    for event in (started, downloaded):
        assert event.actor == admin_user
        assert (event.object_type, event.object_id) == ("portal.job", str(job_id))
        assert event.detail["kind"] == "requests" and event.detail["format"] == "csv"


def test_the_xlsx_export_opens_with_openpyxl_and_has_the_rows(march, admin, talent, sent):
    job_id = start(admin, format="xlsx").json()["id"]
    jobs.job_run(job_id)
    response = download(admin, job_id)
    assert response["Content-Type"] == exports.XLSX_TYPE
    assert 'filename="bazhou-sla-20260301-20260331.xlsx"' in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(body_of(response)), read_only=True)
    assert book.sheetnames == ["服务申请", "按部门汇总", "按事项汇总"]
    rows = list(book["服务申请"].iter_rows(values_only=True))
    assert rows[0] == tuple(exports.REQUEST_HEADER)
    assert [row[0] for row in rows[1:]] == [r.number for r in march]
    assert rows[1][5:7] == ("李*", "138****2688") and rows[1][15] == 4
    zjj = next(r for r in book["按部门汇总"].iter_rows(values_only=True) if r[0] == "ZJJ")
    assert zjj[1] == "区住房和城乡建设局" and zjj[2] == 5
    cells = " ".join(str(c) for sheet in book for row in sheet.iter_rows(values_only=True)
                     for c in row)  # fmt: skip
    assert talent.phone not in cells and talent.real_name not in cells
    assert Job.objects.get(pk=job_id).rows == 5


def test_the_summary_export(march, admin, sent):
    job_id = start(admin, kind="summary").json()["id"]
    jobs.job_run(job_id)
    table = list(csv.reader(io.StringIO(body_of(download(admin, job_id)).decode("utf-8-sig"))))
    assert table[0] == exports.SUMMARY_HEADER
    assert table[[r[0] for r in table].index("ZJJ")][:3] == ["ZJJ", "区住房和城乡建设局", "5"]
    assert Job.objects.get(pk=job_id).rows == len(table) - 1  # one per department

    xlsx = start(admin, kind="summary", format="xlsx").json()["id"]
    jobs.job_run(xlsx)
    book = load_workbook(io.BytesIO(body_of(download(admin, xlsx))), read_only=True)
    assert book.sheetnames == ["按部门汇总", "按事项汇总"]


def test_progress_is_reported_every_few_thousand_rows_and_reaches_100(
    march, admin, sent, monkeypatch
):
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 2)
    seen = []
    real = jobs.job_progress

    def spy(job, *, rows, total):
        real(job, rows=rows, total=total)
        seen.append(Job.objects.values_list("status", "progress", "rows").get(pk=job.pk))

    monkeypatch.setattr(jobs, "job_progress", spy)
    job_id = start(admin).json()["id"]
    jobs.job_run(job_id)
    # The count at the start (0 of 5), then every second row; below 100 until the file is whole.
    assert seen == [("running", 0, 0), ("running", 40, 2), ("running", 80, 4)]
    assert Job.objects.values_list("status", "progress", "rows").get(pk=job_id) == (
        "done",
        100,
        5,
    )


def test_an_empty_period_exports_a_header_only(march, admin, sent):
    job_id = start(admin, **{"from": "2025-01-01", "to": "2025-01-31"}).json()["id"]
    jobs.job_run(job_id)
    job = admin.get(f"/api/v1/exports/{job_id}/").json()
    assert job["status"] == "done" and job["progress"] == 100 and job["rows"] == 0
    assert body_of(download(admin, job_id)).decode("utf-8-sig").count("\n") == 1


# --- who may ----------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["talent", "handler", "lead", "auditor", "verifier"])
def test_only_admins_start_exports(march, client_for, request, persona, sent):
    response = start(client_for(request.getfixturevalue(persona)))
    assert response.status_code == 403
    assert not Job.objects.exists() and sent == []


def test_a_job_is_its_requesters_alone(march, admin, client_for, departments, lead, sent):
    job_id = start(admin).json()["id"]
    jobs.job_run(job_id)
    other = client_for(UserFactory(username="admin2", role="admin", department=departments["ZZB"]))
    assert other.get(f"/api/v1/exports/{job_id}/").status_code == 404
    assert download(other, job_id).status_code == 404
    assert client_for(lead).get(f"/api/v1/exports/{job_id}/").status_code == 404
    assert admin.get("/api/v1/exports/999999/").status_code == 404
    assert not AuditEvent.objects.filter(action="sla.export_download").exists()


def test_anonymous_callers_are_told_to_sign_in(march, admin, api, sent):
    job_id = start(admin).json()["id"]
    assert start(api).status_code == 401
    assert api.get(f"/api/v1/exports/{job_id}/").status_code == 401
    assert download(api, job_id).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": None}, "kind"),
        ({"kind": "everything"}, "kind"),
        ({"format": "pdf"}, "format"),
        ({"format": None}, "format"),
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-03-31", "to": "2026-03-01"}, "to"),
        ({"from": "2000-01-01", "to": "2026-03-01"}, "to"),
    ],
)
def test_bad_input_is_a_400_in_chinese(march, admin, body, field, sent):
    payload = {"kind": "requests", "format": "csv", **MARCH, **body}
    payload = {key: value for key, value in payload.items() if value is not None}
    response = admin.post("/api/v1/exports/", payload)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert all(CJK.search(message) for message in response.json()[field])
    assert not Job.objects.exists() and not AuditEvent.objects.filter(action__startswith="sla.")


# --- 24 hours ----------------------------------------------------------------------------------
def test_the_file_expires_after_24_hours_and_the_upkeep_deletes_it(
    march, admin_user, sent, settings
):
    # Signed in for good: a token or a session would itself expire within the 24 hours.
    admin = APIClient()
    admin.force_authenticate(admin_user)
    job_id = start(admin).json()["id"]
    jobs.job_run(job_id)
    job = Job.objects.get(pk=job_id)
    path = settings.PRIVATE_UPLOAD_ROOT / job.file
    assert path.is_file() and str(path).startswith(str(settings.PRIVATE_UPLOAD_ROOT / "jobs"))
    assert job.expires_at == job.finished_at + timedelta(hours=24)

    with time_machine.travel(job.expires_at - timedelta(seconds=1), tick=False):
        assert download(admin, job_id).status_code == 200
        assert jobs.jobs_upkeep() == {"expired": 0, "requeued": 0}
    with time_machine.travel(job.expires_at, tick=False):
        gone = download(admin, job_id)
        status = admin.get(f"/api/v1/exports/{job_id}/").json()
        assert jobs.jobs_upkeep() == {"expired": 1, "requeued": 0}
        assert jobs.jobs_upkeep() == {"expired": 0, "requeued": 0}  # idempotent
    assert gone.status_code == 410
    assert gone.json()["detail"] == "导出文件已过期删除（文件保留24小时），请重新导出。"
    assert status["status"] == "done" and status["expired"] is True
    assert status["download_url"] is None
    job.refresh_from_db()
    assert not path.exists() and job.file == "" and job.file_deleted_at is not None
    assert download(admin, job_id).status_code == 410


def test_one_bad_row_does_not_stop_the_upkeep(march, admin, sent, monkeypatch):
    ids = [start(admin).json()["id"] for _ in range(3)]
    for job_id in ids:
        jobs.job_run(job_id)
    broken = Job.objects.get(pk=ids[1]).file
    storage_type = type(jobs.private_storage())
    real_delete = storage_type.delete

    def delete(self, name):
        if name == broken:
            raise PermissionError("read-only file system")
        return real_delete(self, name)

    monkeypatch.setattr(storage_type, "delete", delete)
    with time_machine.travel(timedelta(hours=25)):
        assert jobs.jobs_upkeep()["expired"] == 2
    assert list(Job.objects.filter(pk__in=ids).order_by("pk").values_list("file", flat=True)) == [
        "",
        broken,
        "",
    ]


def test_the_upkeep_is_in_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["upkeep-jobs"]
    assert entry["task"] == jobs.upkeep_jobs.name == "portal.jobs.upkeep_jobs"
    assert entry["schedule"] == timedelta(minutes=1)
    assert "portal.jobs.run_job" in current_app.tasks


# --- the worker: idempotent, restartable ------------------------------------------------------
def test_a_done_job_is_not_redone(march, admin, sent, settings):
    job_id = start(admin).json()["id"]
    assert jobs.job_run(job_id) == "done"
    first = Job.objects.get(pk=job_id)
    assert jobs.job_run(job_id) == "skipped"
    again = Job.objects.get(pk=job_id)
    assert (again.file, again.attempt, again.finished_at) == (
        first.file,
        1,
        first.finished_at,
    )
    assert len(list((settings.PRIVATE_UPLOAD_ROOT / "jobs").rglob("*"))) == 3  # Y/, m/, file


def test_a_job_running_elsewhere_is_left_alone_and_a_dead_run_restarts_cleanly(march, admin, sent):
    job_id = start(admin).json()["id"]
    # A worker took it, wrote half a file and died.
    crashed = jobs.job_start(job_id)
    jobs.job_progress(crashed, rows=2, total=5)
    # The same task delivered again while the run still shows signs of life: nothing happens.
    assert jobs.job_run(job_id) == "skipped"
    assert Job.objects.get(pk=job_id).attempt == 1
    # Ten minutes of silence: the redelivered task starts over, into a new file.
    with time_machine.travel(timedelta(minutes=11)):
        assert jobs.job_run(job_id) == "done"
    job = Job.objects.get(pk=job_id)
    assert (job.status, job.attempt, job.rows, job.progress) == ("done", 2, 5, 100)
    text = body_of(download(admin, job_id)).decode("utf-8-sig")
    assert len(text.strip().splitlines()) == 6
    # The dead run, should it wake up, may no longer write anything.
    with pytest.raises(jobs.Superseded):
        jobs.job_progress(crashed, rows=3, total=5)
    assert not jobs.job_fail(crashed, error="x")
    assert Job.objects.get(pk=job_id).status == "done"


def test_the_upkeep_requeues_a_dead_run_and_gives_up_after_three(
    march, admin, sent, django_capture_on_commit_callbacks
):
    job_id = start(admin).json()["id"]
    for attempt in (1, 2, 3):
        assert jobs.job_start(job_id).attempt == attempt  # a worker takes it and dies
        with (
            time_machine.travel(timedelta(minutes=11 * attempt)),
            django_capture_on_commit_callbacks(execute=True),
        ):
            result = jobs.jobs_upkeep()
        if attempt < 3:
            assert result["requeued"] == 1 and sent[-1] == job_id
            assert Job.objects.get(pk=job_id).status == "queued"
    job = Job.objects.get(pk=job_id)
    assert job.status == "failed" and job.error == jobs.GAVE_UP_TEXT
    assert jobs.job_run(job_id) == "skipped"


def test_a_failing_producer_fails_the_job_with_a_chinese_message(
    march, admin, sent, monkeypatch, settings, caplog
):
    def broken(requests, run=None):
        yield ["FW-20260302-0001"]
        raise RuntimeError("connection to server lost: secret internals")

    monkeypatch.setattr(exports, "request_rows", broken)
    job_id = start(admin).json()["id"]
    assert jobs.job_run(job_id) == "failed"
    job = admin.get(f"/api/v1/exports/{job_id}/").json()
    assert job["status"] == "failed" and job["error"] == jobs.FAILED_TEXT
    assert "internals" not in str(job) and job["download_url"] is None
    assert "secret internals" in caplog.text  # the operators' log has the cause
    # The half-written file is gone.
    assert not [p for p in (settings.PRIVATE_UPLOAD_ROOT / "jobs").rglob("*") if p.is_file()]


# --- a broker outage ---------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_still_answers_202_and_the_retry_delivers(
    march, client_for, admin_user, settings, caplog
):
    from portal import delivery

    with celery_broker("redis://127.0.0.1:1/0", settings.REDIS_BROKER_TRANSPORT_OPTIONS):
        delivery._breaker["until"] = 0.0
        response = start(client_for(admin_user))
    assert response.status_code == 202
    job_id = response.json()["id"]
    assert any("broker unavailable" in r.getMessage() for r in caplog.records)
    assert Job.objects.get(pk=job_id).status == "queued"
    # Too early to send again (the task may just be on its way).
    assert jobs.jobs_upkeep()["requeued"] == 0
    # The broker is back; the upkeep sends the job again and the worker runs it.
    delivery._breaker["until"] = 0.0
    current_app.conf.task_always_eager = True
    try:
        with time_machine.travel(timedelta(minutes=3)):
            assert jobs.jobs_upkeep()["requeued"] == 1
    finally:
        current_app.conf.task_always_eager = False
    job = Job.objects.get(pk=job_id)
    assert (job.status, job.rows, job.progress) == ("done", 5, 100)


# --- memory bounded by construction ------------------------------------------------------------
@pytest.fixture
def reads(monkeypatch):
    """How the export's rows are read: (chunk size) per .iterator(), and every full load of a
    queryset shaped like the export's (a list of every row)."""
    seen = {"iterator": [], "full": 0}
    export_fields = tuple(field for _, field, _ in exports.REQUEST_COLUMNS)
    real_iterator, real_fetch = QuerySet.iterator, QuerySet._fetch_all

    def iterator(self, chunk_size=None):
        if getattr(self, "_fields", None) == export_fields:
            seen["iterator"].append(chunk_size)
        return real_iterator(self, chunk_size=chunk_size)

    def fetch_all(self):
        if getattr(self, "_fields", None) == export_fields and self._result_cache is None:
            seen["full"] += 1
        return real_fetch(self)

    monkeypatch.setattr(QuerySet, "iterator", iterator)
    monkeypatch.setattr(QuerySet, "_fetch_all", fetch_all)
    return seen


def test_every_export_reads_its_rows_in_chunks_and_writes_xlsx_write_only(
    march, admin, sent, reads, monkeypatch
):
    books = []
    real_workbook = exports.Workbook

    def workbook(*args, **kwargs):
        books.append(kwargs)
        return real_workbook(*args, **kwargs)

    monkeypatch.setattr(exports, "Workbook", workbook)
    for fmt in ("csv", "xlsx"):
        jobs.job_run(start(admin, format=fmt).json()["id"])
    direct_csv = admin.get("/api/v1/sla/export/?from=2026-03-01&to=2026-03-31&format=csv")
    body_of(direct_csv)
    direct_xlsx = admin.get("/api/v1/sla/export/?from=2026-03-01&to=2026-03-31&format=xlsx")
    body_of(direct_xlsx)
    assert reads["iterator"] == [exports.CHUNK] * 4 and exports.CHUNK == 2000
    assert reads["full"] == 0
    assert books == [{"write_only": True}] * 2
    assert type(direct_xlsx).__name__ == "FileResponse"
    assert type(direct_csv).__name__ == "StreamingHttpResponse"


def test_no_query_per_row(march, talent, admin, sent):
    def export_queries() -> int:
        job_id = start(admin).json()["id"]
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            jobs.job_run(job_id)
        return len(queries)

    few = export_queries()
    for day in range(10, 20):
        with time_machine.travel(at(day), tick=False):
            request_file(talent=talent, service_type="HOUSING", fields=dict(HOUSING))
    assert export_queries() == few


# --- the dashboard's buttons ------------------------------------------------------------------
def page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_dashboard_offers_job_buttons_a_progress_bar_and_the_direct_links(
    client, admin_user, lead, march
):
    html = page(client, admin_user, "/manage/dashboard/?from=2026-03-01&to=2026-03-31")
    forms = re.findall(
        r'<form method="post" action="/manage/exports/"[^>]*>(.*?)</form>', html, re.S
    )
    assert len(forms) == 3
    for form, (kind, fmt, label) in zip(
        forms,
        [
            ("requests", "xlsx", "导出 Excel"),
            ("requests", "csv", "导出申请明细 CSV"),
            ("summary", "csv", "导出部门汇总 CSV"),
        ],
        strict=True,
    ):
        assert 'name="csrfmiddlewaretoken"' in form
        assert f'name="kind" value="{kind}"' in form and f'name="format" value="{fmt}"' in form
        assert 'name="from" value="2026-03-01"' in form and 'name="to" value="2026-03-31"' in form
        assert f'<button type="submit" class="outline small-button">{label}</button>' in form
    assert html.count('data-api="/api/v1/exports/"') == 3
    assert '<div class="export-progress" id="export-progress" hidden>' in html
    assert '<progress max="100" aria-labelledby="export-progress-text"></progress>' in html
    assert 'role="status" data-export-text>排队中</span>' in html
    assert '<script src="/static/js/export-jobs.js"></script>' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "no inline script"
    # The direct downloads stay, for short periods.
    assert "/api/v1/sla/export/?from=2026-03-01&amp;to=2026-03-31&amp;format=csv" in html
    # A lead's dashboard has no exports.
    lead_html = page(client, lead, "/manage/dashboard/?from=2026-03-01&to=2026-03-31")
    assert "/manage/exports/" not in lead_html and "export-jobs.js" not in lead_html


def test_the_script_says_what_the_page_says():
    from django.conf import settings

    script = (settings.BASE_DIR / "static" / "js" / "export-jobs.js").read_text()
    for words in ('"排队中"', '"导出中 "', '"已完成，"', '"导出失败："', jobs.GONE_TEXT):
        assert words in script
    assert '"X-CSRFToken"' in script and 'getAttribute("data-api")' in script


def test_without_javascript_the_button_leads_to_the_jobs_page(
    client, admin_user, departments, march, sent
):
    client.force_login(admin_user)
    response = client.post("/manage/exports/", {"kind": "requests", "format": "xlsx", **MARCH})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/manage/exports/{job.pk}/"
    assert AuditEvent.objects.filter(action="sla.export_start").count() == 1
    html = page(client, admin_user, f"/manage/exports/{job.pk}/")
    assert "<h1>导出申请明细（Excel）</h1>" in html
    assert f'data-status-url="/api/v1/exports/{job.pk}/"' in html
    assert '<progress max="100" aria-labelledby="export-status-text">0%</progress>' in html
    assert ">排队中</span>" in html and ">刷新进度</a>" in html
    assert "<a data-export-link hidden download>下载</a>" in html

    jobs.job_start(job.pk)
    jobs.job_progress(Job.objects.get(), rows=2, total=5)
    html = page(client, admin_user, f"/manage/exports/{job.pk}/")
    assert '<progress max="100" value="40"' in html and ">导出中 40%</span>" in html

    Job.objects.filter(pk=job.pk).update(status="queued", attempt=0)
    jobs.job_run(job.pk)
    html = page(client, admin_user, f"/manage/exports/{job.pk}/")
    link = f'<a data-export-link href="/api/v1/exports/{job.pk}/download/" download>下载</a>'
    assert ">已完成，</span>" in html and link in html and "data-finished" in html
    assert "刷新进度" not in html
    # The link works with the session.
    response = client.get(f"/api/v1/exports/{job.pk}/download/")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(body_of(response)), read_only=True)
    assert book.sheetnames[0] == "服务申请"


def test_the_jobs_page_is_its_requesters_and_shows_failures(
    client, admin_user, departments, march, sent
):
    client.force_login(admin_user)
    client.post("/manage/exports/", {"kind": "summary", "format": "csv", **MARCH})
    job = Job.objects.get()
    other = UserFactory(username="admin2", role="admin", department=departments["ZZB"])
    client.force_login(other)
    assert client.get(f"/manage/exports/{job.pk}/").status_code == 404
    Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error=jobs.TIMEOUT_TEXT)
    html = page(client, admin_user, f"/manage/exports/{job.pk}/")
    assert f">导出失败：{jobs.TIMEOUT_TEXT}</span>" in html


def test_a_bad_form_goes_back_to_the_dashboard_with_a_message(client, admin_user, march):
    client.force_login(admin_user)
    response = client.post(
        "/manage/exports/", {"kind": "requests", "format": "pdf", **MARCH}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/manage/dashboard/"
    assert "导出参数有误" in response.content.decode()
    assert not Job.objects.exists()
    assert client.get("/manage/exports/").status_code == 405


def test_the_schema_describes_the_export_endpoints(client):
    schema = client.get("/api/schema/").content.decode()
    for path in (
        "/api/v1/exports/:",
        "/api/v1/exports/{id}/:",
        "/api/v1/exports/{id}/download/:",
    ):
        assert path in schema


# --- a real worker -----------------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("real_broker")  # the broker database of tests/test_worker.py
def test_a_real_worker_runs_the_export_it_is_sent(
    march, client_for, admin_user, tmp_path, settings
):
    """Not eager mode: the task is found by a worker process (portal.jobs, CELERY_IMPORTS),
    writes into the private storage and the requester downloads the result."""
    import redis

    from tests.test_worker import Worker, _broker_url, wait_for

    redis.Redis.from_url(_broker_url()).flushdb()
    worker = Worker(tmp_path, UPLOAD_ROOT=str(settings.PRIVATE_UPLOAD_ROOT))
    with celery_broker(_broker_url(), settings.REDIS_BROKER_TRANSPORT_OPTIONS):
        worker.start()
        try:
            client = client_for(admin_user)
            job_id = start(client, format="xlsx").json()["id"]
            wait_for(
                lambda: Job.objects.get(pk=job_id).status in ("done", "failed"),
                timeout=60,
                what="the export job",
            )
        finally:
            worker.stop()
    job = Job.objects.get(pk=job_id)
    assert (job.status, job.rows, job.progress, job.attempt) == ("done", 5, 100, 1)
    book = load_workbook(io.BytesIO(body_of(download(client, job_id))), read_only=True)
    assert [row[0] for row in book["服务申请"].iter_rows(min_row=2, values_only=True)] == [
        r.number for r in march
    ]
