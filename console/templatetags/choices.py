"""``{{ object|display:"field" }}``: what ``object.get_<field>_display()`` shows, without its cost per call.

Django's ``get_<field>_display`` rebuilds the field's choices and hashes them, labels included, on every call: each
lazy label is translated to be hashed. A list page calling it for every row and column translated hundreds of labels
per request. The choices are read once per field here; the labels stay lazy, shown in the request's language.
"""

from functools import cache

from django import template

register = template.Library()


@cache
def _labels(field) -> dict:
    return dict(field.flatchoices)


@register.filter
def display(obj, field_name: str):
    field = obj._meta.get_field(field_name)
    value = getattr(obj, field.attname)
    return _labels(field).get(value, value)
