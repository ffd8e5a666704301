"""Platform staff and invitations in the Django admin: through the services, never around them."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from organisations.models import Activity, Invitation, Membership
from organisations.roles import ADMIN, DEVELOPER
from tests.accounts.factories import UserFactory
from tests.organisations.factories import role_of
from tests.organisations.members_support import invite

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:organisations_invitation_changelist")
ADD = reverse("admin:organisations_invitation_add")


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def invitations(organisation, member):
    admin = member(ADMIN)
    pending, _ = invite(actor=admin, organisation=organisation, email="pending@example.com", role=DEVELOPER)
    with time_machine.travel(timezone.now() - timedelta(days=8)):
        expired, _ = invite(actor=admin, organisation=organisation, email="expired@example.com", role=DEVELOPER)
    return pending, expired


def test_the_list_searches_and_filters_by_status(staff_client, invitations):
    page = staff_client.get(CHANGELIST).content.decode()
    assert "pending@example.com" in page and "expired@example.com" in page and "Expired" in page
    expired_only = staff_client.get(CHANGELIST, {"status": "expired"}).content.decode()
    assert "expired@example.com" in expired_only and "pending@example.com" not in expired_only
    pending_only = staff_client.get(CHANGELIST, {"status": "pending"}).content.decode()
    assert "pending@example.com" in pending_only and "expired@example.com" not in pending_only
    found = staff_client.get(CHANGELIST, {"q": "acme"}).content.decode()
    assert "pending@example.com" in found
    assert (
        staff_client.get(reverse("admin:organisations_invitation_change", args=[invitations[0].pk])).status_code == 200
    )


def test_staff_invite_through_the_service(staff_client, staff, organisation):
    response = staff_client.post(
        ADD, {"organisation": organisation.pk, "email": "Guest@Example.com", "role": role_of(organisation, ADMIN).pk}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "guest@example.com" and invitation.invited_by == staff
    assert mail.outbox[-1].to == ["guest@example.com"]
    assert Activity.objects.filter(verb="invitation.created", actor=staff).exists()


def test_staff_cannot_invite_a_member(staff_client, organisation, member):
    existing = member(DEVELOPER)
    staff_client.post(
        ADD,
        {"organisation": organisation.pk, "email": existing.email, "role": role_of(organisation, ADMIN).pk},
        follow=True,
    )
    assert not Invitation.objects.exists() and not mail.outbox


def test_revoke_and_resend_actions(staff_client, invitations):
    pending, expired = invitations
    sent = len(mail.outbox)
    staff_client.post(CHANGELIST, {"action": "resend", "_selected_action": [expired.pk]})
    expired.refresh_from_db()
    assert expired.is_pending and len(mail.outbox) == sent + 1
    staff_client.post(CHANGELIST, {"action": "revoke", "_selected_action": [pending.pk, expired.pk]})
    assert set(Invitation.objects.values_list("state", flat=True)) == {Invitation.State.REVOKED}


def test_invitations_cannot_be_edited_or_deleted(staff_client, invitations):
    pending, _ = invitations
    change = reverse("admin:organisations_invitation_change", args=[pending.pk])
    staff_client.post(change, {"email": "hijack@example.com", "role": role_of(pending.organisation, ADMIN).pk})
    pending.refresh_from_db()
    assert pending.email == "pending@example.com" and pending.role.key == DEVELOPER
    assert staff_client.get(reverse("admin:organisations_invitation_delete", args=[pending.pk])).status_code == 403


def test_nothing_in_the_invitation_admin_touches_the_memberships(staff_client, organisation, member, invitations):
    admin = member(ADMIN)
    before = list(Membership.objects.filter(organisation=organisation).values_list("user_id", "role"))
    staff_client.post(CHANGELIST, {"action": "revoke", "_selected_action": [i.pk for i in invitations]})
    assert list(Membership.objects.filter(organisation=organisation).values_list("user_id", "role")) == before
    assert Membership.objects.get(organisation=organisation, user=admin).role.key == ADMIN
