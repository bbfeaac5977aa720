from django.urls import include, path

from subsidies.views import desk, manage, talent

app_name = "subsidies"

urlpatterns = [
    # The talent: 我的待遇 and one entitlement (confirm the account, decline).
    path("benefits/", talent.mine, name="mine"),
    path("benefits/<int:pk>/", talent.detail, name="detail"),
    # The paying department's desk.
    path("subsidies/desk/", desk.queue, name="desk"),
    path("subsidies/desk/<int:pk>/", desk.entitlement, name="desk-entitlement"),
    # The organization department: every entitlement, and suspension.
    path("subsidies/", manage.entitlements, name="manage"),
    path("subsidies/<int:pk>/", manage.entitlement, name="manage-entitlement"),
    path("", include("subsidies.export_urls")),  # subsidies:export, the finance export
]
