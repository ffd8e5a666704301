"""The request's access to an organisation: memberships and rights read in one query."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm, get_perms, remove_perm

from organisations import services
from organisations.access import memberships_with_rights, organisation_access
from organisations.models import Membership, OrganisationUserObjectPermission, Role
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER, Right, roles
from tests.accounts.factories import UserFactory
from tests.organisations.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [ADMIN, MANAGER, DEVELOPER, ACCOUNTING])
def test_the_rights_are_the_ones_guardian_holds_for_the_role(organisation, member, role):
    user = member(role)
    _memberships, rights = memberships_with_rights(user=user, slug=organisation.slug)
    role_row = Role.objects.get(organisation=organisation, key=role)
    assert rights == set(get_perms(role_row.group, organisation))  # guardian's own answer, for the role's group
    assert rights == {right.value for right in roles.get(role).rights}  # the reference matrix
    assert not OrganisationUserObjectPermission.objects.exists()  # no per-member copy


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
    assert (acme.role.key, acme.user_id, acme.organisation_id) == (ACCOUNTING, user.pk, organisation.pk)


def test_a_right_outside_the_role_gives_nothing(client, organisation, member):
    """Found from outside: a superuser gave a Developer billing in guardian's admin page, and billing opened while
    the role still said Developer. Only the role gives rights: a permission given to the user, or to another group
    of theirs, gives nothing."""
    developer = member(DEVELOPER)
    client.force_login(developer)
    invoices_url = reverse("billing:invoices", args=[organisation.slug])
    assert client.get(invoices_url).status_code == 403

    assign_perm(Right.VIEW_BILLING.value, developer, organisation)
    group = Group.objects.create(name="Auditors")
    developer.groups.add(group)
    assign_perm(Right.VIEW_BILLING.value, group, organisation)

    _memberships, rights = memberships_with_rights(user=developer, slug=organisation.slug)
    assert Right.VIEW_BILLING.value not in rights
    assert client.get(invoices_url).status_code == 403
    assert not developer.has_perm(Right.VIEW_BILLING.perm, organisation)  # Django's answer agrees
    assert developer.has_perm(Right.VIEW_APPLICATIONS.perm, organisation)


def test_staff_changing_a_roles_group_permissions_changes_it_for_everyone_holding_it(client, organisation, member):
    first, second = member(DEVELOPER), member(DEVELOPER)
    developer_role = Role.objects.get(organisation=organisation, key=DEVELOPER)
    assign_perm(Right.VIEW_BILLING.value, developer_role.group, organisation)
    for user in (first, second):
        assert organisation_access(user=user, slug=organisation.slug).has(Right.VIEW_BILLING)
    remove_perm(Right.VIEW_BILLING.value, developer_role.group, organisation)
    assert not organisation_access(user=first, slug=organisation.slug).has(Right.VIEW_BILLING)


def test_a_role_changed_by_a_queryset_update_changes_the_rights_at_once(organisation, member):
    """Found from outside: ``Membership.objects.update(role=…)`` left the former rights in place."""
    admin = member(ADMIN)
    membership = Membership.objects.get(organisation=organisation, user=admin)
    Membership.objects.filter(pk=membership.pk).update(role=Role.objects.get(organisation=organisation, key=ACCOUNTING))
    access = organisation_access(user=admin, slug=organisation.slug)
    assert access.rights == {Right.VIEW_BILLING.value, Right.MANAGE_BILLING.value}
    assert access.role.key == ACCOUNTING


def test_an_expired_membership_gives_nothing(organisation, member):
    admin = member(ADMIN)
    Membership.objects.filter(user=admin, organisation=organisation).update(expires_at=timezone.now())
    with pytest.raises(Http404):
        organisation_access(user=admin, slug=organisation.slug)


def test_the_rights_of_a_custom_role(organisation, member):
    user = member(DEVELOPER)
    viewer = services.role_create(
        actor=None,
        organisation=organisation,
        name="Viewer",
        description="",
        rights={Right.VIEW_ORGANISATION, Right.VIEW_APPLICATIONS},
        by_staff=True,
    )
    Membership.objects.filter(user=user, organisation=organisation).update(role=viewer)
    access = organisation_access(user=user, slug=organisation.slug)
    assert access.rights == {Right.VIEW_ORGANISATION.value, Right.VIEW_APPLICATIONS.value}
    assert access.role == viewer and access.role.rights == {Right.VIEW_ORGANISATION, Right.VIEW_APPLICATIONS}


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
