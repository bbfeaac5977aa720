"""The department's desk (办件工作台), for its staff and leads: the queue by tab, nearest
deadline first, and the handling page of one request."""

from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from portal.identity import mask_name
from services.models import RequestStatus
from services.views.common import PAGE_SIZE, desk_page, mark_rows, visible_requests
from services.views.handling import handling_action, handling_detail
from services.workdays import end_of_day, local_date

TABS = [
    ("submitted", "待受理"),
    ("accepted", "办理中"),
    ("awaiting_talent", "待补正"),
    ("due_soon", "即将超期"),
    ("overdue", "已超期"),
]


def tab_filters(now) -> dict[str, Q]:
    """What each tab holds. A running clock is a non-null ``due_at`` (only open requests
    have one); "due soon" is a deadline by the end of today, i.e. the current working day's
    24:00 or already passed."""
    end_of_today = end_of_day(local_date(now))
    return {
        "submitted": Q(status=RequestStatus.SUBMITTED),
        "accepted": Q(status=RequestStatus.ACCEPTED),
        "awaiting_talent": Q(status=RequestStatus.AWAITING_TALENT),
        "due_soon": Q(due_at__isnull=False, due_at__lte=end_of_today),
        "overdue": Q(due_at__isnull=False, due_at__lte=now),
    }


@desk_page
@require_safe
def queue(request):
    """办件工作台: the department's requests of one tab, nearest deadline first."""
    now = timezone.now()
    filters = tab_filters(now)
    tab = request.GET.get("tab")
    if tab not in filters:
        tab = "submitted"
    mine = request.GET.get("mine") == "1"
    base = visible_requests(request.user)
    if mine:
        base = base.filter(assignee=request.user)
    # One query for every tab's count.
    counts = base.aggregate(**{key: Count("pk", filter=q) for key, q in filters.items()})
    queryset = base.filter(filters[tab]).order_by(
        # Served by servicerequest_queue_idx (department, status, due_at) / servicerequest_due_idx.
        F("due_at").asc(nulls_last=True),
        "submitted_at",
        "id",
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = mark_rows(page.object_list, now)
    for req in rows:
        req.talent_name_masked = mask_name(req.talent.real_name)
    page.object_list = rows
    query = {"tab": tab, **({"mine": "1"} if mine else {})}
    return render(
        request,
        "services/desk/queue.html",
        {
            "page": page,
            "tabs": [
                {"key": key, "label": label, "count": counts[key], "active": key == tab}
                for key, label in TABS
            ],
            "tab": tab,
            "tab_label": dict(TABS)[tab],
            "mine": mine,
            "query": "&".join(f"{k}={v}" for k, v in query.items()),
        },
    )


@desk_page
@require_safe
def request_detail(request, number: str):
    return handling_detail(request, number, "desk")


@desk_page
@require_POST
def request_action(request, number: str, action: str):
    return handling_action(request, number, action, "desk")
