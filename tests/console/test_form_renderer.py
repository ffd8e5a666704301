"""The console's form renderer writes the same <select> markup as Django's (its template has the includes inlined)."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from console.form_renderer import ConsoleFormRenderer


class SampleForm(forms.Form):
    plain = forms.ChoiceField(choices=[("", "—"), ("x", "X & <y>"), ("1", "One")], required=False)
    grouped = forms.ChoiceField(
        choices=[("G1", [("p", "P"), ("q", "Q")]), ("r", "R")],
        widget=forms.Select(attrs={"class": "c", "disabled": True, "data-x": False}),
    )
    several = forms.MultipleChoiceField(choices=[("1", "a"), ("2", "b")])
    typed = forms.TypedChoiceField(choices=[(1, "a"), (2, "b")], coerce=int)


@pytest.mark.parametrize(
    "data", [None, {"plain": "x", "grouped": "q", "several": ["1", "2"], "typed": "2"}, {"plain": "?"}]
)
@pytest.mark.parametrize("name", ["plain", "grouped", "several", "typed"])
def test_select_markup_is_djangos(data, name):
    django_html = str(SampleForm(data, renderer=DjangoTemplates())[name])
    console_html = str(SampleForm(data, renderer=ConsoleFormRenderer())[name])
    assert console_html == django_html
    assert "<option" in console_html


def test_the_console_renderer_is_the_default():
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), ConsoleFormRenderer)
