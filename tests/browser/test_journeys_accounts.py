"""Journeys through accounts and organisations, clicked and typed as a person would."""

import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail

from organisations.models import Organisation
from tests.accounts.factories import PASSWORD, UserFactory
from tests.browser.conftest import link_in, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_verify_create_an_organisation_and_land_in_it(page):
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Name").fill("Nora Newcomer")
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_placeholder("Password", exact=True).fill("a-long-enough-passphrase")
    page.get_by_placeholder("Password (again)").fill("a-long-enough-passphrase")
    page.get_by_role("button", name="Sign Up").click()
    page.get_by_text("Verify Your Email Address").first.wait_for()

    assert len(mail.outbox) == 1
    page.goto(link_in(mail.outbox[0]))
    page.get_by_role("button", name="Confirm").click()

    page.get_by_role("heading", name="Your organisations").wait_for()
    page.get_by_role("link", name="New organisation").first.click()
    page.get_by_label("Name").fill("Globex Studio")
    page.get_by_label("Description").fill("We build websites.")
    page.get_by_role("button", name="Create organisation").click()

    page.get_by_role("heading", name="Globex Studio").wait_for()
    assert Organisation.objects.filter(name="Globex Studio", memberships__user__email="newcomer@example.com").exists()
    assert page.get_by_role("navigation", name="Sections").get_by_role("link", name="Settings").is_visible()


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_enrol_totp_sign_out_and_sign_in_with_a_code(page):
    user = UserFactory()
    sign_in(page, user.email, PASSWORD)
    page.get_by_role("heading", name="Your organisations").wait_for()
    page.locator(".menu summary").click()
    page.get_by_role("link", name="Two-factor authentication").click()
    page.get_by_role("link", name="Activate").click()
    # allauth asks for the password again before a security change.
    page.get_by_placeholder("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(_code(secret))
    page.get_by_role("button", name="Activate").click()
    page.get_by_text("Recovery Codes").first.wait_for()

    page.goto("/")
    page.locator(".menu summary").click()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, user.email, PASSWORD)
    page.get_by_placeholder("Code").wait_for()
    # A code is used once: wait for the next time step if the activation used the current one.
    time.sleep(max(0, 30 - time.time() % 30) + 0.5)
    page.get_by_placeholder("Code").fill(_code(secret))
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("heading", name="Your organisations").wait_for()
