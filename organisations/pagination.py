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


class PageNumberMixin:
    """For a ListView: a page number that is not one (text, zero, past the last page) shows the nearest page, as
    ``Paginator.get_page`` does, where ListView answers 404."""

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(
            queryset, page_size, orphans=self.get_paginate_orphans(), allow_empty_first_page=self.get_allow_empty()
        )
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()
