"""URLs of the subsidies API (API.md "政策直达快享"), under /api/v1/."""

from django.urls import path

from subsidies.api import views as v

urlpatterns = [
    path("policies/", v.PolicyList.as_view(), name="api-policies"),
    path("entitlements/", v.EntitlementList.as_view(), name="api-entitlements"),
    path("entitlements/<int:pk>/", v.EntitlementDetail.as_view(), name="api-entitlement"),
    path("entitlements/<int:pk>/confirm/", v.confirm),
    path("entitlements/<int:pk>/decline/", v.decline),
    path("entitlements/<int:pk>/approve/", v.approve),
    path("entitlements/<int:pk>/return/", v.return_),
    path("entitlements/<int:pk>/suspend/", v.suspend),
    path("entitlements/<int:pk>/reveal/", v.EntitlementReveal.as_view()),
    path("instalments/<int:pk>/pay/", v.pay),
    path("instalments/<int:pk>/fail/", v.fail),
]
