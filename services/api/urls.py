from django.urls import path

from services.api import catalogue

urlpatterns = [
    path("service-types/", catalogue.ServiceTypeList.as_view(), name="api-service-types"),
]
