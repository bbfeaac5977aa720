from django.urls import path, register_converter

from open311 import views, views_partners

app_name = "open311"


class Format:
    regex = "json|xml"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(Format, "fmt")

urlpatterns = [
    path("open311/v2/discovery.<fmt:fmt>", views.discovery, name="discovery"),
    path("open311/v2/services.<fmt:fmt>", views.services, name="services"),
    path(
        "open311/v2/services/<str:code>.<fmt:fmt>",
        views.service_definition,
        name="service-definition",
    ),
    path("open311/v2/requests.<fmt:fmt>", views.service_requests, name="requests"),
    path("open311/v2/requests/<str:number>.<fmt:fmt>", views.service_request, name="request"),
    path("open311/partners/", views_partners.partners, name="partners"),
    path("open311/partners/<int:pk>/", views_partners.partner, name="partner"),
    path("open311/partners/<int:pk>/revoke/", views_partners.revoke, name="partner-revoke"),
]
