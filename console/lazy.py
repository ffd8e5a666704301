"""Context values read when a template first uses them: a page part served from the cache
(``{% organisation_fragment %}``) then never runs the queries behind it.

They are functions taking no argument, which Django's templates call when they resolve the variable; each
computes once. The template receives the real value (a Decimal stays a Decimal for a filter), where a lazy proxy
would not do for every use.
"""

from collections.abc import Callable, Iterable
from functools import cache, partial


def lazy_value(compute: Callable[[], object]) -> Callable[[], object]:
    """``compute()``'s value, computed on first use."""
    return cache(compute)


def lazy_values(compute: Callable[[], dict], names: Iterable[str]) -> dict[str, Callable[[], object]]:
    """One lazy value per name, each a value of the dict that ``compute()`` returns; ``compute`` runs once, when
    the first of them is used."""
    computed = cache(compute)
    return {name: partial(lambda name: computed()[name], name) for name in names}
