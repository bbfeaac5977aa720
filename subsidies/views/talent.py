"""Placeholder: replaced by the talent's pages (我的待遇)."""

from django.http import HttpResponse


def mine(request):
    return HttpResponse("")


def detail(request, pk):
    return HttpResponse("")
