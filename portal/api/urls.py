from django.urls import path

from portal.api import accounts, audit, notifications

urlpatterns = [
    path("auth/register/", accounts.RegisterView.as_view(), name="api-register"),
    path("auth/token/", accounts.TokenView.as_view(), name="api-token"),
    path("auth/logout/", accounts.LogoutView.as_view(), name="api-logout"),
    path("me/", accounts.MeView.as_view(), name="api-me"),
    path("notifications/", notifications.NotificationList.as_view(), name="api-notifications"),
    path(
        "notifications/<int:pk>/read/",
        notifications.NotificationRead.as_view(),
        name="api-notification-read",
    ),
    path("audit-events/", audit.AuditEventList.as_view(), name="api-audit-events"),
]
