"""Context values read when a template first uses them: a page part served from the cache
(``{% organisation_fragment %}``) then never runs the queries behind it."""

from collections.abc import Callable, Iterable
from functools import cache, partial

from django.utils.functional import SimpleLazyObject, empty


class LazyValue(SimpleLazyObject):
    """A value computed on first use. Templates call it (they call what is callable) and so get the value itself:
    a Decimal stays a Decimal for a filter, None stays None for ``is None``. Python code may use it as the value."""

    def __call__(self):
        if self._wrapped is empty:
            self._setup()
        return self._wrapped


def lazy_value(compute: Callable[[], object]) -> LazyValue:
    return LazyValue(compute)


def lazy_values(compute: Callable[[], dict], names: Iterable[str]) -> dict[str, LazyValue]:
    """One lazy value per name, each a value of the dict that ``compute()`` returns; ``compute`` runs once, when
    the first of them is used."""
    computed = cache(compute)
    return {name: LazyValue(partial(lambda name: computed()[name], name)) for name in names}
