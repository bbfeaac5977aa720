from django.urls import path

from portal.views import (
    access,
    accounts,
    audit,
    notifications,
    privacy,
    profile,
    recovery,
    site,
    staff,
    webapp,
)

app_name = "portal"

urlpatterns = [
    path("", site.home, name="home"),
    # The web app manifest: add the portal to a phone's home screen.
    path("manifest.webmanifest", webapp.manifest, name="manifest"),
    path("accounts/register/", accounts.register, name="register"),
    path("accounts/login/", accounts.login_page, name="login"),
    path("accounts/logout/", accounts.logout_page, name="logout"),
    path("accounts/login/otp/", accounts.login_otp, name="login-otp"),
    path("accounts/password-reset/", recovery.password_reset, name="password-reset"),
    path(
        "accounts/password-reset/confirm/",
        recovery.password_reset_confirm_page,
        name="password-reset-confirm",
    ),
    path("accounts/me/", profile.account, name="account"),
    path("accounts/me/password/", profile.password_change_page, name="password-change"),
    path("accounts/me/otp/", profile.otp_setup, name="otp-setup"),
    path("manage/accounts/", staff.account_list, name="staff-accounts"),
    path("manage/accounts/new/", staff.account_create, name="staff-account-new"),
    path("manage/accounts/<int:pk>/", staff.account_detail, name="staff-account"),
    path("manage/accounts/<int:pk>/active/", staff.account_active, name="staff-account-active"),
    path(
        "manage/accounts/<int:pk>/reset-password/",
        staff.account_reset_password,
        name="staff-account-reset",
    ),
    path("accounts/me/access-log/", access.access_log, name="access-log"),
    path("inbox/", notifications.inbox, name="inbox"),
    path("inbox/<int:pk>/open/", notifications.open_notification, name="open-notification"),
    path("inbox/read-all/", notifications.read_all, name="inbox-read-all"),
    path("audit/", audit.audit_list, name="audit"),
    path("audit/export.csv", audit.audit_export, name="audit-export"),
    path("privacy/", privacy.privacy_rules, name="privacy"),
    path("privacy/sensitive/", privacy.privacy_sensitive, name="privacy-sensitive"),
    path("language/", site.set_language, name="set-language"),
]
