"""Temporary membership: an expired membership gives nothing, is listed as expired (renew, remove), does not block a
new invitation, and is cleaned up by the daily ``expire_grants`` command. Found from outside: it vanished from the
list, could not be re-invited ("already a member") and could not be removed (404)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.http import Http404
from django.utils import timezone

from organisations import services
from organisations.access import organisation_access
from organisations.models import Activity, Invitation, Membership
from organisations.roles import ADMIN, DEVELOPER, Right
from tests.organisations.members_support import invite, reauthenticate, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def expired(organisation, member):
    user = member(DEVELOPER, expires_at=timezone.now() - timedelta(days=1))
    return Membership.objects.get(user=user, organisation=organisation)


def test_an_expired_membership_gives_nothing(organisation, expired):
    with pytest.raises(Http404):
        organisation_access(user=expired.user, slug=organisation.slug)
    assert not expired.user.has_perm(Right.VIEW_APPLICATIONS.perm, organisation)


def test_it_is_listed_as_expired_with_renew_and_remove(client, organisation, member, expired):
    client.force_login(member(ADMIN))
    page = client.get(url("members")).content.decode()
    assert expired.user.email in page and "Access expired" in page
    assert url("member_renew", pk=expired.pk) in page and url("member_remove", pk=expired.pk) in page
    assert url("member_role", pk=expired.pk) not in page


def test_it_can_be_removed(client, member, expired):
    client.force_login(member(ADMIN))
    reauthenticate(client)
    assert client.post(url("member_remove", pk=expired.pk)).status_code == 302
    assert not Membership.objects.filter(pk=expired.pk).exists()


def test_it_can_be_renewed(client, organisation, member, expired):
    client.force_login(member(ADMIN))
    reauthenticate(client)
    assert client.post(url("member_renew", pk=expired.pk), {"expires_at": ""}).status_code == 302
    expired.refresh_from_db()
    assert expired.expires_at is None
    assert organisation_access(user=expired.user, slug=organisation.slug).has(Right.VIEW_APPLICATIONS)
    assert Activity.objects.filter(verb="member.renewed").exists()


def test_a_renewal_in_the_past_is_refused(organisation, member, expired):
    with pytest.raises(Exception, match="future"):
        services.membership_renew(
            actor=member(ADMIN), membership=expired, expires_at=timezone.now() - timedelta(hours=1)
        )


def test_it_does_not_block_a_new_invitation(client, organisation, member, expired):
    from allauth.account.models import EmailAddress

    admin = member(ADMIN)
    invitation, token = invite(actor=admin, organisation=organisation, email=expired.user.email, role=ADMIN)
    assert invitation.state == Invitation.State.PENDING
    EmailAddress.objects.update_or_create(
        user=expired.user, email=expired.user.email, defaults={"verified": True, "primary": True}
    )
    services.invitation_accept(user=expired.user, token=token)
    membership = Membership.objects.get(user=expired.user, organisation=organisation)
    assert membership.pk != expired.pk and membership.expires_at is None and membership.role.key == ADMIN
    assert Activity.objects.filter(verb="member.expired").exists()


def test_an_expired_admin_is_not_an_admin_for_the_last_admin_rule(organisation, member):
    admin = member(ADMIN)
    gone = member(ADMIN, expires_at=timezone.now() - timedelta(days=1))
    own = Membership.objects.get(user=admin, organisation=organisation)
    with pytest.raises(Exception, match="last Admin"):
        services.membership_change_role(actor=admin, membership=own, role=DEVELOPER)
    # The expired Admin can be removed: it was not keeping the organisation administered.
    services.membership_remove(actor=admin, membership=Membership.objects.get(user=gone, organisation=organisation))


def test_the_daily_command_deletes_memberships_expired_for_30_days(organisation, member, expired):
    old = Membership.objects.get(
        user=member(DEVELOPER, expires_at=timezone.now() - timedelta(days=31)), organisation=organisation
    )
    call_command("expire_grants", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not Membership.objects.filter(pk=old.pk).exists()
    assert Membership.objects.filter(pk=expired.pk).exists()  # kept a while, to be renewed
    assert Activity.objects.filter(verb="member.expired", target_label=str(old.user)).exists()
