from django.urls import path

from portal.views import access, accounts, audit, notifications, site

app_name = "portal"

urlpatterns = [
    path("", site.home, name="home"),
    path("accounts/register/", accounts.register, name="register"),
    path("accounts/login/", accounts.login_page, name="login"),
    path("accounts/logout/", accounts.logout_page, name="logout"),
    path("accounts/me/", accounts.account, name="account"),
    path("accounts/me/access-log/", access.access_log, name="access-log"),
    path("inbox/", notifications.inbox, name="inbox"),
    path("inbox/<int:pk>/open/", notifications.open_notification, name="open-notification"),
    path("audit/", audit.audit_list, name="audit"),
]
