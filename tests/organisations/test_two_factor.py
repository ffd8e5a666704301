import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from organisations.models import Activity, Organisation
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER, Right
from tests.accounts.factories import PASSWORD
from tests.organisations.members_support import (
    WHO,
    enable_totp,
    outcome,
    reauthenticate,
    url,
)

pytestmark = pytest.mark.django_db

TOTP_SETUP = reverse("mfa_activate_totp")
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
    def test_with_two_factor_the_member_reaches_the_pages(self, client, required, member, role):
        user = member(role)
        enable_totp(user)
        client.force_login(user)
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
        enable_totp(admin)
        member(DEVELOPER)
        client.force_login(admin)
        content = client.get(url("members")).content.decode()
        assert "Required, not set up" in content


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
        enable_totp(admin)
        client.force_login(admin)
        reauthenticate(client)
        client.post(url("security"), {})
        required.refresh_from_db()
        assert not required.require_two_factor
