"""Placeholder: replaced by the organization department's pages."""

from django.http import HttpResponse


def entitlements(request):
    return HttpResponse("")


def entitlement(request, pk):
    return HttpResponse("")
