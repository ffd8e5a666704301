"""A person without an account is invited to one application, through the organisation's invitation mechanism."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.models import ApplicationGrant
from organisations.models import Invitation, Membership
from organisations.roles import ADMIN, DEVELOPER, MANAGER
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

    def test_a_member_may_accept_an_invitation_to_an_application(self, client, member, application, mailoutbox):
        client.force_login(member(ADMIN))
        invite(client, application, level="manage")
        accountant = member("ACCOUNTING")
        accountant.email = EMAIL
        accountant.save()
        accountant.emailaddress_set.update(email=EMAIL)
        client.force_login(accountant)
        client.post(reverse("organisations:invitation_accept", kwargs={"token": token_from(mailoutbox[0])}))
        assert ApplicationGrant.objects.get(user=accountant).level == "manage"

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
