"""The ``display`` filter shows what ``get_<field>_display`` shows, in the active language."""

import pytest
from django.template import Context, Template
from django.utils import translation

from apps.models import Application
from organisations.models import Role
from organisations.roles import ADMIN


def render(obj, field: str) -> str:
    return Template('{% load choices %}{{ obj|display:"' + field + '" }}').render(Context({"obj": obj}))


@pytest.mark.parametrize("field", ["state", "runtime", "region"])
def test_application_choices(field):
    for value, _label in Application._meta.get_field(field).flatchoices:
        application = Application(**{field: value})
        for language in ("en", "fr"):
            with translation.override(language):
                assert render(application, field) == str(getattr(application, f"get_{field}_display")())


def test_an_unknown_value_shows_itself_and_built_in_roles_read_like_the_model():
    assert render(Application(state="made-up"), "state") == "made-up"
    role = Role(key=ADMIN)
    for language in ("en", "fr"):
        with translation.override(language):
            assert render(role, "key") == role.get_key_display() == str(role)
