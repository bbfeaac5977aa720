"""Where notifications about a request point: the talent's page or the department's desk.

By URL name, so that moving a page cannot leave notifications pointing at nothing."""

from django.urls import reverse


def talent_link(req) -> str:
    return reverse("services:request", args=[req.number])


def desk_link(req) -> str:
    return reverse("services:desk-request", args=[req.number])
