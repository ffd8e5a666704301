import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from organisations.models import Activity, Organisation
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER, Right
from tests.accounts.factories import PASSWORD
from tests.apps.factories import ApplicationFactory, VariableFactory
from tests.organisations.members_support import (
    WHO,
    enable_totp,
    outcome,
    reauthenticate,
    url,
)

pytestmark = pytest.mark.django_db

TOTP_SETUP = reverse("mfa_activate_totp")
CONFIRM_WITH_CODE = reverse("mfa_reauthenticate")


def enrol(user) -> str:
    """Enrol a TOTP authenticator for ``user`` (as from another browser); its secret, to compute codes."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def code(secret: str, *, steps_later: int = 0) -> str:
    """The authenticator app's code now (or ``steps_later`` periods of 30 s from now)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + steps_later))


def sign_in(client, user):
    """Sign in with the password, as the sign-in page does; allauth asks for a code when the account has TOTP."""
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


def sign_in_with_code(client, user, secret):
    assert sign_in(client, user)["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": code(secret)})
    assert response.status_code == 302 and response.wsgi_request.user == user


# A page each role may open, to show that the requirement comes before everything else.
PAGE_OF = {ADMIN: "members", MANAGER: "members", DEVELOPER: "overview", ACCOUNTING: "entry"}


@pytest.fixture
def required(organisation):
    Organisation.objects.filter(pk=organisation.pk).update(require_two_factor=True)
    organisation.refresh_from_db()
    return organisation


class TestRequiredTwoFactor:
    @pytest.mark.parametrize("role", [ADMIN, MANAGER, DEVELOPER, ACCOUNTING])
    def test_a_member_without_two_factor_is_sent_to_set_it_up(self, client, required, member, role):
        client.force_login(member(role))
        response = client.get(url(PAGE_OF[role]))
        assert response.status_code == 302 and response["Location"] == TOTP_SETUP
        assert any("requires two-factor" in str(message) for message in get_messages(response.wsgi_request))

    @pytest.mark.parametrize("role", [ADMIN, MANAGER, DEVELOPER])
    def test_signed_in_with_two_factor_the_member_reaches_the_pages(self, client, required, member, role):
        user = member(role)
        sign_in_with_code(client, user, enrol(user))
        assert client.get(url(PAGE_OF[role])).status_code == 200

    def test_a_post_is_refused_too(self, client, required, member):
        client.force_login(member(ADMIN))
        response = client.post(url("invite"), {"email": "x@example.com", "role": DEVELOPER})
        assert response["Location"] == TOTP_SETUP
        assert not required.invitations.exists()

    def test_an_outsider_still_gets_404(self, client, required, outsider):
        client.force_login(outsider)
        assert client.get(url("members")).status_code == 404

    def test_other_organisations_are_not_affected(self, client, required, member):
        user = member(DEVELOPER)
        client.force_login(user)
        personal = user.memberships.get(organisation__is_personal=True).organisation
        assert client.get(url("overview", slug=personal.slug)).status_code == 200

    def test_the_members_page_flags_the_members_without_it(self, client, required, member):
        admin = member(ADMIN)
        sign_in_with_code(client, admin, enrol(admin))
        member(DEVELOPER)
        content = client.get(url("members")).content.decode()
        assert "Required, not set up" in content


class TestTheSessionMustHaveUsedTheSecondFactor:
    """The requirement is of the session: an account's authenticator does not help a session that never used it."""

    def test_a_password_only_session_is_not_let_in_once_the_account_enrols_elsewhere(self, client, required, member):
        manager = member(MANAGER)
        application = ApplicationFactory(organisation=required, name="shop-front")
        VariableFactory(application=application, name="API_TOKEN", value="s3cr3t-value")
        variables = reverse("apps:variables", kwargs={"slug": "acme", "pk": application.pk}) + "?reveal=API_TOKEN"
        assert sign_in(client, manager).status_code == 302  # no TOTP yet: in with the password alone
        secret = enrol(manager)  # in another browser
        response = client.get(variables)
        assert response.status_code == 302
        assert response["Location"] == f"{CONFIRM_WITH_CODE}?{urlencode({'next': variables})}"
        assert "s3cr3t-value" not in client.get(variables, follow=True).content.decode()
        assert any("this session was signed in without it" in str(m) for m in get_messages(response.wsgi_request))
        # A POST from that session changes nothing either.
        assert client.post(url("invite"), {"email": "x@example.com", "role": DEVELOPER}).status_code == 302
        assert not required.invitations.exists()
        # Confirming with a code from the authenticator lets the session in, back to the page it asked for.
        response = client.post(response["Location"], {"code": code(secret)})
        assert response.status_code == 302 and response["Location"] == variables
        assert "s3cr3t-value" in client.get(variables).content.decode()

    def test_a_wrong_code_does_not_let_the_session_in(self, client, required, member):
        developer = member(DEVELOPER)
        sign_in(client, developer)
        secret = enrol(developer)
        client.post(CONFIRM_WITH_CODE, {"code": code(secret, steps_later=10)})
        assert client.get(url("overview"))["Location"].startswith(CONFIRM_WITH_CODE)

    def test_a_session_signed_in_with_its_code_passes(self, client, required, member):
        developer = member(DEVELOPER)
        sign_in_with_code(client, developer, enrol(developer))
        assert client.get(url("overview")).status_code == 200

    def test_an_authenticator_on_the_account_is_not_enough(self, client, required, member):
        developer = member(DEVELOPER)
        enrol(developer)
        client.force_login(developer)  # a session with no record of any second factor
        assert client.get(url("overview"))["Location"].startswith(CONFIRM_WITH_CODE)

    # allauth announces the new authenticator once its transaction commits: a real commit is needed.
    @pytest.mark.django_db(transaction=True)
    def test_enrolling_totp_in_this_session_counts_for_this_session(self, client, required, member):
        developer = member(DEVELOPER)
        sign_in(client, developer)
        assert client.get(url("overview"))["Location"] == TOTP_SETUP
        reauthenticate(client)  # allauth asks for the password before a security change
        secret = client.get(TOTP_SETUP).context["form"].secret
        response = client.post(TOTP_SETUP, {"code": code(secret)})
        assert response.status_code == 302
        assert client.get(url("overview")).status_code == 200
        # Another session of the same account, signed in with the password alone before, is still refused.
        other = Client()
        other.force_login(developer)
        assert other.get(url("overview"))["Location"].startswith(CONFIRM_WITH_CODE)

    # allauth announces the new authenticator once its transaction commits: a real commit is needed.
    @pytest.mark.django_db(transaction=True)
    def test_an_authenticator_replaced_elsewhere_no_longer_counts_for_the_enrolling_session(
        self, client, required, member
    ):
        developer = member(DEVELOPER)
        sign_in(client, developer)
        reauthenticate(client)
        secret = client.get(TOTP_SETUP).context["form"].secret
        client.post(TOTP_SETUP, {"code": code(secret)})
        Authenticator.objects.filter(user=developer).delete()  # removed and enrolled again in another browser
        enrol(developer)
        assert client.get(url("overview"))["Location"].startswith(CONFIRM_WITH_CODE)

    def test_after_signing_out_and_in_with_the_password_alone_it_asks_again(self, client, required, member):
        developer = member(DEVELOPER)
        secret = enrol(developer)
        sign_in_with_code(client, developer, secret)
        client.post(reverse("account_logout"))
        # The sign-in itself asks for the code: the password alone does not sign in.
        assert sign_in(client, developer)["Location"] == reverse("mfa_authenticate")
        assert client.get(url("overview"))["Location"].startswith("/accounts/login/")
        with time_machine.travel(timezone.now() + timedelta(seconds=30), tick=True):
            client.post(reverse("mfa_authenticate"), {"code": code(secret)})
            assert client.get(url("overview")).status_code == 200


class TestSecuritySetting:
    @pytest.mark.parametrize("who", WHO)
    def test_only_admins_reach_the_setting(self, user_as, organisation, who):
        client, user = user_as(who)
        expected = {"anonymous": "sign-in", "outsider": 404, ADMIN: 200}.get(who, 403)
        assert outcome(client.get(url("security"))) == expected
        if user is not None:
            enable_totp(user)
            reauthenticate(client)
        client.post(url("security"), {"require_two_factor": "on"})
        organisation.refresh_from_db()
        assert organisation.require_two_factor is (expected == 200)

    def test_the_right_is_the_admins_alone(self):
        from organisations.roles import roles

        assert roles.with_right(Right.MANAGE_SECURITY) == [ADMIN]

    def test_settings_page_links_to_it_for_admins_only(self, user_as):
        client, _ = user_as(ADMIN)
        assert url("security") in client.get(url("settings")).content.decode()
        client, _ = user_as(MANAGER)
        assert url("security") not in client.get(url("settings")).content.decode()

    def test_turning_it_on_asks_for_recent_authentication(self, client, organisation, member):
        admin = member(ADMIN)
        enable_totp(admin)
        client.force_login(admin)
        response = client.post(url("security"), {"require_two_factor": "on"})
        assert response["Location"].startswith("/accounts/reauthenticate/")
        organisation.refresh_from_db()
        assert not organisation.require_two_factor
        client.post(response["Location"], {"password": PASSWORD})
        organisation.refresh_from_db()
        assert organisation.require_two_factor
        entry = Activity.objects.get(verb="organisation.two_factor_changed")
        assert entry.actor == admin and entry.after == {"require_two_factor": True}

    def test_an_admin_without_two_factor_cannot_lock_themselves_out(self, client, organisation, member):
        client.force_login(member(ADMIN))
        reauthenticate(client)
        response = client.post(url("security"), {"require_two_factor": "on"})
        assert response.status_code == 200
        assert "Set up two-factor authentication for your own account first" in response.content.decode()
        organisation.refresh_from_db()
        assert not organisation.require_two_factor

    def test_turning_it_off(self, client, required, member):
        admin = member(ADMIN)
        sign_in_with_code(client, admin, enrol(admin))
        reauthenticate(client)
        client.post(url("security"), {})
        required.refresh_from_db()
        assert not required.require_two_factor
