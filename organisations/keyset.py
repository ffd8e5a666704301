"""Reading a large, ordered result in chunks, each chunk a query of its own (keyset pagination).

``QuerySet.iterator()`` reads through a server-side cursor on PostgreSQL, which Django declares ``WITH HOLD`` in
autocommit, so it outlives the statement's transaction: behind PgBouncer in transaction mode its later fetches may
reach another server connection, where a cursor of the same name can be another worker's. Here every chunk is a
plain query that starts after the last row read, so the rows are the same with server-side cursors on or off, and
no cursor or transaction lasts longer than one chunk.
"""

from django.db.models import Q


def in_chunks(queryset, *, size: int = 2000):
    """Yield the rows of ``queryset`` in its order, ``size`` rows per query.

    The ordering (``order_by()`` or the model's) must name fields, none of them null, and end with the primary key,
    so that it is total: a chunk starts exactly after the row that ended the one before.
    """
    ordering = list(queryset.query.order_by or queryset.model._meta.ordering)
    pk_name = queryset.model._meta.pk.name
    if not ordering or not all(isinstance(name, str) for name in ordering):
        raise ValueError("in_chunks() needs an ordering by field names.")
    if ordering[-1].lstrip("-") not in {"pk", pk_name}:
        raise ValueError("in_chunks() needs an ordering that ends with the primary key.")
    queryset = queryset.order_by(*ordering)
    chunk = list(queryset[:size])
    while chunk:
        yield from chunk
        if len(chunk) < size:
            return
        chunk = list(queryset.filter(_after(ordering, chunk[-1]))[:size])


def _value(row, name: str):
    if isinstance(row, dict):  # values()
        return row[name]
    return row.pk if name == "pk" else getattr(row, name)


def _after(ordering: list[str], row) -> Q:
    """The rows that come after ``row`` in ``ordering``: (a, b, c) > (x, y, z) spelled out, with a bound on the first
    field that an index on it can use."""
    later, equal = Q(), {}
    for name in ordering:
        field, lookup = name.lstrip("-"), "lt" if name.startswith("-") else "gt"
        value = _value(row, field)
        later |= Q(**equal, **{f"{field}__{lookup}": value})
        equal[field] = value
    first = ordering[0]
    bound = Q(**{f"{first.lstrip('-')}__{'lte' if first.startswith('-') else 'gte'}": _value(row, first.lstrip("-"))})
    return bound & later
