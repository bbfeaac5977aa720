"""The inbox page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from portal.models import Notification
from portal.notify import notification_mark_read, notifications_mark_all_read, unread_count


@login_required
def inbox(request):
    items = Notification.objects.visible_to(request.user)
    page = Paginator(items, 20).get_page(request.GET.get("page"))
    return render(
        request, "portal/inbox.html", {"page": page, "unread": unread_count(request.user)}
    )


@login_required
@require_POST
def read_all(request):
    """全部已读: every unread message of the inbox, not only the page shown."""
    count = notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("已将 %(count)s 条消息标为已读。") % {"count": count})
    else:
        messages.info(request, _("没有未读消息。"))
    return redirect("portal:inbox")


@login_required
@require_POST
def open_notification(request, pk: int):
    notification = get_object_or_404(Notification.objects.visible_to(request.user), pk=pk)
    notification_mark_read(notification=notification)
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return redirect(link)
    return redirect("portal:inbox")
