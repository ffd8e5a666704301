from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from billing.money import format_amount


@pytest.mark.parametrize(
    ("amount", "language", "expected"),
    [
        (Decimal("1234.56"), "en", "€1,234.56"),
        (Decimal("1234.56"), "fr", "1\u00a0234,56\u00a0€"),
        (Decimal("0.005"), "en", "€0.01"),  # half up
        (Decimal("-12"), "en", "-€12.00"),
        (Decimal("-1234567.891"), "fr", "-1\u00a0234\u00a0567,89\u00a0€"),
    ],
)
def test_format_amount(amount, language, expected):
    assert format_amount(amount, language) == expected


def test_the_template_filter_follows_the_active_language():
    template = Template("{% load billing %}{{ amount|money }}")
    with translation.override("fr"):
        assert template.render(Context({"amount": Decimal("1234.56")})) == "1\u00a0234,56\u00a0€"
    with translation.override("en"):
        assert template.render(Context({"amount": Decimal("1234.56")})) == "€1,234.56"
