"""The supervision sweep in bulk (issue 12 point 6, issue 13 point 1): a batch writes its
notices, notifications and deliveries in a constant number of statements, exactly once per
request, clock, level and deadline, even with two sweeps at once; a bad row is set aside for an
hour and the rest of the batch is notified."""

import logging
import threading
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from cards import review_supervision
from cards.models import CardApplication, CardReviewNotice
from cards.review_supervision import review_sweep_tally
from portal.models import Delivery, Notification
from portal.sweep import RETRY_AFTER, NoticeSweep
from services import supervision
from services.calendar import calendar_sync
from services.models import ServiceRequest, SlaNotice
from services.seed import seed_service_types
from services.supervision import RequestSweep, sla_sweep, sla_sweep_tally, supervise
from tests.cards_support import submitted
from tests.factories import TalentFactory
from tests.requests_support import file_housing, give_card

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
FILED = datetime(2026, 2, 26, 10, 0, tzinfo=SH)  # accept clock due at the end of 02-27
LATE = datetime(2026, 3, 9, 9, 0, tzinfo=SH)  # overdue (→ the lead) and escalated (→ admin)
CARD_FILED = datetime(2026, 2, 13, 10, 0, tzinfo=SH)  # review due at the end of 03-05
CARD_LATE = datetime(2026, 3, 11, 0, 0, tzinfo=SH)  # overdue and escalated


@pytest.fixture(autouse=True)
def world(departments, talent, handler, lead, admin_user):
    seed_service_types()
    calendar_sync(year=2026)
    give_card(talent)
    for person, email in ((lead, "lead@zjj.example.cn"), (admin_user, "admin@zzb.example.cn")):
        person.email = email
        person.save()


def file_many(talent, n: int) -> list[ServiceRequest]:
    with time_machine.travel(FILED, tick=False):
        return [file_housing(talent) for _ in range(n)]


def test_a_batch_sends_exactly_once_in_statements_that_do_not_grow_with_it(
    talent, lead, admin_user, django_capture_on_commit_callbacks
):
    queries, publishes = {}, {}
    for n in (5, 50):
        requests = file_many(talent, n)
        with (
            CaptureQueriesContext(connection) as captured,
            django_capture_on_commit_callbacks() as callbacks,
        ):
            assert sla_sweep(now=LATE) == 2 * n
        queries[n], publishes[n] = len(captured), len(callbacks)
        ids = [req.pk for req in requests]
        notices = SlaNotice.objects.filter(request_id__in=ids)
        assert set(notices.values_list("clock", "level")) == {
            ("accept", "escalated"),
            ("accept", "overdue"),
        }
        assert notices.count() == 2 * n
        sent = Notification.objects.filter(dedupe_key__in=_keys(notices, lead, admin_user))
        assert sent.count() == 2 * n
        # Urgent levels: e-mail and SMS to each recipient (both have a phone and an address).
        assert Delivery.objects.filter(notification__in=sent).count() == 4 * n
        assert all(r.next_notice_at is None for r in ServiceRequest.objects.filter(pk__in=ids))
    assert queries[5] == queries[50], queries
    # Deliveries are enqueued after commit a chunk per task, not one task each.
    assert publishes == {5: 1, 50: 4}
    # A sweep retried after a crash (rows due again, notices already written) sends nothing.
    ServiceRequest.objects.update(next_notice_at=LATE - timedelta(days=1))
    assert sla_sweep(now=LATE) == 0
    assert SlaNotice.objects.count() == 110
    assert Notification.objects.filter(kind__startswith="sla_").count() == 110


def _keys(notices, lead, admin_user) -> list[str]:
    return [
        f"sla:{pk}:{(admin_user if level == 'escalated' else lead).pk}"
        for pk, level in notices.values_list("pk", "level")
    ]


def test_one_request_alone_and_a_batch_send_the_same(talent, lead, admin_user):
    alone, *_others = file_many(talent, 3)
    assert supervise(alone.pk, LATE) == 2
    assert supervise(alone.pk, LATE) == 0  # moved on: no longer due
    assert sla_sweep(now=LATE) == 4
    assert Notification.objects.filter(kind="sla_escalated", recipient=admin_user).count() == 3


def test_a_row_that_fails_to_plan_is_set_aside_and_the_others_are_notified(
    talent, monkeypatch, caplog
):
    poisoned, *healthy = file_many(talent, 4)
    levels = supervision._levels_reached

    def failing(req, now):
        if req.pk == poisoned.pk:
            raise ValueError("bad row")
        return levels(req, now)

    monkeypatch.setattr(supervision, "_levels_reached", failing)
    with caplog.at_level(logging.ERROR, logger="services.supervision"):
        tally = sla_sweep_tally(now=LATE)
    assert (tally.rows, tally.sent, tally.failed) == (4, 6, 1)
    assert any(poisoned.number in record.getMessage() for record in caplog.records)
    assert not SlaNotice.objects.filter(request=poisoned).exists()
    assert SlaNotice.objects.filter(request__in=healthy).count() == 6
    poisoned.refresh_from_db()
    assert poisoned.next_notice_at == LATE + RETRY_AFTER
    assert sla_sweep(now=LATE + timedelta(minutes=30)) == 0  # not before its hour
    monkeypatch.setattr(supervision, "_levels_reached", levels)  # repaired
    assert sla_sweep(now=LATE + RETRY_AFTER) == 2
    assert SlaNotice.objects.filter(request=poisoned).count() == 2


def test_a_row_whose_writes_fail_is_found_and_the_others_are_written(talent, monkeypatch, caplog):
    first, poisoned, last = file_many(talent, 3)
    plan = RequestSweep.plan

    def poisoning(self, req, now, people):
        result = plan(self, req, now, people)
        if req.pk == poisoned.pk:
            for reached in result.reached:  # a title the database refuses (NOT NULL)
                reached.messages = [replace(m, title=None) for m in reached.messages]
        return result

    monkeypatch.setattr(RequestSweep, "plan", poisoning)
    with caplog.at_level(logging.WARNING):
        tally = sla_sweep_tally(now=LATE)
    assert (tally.rows, tally.sent, tally.failed) == (3, 4, 1)
    assert any(poisoned.number in record.getMessage() for record in caplog.records)
    # The bad row's notices went with its failed messages: nothing half-written.
    assert not SlaNotice.objects.filter(request=poisoned).exists()
    assert SlaNotice.objects.filter(request__in=(first, last)).count() == 4
    assert Notification.objects.filter(kind__startswith="sla_").count() == 4
    poisoned.refresh_from_db()
    assert poisoned.next_notice_at == LATE + RETRY_AFTER


def test_a_card_application_that_fails_is_set_aside_too(criteria, monkeypatch, caplog):
    applications = [app.pk for app in _due_applications(3)]
    levels = review_supervision._levels_reached

    def failing(app, now):
        if app.pk == applications[0]:
            raise ValueError("bad row")
        return levels(app, now)

    monkeypatch.setattr(review_supervision, "_levels_reached", failing)
    with caplog.at_level(logging.ERROR, logger="cards.review_supervision"):
        tally = review_sweep_tally(now=CARD_LATE)
    assert (tally.rows, tally.sent, tally.failed) == (3, 4, 1)  # overdue and escalated, twice
    assert any(f"#{applications[0]}" in record.getMessage() for record in caplog.records)
    bad = CardApplication.objects.get(pk=applications[0])
    assert bad.review_next_notice_at == CARD_LATE + RETRY_AFTER
    assert not CardReviewNotice.objects.filter(application=bad).exists()
    assert CardReviewNotice.objects.count() == 4


def _due_applications(n: int) -> list[CardApplication]:
    apps = []
    for _ in range(n):
        client = APIClient()
        client.force_authenticate(TalentFactory())
        with time_machine.travel(CARD_FILED, tick=False):
            apps.append(CardApplication.objects.get(pk=submitted(client)["id"]))
    return apps


# --- two sweeps at once -----------------------------------------------------------------------
def _run(name: str, results: dict, **kwargs):
    def target():
        try:
            results[name] = sla_sweep(now=LATE, **kwargs)
        finally:
            connection.close()

    return threading.Thread(target=target, name=name)


def _assert_sent_once(n: int):
    keys = list(Notification.objects.filter(kind__startswith="sla_").values_list("dedupe_key"))
    assert len(keys) == 2 * n and len(set(keys)) == 2 * n
    assert SlaNotice.objects.count() == 2 * n
    assert Delivery.objects.filter(notification__kind__startswith="sla_").count() == 4 * n


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sweep_finds_the_batch_another_holds_locked_and_skips_it(talent, monkeypatch):
    file_many(talent, 6)
    claimed, go = threading.Event(), threading.Event()

    def hold(self, rows):
        if threading.current_thread().name == "first":
            claimed.set()  # the first sweep holds the batch's row locks...
            assert go.wait(10)

    monkeypatch.setattr(NoticeSweep, "claimed", hold)
    results = {}
    first, second = _run("first", results), _run("second", results)
    first.start()
    assert claimed.wait(10)
    second.start()  # ...while the second sweeps from start to end
    second.join(10)
    assert not second.is_alive()
    go.set()
    first.join(10)
    assert results == {"first": 12, "second": 0}
    _assert_sent_once(6)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sweep_that_read_the_due_rows_before_another_committed_claims_nothing(
    talent, monkeypatch
):
    file_many(talent, 6)
    read, go = threading.Event(), threading.Event()
    batch = NoticeSweep.batch

    def late_claim(self, ids, now):
        if threading.current_thread().name == "late" and ids:
            read.set()  # the late sweep has read the due ids and not claimed them yet
            assert go.wait(10)
        return batch(self, ids, now)

    monkeypatch.setattr(NoticeSweep, "batch", late_claim)
    results = {}
    late, early = _run("late", results), _run("early", results)
    late.start()
    assert read.wait(10)
    early.start()  # the other sweeps and commits everything
    early.join(10)
    go.set()
    late.join(10)
    assert results == {"early": 12, "late": 0}
    _assert_sent_once(6)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_in_small_batches_at_once_send_each_notice_once(talent):
    file_many(talent, 30)
    barrier = threading.Barrier(2)
    results = {}

    def run(name):
        try:
            barrier.wait()
            results[name] = sla_sweep(now=LATE, batch_size=4)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results["a"] + results["b"] == 60
    _assert_sent_once(30)


def test_the_deliveries_of_a_batch_are_sent_once_by_their_task(talent, lead, admin_user):
    from django.core import mail

    from portal.tasks import send_deliveries

    file_many(talent, 3)
    sla_sweep(now=LATE)
    ids = list(
        Delivery.objects.filter(notification__kind__startswith="sla_").values_list("pk", flat=True)
    )
    assert len(ids) == 12
    assert send_deliveries(ids) == {"sent": 12}
    assert send_deliveries(ids) == {"skipped": 12}  # a task delivered twice sends nothing again
    assert len([m for m in mail.outbox if "超期" in m.subject]) == 6
