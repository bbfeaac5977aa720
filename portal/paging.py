"""Pages of long lists whose count never scans history.

A list of a million requests cannot be counted on every page view. Its count is either given
(exact, from the daily rollups: services.dashboard.held_requests) or counted up to ``CAP`` rows
(``SELECT COUNT(*) FROM (… LIMIT CAP + 1)``, a bounded index scan); past the cap the list says
so ("10000 条以上") instead of guessing, and its first CAP / per_page pages stay reachable.
"""

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

CAP = 10_000
# From this many rows into a list, a page is fetched in two steps (a "late row lookup"): the
# keys of the page from the index that serves the order (an index-only scan skips the rows
# before it cheaply), then the page's rows and what they join, by key.
DEEP = 200


class CountedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, count=None, cap: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._given = count
        self.cap = CAP if cap is None else cap
        self.capped = False

    @cached_property
    def count(self) -> int:
        if self._given is not None:
            return self._given() if callable(self._given) else self._given
        rows = self.object_list
        # Counting needs no order (a sorted subquery would sort every matching row first).
        rows = rows.order_by() if isinstance(rows, QuerySet) else rows
        counted = rows[: self.cap + 1].count()
        if counted > self.cap:
            self.capped = True
            return self.cap
        return counted

    @property
    def count_label(self) -> str:
        """How the page states the count: exact, or "10000 条以上" past the cap."""
        return f"{self.count} 条以上" if self.capped else f"{self.count} 条"

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list
        if isinstance(rows, QuerySet) and bottom >= DEEP and rows.ordered:
            keys = list(rows.values_list("pk", flat=True)[bottom:top])
            found = {row.pk: row for row in rows.filter(pk__in=keys).order_by()}
            return self._get_page([found[k] for k in keys if k in found], number, self)
        return self._get_page(rows[bottom:top], number, self)
