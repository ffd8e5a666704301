"""A person without an account is invited to one application, through the organisation's invitation mechanism."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from apps import services
from apps.access import application_access
from apps.models import ApplicationGrant
from organisations.access import organisation_access
from organisations.models import Activity, Invitation, Membership
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER
from tests.accounts.factories import UserFactory

from .test_views import app_url

EMAIL = "new.customer@client.example"


def invite(client, application, level="deploy", **extra):
    return client.post(app_url(application, "access"), {"email": EMAIL, "level": level, **extra})


def token_from(mail) -> str:
    return re.search(r"/invitations/([^/\s]+)/", mail.body).group(1)


@pytest.mark.django_db
class TestInvitationToOneApplication:
    @pytest.mark.parametrize("role", [ADMIN, MANAGER])
    def test_invite_then_accept(self, client, member, application, mailoutbox, role):
        client.force_login(member(role))
        response = invite(client, application)
        assert response.status_code == 302
        invitation = Invitation.objects.get()
        assert (invitation.application, invitation.application_level, invitation.role) == (application, "deploy", None)
        assert not ApplicationGrant.objects.exists()
        assert len(mailoutbox) == 1 and mailoutbox[0].to == [EMAIL]
        assert "shop-front" in mailoutbox[0].subject + mailoutbox[0].body
        # Shown on the application's access page, not on the organisation's member page.
        assert EMAIL in client.get(app_url(application, "access")).content.decode()
        assert EMAIL not in client.get(reverse("organisations:members", kwargs={"slug": "acme"})).content.decode()

        token = token_from(mailoutbox[0])
        newcomer = UserFactory(email=EMAIL)
        client.force_login(newcomer)
        page = client.get(reverse("organisations:invitation", kwargs={"token": token})).content.decode()
        assert "shop-front" in page
        response = client.post(reverse("organisations:invitation_accept", kwargs={"token": token}))
        assert response["Location"] == app_url(application, "overview")
        grant = ApplicationGrant.objects.get(user=newcomer)
        assert grant.level == "deploy" and grant.granted_by == invitation.invited_by
        assert not Membership.objects.filter(organisation=application.organisation, user=newcomer).exists()
        assert client.get(app_url(application, "overview")).status_code == 200
        assert client.get(reverse("apps:list", kwargs={"slug": "acme"})).status_code == 404
        invitation.refresh_from_db()
        assert invitation.state == Invitation.State.ACCEPTED

    def test_expiry_of_the_access_is_kept(self, client, member, application, mailoutbox):
        client.force_login(member(ADMIN))
        expires = (timezone.localtime() + timedelta(days=30)).replace(second=0, microsecond=0)
        invite(client, application, level="view", expires_at=expires.strftime("%Y-%m-%dT%H:%M"))
        client.force_login(UserFactory(email=EMAIL))
        client.post(reverse("organisations:invitation_accept", kwargs={"token": token_from(mailoutbox[0])}))
        assert ApplicationGrant.objects.get().expires_at == expires

    def test_a_person_who_joined_meanwhile_cannot_accept_an_invitation_to_an_application(
        self, client, member, application, mailoutbox
    ):
        client.force_login(member(ADMIN))
        invite(client, application, level="manage")
        accountant = member("ACCOUNTING")
        accountant.email = EMAIL
        accountant.save()
        accountant.emailaddress_set.update(email=EMAIL)
        client.force_login(accountant)
        response = client.post(
            reverse("organisations:invitation_accept", kwargs={"token": token_from(mailoutbox[0])}), follow=True
        )
        assert "their access to its applications comes from their role" in response.content.decode()
        assert not ApplicationGrant.objects.exists()
        assert Invitation.objects.get().state == Invitation.State.PENDING
        assert client.get(app_url(application, "variables")).status_code == 403

    def test_revoked_invitation_gives_nothing(self, client, member, application, mailoutbox):
        client.force_login(member(ADMIN))
        invite(client, application)
        invitation = Invitation.objects.get()
        response = client.post(app_url(application, "invitation_revoke", invitation_id=invitation.pk))
        assert response.status_code == 302
        invitation.refresh_from_db()
        assert invitation.state == Invitation.State.REVOKED
        client.force_login(UserFactory(email=EMAIL))
        client.post(reverse("organisations:invitation_accept", kwargs={"token": token_from(mailoutbox[0])}))
        assert not ApplicationGrant.objects.exists()

    def test_resend(self, client, member, application, mailoutbox):
        client.force_login(member(MANAGER))
        invite(client, application)
        invitation = Invitation.objects.get()
        client.post(app_url(application, "invitation_resend", invitation_id=invitation.pk))
        assert len(mailoutbox) == 2
        assert token_from(mailoutbox[0]) != token_from(mailoutbox[1])

    def test_only_people_who_share_manage_invitations(self, client, member, application, grantee, mailoutbox):
        client.force_login(member(ADMIN))
        invite(client, application)
        invitation = Invitation.objects.get()
        for user in (member(DEVELOPER), grantee("manage")):
            client.force_login(user)
            assert invite(client, application).status_code == 403
            for action in ("invitation_resend", "invitation_revoke"):
                assert client.post(app_url(application, action, invitation_id=invitation.pk)).status_code == 403
        invitation.refresh_from_db()
        assert invitation.state == Invitation.State.PENDING
        assert len(mailoutbox) == 1

    def test_duplicate_pending_invitation_refused(self, client, member, application, mailoutbox):
        client.force_login(member(ADMIN))
        invite(client, application)
        response = invite(client, application)
        assert response.status_code == 200
        assert "already been invited" in response.content.decode()
        assert Invitation.objects.count() == 1


@pytest.mark.django_db
class TestTheInviterMustStillBeAbleToShare:
    """Accepting an invitation to one application asks again whether the inviter may share it."""

    def accept(self, client, mailoutbox):
        client.force_login(UserFactory(email=EMAIL))
        return client.post(
            reverse("organisations:invitation_accept", kwargs={"token": token_from(mailoutbox[-1])}), follow=True
        )

    @pytest.mark.parametrize("how", ["demoted", "removed"])
    def test_an_inviter_who_lost_the_right_gives_nothing(self, client, member, application, mailoutbox, how):
        from organisations import services as organisation_services

        admin, manager = member(ADMIN), member(MANAGER)
        client.force_login(manager)
        invite(client, application, level="manage")
        membership = Membership.objects.get(user=manager, organisation=application.organisation)
        if how == "demoted":
            organisation_services.membership_change_role(actor=admin, membership=membership, role=DEVELOPER)
        else:
            organisation_services.membership_remove(actor=admin, membership=membership)
        response = self.accept(client, mailoutbox)
        assert "may no longer give this access" in response.content.decode()
        assert not ApplicationGrant.objects.exists()
        assert Invitation.objects.get().state == Invitation.State.PENDING

    def test_an_inviter_who_still_may_share(self, client, member, application, mailoutbox):
        client.force_login(member(MANAGER))
        invite(client, application, level="view")
        self.accept(client, mailoutbox)
        assert ApplicationGrant.objects.get().level == "view"


@pytest.mark.django_db
class TestGrantsAreForPeopleOutsideTheOrganisation:
    def test_granting_to_a_member_is_refused(self, client, member, application, mailoutbox):
        accountant = member(ACCOUNTING)
        client.force_login(member(ADMIN))
        response = client.post(app_url(application, "access"), {"email": accountant.email, "level": "manage"})
        assert response.status_code == 200
        assert "is a member of this organisation: their access to its applications comes from their role" in (
            response.content.decode()
        )
        assert not Invitation.objects.exists() and not ApplicationGrant.objects.exists() and not mailoutbox

    def test_a_member_s_verified_secondary_address_is_refused_too(self, client, member, application, mailoutbox):
        accountant = member(ACCOUNTING)
        accountant.emailaddress_set.create(email=EMAIL, verified=True, primary=False)
        client.force_login(member(ADMIN))
        response = client.post(app_url(application, "access"), {"email": EMAIL, "level": "view"})
        assert "is a member of this organisation" in response.content.decode()
        assert not Invitation.objects.exists() and not mailoutbox

    def test_the_service_refuses_a_member_whoever_calls_it(self, member, application):
        accountant = member(ACCOUNTING)
        with pytest.raises(ValidationError, match="comes from their role"):
            services.grant_set(actor=member(ADMIN), application=application, user=accountant, level="manage")
        assert not ApplicationGrant.objects.exists()

    def test_joining_ends_the_grant(self, client, member, application, grantee, mailoutbox):
        from organisations import services as organisation_services

        person = grantee("manage")
        admin = member(ADMIN)
        organisation_services.invitation_create(
            actor=admin,
            organisation=application.organisation,
            email=person.email,
            role=ACCOUNTING,
            base_url="http://t/",
        )
        client.force_login(person)
        client.post(reverse("organisations:invitation_accept", kwargs={"token": token_from(mailoutbox[-1])}))
        assert Membership.objects.get(organisation=application.organisation, user=person).role.key == ACCOUNTING
        assert not ApplicationGrant.objects.filter(user=person).exists()
        assert not person.has_perm("apps.view_application", application)
        entry = Activity.objects.get(verb="grant.ended_on_joining")
        assert entry.before["user"] == person.email and entry.actor == person
        # The Accountant is confined to billing: the application and its secrets are out of reach.
        for tab in ("overview", "variables", "variables_text"):
            assert client.get(app_url(application, tab)).status_code == 403

    def test_an_old_grant_of_a_member_gives_nothing(self, client, member, application):
        """A grant left from before the rule (written around the services) is ignored: the role decides."""
        from .factories import GrantFactory

        accountant = member(ACCOUNTING)
        GrantFactory(application=application, user=accountant, level="manage")
        access = organisation_access(user=accountant, slug="acme")
        assert application_access(
            user=accountant, organisation_access=access, application=application
        ).capabilities == (frozenset())
        client.force_login(accountant)
        for tab in ("overview", "variables", "variables_text"):
            assert client.get(app_url(application, tab)).status_code == 403
        developer = member(DEVELOPER)
        GrantFactory(application=application, user=developer, level="manage")
        access = organisation_access(user=developer, slug="acme")
        capabilities = application_access(user=developer, organisation_access=access, application=application)
        assert (
            capabilities.capabilities
            == application_access(
                user=member(DEVELOPER), organisation_access=access, application=application
            ).capabilities
        )


@pytest.mark.django_db
class TestEveryGrantByEmailIsAnInvitation:
    def answer(self, client, application, email):
        response = client.post(app_url(application, "access"), {"email": email, "level": "deploy"}, follow=True)
        assert response.status_code == 200
        return [str(message).replace(email, "EMAIL") for message in response.context["messages"]]

    def test_the_answer_is_the_same_for_an_existing_and_a_new_address(self, client, member, application, mailoutbox):
        existing = UserFactory(email="has.an.account@example.com")
        client.force_login(member(ADMIN))
        assert self.answer(client, application, existing.email) == self.answer(client, application, EMAIL)
        assert [message.to for message in mailoutbox] == [[existing.email], [EMAIL]]
        assert mailoutbox[0].subject == mailoutbox[1].subject
        assert mailoutbox[0].body.replace(token_from(mailoutbox[0]), "") == mailoutbox[1].body.replace(
            token_from(mailoutbox[1]), ""
        )
        assert Invitation.objects.filter(application=application).count() == 2
        assert not ApplicationGrant.objects.exists()

    def test_the_grant_exists_only_after_acceptance(self, client, member, application, mailoutbox):
        existing = UserFactory(email=EMAIL)
        client.force_login(member(MANAGER))
        invite(client, application, level="view")
        assert not ApplicationGrant.objects.exists()
        client.force_login(existing)
        assert client.get(app_url(application, "overview")).status_code == 404
        client.post(reverse("organisations:invitation_accept", kwargs={"token": token_from(mailoutbox[-1])}))
        assert ApplicationGrant.objects.get(user=existing).level == "view"
        assert client.get(app_url(application, "overview")).status_code == 200

    def test_grants_by_email_are_rate_limited_like_invitations(self, settings, client, member, application, mailoutbox):
        settings.INVITATION_RATE_LIMITS = {"invite_per_organisation": "100/h/key", "invite_per_inviter": "2/h/key"}
        UserFactory(email="a@example.com")
        client.force_login(member(ADMIN))
        for email in ("a@example.com", "b@example.com"):
            assert client.post(app_url(application, "access"), {"email": email, "level": "view"}).status_code == 302
        response = client.post(app_url(application, "access"), {"email": "c@example.com", "level": "view"})
        assert response.status_code == 200 and "Too many invitations" in response.content.decode()
        assert len(mailoutbox) == 2 and not Invitation.objects.filter(email="c@example.com").exists()
