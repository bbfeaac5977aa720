"""The department's desk (办件工作台), for its staff and leads: the queue by tab, nearest
deadline first, searchable; the lead's bad-rating follow-ups; the handling page of one
request."""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from portal.identity import mask_name
from portal.models import Role
from portal.paging import CountedPaginator
from portal.search import clean_query
from services.feedback import SCORE_LABELS
from services.forms import SEARCH_HELP
from services.models import OPEN_STATUSES, FollowUp, RequestStatus
from services.search import request_search
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
# While searching: every matching request, whatever its status.
ALL_TAB = ("all", "全部")
# Leads only: the department's open bad-rating follow-ups (回访整改).
FOLLOWUP_TAB = ("followups", "差评回访")


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
    """办件工作台: the department's requests of one tab, nearest deadline first; searched by
    number, card number or the applicant's name (services.search, as the API). A lead also has
    the department's open bad-rating follow-ups (差评回访). Tab, 只看我的 and the search stay
    in every link of the page, pagination included."""
    now = timezone.now()
    user = request.user
    q = clean_query(request.GET.get("q"))
    filters = tab_filters(now)
    tabs = list(TABS)
    if q:
        # A search looks for a request whatever its status, finished ones too.
        filters[ALL_TAB[0]] = Q()
        tabs.append(ALL_TAB)
    is_lead = user.role == Role.LEAD
    if is_lead:
        tabs.append(FOLLOWUP_TAB)
    tab = request.GET.get("tab")
    if tab not in dict(tabs):
        tab = ALL_TAB[0] if q else "submitted"
    on_followups = tab == FOLLOWUP_TAB[0]
    # 只看我的 stays in the links, but a lead's follow-ups are all theirs: it does not apply.
    mine_asked = request.GET.get("mine") == "1"
    mine = mine_asked and not on_followups
    found = request_search(visible_requests(user), q)
    base = found.filter(assignee=user) if mine else found
    # One query for every request tab's count. Without a search every tab holds open
    # requests only, so the count reads the partial index on open rows
    # (servicerequest_open_idx), never the department's finished history.
    counted = base if q else base.filter(status__in=OPEN_STATUSES)
    counts = counted.aggregate(**{key: Count("pk", filter=q_) for key, q_ in filters.items()})
    if is_lead:
        followups = open_followups(user, found if q else None)
        counts[FOLLOWUP_TAB[0]] = followups.count()

    def url(**change) -> str:
        params = {"tab": tab, "mine": "1" if mine_asked else "", "q": q, **change}
        return "?" + urlencode({k: v for k, v in params.items() if v})

    if on_followups:
        page = Paginator(followups, PAGE_SIZE).get_page(request.GET.get("page"))
        page.object_list = followup_rows(page.object_list, now)
    else:
        queryset = base.filter(filters[tab]).order_by(
            # Served by servicerequest_open_idx (department, status, due_at, …) for the status
            # tabs, servicerequest_dept_due_idx for the deadline ones; a search is served by
            # its own index (services.search).
            F("due_at").asc(nulls_last=True),
            "submitted_at",
            "id",
        )
        page = CountedPaginator(queryset, PAGE_SIZE, count=counts[tab]).get_page(
            request.GET.get("page")
        )
        rows = mark_rows(page.object_list, now)
        for req in rows:
            req.talent_name_masked = mask_name(req.talent.real_name)
        page.object_list = rows
    return render(
        request,
        "services/desk/queue.html",
        {
            "page": page,
            "tabs": [
                {
                    "key": key,
                    "label": label,
                    "count": counts[key],
                    "active": key == tab,
                    "url": url(tab=key),
                }
                for key, label in tabs
            ],
            "tab": tab,
            "tab_label": dict(tabs)[tab],
            "on_followups": on_followups,
            "mine": mine,
            "mine_asked": mine_asked,
            "mine_url": url(mine="1"),
            "everyone_url": url(mine=""),
            "q": q,
            "search_help": SEARCH_HELP,
            "clear_search_url": url(q="", tab="" if tab == ALL_TAB[0] else tab),
            "query": url(page="")[1:],
        },
    )


def open_followups(user, requests=None):
    """The open bad-rating follow-ups the lead must close (FollowUp.objects.visible_to: their
    department's), nearest deadline first, optionally only those of ``requests`` (a search).
    Served by followup_dept_open_due_idx (department, due_at) WHERE closed_at IS NULL."""
    followups = FollowUp.objects.visible_to(user).open()
    if requests is not None:
        followups = followups.filter(request__in=requests.values("pk"))
    return followups.select_related(
        "request__service_type", "request__talent", "request__rating"
    ).order_by("due_at", "id")


def followup_rows(followups, now) -> list[FollowUp]:
    """Rows of the 差评回访 tab, ready to show (no query)."""
    rows = list(followups)
    for followup in rows:
        req = followup.request
        rating = getattr(req, "rating", None)
        followup.overdue = followup.due_at <= now
        followup.score = rating.score if rating else None
        followup.score_label = SCORE_LABELS.get(followup.score, "")
        followup.talent_name_masked = mask_name(req.talent.real_name)
    return rows


@desk_page
@require_safe
def request_detail(request, number: str):
    return handling_detail(request, number, "desk")


@desk_page
@require_POST
def request_action(request, number: str, action: str):
    return handling_action(request, number, action, "desk")
