"""Placeholder: replaced by the paying department's desk pages."""

from django.http import HttpResponse


def queue(request):
    return HttpResponse("")


def entitlement(request, pk):
    return HttpResponse("")
