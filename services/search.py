"""Finding a request: the desk, the list of all requests and ``GET /api/v1/service-requests/?q=``
call this one function (API.md "Finding things")."""

import re

from cards.models import Card
from portal.search import clean_query, number_prefix, people_named

CARD_NUMBER = re.compile(r"BZYC-\d{4}-\d{6}")


def request_search(queryset, q):
    """The requests of ``queryset`` (already restricted by ServiceRequest.objects.visible_to)
    whose number starts with ``q`` (FW-20260213…; the letters may be left out), that were
    filed with the card numbered ``q``, or whose applicant's full name is exactly ``q``.

    Each kind of text takes its own index, so the shape of the text decides which one is
    meant (a number never looks like a name): a request number the unique index on
    ``number`` (prefix LIKE), a card number the unique index on ``Card.number`` and then the
    one on ``ServiceRequest.card``, a name the index on ``User.real_name`` and then
    servicerequest_talent_idx. One OR over all three would defeat every index.
    """
    q = clean_query(q)
    if not q:
        return queryset
    card_number = q.upper().replace(" ", "")
    if CARD_NUMBER.fullmatch(card_number):
        return queryset.filter(card_id__in=Card.objects.filter(number=card_number).values("pk"))
    prefix = number_prefix(q, "FW")
    if prefix is not None:
        return queryset.filter(number__startswith=prefix)
    return queryset.filter(talent_id__in=people_named(q))
