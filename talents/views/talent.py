"""Placeholder: replaced by the pages of this module."""

from django.http import Http404


def my_profile(request, *args, **kwargs):
    raise Http404


def my_liaison(request, *args, **kwargs):
    raise Http404


def concern_confirm(request, *args, **kwargs):
    raise Http404


def concern_decline(request, *args, **kwargs):
    raise Http404
