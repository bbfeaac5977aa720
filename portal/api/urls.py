from django.urls import path

from portal.api import access, accounts, audit, notifications, security, staff

urlpatterns = [
    path("auth/register/", accounts.RegisterView.as_view(), name="api-register"),
    path("auth/token/", accounts.TokenView.as_view(), name="api-token"),
    path("auth/logout/", accounts.LogoutView.as_view(), name="api-logout"),
    path("auth/password-reset/", security.PasswordResetView.as_view(), name="api-password-reset"),
    path(
        "auth/password-reset/confirm/",
        security.PasswordResetConfirmView.as_view(),
        name="api-password-reset-confirm",
    ),
    path("me/", accounts.MeView.as_view(), name="api-me"),
    path("me/password/", security.PasswordChangeView.as_view(), name="api-password-change"),
    path("me/phone/", security.PhoneChangeView.as_view(), name="api-phone-change"),
    path("me/phone/confirm/", security.PhoneConfirmView.as_view(), name="api-phone-confirm"),
    path("me/otp/", security.OtpView.as_view(), name="api-otp"),
    path("me/otp/confirm/", security.OtpConfirmView.as_view(), name="api-otp-confirm"),
    path("accounts/", staff.AccountList.as_view(), name="api-accounts"),
    path("accounts/<int:pk>/", staff.AccountDetail.as_view(), name="api-account"),
    path(
        "accounts/<int:pk>/reset-password/",
        staff.AccountResetPassword.as_view(),
        name="api-account-reset-password",
    ),
    path("me/access-log/", access.AccessLogList.as_view(), name="api-access-log"),
    path("notifications/", notifications.NotificationList.as_view(), name="api-notifications"),
    path(
        "notifications/read-all/",
        notifications.NotificationReadAll.as_view(),
        name="api-notifications-read-all",
    ),
    path(
        "notifications/<int:pk>/read/",
        notifications.NotificationRead.as_view(),
        name="api-notification-read",
    ),
    path("audit-events/", audit.AuditEventList.as_view(), name="api-audit-events"),
]
