from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from portal.views.site import healthz

urlpatterns = [
    path("healthz/", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("portal.api.urls")),
    path("api/v1/", include("cards.api.urls")),
    path("api/v1/", include("services.api.urls")),
    path("admin/", admin.site.urls),
    path("", include("cards.urls")),
    path("", include("services.urls")),
    path("", include("portal.urls")),
]

handler404 = "portal.views.site.not_found"
handler500 = "portal.views.site.server_failure"
