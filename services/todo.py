"""待办: the requests that wait for a handler's action now, counted for the header
(registered with portal.todo from ServicesConfig.ready)."""

from django.db.models import Count, Q
from django.urls import reverse

from portal.models import Role
from services.models import RequestStatus, ServiceRequest


def todo_filter(user) -> Q:
    """What needs ``user``'s action now, within their department's requests:

    - 待受理 (submitted): anyone of the department may accept, and the accept clock runs;
    - 办理中 (accepted) assigned to ``user``, or to nobody (then the department must pick
      it up or the lead assign it).

    Not 待补正: the clock is paused and the talent has the next move. Not other handlers'
    requests in progress: those are theirs to do.
    """
    return Q(status=RequestStatus.SUBMITTED) | Q(
        Q(assignee=user) | Q(assignee__isnull=True), status=RequestStatus.ACCEPTED
    )


def todo_count(user) -> int:
    """One COUNT over the department's rows in the two statuses, served by the partial index
    on open rows, servicerequest_open_idx (department, status, due_at, …)."""
    # Counted as a filtered aggregate over the department's rows in the two statuses, so the
    # planner reads them in one index-only range scan instead of OR-ing bitmaps of the
    # assignee index (which covers the whole history).
    two = (RequestStatus.SUBMITTED, RequestStatus.ACCEPTED)
    rows = ServiceRequest.objects.visible_to(user).filter(status__in=two).order_by()
    return rows.aggregate(n=Count("id", filter=todo_filter(user)))["n"]


def desk_todo(user):
    """The portal.todo provider: staff and leads see their count, linking to their desk."""
    if user.role not in (Role.STAFF, Role.LEAD) or not user.department_id:
        return None
    return todo_count(user), reverse("services:desk")
