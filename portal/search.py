"""What the search boxes of the handling-side lists share: the typed text made comparable, and
the people with a given full name.

A search box takes either a number (of a request, of a card) or a person's full name. Numbers
are matched by prefix on their unique column; a name only exactly, through the index on
``User.real_name``: a name fragment would need a scan of every account, and the lists that
search (cards, requests) must stay index-served at any scale (DESIGN.md "Scale").
"""

import re

from portal.models import User

# Longer than any number or name we store (names: 50 characters).
MAX_QUERY = 50


def clean_query(q) -> str:
    """The text of a search box with its spaces as names are stored (portal.accounts
    collapses runs of whitespace), or "" for nothing to search."""
    return " ".join(str(q or "").split())[:MAX_QUERY]


def number_prefix(q: str, prefix: str) -> str | None:
    """``q`` as the start of a number ``<prefix>-…`` made of digits and hyphens, or None when
    ``q`` is not shaped like one. Typed without its letters ("20260213-00"), the prefix is
    added: people read the digits off a paper or a phone and leave the letters out."""
    code = q.upper().replace(" ", "")
    if re.fullmatch(rf"{prefix}(-[0-9-]*)?", code):
        return code
    if re.fullmatch(r"[0-9][0-9-]*", code):
        return f"{prefix}-{code}"
    return None


def people_named(name: str):
    """Ids of the accounts whose full name is exactly ``name``, as a subquery (index
    user_real_name_idx); the caller restricts its own visible rows with it."""
    return User.objects.filter(real_name=name).values("pk")
