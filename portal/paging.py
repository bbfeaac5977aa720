"""Pages of long lists whose count never scans history.

A list of a million requests cannot be counted on every page view. Its count is either given
(exact, from the daily rollups: services.dashboard.held_requests) or counted up to ``CAP`` rows
(``SELECT COUNT(*) FROM (… LIMIT CAP + 1)``, a bounded index scan); past the cap the list says
so ("10000 条以上") instead of guessing, and its first CAP / per_page pages stay reachable.
"""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

CAP = 10_000


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
        counted = self.object_list[: self.cap + 1].count()
        if counted > self.cap:
            self.capped = True
            return self.cap
        return counted

    @property
    def count_label(self) -> str:
        """How the page states the count: exact, or "10000 条以上" past the cap."""
        return f"{self.count} 条以上" if self.capped else f"{self.count} 条"
