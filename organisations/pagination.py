"""Pagination of lists whose size has no bound (the activity log): the count stops at a cap.

Counting every row of a large log costs as much as reading it, on every page view; the newest ``cap`` rows are
paged, and the filters (dates, person, action) or the CSV export reach the older ones.
"""

from functools import cached_property

from django.core.paginator import Paginator
from django.utils.functional import SimpleLazyObject
from django.views.generic.list import MultipleObjectMixin

from console.lazy import lazy_values


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


class LazyPageMixin:
    """For a ListView: the page (its count, its rows) is read when the template first uses it, not before, so
    that a list served from a cached fragment (``{% organisation_fragment %}``) runs no query. The context names
    are ListView's."""

    def get(self, request, *args, **kwargs):
        # ListView's get() builds the queryset at once (filters, joins: ORM work even when it never runs).
        self.object_list = SimpleLazyObject(self.get_queryset)  # the paginator's object list: a proxy does
        return self.render_to_response(self.get_context_data())

    def get_template_names(self):
        return [self.template_name]  # ListView's would add "<app>/<model>_list.html", reading the queryset

    def get_context_data(self, **kwargs):
        queryset = self.object_list

        def read_page() -> dict:
            paginator, page, object_list, is_paginated = self.paginate_queryset(
                queryset, self.get_paginate_by(queryset)
            )
            return {"paginator": paginator, "page_obj": page, "is_paginated": is_paginated, "object_list": object_list}

        lazy = lazy_values(read_page, ("paginator", "page_obj", "is_paginated", "object_list"))
        lazy[self.get_context_object_name(queryset)] = lazy["object_list"]
        # MultipleObjectMixin's own get_context_data would read the page now.
        return super(MultipleObjectMixin, self).get_context_data(**{**lazy, **kwargs})
