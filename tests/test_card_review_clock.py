"""The card application's own time limit (审核时限), at exact instants on the 2026 calendar.

2026 as the State Council arranged it: Spring Festival off 02-15 to 02-23, Saturdays 02-14
and 02-28 make-up working days. A new application is given 10 working days, a renewal or change 5
(ReviewLimit, seeded by migration).
"""

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from cards.models import CardApplication, CardReviewNotice, ReviewLimit
from cards.review_supervision import review_supervise
from portal.models import AuditEvent, Notification, Role
from services.calendar import calendar_set_day, calendar_sync
from services.supervision import sla_sweep
from tests.cards_support import approved, draft, submitted, upload
from tests.factories import TalentFactory, UserFactory
from tests.recompute_support import run_recomputes

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture(autouse=True)
def world(criteria, departments):
    calendar_sync(year=2026)


def fresh(app: dict) -> CardApplication:
    return CardApplication.objects.get(pk=app["id"])


def submit_at(client, moment, **extra) -> dict:
    with time_machine.travel(moment, tick=False):
        return submitted(client, **extra)


def act(client, moment, app: dict, verb: str, data=None):
    with time_machine.travel(moment, tick=False):
        response = client.post(f"/api/v1/card-applications/{app['id']}/{verb}/", data or {})
    assert response.status_code == 200, response.content
    return response.json()


def read(client, moment, app: dict) -> dict:
    with time_machine.travel(moment, tick=False):
        return client.get(f"/api/v1/card-applications/{app['id']}/").json()


RETURN = {"items": ["劳动合同缺少签字页"], "note": ""}
# A resubmission answers the return (an empty one is refused).
SUPPLY = {"note": "已补充劳动合同签字页"}


# --- the deadline ---------------------------------------------------------------------------
def test_ten_working_days_across_the_spring_festival_end_at_24_00_of_the_tenth(
    talent, other_talent, admin_user, client_for
):
    """Submitted Friday 02-13: 02-14 (make-up Saturday), 02-24, 25, 26, 27, 02-28 (make-up
    Saturday), 03-02, 03, 04, 05 → due at the end of Thursday 03-05, i.e. 03-06 00:00 (a
    Monday–Friday count would say 03-02). Decided at 23:59:59 is on time, at 00:00 late."""
    admin = client_for(admin_user)
    early = submit_at(client_for(talent), at(2026, 2, 13, 10, 0))
    late = submit_at(client_for(other_talent), at(2026, 2, 13, 16, 30))
    review = early["review"]
    assert review["days"] == 10
    assert review["due_at"] == "2026-03-06T00:00:00+08:00"
    assert review["escalate_at"] == "2026-03-10T00:00:00+08:00"  # 03-06, 03-09 after it
    assert review["overdue"] is False and review["calendar_verified"] is True
    assert late["review"]["due_at"] == review["due_at"]  # the hour of submission is irrelevant

    assert read(admin, at(2026, 3, 5, 23, 59, 59), late)["review"]["overdue"] is False
    assert read(admin, at(2026, 3, 6, 0, 0), late)["review"]["overdue"] is True

    on_time = act(admin, at(2026, 3, 5, 23, 59, 59), early, "approve")
    too_late = act(admin, at(2026, 3, 6, 0, 0), late, "reject", {"reason": "材料不实"})
    assert on_time["review"]["reviewed_on_time"] is True
    assert too_late["review"]["reviewed_on_time"] is False
    # The running columns are cleared at the decision; the verdict stays.
    for app in (early, late):
        row = fresh(app)
        assert (row.review_due_at, row.review_escalate_at, row.review_next_notice_at) == (
            None,
            None,
            None,
        )
    assert fresh(early).reviewed_on_time is True and fresh(late).reviewed_on_time is False
    audit = AuditEvent.objects.get(action="card_application.approve")
    assert audit.detail["on_time"] is True


def test_the_limit_is_data_and_copied_at_submission(talent, other_talent, admin_user, client_for):
    first = submit_at(client_for(talent), at(2026, 3, 2, 9, 0))
    ReviewLimit.objects.filter(kind="new").update(working_days=3)
    second = submit_at(client_for(other_talent), at(2026, 3, 2, 9, 0))
    # 10 days from Monday 03-02 → Monday 03-16; 3 days → Thursday 03-05 (ends 03-06 00:00).
    assert (
        first["review"]["days"] == 10 and first["review"]["due_at"] == "2026-03-17T00:00:00+08:00"
    )
    assert (
        second["review"]["days"] == 3 and second["review"]["due_at"] == "2026-03-06T00:00:00+08:00"
    )
    # A calendar correction recomputes with the limit each was submitted under.
    calendar_set_day(day=at(2026, 3, 4).date(), is_workday=False, note="停电", actor=admin_user)
    run_recomputes()
    assert fresh(first).review_due_at == at(2026, 3, 18, 0, 0)
    assert fresh(second).review_due_at == at(2026, 3, 7, 0, 0)
    assert (fresh(first).review_days, fresh(second).review_days) == (10, 3)


def test_the_talent_office_edits_a_limit_in_the_admin(
    client, talent, other_talent, admin_user, client_for
):
    before = submit_at(client_for(talent), at(2026, 3, 2, 9, 0))
    limit = ReviewLimit.objects.get(kind="new")
    client.force_login(admin_user)
    url = f"/admin/cards/reviewlimit/{limit.pk}/change/"
    refused = client.post(url, {"working_days": "0"})
    assert refused.status_code == 200 and ReviewLimit.objects.get(kind="new").working_days == 10
    assert client.post(url, {"working_days": "7"}).status_code == 302
    limit.refresh_from_db()
    assert (limit.working_days, limit.updated_by) == (7, admin_user)
    event = AuditEvent.objects.get(action="review_limit.change")
    assert event.detail["working_days"] == 7 and event.object_id == str(limit.pk)
    after = submit_at(client_for(other_talent), at(2026, 3, 2, 9, 0))
    # Monday 03-02 + 7: 03-03 … 03-11; the application submitted before keeps its 10 days.
    assert after["review"]["days"] == 7
    assert after["review"]["due_at"] == "2026-03-12T00:00:00+08:00"
    assert read(client_for(admin_user), at(2026, 3, 2, 10, 0), before)["review"]["days"] == 10


def test_a_change_of_employer_gets_five_working_days(talent, admin_user, client_for):
    client = client_for(talent)
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        approved(client, client_for(admin_user))
    change = submit_at(client, at(2026, 3, 3, 9, 0), kind="change")
    assert change["kind"] == "change"
    # Tuesday 03-03 + 5: 03-04, 05, 06, 09, 10.
    assert change["review"]["days"] == 5
    assert change["review"]["due_at"] == "2026-03-11T00:00:00+08:00"


# --- a return pauses the clock ----------------------------------------------------------------
def test_a_return_pauses_the_clock_and_the_resubmission_moves_it_by_the_pause(
    talent, admin_user, client_for
):
    """Submitted Monday 03-02 (due end of 03-16), returned Wednesday 03-04, resubmitted Monday
    03-09: k = 03-05, 03-06, 03-09 = 3 working days, so due at the end of 03-19."""
    admin, own = client_for(admin_user), client_for(talent)
    app = submit_at(own, at(2026, 3, 2, 9, 0))
    assert app["review"]["due_at"] == "2026-03-17T00:00:00+08:00"
    returned = act(admin, at(2026, 3, 4, 15, 0), app, "return", RETURN)
    assert returned["review"]["paused"] is True
    assert returned["review"]["due_at"] is None and returned["review"]["days"] == 10
    # While the talent corrects, nothing falls due and nothing is sent.
    assert sla_sweep(now=at(2026, 3, 20, 0, 0)) == 0
    resumed = act(own, at(2026, 3, 9, 11, 0), app, "submit", SUPPLY)
    assert resumed["review"]["paused"] is False
    assert resumed["review"]["due_at"] == "2026-03-20T00:00:00+08:00"
    # Returned and resubmitted the same day: k = 0, the deadline stays.
    act(admin, at(2026, 3, 10, 9, 0), app, "return", RETURN)
    again = act(own, at(2026, 3, 10, 17, 0), app, "submit", SUPPLY)
    assert again["review"]["due_at"] == "2026-03-20T00:00:00+08:00"


def test_returned_after_the_deadline_it_stays_overdue_and_supervised(
    talent, admin_user, client_for
):
    admin, own = client_for(admin_user), client_for(talent)
    app = submit_at(own, at(2026, 3, 2, 9, 0))  # due end of 03-16
    returned = act(admin, at(2026, 3, 17, 10, 0), app, "return", RETURN)
    assert returned["review"]["paused"] is False
    assert returned["review"]["due_at"] == "2026-03-17T00:00:00+08:00"
    assert returned["review"]["overdue"] is True
    # 督办 two working days after the deadline (03-17, 03-18) reaches it while it waits.
    assert sweep(at(2026, 3, 19, 0, 0)) == [
        ("card_review_escalated", "admin"),
        ("card_review_overdue", "admin"),
    ]
    # Resubmitted Thursday 03-19: k = 2 (03-18, 03-19), the deadline moves by the pause and
    # the lateness stays what it was.
    resumed = act(own, at(2026, 3, 19, 10, 0), app, "submit", SUPPLY)
    assert resumed["review"]["due_at"] == "2026-03-19T00:00:00+08:00"
    assert resumed["review"]["overdue"] is True


def test_the_backfill_gives_earlier_applications_the_same_clock(
    talent, other_talent, admin_user, client_for
):
    """services 0011 recomputes, from the events and the calendar, what the transitions
    would have stored for applications submitted before the clock existed."""
    import importlib

    from django.apps import apps

    backfill = importlib.import_module(
        "services.migrations.0011_backfill_card_review_clocks"
    ).backfill
    admin, own = client_for(admin_user), client_for(talent)
    paused_then_resumed = submit_at(own, at(2026, 3, 2, 9, 0))
    act(admin, at(2026, 3, 4, 15, 0), paused_then_resumed, "return", RETURN)
    act(own, at(2026, 3, 9, 11, 0), paused_then_resumed, "submit", SUPPLY)
    decided_late = submit_at(client_for(other_talent), at(2026, 2, 13, 9, 0))
    act(admin, at(2026, 3, 6, 0, 0), decided_late, "approve")
    columns = [
        "review_days", "review_started_at", "review_due_at", "review_escalate_at",
        "review_next_notice_at", "reviewed_on_time", "review_calendar_verified",
    ]  # fmt: skip
    expected = list(CardApplication.objects.order_by("pk").values_list(*columns))
    CardApplication.objects.update(
        review_days=None,
        review_started_at=None,
        review_due_at=None,
        review_escalate_at=None,
        review_next_notice_at=None,
        reviewed_on_time=None,
    )
    backfill(apps, None)
    assert list(CardApplication.objects.order_by("pk").values_list(*columns)) == expected
    assert expected[0][2] == at(2026, 3, 20, 0, 0) and expected[1][5] is False


# --- the sweep --------------------------------------------------------------------------------
def sweep(moment) -> list[tuple[str, str]]:
    """Run the supervision sweep at ``moment``; the (kind, recipient) pairs it wrote."""
    before = set(Notification.objects.values_list("pk", flat=True))
    with time_machine.travel(moment, tick=False):
        sla_sweep()
    new = Notification.objects.exclude(pk__in=before).filter(kind__startswith="card_review_")
    return sorted(new.values_list("kind", "recipient__username"))


def test_the_sweep_sends_each_level_once_at_its_instant(
    talent, admin_user, handler, lead, client_for
):
    UserFactory(username="admin2", role=Role.ADMIN, department=admin_user.department)
    app = submit_at(client_for(talent), at(2026, 2, 13, 10, 0))  # due end of 03-05
    assert sweep(at(2026, 3, 4, 23, 59, 59)) == []
    # From the start of the due day, to the admins who review (not to handlers or leads).
    assert sweep(at(2026, 3, 5, 0, 0)) == [
        ("card_review_due_soon", "admin"),
        ("card_review_due_soon", "admin2"),
    ]
    assert sweep(at(2026, 3, 5, 0, 0)) == []  # a second sweep sends nothing
    assert sweep(at(2026, 3, 5, 23, 59, 59)) == []
    assert sweep(at(2026, 3, 6, 0, 0)) == [
        ("card_review_overdue", "admin"),
        ("card_review_overdue", "admin2"),
    ]
    # 督办: two working days after the deadline (03-06, 03-09).
    assert sweep(at(2026, 3, 9, 23, 59, 59)) == []
    assert sweep(at(2026, 3, 10, 0, 0)) == [
        ("card_review_escalated", "admin"),
        ("card_review_escalated", "admin2"),
    ]
    assert sweep(at(2026, 4, 30, 0, 0)) == []
    assert list(CardReviewNotice.objects.values_list("level", "deadline")) == [
        ("due_soon", at(2026, 3, 6, 0, 0)),
        ("overdue", at(2026, 3, 6, 0, 0)),
        ("escalated", at(2026, 3, 6, 0, 0)),
    ]
    escalation = Notification.objects.get(kind="card_review_escalated", recipient=admin_user)
    assert escalation.link == f"/manage/applications/{app['id']}/"
    assert "督办" in escalation.title and "2026-03-05 24:00" in escalation.body
    assert "李*" in escalation.body and "李明" not in escalation.body
    assert fresh(app).review_next_notice_at is None  # nothing more to look at


def test_a_decided_application_is_no_longer_supervised(talent, admin_user, client_for):
    app = submit_at(client_for(talent), at(2026, 2, 13, 10, 0))
    assert sweep(at(2026, 3, 5, 8, 0)) == [("card_review_due_soon", "admin")]
    act(client_for(admin_user), at(2026, 3, 5, 9, 0), app, "approve")
    assert sweep(at(2026, 3, 20, 0, 0)) == []


def test_a_retried_sweep_sends_nothing_twice(talent, admin_user, client_for):
    app = submit_at(client_for(talent), at(2026, 2, 13, 10, 0))
    now = at(2026, 3, 7, 0, 0)
    assert review_supervise(app["id"], now) == 1  # overdue (due_soon was skipped: too late)
    # A worker that crashed after sending but before moving the row on: the notice row decides.
    CardApplication.objects.filter(pk=app["id"]).update(review_next_notice_at=at(2026, 3, 6))
    assert review_supervise(app["id"], now) == 0
    assert list(CardReviewNotice.objects.values_list("level", flat=True)) == ["overdue"]
    assert Notification.objects.filter(kind__startswith="card_review_").count() == 1


def test_the_sweep_reads_only_due_applications(talent, other_talent, client_for,
                                                django_assert_max_num_queries):  # fmt: skip
    submit_at(client_for(talent), at(2026, 3, 2, 9, 0))
    submit_at(client_for(other_talent), at(2026, 3, 2, 9, 0))
    # The requests' due rows, the applications' due rows, and the subsidies' part
    # (subsidies.supervision): instalments falling due, entitlements' and instalments' due rows;
    # and the talents' visit sweep (talents.supervision): the liaisons due.
    with django_assert_max_num_queries(6):
        assert sla_sweep(now=at(2026, 3, 10, 0, 0)) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_nothing_twice(criteria, departments, talent, admin_user,
                                               client_for):  # fmt: skip
    calendar_sync(year=2026)
    submit_at(client_for(talent), at(2026, 2, 13, 10, 0))  # due end of 03-05
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(sla_sweep(now=at(2026, 3, 11, 0, 0)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 2  # overdue and escalated, once each, to the one admin
    assert sorted(CardReviewNotice.objects.values_list("level", flat=True)) == [
        "escalated",
        "overdue",
    ]


# --- the pages --------------------------------------------------------------------------------
def test_the_talent_page_tells_the_limit_and_the_due_date(client, talent, admin_user, client_for):
    own = client_for(talent)
    with time_machine.travel(at(2026, 2, 12, 10, 0), tick=False):
        app = draft(own)
        client.force_login(talent)
        page = client.get(f"/card/applications/{app['id']}/").content.decode()
    assert "审核时限：</strong>10 个工作日，自提交的次日起算" in page
    with time_machine.travel(at(2026, 2, 13, 10, 0), tick=False):
        for kind in app["missing_evidence"]:
            upload(own, app["id"], kind)
        assert own.post(f"/api/v1/card-applications/{app['id']}/submit/").status_code == 200
        client.force_login(talent)  # sessions last 8 hours
        page = client.get(f"/card/applications/{app['id']}/").content.decode()
    assert "审核时限：</strong>10 个工作日，应于 2026-03-05 24:00 前办结。" in page
    act(client_for(admin_user), at(2026, 2, 24, 9, 0), app, "return", RETURN)
    with time_machine.travel(at(2026, 2, 24, 10, 0), tick=False):
        client.force_login(talent)
        page = client.get(f"/card/applications/{app['id']}/").content.decode()
    assert "退回补正期间暂停计时" in page and "应于" not in page


def queue(client, moment, query="") -> str:
    with time_machine.travel(moment, tick=False):
        response = client.get(f"/manage/applications/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_the_review_queue_shows_sorts_by_and_marks_the_deadline(
    client, talent, other_talent, admin_user, client_for
):
    # Submitted first with 10 days, then with 3: the later one falls due first.
    slow = submit_at(client_for(talent), at(2026, 3, 2, 9, 0))  # end of 03-16
    ReviewLimit.objects.filter(kind="new").update(working_days=3)
    fast = submit_at(client_for(other_talent), at(2026, 3, 3, 9, 0))  # end of 03-06
    client.force_login(admin_user)
    html = queue(client, at(2026, 3, 9, 10, 0))
    fast_row = html.index(f'href="/manage/applications/{fast["id"]}/"')
    slow_row = html.index(f'href="/manage/applications/{slow["id"]}/"')
    assert fast_row < slow_row  # nearest deadline first, though submitted later
    assert 'data-review-due="2026-03-06 24:00"' in html
    assert 'data-review-due="2026-03-16 24:00"' in html
    fast_cell = html[fast_row : html.index("</tr>", fast_row)]
    slow_cell = html[slow_row : html.index("</tr>", slow_row)]
    assert "已超期" in fast_cell and "已超期" not in slow_cell
    overdue_only = queue(client, at(2026, 3, 9, 10, 0), "?status=open&overdue=1")
    assert f"/manage/applications/{fast['id']}/" in overdue_only
    assert f"/manage/applications/{slow['id']}/" not in overdue_only
    with time_machine.travel(at(2026, 3, 9, 10, 0), tick=False):
        review = client.get(f"/manage/applications/{fast['id']}/").content.decode()
    assert "审核时限：</strong>3 个工作日，应于 2026-03-06 24:00 前办结。" in review
    assert "已超期" in review


# --- the dashboard ----------------------------------------------------------------------------
@pytest.fixture
def march(admin_user, client_for):
    """Five applications, figures for March 2026 seen at 2026-03-20 12:00:

    A submitted 03-02, approved 03-05 (due end of 03-16): received, reviewed on time.
    B submitted 02-13, approved 03-09 (due end of 03-05): reviewed late; received in February.
    C submitted 03-02, still open (due end of 03-16; 督办 from 03-19 00:00): open, overdue.
    D submitted 03-10, still open (due end of 03-24): open.
    E returned in time on 03-11 (submitted 03-10): open, clock standing still.
    F a draft: nothing.
    """
    admin = client_for(admin_user)
    people = {x: client_for(TalentFactory(username=f"t{x}")) for x in "ABCDEF"}
    apps = {
        "A": submit_at(people["A"], at(2026, 3, 2, 9, 0)),
        "B": submit_at(people["B"], at(2026, 2, 13, 9, 0)),
        "C": submit_at(people["C"], at(2026, 3, 2, 9, 0)),
        "D": submit_at(people["D"], at(2026, 3, 10, 9, 0)),
        "E": submit_at(people["E"], at(2026, 3, 10, 9, 0)),
    }
    with time_machine.travel(at(2026, 3, 1, 9, 0), tick=False):
        apps["F"] = draft(people["F"])
    act(admin, at(2026, 3, 5, 9, 0), apps["A"], "approve")
    act(admin, at(2026, 3, 9, 9, 0), apps["B"], "approve")
    act(admin, at(2026, 3, 11, 9, 0), apps["E"], "return", RETURN)
    return apps


MARCH = "?from=2026-03-01&to=2026-03-31"
NOW = at(2026, 3, 20, 12, 0)


def test_the_summary_counts_card_reviews_on_time(march, admin_user, lead, client_for):
    with time_machine.travel(NOW, tick=False):
        body = client_for(admin_user).get(f"/api/v1/sla/summary/{MARCH}").json()
        february = (
            client_for(admin_user).get("/api/v1/sla/summary/?from=2026-02-01&to=2026-02-28").json()
        )
        mine = client_for(lead).get(f"/api/v1/sla/summary/{MARCH}").json()
    # On time ÷ (reviewed + open overdue) = 1 ÷ (2 + 1).
    assert body["card_reviews"] == {
        "received": 4,  # A, C, D, E were first submitted in March (B in February)
        "reviewed": 2,  # A, B
        "reviewed_on_time": 1,  # A
        "open": 3,  # C, D, E
        "open_overdue": 1,  # C
        "escalated": 1,  # C
        "on_time_rate": 0.3333,
    }
    # February: B was received then; nothing was decided, nothing filed then is still open.
    assert february["card_reviews"] == {
        "received": 1,
        "reviewed": 0,
        "reviewed_on_time": 0,
        "open": 0,
        "open_overdue": 0,
        "escalated": 0,
        "on_time_rate": None,
    }
    assert mine["card_reviews"] is None  # a lead: card reviews are not their department's


def test_the_dashboard_page_shows_card_reviews_with_constant_queries(
    march, client, admin_user, lead, client_for, django_assert_max_num_queries
):
    client.force_login(admin_user)
    with time_machine.travel(NOW, tick=False):
        html = client.get(f"/manage/dashboard/{MARCH}").content.decode()
    section = html[
        html.index('id="card-reviews"') : html.index("</section>", html.index('id="card-reviews"'))
    ]
    cells = section[section.index("<tbody>") : section.index("</tbody>")]
    assert "优才卡审核" in section
    assert [c.split(">")[-1] for c in cells.replace("</a>", "").split("</td>")[:-1]] == [
        "4", "2", "1", "3", "1", "1", "33.3%",
    ]  # fmt: skip
    assert "首次申请 10 个、续期 5 个、变更 5 个工作日" in section
    with django_assert_max_num_queries(60) as before, time_machine.travel(NOW, tick=False):
        client.get(f"/manage/dashboard/{MARCH}")
    baseline = len(before)  # now: the next request clears the connection's query log
    for n in range(6):
        submit_at(client_for(TalentFactory(username=f"more{n}")), at(2026, 3, 3, 9, 0))
    with django_assert_max_num_queries(baseline), time_machine.travel(NOW, tick=False):
        client.get(f"/manage/dashboard/{MARCH}")
    client.force_login(lead)
    with time_machine.travel(NOW, tick=False):
        assert 'id="card-reviews"' not in client.get(f"/manage/dashboard/{MARCH}").content.decode()
