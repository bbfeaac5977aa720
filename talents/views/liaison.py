"""Placeholder: replaced by the pages of this module."""

from django.http import Http404


def liaison_list(request, *args, **kwargs):
    raise Http404


def liaison_detail(request, *args, **kwargs):
    raise Http404


def liaison_assign(request, *args, **kwargs):
    raise Http404


def visit_new(request, *args, **kwargs):
    raise Http404


def concern_resolve(request, *args, **kwargs):
    raise Http404


def coverage_page(request, *args, **kwargs):
    raise Http404
