"""The Django admin, opened to the organization department only.

Its own login form is replaced by the portal's, so the admin cannot be used to get around the
lockout; only role ``admin`` (and a bootstrap superuser) passes ``has_permission``.
"""

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login


class PortalAdminSite(admin.AdminSite):
    site_header = "巴州优才卡 管理后台"
    site_title = "巴州优才卡 管理后台"
    index_title = "组织部人才办 管理"

    def login(self, request, extra_context=None):
        return redirect_to_login(request.GET.get("next") or "/admin/")
