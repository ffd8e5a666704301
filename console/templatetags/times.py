"""``<time datetime="{{ value|iso_datetime }}">``: a machine-readable date and time that HTML accepts.

Django's ``date:"c"`` writes the microseconds (``2026-12-01T23:01:02.123456+01:00``); HTML allows at most three
digits of a second's fraction, so the Nu HTML checker refuses it. Seconds are enough for an attribute.
"""

from datetime import datetime

from django import template

register = template.Library()


@register.filter(expects_localtime=True)
def iso_datetime(value) -> str:
    if isinstance(value, datetime):
        value = value.replace(microsecond=0)
    return value.isoformat() if value else ""
