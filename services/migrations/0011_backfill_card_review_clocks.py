"""The review clock (审核时限, cards 0003) for card applications submitted before it existed:
the limit of their kind, started at their first submission, paused by each return until its
resubmission, counted on the working-day calendar, which lives here (hence a services
migration: the layer above may read the card layer's tables, not the other way round).
Undecided ones get their running deadline, decided ones their frozen on-time verdict.
Uses the historical models only, so it keeps working whatever the domain code becomes
(cards.review_clock is the rule it follows)."""

import datetime
from zoneinfo import ZoneInfo

from django.db import migrations

SHANGHAI = ZoneInfo("Asia/Shanghai")
ONE_DAY = datetime.timedelta(days=1)
ESCALATE_AFTER_DAYS = 2
DEFAULT_DAYS = {"new": 10, "renewal": 5, "change": 5}


def backfill(apps, schema_editor):
    CardApplication = apps.get_model("cards", "CardApplication")
    ApplicationEvent = apps.get_model("cards", "ApplicationEvent")
    ReviewLimit = apps.get_model("cards", "ReviewLimit")
    CalendarDay = apps.get_model("services", "CalendarDay")
    days = dict(CalendarDay.objects.values_list("date", "is_workday"))
    limits = {**DEFAULT_DAYS, **dict(ReviewLimit.objects.values_list("kind", "working_days"))}

    def is_workday(day):
        return days.get(day, day.weekday() < 5), day in days

    def add_working_days(start, n):
        day, counted, verified = start, 0, True
        while counted < n:
            day += ONE_DAY
            workday, known = is_workday(day)
            counted += workday
            verified = verified and known
        return day, verified

    def working_days_between(after, through):
        count, day, verified = 0, after, True
        while day < through:
            day += ONE_DAY
            workday, known = is_workday(day)
            count += workday
            verified = verified and known
        return count, verified

    def local(moment):
        return moment.astimezone(SHANGHAI).date()

    def end_of_day(day):
        return datetime.datetime.combine(day + ONE_DAY, datetime.time.min, tzinfo=SHANGHAI)

    rows = CardApplication.objects.filter(
        review_started_at__isnull=True, submitted_at__isnull=False
    ).exclude(status="draft")
    for app in rows.iterator():
        events = list(
            ApplicationEvent.objects.filter(
                application=app, action__in=("submitted", "returned", "resubmitted")
            ).order_by("at", "id")
        )
        first = next((e.at for e in events if e.action == "submitted"), app.submitted_at)
        pauses = []
        for event in events:
            if event.action == "returned":
                pauses.append([event.at, None])
            elif event.action == "resubmitted" and pauses and pauses[-1][1] is None:
                pauses[-1][1] = event.at
        review_days = limits.get(app.kind, DEFAULT_DAYS["new"])
        shift, verified = 0, True
        for started, ended in pauses:
            if ended is not None:
                k, known = working_days_between(local(started), local(ended))
                shift, verified = shift + k, verified and known
        due_day, known = add_working_days(local(first), review_days + shift)
        escalate_day, known_too = add_working_days(due_day, ESCALATE_AFTER_DAYS)
        due_at, escalate_at = end_of_day(due_day), end_of_day(escalate_day)
        values = {
            "review_started_at": first,
            "review_days": review_days,
            "review_calendar_verified": verified and known and known_too,
        }
        returned_late = (
            app.status == "returned"
            and pauses
            and pauses[-1][1] is None
            and pauses[-1][0] >= due_at
        )
        if app.status == "submitted" or returned_late:
            values.update(
                review_due_at=due_at,
                review_escalate_at=escalate_at,
                review_next_notice_at=due_at - ONE_DAY,
            )
        elif app.status in ("approved", "rejected") and app.decided_at is not None:
            values["reviewed_on_time"] = app.decided_at < due_at
        CardApplication.objects.filter(pk=app.pk).update(**values)


class Migration(migrations.Migration):
    dependencies = [
        ("cards", "0003_review_clock"),
        ("services", "0010_servicetype_contact_and_address"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
