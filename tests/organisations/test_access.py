"""The request's access to an organisation: memberships and rights read in one query."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm, get_perms

from organisations.access import memberships_with_rights, organisation_access
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER, Right
from tests.accounts.factories import UserFactory
from tests.organisations.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [ADMIN, MANAGER, DEVELOPER, ACCOUNTING])
def test_the_rights_are_the_ones_guardian_holds(organisation, member, role):
    user = member(role)
    _memberships, rights = memberships_with_rights(user=user, slug=organisation.slug)
    assert rights == set(get_perms(user, organisation))  # guardian's own answer
    assert rights  # every role has rights


def test_memberships_are_in_switcher_order_and_rights_only_for_the_named_organisation(organisation, member):
    user = member(ACCOUNTING)
    zeta = OrganisationFactory(name="Zeta", slug="zeta")
    MembershipFactory(organisation=zeta, user=user, role=ADMIN)
    expired = OrganisationFactory(name="Beta", slug="beta")
    MembershipFactory(organisation=expired, user=user, role=ADMIN, expires_at=timezone.now() - timedelta(minutes=1))

    memberships, rights = memberships_with_rights(user=user, slug=organisation.slug)

    names = [membership.organisation.name for membership in memberships]
    assert memberships[0].organisation.is_personal is True  # the personal space comes first
    assert names[1:] == ["Acme Web Agency", "Zeta"]  # by name; the expired membership is left out
    # The Accountant's rights in Acme, not the Admin's rights in Zeta.
    assert Right.VIEW_BILLING.value in rights
    assert Right.DELETE_ORGANISATION.value not in rights
    acme = memberships[1]
    assert (acme.role, acme.user_id, acme.organisation_id) == (ACCOUNTING, user.pk, organisation.pk)


def test_a_right_held_through_a_group_counts(client, organisation, member):
    accountant = member(ACCOUNTING)
    client.force_login(accountant)
    members_url = reverse("organisations:members", args=[organisation.slug])
    assert client.get(members_url).status_code == 403

    group = Group.objects.create(name="Auditors")
    accountant.groups.add(group)
    assign_perm(Right.VIEW_MEMBERS.value, group, organisation)
    # The same right on another organisation gives nothing here.
    other = OrganisationFactory(slug="other")
    assign_perm(Right.DELETE_ORGANISATION.value, group, other)

    _memberships, rights = memberships_with_rights(user=accountant, slug=organisation.slug)
    assert Right.VIEW_MEMBERS.value in rights
    assert Right.DELETE_ORGANISATION.value not in rights
    assert client.get(members_url).status_code == 200


def test_a_person_without_membership_gets_404_and_sees_their_memberships_in_the_access(organisation, member):
    user = UserFactory()
    with pytest.raises(Http404):
        organisation_access(user=user, slug=organisation.slug)

    admin = member(ADMIN)
    access = organisation_access(user=admin, slug=organisation.slug)
    assert access.organisation == organisation
    assert access.has(Right.DELETE_ORGANISATION)
    assert [m.organisation.slug for m in access.memberships][1:] == ["acme"]
    # The dates are not read with the access, but are there when asked for.
    assert access.membership.joined_at is not None
