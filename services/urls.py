"""Pages of the green-channel layer."""

from django.urls import path  # noqa: F401

app_name = "services"

urlpatterns = []
