import pytest
from django.test import Client

from organisations import services
from organisations.models import Activity, Membership
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER
from tests.accounts.factories import PASSWORD, UserFactory
from tests.organisations.factories import MembershipFactory, OrganisationFactory
from tests.organisations.members_support import (
    WHO,
    add_members,
    enable_totp,
    outcome,
    reauthenticate,
    url,
)

pytestmark = pytest.mark.django_db


def signed_in(client, user, *, recently=True):
    client.force_login(user)
    if recently:
        reauthenticate(client)
    return client


class TestMembersPage:
    @pytest.mark.parametrize("who", WHO)
    def test_who_sees_the_members(self, user_as, who):
        client, _ = user_as(who)
        expected = {"anonymous": "sign-in", "outsider": 404, ACCOUNTING: 403}.get(who, 200)
        assert outcome(client.get(url("members"))) == expected

    def test_the_list_shows_each_member(self, client, organisation, member):
        admin = member(ADMIN)
        developer = MembershipFactory(organisation=organisation, role=DEVELOPER, user__name="Dana Dev").user
        enable_totp(admin)
        client.force_login(admin)
        content = client.get(url("members")).content.decode()
        for text in ["Dana Dev", developer.email, admin.email, "Developer", "Admin", "Enabled", "Not set up", "you"]:
            assert text in content

    def test_actions_follow_the_rights_and_the_roles(self, client, organisation, member):
        manager, admin, developer = member(MANAGER), member(ADMIN), member(DEVELOPER)
        client.force_login(manager)
        content = client.get(url("members")).content.decode()
        admin_row = Membership.objects.get(organisation=organisation, user=admin)
        developer_row = Membership.objects.get(organisation=organisation, user=developer)
        assert url("member_role", pk=developer_row.pk) in content
        assert url("member_remove", pk=developer_row.pk) in content
        assert url("member_role", pk=admin_row.pk) not in content  # only an Admin manages Admins
        assert url("member_remove", pk=admin_row.pk) not in content
        client.force_login(developer)
        content = client.get(url("members")).content.decode()
        assert "/role/" not in content and "/remove/" not in content

    def test_filter_by_name_or_email(self, client, organisation, member):
        admin = member(ADMIN)
        MembershipFactory(organisation=organisation, user__name="Zoe Zebra", user__email="zoe@zoo.example")
        MembershipFactory(organisation=organisation, user__name="Yann Yak", user__email="yann@example.com")
        client.force_login(admin)
        for query in ["zebra", "ZOO.example"]:
            content = client.get(url("members"), {"q": query}).content.decode()
            assert "Zoe Zebra" in content and "Yann Yak" not in content

    def test_filter_the_members_without_two_factor(self, client, organisation, member):
        admin = member(ADMIN)
        secured = MembershipFactory(organisation=organisation, user__name="Sam Secure").user
        MembershipFactory(organisation=organisation, user__name="Ursula Unsecured")
        enable_totp(secured)
        client.force_login(admin)
        content = client.get(url("members"), {"without_two_factor": "on"}).content.decode()
        assert "Ursula Unsecured" in content and "Sam Secure" not in content

    def test_the_list_is_paginated(self, client, organisation, member):
        admin = member(ADMIN)
        add_members(organisation, 60)
        client.force_login(admin)
        first = client.get(url("members"))
        assert len(first.context["members"]) == 50
        second = client.get(url("members"), {"page": 2})
        assert len(second.context["members"]) == 11
        # Past the last page, the last page (as on the other list pages), not a 404.
        assert len(client.get(url("members"), {"page": 99}).context["members"]) == 11

    def test_other_organisations_members_are_not_listed(self, client, organisation, member):
        admin = member(ADMIN)
        MembershipFactory(organisation=OrganisationFactory(), user__email="elsewhere@example.com")
        client.force_login(admin)
        assert "elsewhere@example.com" not in client.get(url("members")).content.decode()

    # session, user, memberships with the rights, the page and its count (+ the roles they may manage and the
    # pending invitations for an Admin)
    @pytest.mark.parametrize(("role", "queries"), [(ADMIN, 7), (DEVELOPER, 5)])
    def test_query_count_does_not_grow_with_the_members(
        self, client, organisation, member, role, queries, django_assert_num_queries
    ):
        viewer = member(role)
        client.force_login(viewer)
        MembershipFactory(organisation=organisation, role=ADMIN)
        for size in (10, 500):
            add_members(organisation, size - Membership.objects.filter(organisation=organisation).count())
            assert Membership.objects.filter(organisation=organisation).count() == size
            for page in (1, 2) if size > 50 else (1,):
                with django_assert_num_queries(queries):
                    assert client.get(url("members"), {"page": page}).status_code == 200
        with django_assert_num_queries(queries):
            client.get(url("members"), {"q": "bulk", "without_two_factor": "on"})


ROLE_CHANGES = [
    # actor, the member's role, the new role, allowed
    (ADMIN, ADMIN, MANAGER, True),
    (ADMIN, DEVELOPER, ADMIN, True),
    (ADMIN, ACCOUNTING, DEVELOPER, True),
    (MANAGER, DEVELOPER, MANAGER, True),
    # A Manager holds no billing right: they cannot grant, change or take the Accountant's.
    (MANAGER, ACCOUNTING, DEVELOPER, False),
    (MANAGER, MANAGER, ACCOUNTING, False),
    (MANAGER, ADMIN, MANAGER, False),
    (MANAGER, DEVELOPER, ADMIN, False),
]


class TestChangeRole:
    @pytest.mark.parametrize(("actor_role", "target_role", "new_role", "allowed"), ROLE_CHANGES)
    def test_who_may_give_which_role(self, client, organisation, member, actor_role, target_role, new_role, allowed):
        member(ADMIN)  # an Admin besides, so the last-Admin rule is not what decides
        actor, target = member(actor_role), Membership.objects.get(organisation=organisation, user=member(target_role))
        signed_in(client, actor)
        response = client.post(url("member_role", pk=target.pk), {"role": new_role})
        target.refresh_from_db()
        if allowed:
            assert response.status_code == 302 and target.role.key == new_role
            assert Activity.objects.filter(verb="member.role_changed", actor=actor).exists()
        else:
            assert response.status_code == 200 and target.role.key == target_role
            assert not Activity.objects.filter(verb="member.role_changed").exists()

    @pytest.mark.parametrize("who", WHO)
    def test_who_reaches_the_role_page(self, user_as, organisation, member, who):
        target = Membership.objects.get(organisation=organisation, user=member(DEVELOPER))
        client, user = user_as(who)
        if user is not None:
            reauthenticate(client)
        expected = {"anonymous": "sign-in", "outsider": 404, ADMIN: 200, MANAGER: 200}.get(who, 403)
        assert outcome(client.get(url("member_role", pk=target.pk))) == expected
        assert outcome(client.post(url("member_role", pk=target.pk), {"role": MANAGER})) == (
            302 if expected == 200 else expected
        )
        target.refresh_from_db()
        assert (target.role.key == MANAGER) is (expected == 200)

    def test_the_last_admin_cannot_be_demoted(self, client, organisation, member):
        admin = member(ADMIN)
        own = Membership.objects.get(organisation=organisation, user=admin)
        signed_in(client, admin)
        response = client.post(url("member_role", pk=own.pk), {"role": MANAGER})
        assert response.status_code == 200
        assert "Appoint another Admin first" in response.content.decode()
        own.refresh_from_db()
        assert own.role.key == ADMIN

    def test_a_member_of_another_organisation_is_not_found(self, client, organisation, member):
        elsewhere = MembershipFactory(organisation=OrganisationFactory(), role=DEVELOPER)
        signed_in(client, member(ADMIN))
        assert client.post(url("member_role", pk=elsewhere.pk), {"role": ACCOUNTING}).status_code == 404
        elsewhere.refresh_from_db()
        assert elsewhere.role.key == DEVELOPER

    def test_an_unknown_role_is_a_form_error(self, client, organisation, member):
        target = Membership.objects.get(organisation=organisation, user=member(DEVELOPER))
        signed_in(client, member(ADMIN))
        assert client.post(url("member_role", pk=target.pk), {"role": "OWNER"}).status_code == 200
        target.refresh_from_db()
        assert target.role.key == DEVELOPER

    def test_a_role_change_asks_for_recent_authentication(self, client, organisation, member):
        target = Membership.objects.get(organisation=organisation, user=member(DEVELOPER))
        signed_in(client, member(ADMIN), recently=False)
        response = client.post(url("member_role", pk=target.pk), {"role": MANAGER})
        assert response.status_code == 302 and response["Location"].startswith("/accounts/reauthenticate/")
        target.refresh_from_db()
        assert target.role.key == DEVELOPER
        # Once signed in again, allauth carries out the interrupted request.
        client.post(response["Location"], {"password": PASSWORD})
        target.refresh_from_db()
        assert target.role.key == MANAGER

    def test_a_wrong_password_changes_nothing(self, client, organisation, member):
        target = Membership.objects.get(organisation=organisation, user=member(DEVELOPER))
        signed_in(client, member(ADMIN), recently=False)
        response = client.post(url("member_role", pk=target.pk), {"role": MANAGER})
        client.post(response["Location"], {"password": "wrong"})
        target.refresh_from_db()
        assert target.role.key == DEVELOPER

    def test_the_form_needs_its_csrf_token(self, organisation, member):
        target = Membership.objects.get(organisation=organisation, user=member(DEVELOPER))
        client = signed_in(Client(enforce_csrf_checks=True), member(ADMIN), recently=False)
        # The reauthentication form is itself protected: sign in again with a valid token first.
        page = client.get("/accounts/reauthenticate/")
        client.post(
            "/accounts/reauthenticate/", {"password": PASSWORD, "csrfmiddlewaretoken": page.context["csrf_token"]}
        )
        response = client.post(url("member_role", pk=target.pk), {"role": MANAGER})
        assert response.status_code == 403
        target.refresh_from_db()
        assert target.role.key == DEVELOPER
        page = client.get(url("member_role", pk=target.pk))
        client.post(
            url("member_role", pk=target.pk), {"role": MANAGER, "csrfmiddlewaretoken": page.context["csrf_token"]}
        )
        target.refresh_from_db()
        assert target.role.key == MANAGER


REMOVALS = [
    (ADMIN, ADMIN, True),
    (ADMIN, MANAGER, True),
    (ADMIN, ACCOUNTING, True),
    (MANAGER, MANAGER, True),
    (MANAGER, DEVELOPER, True),
    (MANAGER, ACCOUNTING, False),
    (MANAGER, ADMIN, False),
]


class TestRemove:
    @pytest.mark.parametrize(("actor_role", "target_role", "allowed"), REMOVALS)
    def test_who_may_remove_whom(self, client, organisation, member, actor_role, target_role, allowed):
        member(ADMIN)
        actor, target = member(actor_role), Membership.objects.get(organisation=organisation, user=member(target_role))
        signed_in(client, actor)
        response = client.post(url("member_remove", pk=target.pk))
        assert Membership.objects.filter(pk=target.pk).exists() is not allowed
        if allowed:
            assert response.status_code == 302
            assert Activity.objects.filter(verb="member.removed", actor=actor).exists()
        else:
            assert response.status_code == 200 and "alert--error" in response.content.decode()

    @pytest.mark.parametrize("who", WHO)
    def test_who_reaches_the_remove_page(self, user_as, organisation, member, who):
        target = Membership.objects.get(organisation=organisation, user=member(DEVELOPER))
        client, user = user_as(who)
        if user is not None:
            reauthenticate(client)
        expected = {"anonymous": "sign-in", "outsider": 404, ADMIN: 200, MANAGER: 200}.get(who, 403)
        assert outcome(client.get(url("member_remove", pk=target.pk))) == expected
        client.post(url("member_remove", pk=target.pk))
        assert Membership.objects.filter(pk=target.pk).exists() is (expected != 200)

    def test_the_last_admin_cannot_be_removed(self, client, organisation, member):
        admin = member(ADMIN)
        own = Membership.objects.get(organisation=organisation, user=admin)
        signed_in(client, admin)
        response = client.post(url("member_remove", pk=own.pk))
        assert "Appoint another Admin first" in response.content.decode()
        assert Membership.objects.filter(pk=own.pk).exists()

    def test_removal_asks_for_recent_authentication(self, client, organisation, member):
        target = Membership.objects.get(organisation=organisation, user=member(DEVELOPER))
        signed_in(client, member(ADMIN), recently=False)
        response = client.get(url("member_remove", pk=target.pk))
        assert response["Location"].startswith("/accounts/reauthenticate/")
        client.post(url("member_remove", pk=target.pk))
        assert Membership.objects.filter(pk=target.pk).exists()

    def test_a_removed_member_loses_access(self, client, organisation, member):
        developer = member(DEVELOPER)
        target = Membership.objects.get(organisation=organisation, user=developer)
        signed_in(client, member(ADMIN))
        client.post(url("member_remove", pk=target.pk))
        other = Client()
        other.force_login(developer)
        assert other.get(url("members")).status_code == 404


class TestLeave:
    @pytest.mark.parametrize("who", WHO)
    def test_every_member_may_leave(self, user_as, organisation, member, who):
        member(ADMIN)  # another Admin: leaving is allowed for every role
        client, user = user_as(who)
        expected = {"anonymous": "sign-in", "outsider": 404}.get(who, 200)
        assert outcome(client.get(url("leave"))) == expected
        response = client.post(url("leave"))
        if expected == 200:
            assert response.status_code == 302
            assert not Membership.objects.filter(organisation=organisation, user=user).exists()
            assert Activity.objects.filter(verb="member.left", actor=user).exists()

    def test_the_last_admin_cannot_leave(self, client, organisation, member):
        admin = member(ADMIN)
        member(MANAGER)
        client.force_login(admin)
        response = client.post(url("leave"))
        assert response.status_code == 200
        assert "Appoint another Admin first" in response.content.decode()
        assert Membership.objects.filter(organisation=organisation, user=admin).exists()

    def test_after_appointing_another_admin_the_admin_may_leave(self, client, organisation, member):
        admin, manager = member(ADMIN), member(MANAGER)
        services.membership_change_role(
            actor=admin,
            membership=Membership.objects.get(organisation=organisation, user=manager),
            role=ADMIN,
        )
        client.force_login(admin)
        client.post(url("leave"))
        assert not Membership.objects.filter(organisation=organisation, user=admin).exists()

    def test_leaving_needs_the_csrf_token(self, organisation, member):
        developer = member(DEVELOPER)
        client = Client(enforce_csrf_checks=True)
        client.force_login(developer)
        assert client.post(url("leave")).status_code == 403
        assert Membership.objects.filter(organisation=organisation, user=developer).exists()


def test_an_outsider_learns_nothing_from_member_urls(client, organisation, member):
    target = Membership.objects.get(organisation=organisation, user=member(DEVELOPER))
    client.force_login(UserFactory())
    for name in ["member_role", "member_remove"]:
        assert client.get(url(name, pk=target.pk)).status_code == 404
        assert client.get(url(name, pk=999999)).status_code == 404


class TestAnotherRequestWonTheRace:
    """The member page was read, then another request removed the member before this one took its locks."""

    @pytest.fixture
    def removed_meanwhile(self, organisation, member, monkeypatch):
        target = Membership.objects.get(organisation=organisation, user=member(DEVELOPER))
        lock = services._lock

        def lock_after_the_other_request(locked):
            Membership.objects.filter(pk=target.pk).delete()
            return lock(locked)

        monkeypatch.setattr(services, "_lock", lock_after_the_other_request)
        return target

    @pytest.mark.parametrize(("name", "data"), [("member_remove", {}), ("member_role", {"role": MANAGER})])
    def test_the_loser_gets_a_message_on_the_member_list(self, client, member, removed_meanwhile, name, data):
        signed_in(client, member(ADMIN))
        response = client.post(url(name, pk=removed_meanwhile.pk), data, follow=True)
        assert response.redirect_chain[-1] == (url("members"), 302)
        assert f"{removed_meanwhile.user.email} is no longer a member of this organisation" in response.content.decode()

    def test_leaving_twice_gets_a_message(self, client, organisation, removed_meanwhile):
        client.force_login(removed_meanwhile.user)
        response = client.post(url("leave"), follow=True)
        assert response.status_code == 200
        assert "You are no longer a member of this organisation." in response.content.decode()


@pytest.mark.parametrize("query", [{"q": "dana\x00"}, {"q": "x" * 300}, {"q": "a\r\nb"}])
def test_a_member_filter_that_is_not_valid_is_an_error_on_the_page(client, organisation, member, query):
    admin = member(ADMIN)
    client.force_login(admin)
    response = client.get(url("members"), query)
    assert response.status_code == 200
    assert response.context["filter_form"].errors["q"]
    assert 'class="field__error"' in response.content.decode()
    assert admin in [membership.user for membership in response.context["members"]]
