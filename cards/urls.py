"""Pages of the card layer (talent, organization department, verifier)."""

from django.urls import path  # noqa: F401

app_name = "cards"

urlpatterns = []
