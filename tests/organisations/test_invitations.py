import hashlib
import threading
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone

from organisations import services
from organisations.models import Activity, Invitation, Membership
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER
from tests.accounts.factories import PASSWORD, UserFactory
from tests.organisations.factories import MembershipFactory, OrganisationFactory
from tests.organisations.members_support import (
    WHO,
    invitation_url,
    invite,
    outcome,
    token_from,
    url,
)

pytestmark = pytest.mark.django_db

INVITED = "new.person@example.com"


@pytest.fixture
def admin(member):
    return member(ADMIN)


@pytest.fixture
def invited(db):
    """The person the invitations are sent to, with an account whose address is verified."""
    return UserFactory(email=INVITED)


class TestInvite:
    def test_the_invitation_is_emailed_with_a_link_and_only_its_hash_is_stored(self, organisation, admin):
        invitation, token = invite(
            actor=admin, organisation=organisation, email="New.Person@Example.com", role=DEVELOPER
        )
        message = mail.outbox[-1]
        assert message.to == [INVITED]
        assert organisation.name in message.subject
        assert f"http://testserver/invitations/{token}/" in message.body
        html, mimetype = message.alternatives[0]
        assert mimetype == "text/html" and f"/invitations/{token}/" in html
        assert len(token) >= 43  # 32 random bytes: 256 bits
        invitation.refresh_from_db()
        assert invitation.email == INVITED
        assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert not Invitation.objects.filter(token_hash=token).exists()
        assert invitation.state == Invitation.State.PENDING and invitation.invited_by == admin
        assert invitation.expires_at - invitation.created_at == timedelta(days=7)
        assert Activity.objects.filter(organisation=organisation, verb="invitation.created", actor=admin).count() == 1

    def test_every_invitation_has_its_own_token(self, organisation, admin):
        _, first = invite(actor=admin, organisation=organisation, email="a@example.com", role=DEVELOPER)
        _, second = invite(actor=admin, organisation=organisation, email="b@example.com", role=DEVELOPER)
        assert first != second

    @pytest.mark.parametrize(
        ("who", "role", "expected"),
        [
            (ADMIN, ADMIN, 302),
            (ADMIN, MANAGER, 302),
            (ADMIN, ACCOUNTING, 302),
            (MANAGER, ADMIN, 200),  # not among the Manager's choices: a form error
            (MANAGER, MANAGER, 302),
            (MANAGER, DEVELOPER, 302),
            (MANAGER, ACCOUNTING, 200),  # billing rights the Manager does not hold
            (DEVELOPER, DEVELOPER, 403),
            (ACCOUNTING, ACCOUNTING, 403),
            ("outsider", DEVELOPER, 404),
            ("anonymous", DEVELOPER, "sign-in"),
        ],
    )
    def test_who_may_invite_whom(self, user_as, organisation, who, role, expected):
        client, _ = user_as(who)
        response = client.post(url("invite"), {"email": INVITED, "role": role})
        assert outcome(response) == expected
        written = Invitation.objects.filter(organisation=organisation, email=INVITED, role__key=role).exists()
        assert written is (expected == 302)
        assert len(mail.outbox) == (1 if expected == 302 else 0)

    @pytest.mark.parametrize("who", WHO)
    def test_the_invite_page(self, user_as, who):
        client, _ = user_as(who)
        expected = {"anonymous": "sign-in", "outsider": 404, ADMIN: 200, MANAGER: 200}.get(who, 403)
        assert outcome(client.get(url("invite"))) == expected

    def test_the_manager_cannot_invite_an_admin_even_through_the_service(self, organisation, member):
        with pytest.raises(ValidationError, match="Admin"):
            invite(actor=member(MANAGER), organisation=organisation, email=INVITED, role=ADMIN)
        assert not Invitation.objects.exists() and not mail.outbox

    def test_a_developer_cannot_invite_through_the_service(self, organisation, member):
        with pytest.raises(ValidationError):
            invite(actor=member(DEVELOPER), organisation=organisation, email=INVITED, role=ACCOUNTING)
        assert not Invitation.objects.exists()

    def test_inviting_a_member_says_so_and_writes_nothing(self, client, organisation, admin, member):
        existing = member(DEVELOPER)
        client.force_login(admin)
        response = client.post(url("invite"), {"email": existing.email.upper(), "role": MANAGER})
        assert response.status_code == 200
        assert "already a member" in response.content.decode()
        assert not Invitation.objects.exists() and not mail.outbox
        assert not Activity.objects.filter(verb="invitation.created").exists()

    def test_inviting_someone_already_invited_says_so_and_writes_nothing(self, client, organisation, admin):
        invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER)
        client.force_login(admin)
        response = client.post(url("invite"), {"email": INVITED, "role": MANAGER})
        assert response.status_code == 200
        assert "already been invited" in response.content.decode()
        assert Invitation.objects.count() == 1 and len(mail.outbox) == 1

    def test_once_expired_the_address_can_be_invited_again(self, organisation, admin):
        invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER)
        with time_machine.travel(timezone.now() + timedelta(days=8)):
            invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER)
        assert Invitation.objects.count() == 2

    @pytest.mark.parametrize(
        "data", [{"email": "not-an-email", "role": DEVELOPER}, {"email": INVITED, "role": "KING"}, {}]
    )
    def test_bad_input_is_a_form_error(self, client, admin, data):
        client.force_login(admin)
        assert client.post(url("invite"), data).status_code == 200
        assert not Invitation.objects.exists()

    def test_a_personal_space_has_no_invitations(self, client, admin):
        space = Membership.objects.get(user=admin, organisation__is_personal=True).organisation
        client.force_login(admin)
        client.post(url("invite", slug=space.slug), {"email": INVITED, "role": DEVELOPER})
        assert not Invitation.objects.exists()

    def test_invitations_are_rate_limited_per_organisation(self, settings, organisation, admin, member):
        settings.INVITATION_RATE_LIMITS = {"invite_per_organisation": "2/h/key", "invite_per_inviter": "100/h/key"}
        invite(actor=admin, organisation=organisation, email="a@example.com", role=DEVELOPER)
        invite(actor=member(MANAGER), organisation=organisation, email="b@example.com", role=DEVELOPER)
        with pytest.raises(ValidationError, match="Too many"):
            invite(actor=admin, organisation=organisation, email="c@example.com", role=DEVELOPER)
        assert not Invitation.objects.filter(email="c@example.com").exists() and len(mail.outbox) == 2
        # Another organisation has its own count.
        other = OrganisationFactory()
        MembershipFactory(organisation=other, user=admin, role=ADMIN)
        invite(actor=admin, organisation=other, email="c@example.com", role=DEVELOPER)

    def test_invitations_are_rate_limited_per_inviter(self, settings, client, organisation, admin, member):
        settings.INVITATION_RATE_LIMITS = {"invite_per_organisation": "100/h/key", "invite_per_inviter": "1/h/key"}
        client.force_login(admin)
        assert client.post(url("invite"), {"email": "a@example.com", "role": DEVELOPER}).status_code == 302
        response = client.post(url("invite"), {"email": "b@example.com", "role": DEVELOPER})
        assert response.status_code == 200 and "Too many invitations" in response.content.decode()
        assert not Invitation.objects.filter(email="b@example.com").exists()
        # A resend sends an email too: it counts.
        invitation = Invitation.objects.get()
        client.post(url("invitation_resend", pk=invitation.pk))
        assert len(mail.outbox) == 1
        # Another inviter of the same organisation is not held back.
        invite(actor=member(MANAGER), organisation=organisation, email="b@example.com", role=DEVELOPER)


class TestLifecycle:
    def test_invite_then_accept_as_the_invited_email(self, client, organisation, admin, invited):
        client.force_login(admin)
        assert client.post(url("invite"), {"email": INVITED, "role": MANAGER}).status_code == 302
        token = token_from(mail.outbox[-1])

        client.force_login(invited)
        page = client.get(invitation_url(token))
        assert page.status_code == 200
        content = page.content.decode()
        assert organisation.name in content and "Manager" in content
        assert invitation_url(token, "invitation_accept") in content

        response = client.post(invitation_url(token, "invitation_accept"))
        assert response.status_code == 302 and response["Location"] == url("entry")
        membership = Membership.objects.get(organisation=organisation, user=invited)
        assert membership.role.key == MANAGER and membership.invited_by == admin
        invitation = Invitation.objects.get()
        assert invitation.state == Invitation.State.ACCEPTED and invitation.accepted_by == invited
        assert invitation.accepted_at is not None
        assert client.get(url("members")).status_code == 200
        verbs = set(Activity.objects.filter(organisation=organisation).values_list("verb", flat=True))
        assert {"invitation.created", "invitation.accepted", "member.added"} <= verbs

    def test_a_used_link_cannot_be_replayed(self, client, organisation, admin, invited, member):
        _, token = invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER)
        client.force_login(invited)
        client.post(invitation_url(token, "invitation_accept"))
        # The member who used it is taken to the organisation; anyone else sees that it was used.
        assert client.get(invitation_url(token))["Location"] == url("entry")
        Membership.objects.filter(user=invited, organisation=organisation).delete()
        response = client.post(invitation_url(token, "invitation_accept"))
        assert response.status_code == 302
        assert not Membership.objects.filter(user=invited, organisation=organisation).exists()
        other = Client()
        page = other.get(invitation_url(token))
        assert page.status_code == 410 and "already been used" in page.content.decode()
        assert organisation.name not in page.content.decode()

    def test_accepting_as_another_email_is_refused(self, client, organisation, admin, outsider):
        _, token = invite(actor=admin, organisation=organisation, email=INVITED, role=ADMIN)
        client.force_login(outsider)
        page = client.get(invitation_url(token)).content.decode()
        assert "sent to another email address" in page
        assert invitation_url(token, "invitation_accept") not in page
        client.post(invitation_url(token, "invitation_accept"))
        assert not Membership.objects.filter(user=outsider, organisation=organisation).exists()
        assert Invitation.objects.get().state == Invitation.State.PENDING

    def test_an_unverified_address_is_not_enough(self, client, organisation, admin, outsider):
        EmailAddress.objects.create(user=outsider, email=INVITED, verified=False, primary=False)
        _, token = invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER)
        client.force_login(outsider)
        client.post(invitation_url(token, "invitation_accept"))
        assert not Membership.objects.filter(user=outsider, organisation=organisation).exists()

    def test_a_verified_secondary_address_is_enough(self, client, organisation, admin, outsider):
        EmailAddress.objects.create(user=outsider, email=INVITED, verified=True, primary=False)
        _, token = invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER)
        client.force_login(outsider)
        client.post(invitation_url(token, "invitation_accept"))
        assert Membership.objects.filter(user=outsider, organisation=organisation, role__key=DEVELOPER).exists()

    def test_accepting_requires_signing_in(self, client, organisation, admin):
        _, token = invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER)
        response = client.post(invitation_url(token, "invitation_accept"))
        assert outcome(response) == "sign-in"
        assert Invitation.objects.get().state == Invitation.State.PENDING

    def test_decline(self, client, organisation, admin, invited):
        _, token = invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER)
        response = client.post(invitation_url(token, "invitation_decline"))  # no account needed
        assert response.status_code == 200 and "declined" in response.content.decode()
        assert Invitation.objects.get().state == Invitation.State.DECLINED
        assert Activity.objects.filter(verb="invitation.declined").count() == 1
        client.force_login(invited)
        client.post(invitation_url(token, "invitation_accept"))
        assert not Membership.objects.filter(user=invited, organisation=organisation).exists()
        page = client.get(invitation_url(token))
        assert page.status_code == 410 and "declined" in page.content.decode()

    def test_expiry_after_seven_days(self, client, organisation, admin, invited):
        _, token = invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER)
        client.force_login(invited)
        with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
            assert client.get(invitation_url(token)).status_code == 200
        with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
            page = client.get(invitation_url(token))
            assert page.status_code == 410 and "expired" in page.content.decode()
            client.post(invitation_url(token, "invitation_accept"))
            client.post(invitation_url(token, "invitation_decline"))
        assert not Membership.objects.filter(user=invited, organisation=organisation).exists()
        assert Invitation.objects.get().state == Invitation.State.PENDING  # shown as expired, derived from time

    def test_revoke(self, client, organisation, admin, invited):
        invitation, token = invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER)
        client.force_login(admin)
        assert client.post(url("invitation_revoke", pk=invitation.pk)).status_code == 302
        invitation.refresh_from_db()
        assert invitation.state == Invitation.State.REVOKED
        assert Activity.objects.filter(verb="invitation.revoked", actor=admin).count() == 1
        client.force_login(invited)
        page = client.get(invitation_url(token))
        assert page.status_code == 410 and "withdrawn" in page.content.decode()
        client.post(invitation_url(token, "invitation_accept"))
        assert not Membership.objects.filter(user=invited, organisation=organisation).exists()

    def test_resend_kills_the_old_link(self, client, organisation, admin, invited):
        invitation, old_token = invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER)
        later = timezone.now() + timedelta(days=6)
        with time_machine.travel(later):
            client.force_login(admin)
            assert client.post(url("invitation_resend", pk=invitation.pk)).status_code == 302
        assert len(mail.outbox) == 2 and mail.outbox[-1].to == [INVITED]
        new_token = token_from(mail.outbox[-1])
        assert new_token != old_token
        invitation.refresh_from_db()
        assert invitation.expires_at > later + timedelta(days=6, hours=23)
        client.force_login(invited)
        page = client.get(invitation_url(old_token))
        assert page.status_code == 404 and "not valid" in page.content.decode()
        client.post(invitation_url(old_token, "invitation_accept"))
        assert not Membership.objects.filter(user=invited, organisation=organisation).exists()
        with time_machine.travel(later + timedelta(days=3)):  # past the first expiry, within the new one
            client.post(invitation_url(new_token, "invitation_accept"))
        assert Membership.objects.filter(user=invited, organisation=organisation).exists()
        assert Activity.objects.filter(verb="invitation.resent").count() == 1

    def test_sign_up_through_the_link(self, client, organisation, admin):
        _, token = invite(actor=admin, organisation=organisation, email=INVITED, role=ACCOUNTING)
        page = client.get(invitation_url(token)).content.decode()
        signup_link = invitation_url(token, "invitation_signup")
        assert signup_link in page and "/accounts/login/?next=" in page
        to_signup = client.get(signup_link)
        assert to_signup.status_code == 302 and to_signup["Location"].startswith("/accounts/signup/")
        form = client.get(to_signup["Location"])
        assert f'value="{INVITED}"' in form.content.decode()  # the email is filled in
        response = client.post(
            to_signup["Location"],
            {"name": "Invited Person", "email": INVITED, "password1": PASSWORD, "password2": PASSWORD},
            follow=True,
        )
        assert response.status_code == 200
        user = Membership.objects.get(organisation=organisation, role__key=ACCOUNTING).user
        assert user.email == INVITED
        assert user.name == "Invited Person"
        assert EmailAddress.objects.get(user=user, email=INVITED).verified
        assert Invitation.objects.get().accepted_by == user
        # Signed in, and in the organisation: the Accountant lands on the billing section, or sees the page shell.
        assert response.wsgi_request.user == user
        assert "Welcome to" in response.content.decode()

    def test_sign_up_with_another_address_does_not_join(self, client, organisation, admin):
        _, token = invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER)
        client.get(invitation_url(token))
        client.get(invitation_url(token, "invitation_signup"))
        client.post(
            "/accounts/signup/",
            {"name": "Someone Else", "email": "someone.else@example.com", "password1": PASSWORD, "password2": PASSWORD},
        )
        assert not Membership.objects.filter(organisation=organisation, user__email="someone.else@example.com").exists()

    @pytest.mark.parametrize("token", ["unknown", "x" * 43, "a-b_c"])
    def test_unknown_links_show_a_clear_page(self, client, token):
        page = client.get(invitation_url(token))
        assert page.status_code == 404 and "not valid" in page.content.decode()
        assert client.post(invitation_url(token, "invitation_decline")).status_code == 404
        assert client.get(invitation_url(token, "invitation_signup")).status_code == 302

    def test_the_page_for_an_anonymous_visitor(self, client, organisation, admin):
        _, token = invite(actor=admin, organisation=organisation, email=INVITED, role=MANAGER)
        content = client.get(invitation_url(token)).content.decode()
        assert organisation.name in content and "Manager" in content
        assert invitation_url(token, "invitation_accept") not in content
        assert invitation_url(token, "invitation_decline") in content

    def test_accept_and_decline_need_the_csrf_token(self, organisation, admin, invited):
        _, token = invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER)
        client = Client(enforce_csrf_checks=True)
        client.force_login(invited)
        assert client.post(invitation_url(token, "invitation_accept")).status_code == 403
        assert client.post(invitation_url(token, "invitation_decline")).status_code == 403
        assert Invitation.objects.get().state == Invitation.State.PENDING
        page = client.get(invitation_url(token))
        csrf = page.cookies["csrftoken"].value
        client.post(invitation_url(token, "invitation_accept"), {"csrfmiddlewaretoken": csrf})
        assert Invitation.objects.get().state == Invitation.State.ACCEPTED


class TestResendAndRevoke:
    @pytest.mark.parametrize("action", ["invitation_resend", "invitation_revoke"])
    @pytest.mark.parametrize("who", WHO)
    def test_who_may_resend_and_revoke(self, user_as, organisation, admin, who, action):
        invitation, _ = invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER)
        client, _ = user_as(who)
        expected = {"anonymous": "sign-in", "outsider": 404, ADMIN: 302, MANAGER: 302}.get(who, 403)
        assert outcome(client.post(url(action, pk=invitation.pk))) == expected
        invitation.refresh_from_db()
        done = expected == 302
        if action == "invitation_revoke":
            assert (invitation.state == Invitation.State.REVOKED) is done
        else:
            assert len(mail.outbox) == (2 if done else 1)

    @pytest.mark.parametrize("action", ["invitation_resend", "invitation_revoke"])
    def test_a_manager_cannot_touch_an_admin_invitation(self, client, organisation, admin, member, action):
        invitation, _ = invite(actor=admin, organisation=organisation, email=INVITED, role=ADMIN)
        client.force_login(member(MANAGER))
        response = client.post(url(action, pk=invitation.pk), follow=True)
        assert "Admin" in response.content.decode()
        invitation.refresh_from_db()
        assert invitation.state == Invitation.State.PENDING and len(mail.outbox) == 1

    def test_resend_and_revoke_only_via_post(self, client, organisation, admin):
        invitation, _ = invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER)
        client.force_login(admin)
        assert client.get(url("invitation_revoke", pk=invitation.pk)).status_code == 405

    def test_another_organisations_invitation_is_not_found(self, client, organisation, admin):
        other = OrganisationFactory()
        other_admin = UserFactory()
        MembershipFactory(organisation=other, user=other_admin, role=ADMIN)
        invitation, _ = invite(actor=other_admin, organisation=other, email=INVITED, role=DEVELOPER)
        client.force_login(admin)
        assert client.post(url("invitation_revoke", pk=invitation.pk)).status_code == 404
        invitation.refresh_from_db()
        assert invitation.state == Invitation.State.PENDING

    def test_a_closed_invitation_cannot_be_resent(self, organisation, admin):
        invitation, _ = invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER)
        services.invitation_revoke(actor=admin, invitation=invitation)
        with pytest.raises(ValidationError):
            services.invitation_resend(actor=admin, invitation=invitation, base_url="http://testserver/")
        assert len(mail.outbox) == 1

    def test_pending_invitations_are_listed_for_those_who_invite(self, user_as, organisation, admin):
        invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER)
        for who, shown in [(MANAGER, True), (DEVELOPER, False)]:
            client, _ = user_as(who)
            content = client.get(url("members")).content.decode()
            assert (INVITED in content) is shown
            assert ("Pending invitations" in content) is shown

    def test_an_expired_invitation_is_listed_as_expired_and_can_be_resent(self, client, organisation, admin):
        invitation, _ = invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER)
        client.force_login(admin)
        with time_machine.travel(timezone.now() + timedelta(days=8)):
            assert "Expired" in client.get(url("members")).content.decode()
            client.post(url("invitation_resend", pk=invitation.pk))
            invitation.refresh_from_db()
            assert invitation.is_pending


def _race(*actions):
    """Run ``actions`` at once in real threads, each with its own database connection; return their errors."""
    barrier = threading.Barrier(len(actions))
    errors = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait(timeout=10)
            action()
        except ValidationError as error:
            errors[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, action)) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
class TestRaces:
    """Requests that each look fine alone but must not both succeed."""

    @pytest.fixture
    def setting(self):
        organisation = OrganisationFactory(slug="race")
        admin = UserFactory()
        MembershipFactory(organisation=organisation, user=admin, role=ADMIN)
        return organisation, admin

    @pytest.mark.parametrize("attempt", range(3))
    def test_one_link_accepted_twice_at_once_is_used_once(self, setting, attempt):
        organisation, admin = setting
        invited = UserFactory(email=INVITED)
        _, token = invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER)
        errors = _race(*[lambda: services.invitation_accept(user=invited, token=token)] * 2)
        assert sum(error is not None for error in errors) == 1
        assert Membership.objects.filter(organisation=organisation, user=invited).count() == 1
        assert Activity.objects.filter(verb="invitation.accepted").count() == 1

    @pytest.mark.parametrize("attempt", range(3))
    def test_accept_and_revoke_at_once_never_both(self, setting, attempt):
        organisation, admin = setting
        invited = UserFactory(email=INVITED)
        invitation, token = invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER)
        errors = _race(
            lambda: services.invitation_accept(user=invited, token=token),
            lambda: services.invitation_revoke(actor=admin, invitation=invitation),
        )
        assert sum(error is not None for error in errors) == 1
        invitation.refresh_from_db()
        joined = Membership.objects.filter(organisation=organisation, user=invited).exists()
        assert joined is (invitation.state == Invitation.State.ACCEPTED)

    @pytest.mark.parametrize("attempt", range(3))
    def test_the_same_address_invited_twice_at_once_gets_one_invitation(self, setting, member, attempt):
        organisation, admin = setting
        other_admin = UserFactory()
        MembershipFactory(organisation=organisation, user=other_admin, role=ADMIN)
        errors = _race(
            lambda: invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER),
            lambda: invite(actor=other_admin, organisation=organisation, email=INVITED, role=MANAGER),
        )
        assert sum(error is not None for error in errors) == 1
        assert Invitation.objects.filter(organisation=organisation, email=INVITED).count() == 1


class TestTheInviterMustStillBeAbleToGrant:
    """Acceptance asks again whether the inviter may give the role, from their membership today."""

    SECOND = "manager.second@example.com"

    def refused(self, client, token):
        response = client.post(invitation_url(token, "invitation_accept"), follow=True)
        assert "may no longer give this access" in response.content.decode()
        assert (
            not Membership.objects.filter(user=response.wsgi_request.user, role__key=MANAGER)
            .exclude(organisation__is_personal=True)
            .exists()
        )
        assert Invitation.objects.get(email=self.SECOND).state == Invitation.State.PENDING

    def test_a_manager_demoted_cannot_bring_themselves_back_through_a_pending_link(
        self, client, organisation, admin, member
    ):
        manager = member(MANAGER)
        _, token = invite(actor=manager, organisation=organisation, email=self.SECOND, role=MANAGER)
        services.membership_change_role(
            actor=admin, membership=Membership.objects.get(user=manager, organisation=organisation), role=DEVELOPER
        )
        client.force_login(UserFactory(email=self.SECOND))
        self.refused(client, token)

    def test_an_admin_demoted_to_manager_can_no_longer_give_admin(self, client, organisation, admin, member):
        other_admin = member(ADMIN)
        _, token = invite(actor=other_admin, organisation=organisation, email=self.SECOND, role=ADMIN)
        services.membership_change_role(
            actor=admin, membership=Membership.objects.get(user=other_admin, organisation=organisation), role=MANAGER
        )
        client.force_login(UserFactory(email=self.SECOND))
        client.post(invitation_url(token, "invitation_accept"))
        assert not Membership.objects.filter(organisation=organisation, user__email=self.SECOND).exists()
        assert Invitation.objects.get(email=self.SECOND).is_pending

    @pytest.mark.parametrize("how", ["removed", "left", "deleted"])
    def test_an_inviter_who_is_gone_can_no_longer_give_anything(self, client, organisation, admin, member, how):
        manager = member(MANAGER)
        _, token = invite(actor=manager, organisation=organisation, email=self.SECOND, role=DEVELOPER)
        membership = Membership.objects.get(user=manager, organisation=organisation)
        if how == "removed":
            services.membership_remove(actor=admin, membership=membership)
        elif how == "left":
            services.membership_leave(membership=membership)
        else:
            manager.delete()
        client.force_login(UserFactory(email=self.SECOND))
        response = client.post(invitation_url(token, "invitation_accept"), follow=True)
        assert "may no longer give this access" in response.content.decode()
        assert not Membership.objects.filter(organisation=organisation, user__email=self.SECOND).exists()
        assert Invitation.objects.get(email=self.SECOND).is_pending

    def test_the_invitation_page_says_so_before_anyone_signs_up_or_accepts(self, client, organisation, admin, member):
        manager = member(MANAGER)
        _, token = invite(actor=manager, organisation=organisation, email=self.SECOND, role=MANAGER)
        services.membership_change_role(
            actor=admin, membership=Membership.objects.get(user=manager, organisation=organisation), role=DEVELOPER
        )
        for signed_in in (False, True):
            if signed_in:
                client.force_login(UserFactory(email=self.SECOND))
            page = client.get(invitation_url(token)).content.decode()
            assert "may no longer give this access" in page
            assert invitation_url(token, "invitation_accept") not in page
            assert invitation_url(token, "invitation_signup") not in page
            assert invitation_url(token, "invitation_decline") in page

    def test_once_sent_again_by_someone_who_may_give_it_it_can_be_accepted(self, client, organisation, admin, member):
        manager = member(MANAGER)
        invitation, _ = invite(actor=manager, organisation=organisation, email=self.SECOND, role=MANAGER)
        services.membership_change_role(
            actor=admin, membership=Membership.objects.get(user=manager, organisation=organisation), role=DEVELOPER
        )
        services.invitation_resend(actor=admin, invitation=invitation, base_url="http://testserver/")
        invitation.refresh_from_db()
        assert invitation.invited_by == admin
        client.force_login(UserFactory(email=self.SECOND))
        client.post(invitation_url(token_from(mail.outbox[-1]), "invitation_accept"))
        assert Membership.objects.get(organisation=organisation, user__email=self.SECOND).role.key == MANAGER

    def test_signing_up_through_the_link_is_refused_too(self, client, organisation, admin, member):
        manager = member(MANAGER)
        _, token = invite(actor=manager, organisation=organisation, email=self.SECOND, role=MANAGER)
        services.membership_remove(
            actor=admin, membership=Membership.objects.get(user=manager, organisation=organisation)
        )
        client.get(invitation_url(token, "invitation_signup"))
        response = client.post(
            "/accounts/signup/",
            {"name": "Second Person", "email": self.SECOND, "password1": PASSWORD, "password2": PASSWORD},
            follow=True,
        )
        assert "may no longer give this access" in response.content.decode()
        assert not Membership.objects.filter(organisation=organisation, user__email=self.SECOND).exists()

    def test_an_invitation_from_platform_staff_is_accepted(self, client, organisation):
        staff = UserFactory(is_staff=True, is_superuser=True)
        services.invitation_create(
            actor=staff, organisation=organisation, email=self.SECOND, role=ADMIN, base_url="http://t/", by_staff=True
        )
        client.force_login(UserFactory(email=self.SECOND))
        client.post(invitation_url(token_from(mail.outbox[-1]), "invitation_accept"))
        assert Membership.objects.get(organisation=organisation, user__email=self.SECOND).role.key == ADMIN

    def test_the_service_refuses_it(self, organisation, admin, member):
        manager = member(MANAGER)
        _, token = invite(actor=manager, organisation=organisation, email=self.SECOND, role=DEVELOPER)
        services.membership_remove(
            actor=admin, membership=Membership.objects.get(user=manager, organisation=organisation)
        )
        with pytest.raises(ValidationError, match="may no longer give"):
            services.invitation_accept(user=UserFactory(email=self.SECOND), token=token)


class TestSignUpWhenAnotherAccountHasTheAddress:
    """The link proves the address: another account's claim on it must not strand the invitee without a word."""

    OTHER = "other.account@example.com"

    def sign_up_through_the_link(self, client, organisation, admin):
        _, token = invite(actor=admin, organisation=organisation, email=INVITED, role=DEVELOPER)
        to_signup = client.get(invitation_url(token, "invitation_signup"))
        response = client.post(
            to_signup["Location"],
            {"name": "Invited Person", "email": INVITED, "password1": PASSWORD, "password2": PASSWORD},
            follow=True,
        )
        return token, response

    def test_an_unverified_address_on_another_account_does_not_stop_it(self, client, organisation, admin):
        other = UserFactory(email=self.OTHER)
        EmailAddress.objects.create(user=other, email=INVITED, verified=False, primary=False)
        _, response = self.sign_up_through_the_link(client, organisation, admin)
        user = response.wsgi_request.user
        assert user.is_authenticated and user.email == INVITED
        assert Membership.objects.get(organisation=organisation, user=user).role.key == DEVELOPER
        assert EmailAddress.objects.get(email=INVITED).user == user
        assert EmailAddress.objects.get(email=INVITED).verified
        # The other account's claim, which proved nothing, is dropped; the rest of it is untouched.
        assert list(other.emailaddress_set.values_list("email", "verified")) == [(self.OTHER, True)]
        assert [message.subject for message in mail.outbox] == [mail.outbox[0].subject]  # only the invitation

    @pytest.mark.parametrize("held_as", ["sign-in address of an unconfirmed account", "verified secondary address"])
    def test_an_address_another_account_holds_sends_the_invitee_to_sign_in(self, client, organisation, admin, held_as):
        if held_as == "verified secondary address":
            other = UserFactory(email=self.OTHER)
            EmailAddress.objects.create(user=other, email=INVITED, verified=True, primary=False)
        else:
            UserFactory(email=INVITED, verified=False)
        accounts = get_user_model().objects.count()
        token, response = self.sign_up_through_the_link(client, organisation, admin)
        assert response.redirect_chain[-1][0] == f"/accounts/login/?next=%2Finvitations%2F{token}%2F"
        assert f"An account already uses {INVITED}. Sign in with it to continue" in response.content.decode()
        assert get_user_model().objects.count() == accounts
        assert not Membership.objects.filter(organisation=organisation, user__email__iexact=INVITED).exists()
        assert Invitation.objects.get().is_pending

    def test_without_the_link_allauth_s_answer_stands(self, client, organisation):
        other = UserFactory(email=self.OTHER)
        EmailAddress.objects.create(user=other, email=INVITED, verified=False, primary=False)
        client.post(
            "/accounts/signup/",
            {"name": "Invited Person", "email": INVITED, "password1": PASSWORD, "password2": PASSWORD},
        )
        assert not get_user_model().objects.filter(email=INVITED).exists()
        assert EmailAddress.objects.filter(user=other, email=INVITED, verified=False).exists()
