"""Finding a card: the registry page and ``GET /api/v1/cards/?q=`` call this one function."""

from portal.search import clean_query, number_prefix, people_named


def card_search(queryset, q):
    """The cards of ``queryset`` (already restricted by Card.objects.visible_to) whose number
    starts with ``q`` (BZYC-2026-0001…; the letters may be left out), or whose holder's full
    name is exactly ``q``.

    Each kind of text takes its own index: a number the unique index on ``Card.number`` (a
    prefix LIKE, which PostgreSQL serves with the pattern-ops index Django adds to unique
    text columns), a name the index on ``User.real_name`` and then the one on
    ``Card.holder``. Numbers and names never look alike, so the shape of the text decides.
    """
    q = clean_query(q)
    if not q:
        return queryset
    prefix = number_prefix(q, "BZYC")
    if prefix is not None:
        return queryset.filter(number__startswith=prefix)
    return queryset.filter(holder_id__in=people_named(q))
