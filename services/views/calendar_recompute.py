"""The progress of a deadline recomputation after a calendar change (issue 12 point 7), on
the calendar page: a <progress> bar per recomputation still running (or the last one finished
within a day), followed by static/js/calendar-recompute.js through a small JSON endpoint.

Without JavaScript the bar shows the state at the time the page was drawn, and reloading the
page shows the next. Everyone who sees the calendar (admins, leads, staff) sees the bar: their
deadlines are the ones being recomputed.
"""

from django.http import Http404, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from portal.models import Role
from portal.pages import role_page
from services.models import CalendarRecompute
from services.recompute import recompute_json, recomputes_shown

calendar_readers = role_page(Role.ADMIN, Role.LEAD, Role.STAFF)

# The end of the message after a calendar change: the page it leads to shows the progress.
RECOMPUTING = "未办结申请的期限正在按新日历重新计算，进度见工作日历页面。"


def recomputes_context() -> list[dict]:
    """What the calendar page's bars start from (two queries at most)."""
    return [
        {**recompute_json(r), "url": reverse("services:calendar-recompute", args=[r.pk])}
        for r in recomputes_shown()
    ]


@calendar_readers
@require_safe
def calendar_recompute_status(request, pk: int):
    """GET /manage/calendar/recomputes/<id>/: one recomputation's progress, as JSON."""
    recompute = CalendarRecompute.objects.filter(pk=pk).first()
    if recompute is None:
        raise Http404
    response = JsonResponse(recompute_json(recompute), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response
