from datetime import UTC, date, datetime

from django.template import Context, Template
from django.test import override_settings


def render(value) -> str:
    return Template("{% load times %}{{ value|iso_datetime }}").render(Context({"value": value}))


@override_settings(TIME_ZONE="Europe/Paris")
def test_a_datetime_is_written_in_the_current_time_zone_to_the_second():
    assert render(datetime(2026, 12, 1, 22, 1, 2, 123456, tzinfo=UTC)) == "2026-12-01T23:01:02+01:00"


def test_a_date_is_written_as_a_date_and_nothing_as_nothing():
    assert render(date(2026, 12, 1)) == "2026-12-01"
    assert render(None) == ""
