"""个人信息查看记录: the talent's own list of who revealed their full personal information,
when, why and what (PIPL art. 44–45: the person may know who read their details)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from portal.models import Role
from portal.reveal import access_log_for

PAGE_SIZE = 20


@login_required
@require_safe
def access_log(request):
    # Only talents have their details revealed to others; to anyone else the page does not
    # exist (404, the portal's convention for pages of another role).
    if request.user.role != Role.TALENT:
        raise Http404
    page = Paginator(access_log_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/access_log.html", {"page": page})
