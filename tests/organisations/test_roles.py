import pytest
from django.core.exceptions import ValidationError

from organisations import services
from organisations.access import organisation_access, organisation_roles
from organisations.models import Activity, Invitation, Membership, Role
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER, RIGHT_DESCRIPTIONS, Right, can_manage, roles
from tests.organisations.members_support import reauthenticate, url

# The reference matrix of DESIGN.md, written out once more by hand so that a change to roles.py is a decision.
MATRIX = {
    Right.INVITE_MEMBERS: {ADMIN, MANAGER},
    Right.REMOVE_MEMBERS: {ADMIN, MANAGER},
    Right.ADD_APPLICATIONS: {ADMIN, MANAGER, DEVELOPER},
    Right.REMOVE_APPLICATIONS: {ADMIN, MANAGER},
    Right.MANAGE_ADDONS: {ADMIN, MANAGER},
    Right.CHANGE_ORGANISATION: {ADMIN, MANAGER},
    Right.DELETE_ORGANISATION: {ADMIN},
    Right.VIEW_BILLING: {ADMIN, ACCOUNTING},
    Right.DEPLOY_APPLICATIONS: {ADMIN, MANAGER, DEVELOPER},
    Right.VIEW_APPLICATIONS: {ADMIN, MANAGER, DEVELOPER},
    Right.OPERATE_APPLICATIONS: {ADMIN, MANAGER, DEVELOPER},
    Right.VIEW_MEMBERS: {ADMIN, MANAGER, DEVELOPER},
    Right.CHANGE_MEMBER_ROLES: {ADMIN, MANAGER},
    Right.MANAGE_BILLING: {ADMIN, ACCOUNTING},
    Right.VIEW_ACTIVITY: {ADMIN, MANAGER},
}


@pytest.mark.parametrize("right", list(MATRIX))
def test_roles_hold_the_rights_of_the_reference_matrix(right):
    assert set(roles.with_right(right)) == MATRIX[right]


def test_the_accountant_holds_billing_rights_only():
    assert roles.get(ACCOUNTING).rights == {Right.VIEW_BILLING, Right.MANAGE_BILLING}


def test_admin_holds_every_right():
    assert roles.get(ADMIN).rights == set(Right)


@pytest.mark.parametrize(
    ("actor", "target", "allowed"),
    [
        (ADMIN, ADMIN, True),
        (ADMIN, ACCOUNTING, True),
        (MANAGER, ADMIN, False),
        (MANAGER, MANAGER, True),
        (MANAGER, DEVELOPER, True),
        # A Manager holds no billing right, so cannot grant the Accountant's.
        (MANAGER, ACCOUNTING, False),
        (ACCOUNTING, ACCOUNTING, True),
        (ACCOUNTING, DEVELOPER, False),
        (DEVELOPER, MANAGER, False),
    ],
)
def test_only_an_admin_manages_admins_and_nobody_grants_rights_they_do_not_hold(actor, target, allowed):
    assert roles.can_manage(actor, target) is allowed


def test_roles_are_listed_highest_first():
    assert [role.id for role in roles] == [ADMIN, MANAGER, DEVELOPER, ACCOUNTING]
    assert roles.top.id == ADMIN


@pytest.mark.django_db
class TestCustomRoles:
    """Who manages whom, with roles of the organisation (rows) and custom ones."""

    @pytest.fixture
    def custom(self, organisation):
        def make(name, rights):
            return services.role_create(actor=None, organisation=organisation, name=name, rights=rights, by_staff=True)

        return make

    def test_every_organisation_has_the_built_in_roles_with_the_reference_rights(self, organisation):
        rows = {role.key: role for role in organisation_roles(organisation=organisation)}
        assert set(rows) == {ADMIN, MANAGER, DEVELOPER, ACCOUNTING}
        for key, role in rows.items():
            assert role.rights == roles.get(key).rights
        assert [role.key for role in organisation_roles(organisation=organisation)] == [
            ADMIN,
            MANAGER,
            DEVELOPER,
            ACCOUNTING,
        ]

    @pytest.mark.parametrize(
        ("actor", "rights", "allowed"),
        [
            (MANAGER, {Right.VIEW_ORGANISATION, Right.VIEW_APPLICATIONS, Right.VIEW_MEMBERS}, True),
            (DEVELOPER, {Right.VIEW_ORGANISATION, Right.VIEW_APPLICATIONS, Right.VIEW_MEMBERS}, True),
            (MANAGER, {Right.VIEW_BILLING}, False),
            (ACCOUNTING, {Right.VIEW_BILLING}, True),
            (ACCOUNTING, {Right.VIEW_APPLICATIONS}, False),
            (ADMIN, set(Right), True),
            (MANAGER, set(Right), False),
        ],
    )
    def test_a_custom_role_is_managed_by_members_holding_all_its_rights(
        self, organisation, custom, actor, rights, allowed
    ):
        role = custom("Custom", rights)
        actor_role = Role.objects.get(organisation=organisation, key=actor)
        assert can_manage(actor_role, role) is allowed

    def test_a_member_of_a_custom_role_manages_only_within_its_rights(self, organisation, custom, member):
        lead = custom("Team lead", roles.get(DEVELOPER).rights | {Right.CHANGE_MEMBER_ROLES, Right.INVITE_MEMBERS})
        user = member(DEVELOPER)
        Membership.objects.filter(user=user, organisation=organisation).update(role=lead)
        developer = Membership.objects.get(user=member(DEVELOPER), organisation=organisation)
        viewer = custom("Viewer", {Right.VIEW_ORGANISATION, Right.VIEW_APPLICATIONS})
        services.membership_change_role(actor=user, membership=developer, role=viewer)
        with pytest.raises(ValidationError):
            services.membership_change_role(actor=user, membership=developer, role=MANAGER)
        with pytest.raises(ValidationError, match="Admin"):
            services.membership_change_role(actor=user, membership=developer, role=ADMIN)
        access = organisation_access(user=user, slug=organisation.slug)
        assert [role.key for role in access.manageable_roles() if role.key] == [DEVELOPER]
        assert {role.name for role in access.manageable_roles() if not role.key} == {"Team lead", "Viewer"}

    def test_a_custom_role_with_every_right_is_not_the_admin_role(self, organisation, custom, member):
        everything = custom("Everything", set(Right))
        admin = member(ADMIN)
        membership = Membership.objects.get(user=admin, organisation=organisation)
        # The last Admin stays an Admin: a role holding the same rights is not the Admin role.
        with pytest.raises(ValidationError, match="last Admin"):
            services.membership_change_role(actor=admin, membership=membership, role=everything)

    def test_admins_create_change_and_delete_custom_roles_logged_with_rights(self, organisation, member):
        admin, manager = member(ADMIN), member(MANAGER)
        with pytest.raises(ValidationError, match="Admin"):
            services.role_create(actor=manager, organisation=organisation, name="X", rights={Right.VIEW_ORGANISATION})
        role = services.role_create(
            actor=admin, organisation=organisation, name="Viewer", rights={Right.VIEW_ORGANISATION}
        )
        with pytest.raises(ValidationError, match="already has a role"):
            services.role_create(actor=admin, organisation=organisation, name="viewer", rights=set())
        with pytest.raises(ValidationError, match="already has a role"):
            services.role_create(actor=admin, organisation=organisation, name="Developer", rights=set())
        holder = member(DEVELOPER)
        services.membership_change_role(
            actor=admin, membership=Membership.objects.get(user=holder, organisation=organisation), role=role
        )
        services.role_update(
            actor=admin,
            role=role,
            name="Viewer",
            description="Reads",
            rights={Right.VIEW_ORGANISATION, Right.VIEW_APPLICATIONS},
        )
        assert organisation_access(user=holder, slug=organisation.slug).has(Right.VIEW_APPLICATIONS)
        entry = Activity.objects.get(verb="role.updated")
        assert entry.before["rights"] == ["view_organisation"]
        assert entry.after["rights"] == ["view_applications", "view_organisation"]

        with pytest.raises(ValidationError, match="move to"):
            services.role_delete(actor=admin, role=role)
        services.role_delete(actor=admin, role=role, replacement=DEVELOPER)
        assert Membership.objects.get(user=holder, organisation=organisation).role.key == DEVELOPER
        assert not Role.objects.filter(pk=role.pk).exists()
        deleted = Activity.objects.get(verb="role.deleted")
        assert deleted.before["rights"] == ["view_applications", "view_organisation"]
        assert deleted.before["members"] == [holder.email]

    def test_built_in_roles_cannot_be_changed_or_deleted(self, organisation, member):
        admin = member(ADMIN)
        developer = Role.objects.get(organisation=organisation, key=DEVELOPER)
        with pytest.raises(ValidationError, match="built-in"):
            services.role_update(actor=admin, role=developer, name="Dev", rights=set())
        with pytest.raises(ValidationError, match="built-in"):
            services.role_delete(actor=admin, role=developer, replacement=MANAGER)
        assert developer.rights == roles.get(DEVELOPER).rights


@pytest.mark.django_db
class TestRolesPage:
    @pytest.fixture
    def viewer(self, organisation):
        return services.role_create(
            actor=None,
            organisation=organisation,
            name="Viewer",
            rights={Right.VIEW_ORGANISATION, Right.VIEW_APPLICATIONS, Right.VIEW_MEMBERS},
            by_staff=True,
        )

    @pytest.mark.parametrize("who", [ADMIN, MANAGER, DEVELOPER, ACCOUNTING, "outsider"])
    def test_every_role_with_its_rights_for_those_who_see_members(self, user_as, viewer, who):
        client, _ = user_as(who)
        response = client.get(url("roles"))
        expected = {ACCOUNTING: 403, "outsider": 404}.get(who, 200)
        assert response.status_code == expected
        if expected == 200:
            page = response.content.decode()
            for name in ("Admin", "Manager", "Developer", "Accountant", "Viewer"):
                assert name in page
            assert str(RIGHT_DESCRIPTIONS[Right.MANAGE_BILLING]) in page
            assert (url("role_update", role_id=viewer.pk) in page) is (who == ADMIN)
            assert (url("role_create") in page) is (who == ADMIN)

    def test_the_matrix_says_which_role_holds_which_right(self, user_as, viewer):
        client, _ = user_as(DEVELOPER)
        response = client.get(url("roles"))
        columns = response.context["roles"]
        assert [str(role) for role in columns] == ["Admin", "Manager", "Developer", "Accountant", "Viewer"]
        assert columns[-1].rights == {Right.VIEW_ORGANISATION, Right.VIEW_APPLICATIONS, Right.VIEW_MEMBERS}

    @pytest.mark.parametrize("who", [MANAGER, DEVELOPER])
    def test_only_admins_edit_roles(self, user_as, viewer, who):
        client, _ = user_as(who)
        assert client.get(url("role_create")).status_code == 403
        assert client.post(url("role_update", role_id=viewer.pk), {"name": "X"}).status_code == 403
        assert client.post(url("role_delete", role_id=viewer.pk)).status_code == 403
        viewer.refresh_from_db()
        assert viewer.name == "Viewer"

    def test_an_admin_creates_a_role_from_a_suggestion(self, user_as, organisation):
        client, _ = user_as(ADMIN)
        form = client.get(url("role_create"), {"start": "billing"}).context["form"]
        assert form.initial["rights"] == [Right.VIEW_BILLING.value]
        response = client.post(
            url("role_create"), {"name": "Billing only", "description": "", "rights": [Right.VIEW_BILLING.value]}
        )
        assert response.status_code == 302
        role = Role.objects.get(organisation=organisation, name="Billing only")
        assert role.rights == {Right.VIEW_BILLING} and not role.is_builtin
        assert Activity.objects.get(verb="role.created").after["rights"] == ["view_billing"]

    def test_built_in_roles_have_no_edit_page(self, user_as, organisation):
        client, _ = user_as(ADMIN)
        developer = Role.objects.get(organisation=organisation, key=DEVELOPER)
        assert client.get(url("role_update", role_id=developer.pk)).status_code == 404
        assert client.post(url("role_delete", role_id=developer.pk)).status_code == 404

    def test_an_admin_edits_a_role_and_its_members_get_the_rights_at_once(self, user_as, organisation, viewer, member):
        holder = member(DEVELOPER)
        Membership.objects.filter(user=holder, organisation=organisation).update(role=viewer)
        client, _ = user_as(ADMIN)
        response = client.post(
            url("role_update", role_id=viewer.pk),
            {"name": "Viewer", "description": "", "rights": [Right.VIEW_ORGANISATION.value]},
        )
        assert response.status_code == 302
        assert organisation_access(user=holder, slug=organisation.slug).rights == {Right.VIEW_ORGANISATION.value}

    def test_deleting_a_role_in_use_asks_where_its_members_go(self, user_as, organisation, viewer, member):
        holder = member(DEVELOPER)
        Membership.objects.filter(user=holder, organisation=organisation).update(role=viewer)
        client, _ = user_as(ADMIN)
        response = client.post(url("role_delete", role_id=viewer.pk), {"replacement": ""})
        assert response.status_code == 200 and "replacement" in response.context["form"].errors
        response = client.post(url("role_delete", role_id=viewer.pk), {"replacement": DEVELOPER})
        assert response.status_code == 302
        assert Membership.objects.get(user=holder, organisation=organisation).role.key == DEVELOPER
        assert not Role.objects.filter(pk=viewer.pk).exists()

    def test_the_invite_and_role_change_forms_offer_custom_roles(self, user_as, organisation, viewer, member):
        client, _ = user_as(MANAGER)
        choices = dict(client.get(url("invite")).context["form"].fields["role"].choices)
        assert choices[str(viewer.pk)] == "Viewer" and ADMIN not in choices and ACCOUNTING not in choices
        response = client.post(url("invite"), {"email": "guest@example.com", "role": str(viewer.pk)})
        assert response.status_code == 302
        assert Invitation.objects.get(email="guest@example.com").role == viewer
        target = Membership.objects.get(user=member(DEVELOPER), organisation=organisation)
        reauthenticate(client)
        response = client.post(url("member_role", pk=target.pk), {"role": str(viewer.pk)})
        assert response.status_code == 302
        target.refresh_from_db()
        assert target.role == viewer
