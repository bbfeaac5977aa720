"""`make bench` at a small N, so the benchmark keeps working as the code it measures changes:
the generated data must be what the portal itself would have written, and a measuring run
must reach every path and write its report (to a temporary file, never docs/)."""

import re

import pytest
from django.db.models import Count, Q

from bench.generate import generate
from bench.measure import Options, measure
from bench.report import write_report
from services.clocks import DERIVED, recompute
from services.models import (
    OPEN_STATUSES,
    DepartmentStint,
    FollowUp,
    Rating,
    RequestEvent,
    RequestPause,
    RequestStatus,
    ServiceRequest,
)
from services.workflow import handling_working_days

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

N = 2000


def test_bench_generates_a_consistent_year_and_measures_it(tmp_path):
    generated = generate(N)
    assert ServiceRequest.objects.count() == N == generated.counts["requests"]
    assert generated.talents >= 50

    statuses = dict(ServiceRequest.objects.values_list("status").annotate(n=Count("id")).order_by())
    assert set(statuses) <= set(RequestStatus.values)
    assert statuses.get(RequestStatus.CLOSED, 0) > N / 2
    open_share = sum(statuses.get(s, 0) for s in OPEN_STATUSES) / N
    assert 0.04 <= open_share <= 0.12, statuses
    for status in (*OPEN_STATUSES, RequestStatus.RESOLVED, RequestStatus.REJECTED):
        assert statuses.get(status, 0) > 0, status
    assert ServiceRequest.objects.values("department").distinct().count() == 8
    assert ServiceRequest.objects.values("service_type").distinct().count() == 7

    # The rules the CHECK constraints and the workflow keep.
    finished = ServiceRequest.objects.exclude(status__in=OPEN_STATUSES)
    assert not finished.filter(due_at__isnull=False).exists()
    assert not ServiceRequest.objects.filter(status="submitted", due_at__isnull=True).exists()
    assert ServiceRequest.objects.filter(due_at__lte=generated.now).exists()  # some overdue
    numbers = ServiceRequest.objects.values_list("number", flat=True)
    assert all(re.fullmatch(r"FW-\d{8}-\d{4,}", number) for number in numbers)
    assert len(set(numbers)) == N

    # Every request has a stint; a transferred one two, the first one closed.
    assert not ServiceRequest.objects.filter(stints__isnull=True).exists()
    counts = DepartmentStint.objects.values("request").annotate(
        n=Count("id"), current=Count("id", filter=Q(left_at__isnull=True))
    )
    assert {row["n"] for row in counts} == {1, 2}
    open_ids = set(ServiceRequest.objects.open().values_list("pk", flat=True))
    for row in counts:
        assert row["current"] == (1 if row["request"] in open_ids else 0)
    first_stints = DepartmentStint.objects.filter(
        request__in=[row["request"] for row in counts if row["n"] == 2]
    ).order_by("request", "entered_at")
    assert all(s.left_at is not None for s in first_stints[::2])

    # The timeline, pauses, ratings and follow-ups agree with the requests.
    assert RequestEvent.objects.filter(action="filed").count() == N
    assert RequestEvent.objects.filter(action="transferred").count() == sum(
        row["n"] == 2 for row in counts
    )
    assert (
        not RequestPause.objects.filter(ended_at__isnull=True)
        .exclude(request__status="awaiting_talent")
        .exists()
    )
    assert not Rating.objects.exclude(request__status="closed").exists()
    assert FollowUp.objects.count() == Rating.objects.filter(score__lte=2).count() > 0

    # The derived columns are what services.clocks.recompute derives from the same facts
    # (next_notice_at aside: it stands where the sweeps left it, not at the first level).
    sample = ServiceRequest.objects.prefetch_related("pauses").order_by("?")[:300]
    for req in sample:
        stored = {name: getattr(req, name) for name in DERIVED if name != "next_notice_at"}
        recompute(req)
        assert stored == {name: getattr(req, name) for name in stored}, req.number
        if req.resolved_at is not None:
            assert req.handling_working_days == handling_working_days(req, req.resolved_at)

    try:
        from services.rollups import drift
    except ImportError:
        drift = None
    if drift is not None:
        assert not drift()

    options = Options(
        var_dir=tmp_path,
        iterations=2,
        warmup=1,
        budget=5,
        export_timeout=120,
        qr_seconds=1,
        qr_connections=(2,),
        sweep_rows=50,
    )
    results = measure(options)
    assert results.data["recompute_checked"] == 500 and results.data["recompute_mismatched"] == 0
    report = tmp_path / "benchmarks.md"
    write_report(report, results, generated=generated, command="pytest tests/test_bench.py")

    assert len(results.paths) >= 35
    for path in results.paths:
        assert path.samples and path.queries, path.url
        # page 200 does not exist at 2,000 requests: the API says 404, a page its last page
        if "page=200" not in path.url:
            assert path.status == 200, (path.url, path.status, path.note)
    assert all(e.get("status") == 200 for e in results.exports), results.exports
    assert results.sweep["left"] == 0 and results.sweep["rows"] == 50
    # QR verification under load (wrk, or the Python load generator without it): every scan
    # of a fresh single-use token answered valid, with the sign-in and the scan statement.
    [qr] = results.qr
    assert qr["connections"] == 2 and qr["rps"] > 0, qr
    assert qr["answered"] > 0 and qr["valid"] == qr["answered"], qr
    assert qr["queries"] <= 3, qr
    assert results.plans and all("Execution Time" in plan.plan for plan in results.plans)

    text = report.read_text()
    for heading in ("## Data set", "## Latency per path", "## Plans of the hot queries"):
        assert heading in text
    assert "| staff request list (API) |" in text and "| SLA sweep" in text
    assert "| QR verification `POST /api/v1/cards/verify/` (" in text
    assert f"{N:,} requests" in text
