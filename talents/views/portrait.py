"""Placeholder: replaced by the pages of this module."""

from django.http import Http404


def portrait(request, *args, **kwargs):
    raise Http404


def portrait_export(request, *args, **kwargs):
    raise Http404


def registry(request, *args, **kwargs):
    raise Http404
