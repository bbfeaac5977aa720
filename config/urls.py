from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal.views.site import healthz

urlpatterns = [
    path("healthz/", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI with its start-up script served from /api/docs/?script= rather than inline,
    # so the page runs under the Content-Security-Policy (no 'unsafe-inline').
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("portal.api.urls")),
    path("api/v1/", include("cards.api.urls")),
    path("api/v1/", include("services.api.urls")),
    path("api/v1/", include("subsidies.api.urls")),
    path("api/v1/", include("talents.api.urls")),
    path("admin/", admin.site.urls),
    path("", include("cards.urls")),
    path("", include("services.urls")),
    path("", include("subsidies.urls")),
    path("", include("talents.urls")),
    path("", include("open311.urls")),
    path("", include("portal.urls")),
]

handler404 = "portal.views.site.not_found"
handler500 = "portal.views.site.server_failure"
