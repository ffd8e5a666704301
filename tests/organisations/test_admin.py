"""Platform staff in the Django admin: search, filters, object permissions, and the last-Admin rule."""

import pytest
from django.urls import reverse

from organisations.models import Membership, Role
from organisations.roles import ADMIN, DEVELOPER
from tests.accounts.factories import UserFactory
from tests.organisations.factories import role_of


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    "changelist",
    ["accounts_user", "organisations_organisation", "organisations_membership", "organisations_activity"],
)
def test_changelists_search_and_filter(staff_client, organisation, member, changelist):
    member(ADMIN)
    url = reverse(f"admin:{changelist}_changelist")
    assert staff_client.get(url).status_code == 200
    assert staff_client.get(url, {"q": "acme"}).status_code == 200


def test_object_permissions_are_managed_through_the_reinforced_admin(staff_client, organisation, member):
    member(DEVELOPER)
    url = reverse("admin:organisations_organisation_permissions", args=[organisation.pk])
    page = staff_client.get(url)
    assert page.status_code == 200
    # The rights are the roles' groups' permissions on the organisation.
    assert Role.objects.get(organisation=organisation, key=DEVELOPER).group.name in page.content.decode()


def test_non_superuser_staff_cannot_edit_object_permissions(client, organisation, member):
    from django.contrib.auth.models import Permission

    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_organisation", "change_organisation"]))
    client.force_login(staff)
    url = reverse("admin:organisations_organisation_permissions", args=[organisation.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    user_url = reverse("admin:organisations_organisation_permissions_manage_user", args=[organisation.pk, staff.pk])
    client.post(user_url, {"permissions": ["delete_organisation"]})
    assert not staff.has_perm("organisations.delete_organisation", organisation)


def test_staff_cannot_demote_the_last_admin(staff_client, organisation, member):
    admin = member(ADMIN)
    membership = Membership.objects.get(user=admin, organisation=organisation)
    url = reverse("admin:organisations_membership_change", args=[membership.pk])
    response = staff_client.post(
        url, {"role": role_of(organisation, DEVELOPER).pk, "expires_at_0": "", "expires_at_1": ""}, follow=True
    )
    assert "last Admin" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role.key == ADMIN


def test_staff_cannot_delete_the_last_admin(staff_client, organisation, member):
    admin = member(ADMIN)
    membership = Membership.objects.get(user=admin, organisation=organisation)
    url = reverse("admin:organisations_membership_delete", args=[membership.pk])
    response = staff_client.post(url, {"post": "yes"}, follow=True)
    assert "last Admin" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_staff_change_a_role_through_the_services(staff_client, organisation, member):

    from organisations.roles import Right

    member(ADMIN)
    developer = member(DEVELOPER)
    membership = Membership.objects.get(user=developer, organisation=organisation)
    url = reverse("admin:organisations_membership_change", args=[membership.pk])
    staff_client.post(url, {"role": role_of(organisation, ADMIN).pk, "expires_at_0": "", "expires_at_1": ""})
    membership.refresh_from_db()
    assert membership.role.key == ADMIN
    assert developer.has_perm(Right.DELETE_ORGANISATION.perm, organisation)
