"""Helpers shared by the members, invitations, two-factor and activity tests."""

import re

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from organisations import services
from organisations.models import Membership
from organisations.roles import DEVELOPER
from tests.accounts.factories import PASSWORD
from tests.organisations.factories import role_of

SIGN_IN = "/accounts/login/"
WHO = ["anonymous", "outsider", "ADMIN", "MANAGER", "DEVELOPER", "ACCOUNTING"]
BASE_URL = "http://testserver/"


def url(name, slug="acme", **kwargs):
    return reverse(f"organisations:{name}", kwargs={"slug": slug, **kwargs})


def outcome(response):
    """What a person sees: the page, a refusal, nothing at all, or the sign-in page."""
    if response.status_code == 302 and response["Location"].startswith(SIGN_IN):
        return "sign-in"
    return response.status_code


def reauthenticate(client):
    """Sign in again, as allauth asks before sensitive actions."""
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302, response.content


def token_from(message) -> str:
    """The token of the invitation link in an email."""
    return re.search(r"/invitations/([A-Za-z0-9_-]+)/", message.body).group(1)


def invite(*, actor, organisation, email, role):
    """Invite through the service; returns the invitation and the token of the emailed link."""
    invitation = services.invitation_create(
        actor=actor, organisation=organisation, email=email, role=role, base_url=BASE_URL
    )
    return invitation, token_from(mail.outbox[-1])


def invitation_url(token, name="invitation"):
    return reverse(f"organisations:{name}", kwargs={"token": token})


def enable_totp(user):
    """Enrol a TOTP authenticator with allauth's own API."""
    return TOTP.activate(user, generate_totp_secret())


def add_members(organisation, count, *, role=DEVELOPER, with_totp_every=2):
    """``count`` members at once (bulk: fast), every other one with a TOTP authenticator."""
    User = get_user_model()
    start = User.objects.count()
    users = User.objects.bulk_create(
        User(email=f"bulk{start + i}@example.com", name=f"Bulk Member {start + i}", password="!") for i in range(count)
    )
    role = role_of(organisation, role)
    Membership.objects.bulk_create(Membership(organisation=organisation, user=user, role=role) for user in users)
    Authenticator.objects.bulk_create(
        Authenticator(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
        for user in users[::with_totp_every]
    )
    return users
