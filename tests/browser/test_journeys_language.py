"""The console in French and back, as a person switches it."""

import pytest

from tests.accounts.factories import PASSWORD, UserFactory
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_switch_the_console_to_french_and_back(page):
    user = UserFactory()
    sign_in(page, user.email, PASSWORD)
    page.get_by_role("heading", name="Your organisations").wait_for()
    page.get_by_role("button", name="Français").click()
    page.get_by_role("heading", name="Vos organisations").wait_for()
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="Your organisations").wait_for()
