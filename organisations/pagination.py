"""Pagination of lists whose size has no bound (the activity log): the count stops at a cap.

Counting every row of a large log costs as much as reading it, on every page view; the newest ``cap`` rows are
paged, and the filters (dates, person, action) or the CSV export reach the older ones.
"""

from functools import cached_property

from django.core.paginator import Paginator


class CappedPaginator(Paginator):
    cap = 5000

    @cached_property
    def count(self) -> int:
        """How many objects, counting no further than ``cap`` (one bounded query)."""
        return self.object_list[: self.cap].count()

    @property
    def is_capped(self) -> bool:
        return self.count >= self.cap
