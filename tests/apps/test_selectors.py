"""The applications list and "who has access" cost a fixed number of queries, at 10 and at 1,000 applications."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps import selectors
from apps.access import LEVEL_PERMISSIONS, Capability
from apps.models import Application, ApplicationGrant, ApplicationUserObjectPermission, Deployment
from billing.models import Flavor
from organisations.models import Membership
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER
from tests.organisations.factories import role_of

from .factories import GrantFactory

# The pinned numbers: change them only on purpose.
LIST_QUERIES = 5
APPLICATION_PAGE_QUERIES = 6  # session, user, memberships, the application with its flavor, last deployment, domains
ACCESS_PAGE_QUERIES = 10
WHO_HAS_ACCESS_QUERIES = 5


def grow(organisation, target: int, start: int = 0) -> None:
    """Bring the organisation to ``target`` applications, each deployed, with members and grants alongside."""
    flavor = Flavor.objects.get(code="xs")
    states = list(Application.State.values)
    applications = Application.objects.bulk_create(
        Application(
            organisation=organisation,
            name=f"bulk-{number:04d}",
            runtime="python",
            region="par",
            flavor=flavor,
            state=states[number % len(states)],
        )
        for number in range(start, target)
    )
    Deployment.objects.bulk_create(
        Deployment(application=application, commit=f"{application.pk:040x}", status="succeeded")
        for application in applications
    )


def add_people(organisation, application, count: int, offset: int) -> None:
    """``count`` members (rights synced) and ``count`` grantees of ``application``, in bulk."""
    User = get_user_model()
    users = User.objects.bulk_create(User(email=f"bulk{offset + n}@example.com") for n in range(2 * count))
    role_ids = [role_of(organisation, key) for key in (ADMIN, MANAGER, DEVELOPER, ACCOUNTING)]
    Membership.objects.bulk_create(
        Membership(organisation=organisation, user=user, role=role_ids[n % 4]) for n, user in enumerate(users[:count])
    )
    levels = list(LEVEL_PERMISSIONS)
    grants = ApplicationGrant.objects.bulk_create(
        ApplicationGrant(application=application, user=user, level=levels[n % 3])
        for n, user in enumerate(users[count:])
    )
    app_permissions = {p.codename: p for p in Permission.objects.filter(content_type__model="application")}
    ApplicationUserObjectPermission.objects.bulk_create(
        ApplicationUserObjectPermission(user=g.user, content_object=application, permission=app_permissions[codename])
        for g in grants
        for codename in LEVEL_PERMISSIONS[g.level]
    )


@pytest.mark.django_db
class TestQueryCounts:
    def test_applications_list(self, client, organisation, member, django_assert_num_queries):
        client.force_login(member(ADMIN))
        url = reverse("apps:list", kwargs={"slug": "acme"})
        grow(organisation, 10)
        with django_assert_num_queries(LIST_QUERIES):
            response = client.get(url)
        assert response.content.decode().count("bulk-") == 10
        grow(organisation, 1000, start=10)
        with django_assert_num_queries(LIST_QUERIES):
            response = client.get(url + "?page=3")
        assert "bulk-0050" in response.content.decode()
        with django_assert_num_queries(LIST_QUERIES):
            response = client.get(url + "?q=bulk-09&state=running&runtime=python&region=par")
        assert response.status_code == 200

    def test_application_detail(self, client, organisation, member, application, django_assert_num_queries):
        """The application's overview costs the same with 1 or 500 deployments and 10 or 1,000 applications."""
        client.force_login(member(ADMIN))
        url = reverse("apps:overview", kwargs={"slug": "acme", "pk": application.pk})
        for deployments, applications in ((1, 10), (500, 1000)):
            Deployment.objects.bulk_create(
                Deployment(application=application, commit=f"{n:040x}", status="succeeded") for n in range(deployments)
            )
            grow(organisation, applications, start=0 if applications == 10 else 10)
            with django_assert_num_queries(APPLICATION_PAGE_QUERIES):
                assert client.get(url).status_code == 200

    def test_who_has_access(self, client, organisation, member, application, django_assert_num_queries):
        client.force_login(member(ADMIN))
        url = reverse("apps:access", kwargs={"slug": "acme", "pk": application.pk})
        grow(organisation, 10)
        add_people(organisation, application, 5, 0)
        with django_assert_num_queries(WHO_HAS_ACCESS_QUERIES):
            selectors.who_has_access(application=application)
        with django_assert_num_queries(ACCESS_PAGE_QUERIES):
            assert client.get(url).status_code == 200
        grow(organisation, 1000, start=10)
        add_people(organisation, application, 200, 100)
        with django_assert_num_queries(WHO_HAS_ACCESS_QUERIES):
            entries = selectors.who_has_access(application=application)
        with django_assert_num_queries(ACCESS_PAGE_QUERIES):
            assert client.get(url).status_code == 200
        # 1 + 5 + 200 members, of which Accountants (a quarter) cannot reach it; 205 grantees.
        assert len(entries) == 1 + 4 + 150 + 205


@pytest.mark.django_db
class TestWhoHasAccess:
    def test_reasons_and_capabilities(self, application, organisation, member, other_user):
        admin, developer, accountant = member(ADMIN), member(DEVELOPER), member(ACCOUNTING)
        GrantFactory(application=application, user=other_user, level="deploy")
        GrantFactory(application=application, user=accountant, level="view")
        entries = {entry.user: entry for entry in selectors.who_has_access(application=application)}
        assert set(entries) == {admin, developer, accountant, other_user}
        assert Capability.DELETE in entries[admin].capabilities and entries[admin].grant is None
        assert Capability.DELETE not in entries[developer].capabilities
        assert entries[other_user].role is None
        assert entries[other_user].capabilities == {Capability.VIEW, Capability.DEPLOY, Capability.OPERATE}
        # A member's grant (left from before they joined) gives nothing: listed, so that it can be revoked.
        assert entries[accountant].role.key == ACCOUNTING and entries[accountant].grant is not None
        assert entries[accountant].capabilities == frozenset()
        assert "direct access" not in str(entries[accountant].reasons)


@pytest.mark.django_db
class TestWhoHasAccessPages:
    def test_members_first_then_grantees_by_email_paginated(self, client, organisation, member, application):
        admin = member(ADMIN)
        client.force_login(admin)
        add_people(organisation, application, 40, 0)  # 40 members (30 reach it: no Accountants), 40 grantees
        rows = list(selectors.people_with_access(application=application))
        members = [row for row in rows if row["is_member"]]
        assert len(members) == 1 + 30 and len(rows) == 1 + 30 + 40
        assert rows[: len(members)] == members  # members first
        assert [row["email"] for row in members] == sorted(row["email"] for row in members)
        url = reverse("apps:access", kwargs={"slug": "acme", "pk": application.pk})
        first = client.get(url).content.decode()
        last = client.get(url + "?page=3").content.decode()
        assert "Page 1 of 3" in first and "Page 3 of 3" in last
        assert first.count("<tr>") == 1 + 25 and last.count("<tr>") == 1 + len(rows) - 50
        assert rows[-1]["email"] in last and rows[-1]["email"] not in first
        assert "Revoke direct access" in last

    def test_a_member_without_the_right_but_with_an_old_grant_is_listed_once(self, organisation, member, application):
        accountant = member(ACCOUNTING)
        GrantFactory(application=application, user=accountant, level="view")
        rows = [row for row in selectors.people_with_access(application=application) if row["user_id"] == accountant.pk]
        assert rows == [{"user_id": accountant.pk, "is_member": True, "email": accountant.email}]
        (entry,) = selectors.access_entries(application=application, user_ids=[accountant.pk])
        assert entry.role.key == ACCOUNTING and entry.capabilities == frozenset() and entry.grant is not None

    def test_only_the_rights_of_the_role_count(self, organisation, member, application):
        from django.contrib.auth.models import Group
        from guardian.shortcuts import assign_perm

        accountant = member(ACCOUNTING)  # no right to see applications by role
        assert accountant.pk not in [row["user_id"] for row in selectors.people_with_access(application=application)]
        # A right given outside the role (to the user, to another group of theirs) gives nothing.
        group = Group.objects.create(name="viewers")
        group.user_set.add(accountant)
        assign_perm("view_applications", group, organisation)
        assign_perm("view_applications", accountant, organisation)
        assert accountant.pk not in [row["user_id"] for row in selectors.people_with_access(application=application)]
        # The role's rights, changed by staff in guardian's admin, hold for everyone with the role.
        assign_perm("view_applications", role_of(organisation, ACCOUNTING).group, organisation)
        rows = [row for row in selectors.people_with_access(application=application) if row["user_id"] == accountant.pk]
        assert rows == [{"user_id": accountant.pk, "is_member": True, "email": accountant.email}]
        (entry,) = selectors.access_entries(application=application, user_ids=[accountant.pk])
        assert Capability.VIEW in entry.capabilities and entry.grant is None

    def test_a_page_and_its_count_in_one_query(self, organisation, member, application, django_assert_num_queries):
        member(ADMIN)
        add_people(organisation, application, 40, 0)  # 1 + 30 members reach it, 40 grantees: 71 people
        rows = list(selectors.people_with_access(application=application))
        with django_assert_num_queries(1):
            page = selectors.people_with_access_page(application=application, number="2", per_page=25)
        assert page.paginator.count == 71 and page.paginator.num_pages == 3 and page.number == 2
        assert page.object_list == rows[25:50]
        last = selectors.people_with_access_page(application=application, number="99", per_page=25)
        assert last.number == 3 and last.object_list == rows[50:]
        assert selectors.people_with_access_page(application=application, number="junk", per_page=25).number == 1
