import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection
from guardian.shortcuts import get_perms

from organisations import services
from organisations.access import memberships_with_rights
from organisations.models import Activity, Membership, Organisation
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER, Right, roles
from tests.accounts.factories import UserFactory
from tests.organisations.factories import MembershipFactory


def rights_of(user, organisation):
    """The user's rights on the organisation as the one reader reads them, checked against guardian's answer for
    their role's group."""
    _memberships, rights = memberships_with_rights(user=user, slug=organisation.slug)
    membership = Membership.objects.active().filter(user=user, organisation=organisation).first()
    if membership is not None:
        assert rights == set(get_perms(membership.role.group, organisation))
    return set(rights)


@pytest.mark.django_db
class TestPersonalSpace:
    def test_every_new_account_gets_a_personal_space_it_administers(self):
        user = UserFactory(email="zoe@example.com", name="Zoe")
        membership = Membership.objects.get(user=user)
        assert membership.organisation.is_personal
        assert membership.role.key == ADMIN
        assert rights_of(user, membership.organisation) == {right.value for right in Right}

    def test_a_personal_space_cannot_have_members(self):
        owner = UserFactory()
        space = Organisation.objects.get(memberships__user=owner)
        with pytest.raises(ValidationError, match="cannot have members"):
            services.membership_add(actor=owner, organisation=space, user=UserFactory(), role=DEVELOPER)
        assert space.memberships.count() == 1

    def test_a_personal_space_cannot_be_deleted_or_left(self):
        owner = UserFactory()
        space = Organisation.objects.get(memberships__user=owner)
        with pytest.raises(ValidationError):
            services.organisation_delete(actor=owner, organisation=space, confirm_name=space.name)
        with pytest.raises(ValidationError):
            services.membership_leave(membership=space.memberships.get())
        assert Organisation.objects.filter(pk=space.pk).exists()


@pytest.mark.django_db
class TestOrganisation:
    def test_the_creator_becomes_its_admin_and_it_is_logged(self):
        user = UserFactory()
        organisation = services.organisation_create(actor=user, name="Globex", description="Web studio")
        assert organisation.slug == "globex"
        assert Membership.objects.get(organisation=organisation, user=user).role.key == ADMIN
        assert Right.DELETE_ORGANISATION.value in rights_of(user, organisation)
        entry = Activity.objects.get(organisation=organisation)
        assert (entry.verb, entry.actor, entry.after["name"]) == ("organisation.created", user, "Globex")

    def test_slugs_stay_unique(self):
        user = UserFactory()
        first = services.organisation_create(actor=user, name="Globex")
        second = services.organisation_create(actor=user, name="Globex")
        assert first.slug != second.slug

    def test_update_records_before_and_after(self, organisation, member):
        admin = member(ADMIN)
        services.organisation_update(actor=admin, organisation=organisation, name="Acme", description="New")
        organisation.refresh_from_db()
        assert organisation.name == "Acme"
        entry = Activity.objects.get(verb="organisation.updated")
        assert entry.before["name"] == "Acme Web Agency"
        assert entry.after == {"name": "Acme", "description": "New"}

    def test_delete_needs_the_exact_name(self, organisation, member):
        admin = member(ADMIN)
        with pytest.raises(ValidationError):
            services.organisation_delete(actor=admin, organisation=organisation, confirm_name="acme web agency")
        assert Organisation.objects.filter(pk=organisation.pk).exists()
        services.organisation_delete(actor=admin, organisation=organisation, confirm_name="Acme Web Agency")
        organisation.refresh_from_db()
        assert organisation.is_deleted and not organisation.memberships.exists()
        # The log outlives the organisation, for platform staff.
        assert Activity.objects.filter(verb="organisation.deleted", organisation_name="Acme Web Agency").exists()

    def test_delete_cascades_the_roles_their_groups_and_guardian_rows(self, organisation, member):
        from django.contrib.auth.models import Group

        from organisations.models import OrganisationGroupObjectPermission, Role

        admin = member(ADMIN)
        member(DEVELOPER)
        groups = list(Role.objects.filter(organisation=organisation).values_list("group_id", flat=True))
        assert len(groups) == 4
        assert OrganisationGroupObjectPermission.objects.filter(content_object=organisation).exists()
        services.organisation_delete(actor=admin, organisation=organisation, confirm_name=organisation.name)
        assert not OrganisationGroupObjectPermission.objects.filter(content_object_id=organisation.pk).exists()
        assert not Role.objects.filter(organisation_id=organisation.pk).exists()
        assert not Group.objects.filter(pk__in=groups).exists()


@pytest.mark.django_db
class TestMembership:
    def test_adding_a_member_grants_exactly_the_rights_of_the_role(self, organisation, member):
        admin = member(ADMIN)
        user = UserFactory()
        services.membership_add(actor=admin, organisation=organisation, user=user, role=ACCOUNTING)
        assert rights_of(user, organisation) == {Right.VIEW_BILLING.value, Right.MANAGE_BILLING.value}
        assert user.has_perm(Right.VIEW_BILLING.perm, organisation)
        assert not user.has_perm(Right.VIEW_MEMBERS.perm, organisation)

    def test_a_member_cannot_be_added_twice(self, organisation, member):
        admin = member(ADMIN)
        user = member(DEVELOPER)
        with pytest.raises(ValidationError, match="already a member"):
            services.membership_add(actor=admin, organisation=organisation, user=user, role=MANAGER)
        assert Membership.objects.get(organisation=organisation, user=user).role.key == DEVELOPER

    def test_changing_the_role_replaces_the_rights_in_the_same_transaction(self, organisation, member):
        admin = member(ADMIN)
        user = member(DEVELOPER)
        membership = Membership.objects.get(organisation=organisation, user=user)
        services.membership_change_role(actor=admin, membership=membership, role=ACCOUNTING)
        assert rights_of(user, organisation) == {Right.VIEW_BILLING.value, Right.MANAGE_BILLING.value}
        entry = Activity.objects.get(verb="member.role_changed")
        assert (entry.before["role"], entry.after["role"]) == (DEVELOPER, ACCOUNTING)

    def test_removing_a_member_takes_every_right_away(self, organisation, member):
        admin = member(ADMIN)
        user = member(MANAGER)
        services.membership_remove(actor=admin, membership=Membership.objects.get(user=user, organisation=organisation))
        assert rights_of(user, organisation) == frozenset()
        assert not Membership.objects.filter(user=user, organisation=organisation).exists()
        assert Activity.objects.filter(verb="member.removed", target_label=user.email).exists()

    def test_leaving(self, organisation, member):
        member(ADMIN)
        user = member(DEVELOPER)
        services.membership_leave(membership=Membership.objects.get(user=user, organisation=organisation))
        assert rights_of(user, organisation) == frozenset()
        assert Activity.objects.get(verb="member.left").actor == user


@pytest.mark.django_db
class TestOnlyAnAdminManagesAdmins:
    @pytest.fixture
    def manager(self, member):
        return member(MANAGER)

    def test_a_manager_cannot_add_an_admin(self, organisation, manager):
        with pytest.raises(ValidationError, match="Admin"):
            services.membership_add(actor=manager, organisation=organisation, user=UserFactory(), role=ADMIN)
        assert not Membership.objects.filter(organisation=organisation, role__key=ADMIN).exists()

    def test_a_manager_cannot_promote_to_admin(self, organisation, manager, member):
        membership = Membership.objects.get(user=member(DEVELOPER), organisation=organisation)
        with pytest.raises(ValidationError):
            services.membership_change_role(actor=manager, membership=membership, role=ADMIN)
        membership.refresh_from_db()
        assert membership.role.key == DEVELOPER

    def test_a_manager_cannot_demote_or_remove_an_admin(self, organisation, manager, member):
        member(ADMIN)
        admin_membership = MembershipFactory(organisation=organisation, user=UserFactory(), role=ADMIN)
        with pytest.raises(ValidationError):
            services.membership_change_role(actor=manager, membership=admin_membership, role=DEVELOPER)
        with pytest.raises(ValidationError):
            services.membership_remove(actor=manager, membership=admin_membership)
        admin_membership.refresh_from_db()
        assert admin_membership.role.key == ADMIN

    @pytest.mark.parametrize("role", [MANAGER, DEVELOPER])
    def test_a_manager_manages_the_roles_within_their_rights(self, organisation, manager, role):
        user = UserFactory()
        membership = services.membership_add(actor=manager, organisation=organisation, user=user, role=role)
        services.membership_change_role(actor=manager, membership=membership, role=DEVELOPER)
        services.membership_remove(actor=manager, membership=membership)
        assert not Membership.objects.filter(pk=membership.pk).exists()

    def test_a_manager_cannot_grant_billing_rights_they_do_not_hold(self, organisation, manager, member):
        with pytest.raises(ValidationError, match="rights that yours does not"):
            services.membership_add(actor=manager, organisation=organisation, user=UserFactory(), role=ACCOUNTING)
        accountant = Membership.objects.get(user=member(ACCOUNTING), organisation=organisation)
        with pytest.raises(ValidationError):
            services.membership_change_role(actor=manager, membership=accountant, role=DEVELOPER)
        with pytest.raises(ValidationError):
            services.membership_remove(actor=manager, membership=accountant)
        accountant.refresh_from_db()
        assert accountant.role.key == ACCOUNTING

    def test_an_admin_manages_admins(self, organisation, member):
        admin = member(ADMIN)
        user = UserFactory()
        membership = services.membership_add(actor=admin, organisation=organisation, user=user, role=ADMIN)
        services.membership_change_role(actor=admin, membership=membership, role=MANAGER)
        membership.refresh_from_db()
        assert membership.role.key == MANAGER

    def test_a_non_member_manages_nobody(self, organisation, outsider, member):
        membership = Membership.objects.get(user=member(DEVELOPER), organisation=organisation)
        with pytest.raises(ValidationError, match="not a member"):
            services.membership_remove(actor=outsider, membership=membership)


@pytest.mark.django_db
class TestLastAdmin:
    def test_the_last_admin_cannot_be_demoted(self, organisation, member):
        admin = member(ADMIN)
        membership = Membership.objects.get(user=admin, organisation=organisation)
        with pytest.raises(ValidationError, match="Appoint another Admin first"):
            services.membership_change_role(actor=admin, membership=membership, role=MANAGER)
        membership.refresh_from_db()
        assert membership.role.key == ADMIN

    def test_the_last_admin_cannot_leave_or_be_removed(self, organisation, member):
        admin = member(ADMIN)
        membership = Membership.objects.get(user=admin, organisation=organisation)
        with pytest.raises(ValidationError, match="Appoint another Admin first"):
            services.membership_leave(membership=membership)
        with pytest.raises(ValidationError, match="Appoint another Admin first"):
            services.membership_remove(actor=admin, membership=membership)
        assert Membership.objects.filter(pk=membership.pk, role__key=ADMIN).exists()

    def test_staff_in_the_admin_are_held_to_the_rule_too(self, organisation, member):
        admin = member(ADMIN)
        staff = UserFactory(is_staff=True, is_superuser=True)
        membership = Membership.objects.get(user=admin, organisation=organisation)
        with pytest.raises(ValidationError):
            services.membership_change_role(actor=staff, membership=membership, role=DEVELOPER, by_staff=True)
        with pytest.raises(ValidationError):
            services.membership_remove(actor=staff, membership=membership, by_staff=True)

    def test_an_expired_admin_does_not_count(self, organisation, member):
        from datetime import timedelta

        from django.utils import timezone

        admin = member(ADMIN)
        MembershipFactory(organisation=organisation, role=ADMIN, expires_at=timezone.now() - timedelta(days=1))
        with pytest.raises(ValidationError):
            services.membership_leave(membership=Membership.objects.get(user=admin, organisation=organisation))

    def test_with_two_admins_one_may_go(self, organisation, member):
        first, second = member(ADMIN), member(ADMIN)
        services.membership_leave(membership=Membership.objects.get(user=first, organisation=organisation))
        with pytest.raises(ValidationError):
            services.membership_leave(membership=Membership.objects.get(user=second, organisation=organisation))


def _race(*actions):
    """Run ``actions`` at once in real threads, each with its own database connection; return their errors."""
    barrier = threading.Barrier(len(actions))
    errors = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait(timeout=10)
            action()
        except ValidationError as error:
            errors[index] = error
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, action)) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
class TestLastAdminRace:
    """Requests that each look fine alone but together would leave no Admin: one of them must lose."""

    def setup_organisation(self, admins: int = 2):
        organisation = Organisation.objects.create(name="Race", slug="race")
        memberships = [MembershipFactory(organisation=organisation, role=ADMIN) for _ in range(admins)]
        return organisation, memberships

    @pytest.mark.parametrize("attempt", range(3))
    def test_two_admins_demoting_each_other_at_once_leave_one_admin(self, attempt):
        organisation, (first, second) = self.setup_organisation()
        errors = _race(
            lambda: services.membership_change_role(actor=first.user, membership=second, role=DEVELOPER),
            lambda: services.membership_change_role(actor=second.user, membership=first, role=DEVELOPER),
        )
        assert Membership.objects.filter(organisation=organisation, role__key=ADMIN).count() == 1
        assert sum(error is not None for error in errors) == 1

    @pytest.mark.parametrize("attempt", range(3))
    def test_demote_remove_and_leave_at_once_leave_one_admin(self, attempt):
        organisation, (first, second, third) = self.setup_organisation(admins=3)
        _race(
            lambda: services.membership_change_role(actor=first.user, membership=second, role=MANAGER),
            lambda: services.membership_remove(actor=second.user, membership=third),
            lambda: services.membership_leave(membership=first),
        )
        admins = Membership.objects.filter(organisation=organisation, role__key=ADMIN)
        assert admins.count() >= 1
        for membership in admins:
            assert rights_of(membership.user, organisation) == {right.value for right in roles.top.rights}

    def test_both_admins_leaving_at_once_leave_one(self):
        organisation, (first, second) = self.setup_organisation()
        errors = _race(
            lambda: services.membership_leave(membership=first), lambda: services.membership_leave(membership=second)
        )
        assert Membership.objects.filter(organisation=organisation, role__key=ADMIN).count() == 1
        assert sum(error is not None for error in errors) == 1


def _race_outcomes(*actions):
    """Run ``actions`` at once in real threads, each with its own connection; return what each raised (or None)."""
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait(timeout=10)
            action()
        except Exception as error:  # a DoesNotExist (a 500 in a view) must be seen too
            outcomes[index] = error
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, action)) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
class TestMembershipChangeRace:
    """A role change or a removal fired twice at once, or racing a leave: the loser is told, never a DoesNotExist."""

    def setup_organisation(self):
        organisation = Organisation.objects.create(name="Race", slug="race")
        admins = [MembershipFactory(organisation=organisation, role=ADMIN) for _ in range(2)]
        target = MembershipFactory(organisation=organisation, role=DEVELOPER)
        return organisation, admins, target

    @staticmethod
    def assert_only_the_gone_message(outcomes):
        for outcome in outcomes:
            assert outcome is None or (
                isinstance(outcome, ValidationError) and outcome.code == services.MEMBERSHIP_GONE
            ), repr(outcome)

    @pytest.mark.parametrize("attempt", range(3))
    def test_a_removal_fired_twice_removes_once_and_tells_the_loser(self, attempt):
        organisation, (first, second), target = self.setup_organisation()
        outcomes = _race_outcomes(
            lambda: services.membership_remove(actor=first.user, membership=target),
            lambda: services.membership_remove(actor=second.user, membership=target),
        )
        self.assert_only_the_gone_message(outcomes)
        assert sum(outcome is not None for outcome in outcomes) == 1
        assert "already removed" in outcomes[0 if outcomes[0] else 1].messages[0]
        assert not Membership.objects.filter(pk=target.pk).exists()
        assert Activity.objects.filter(organisation=organisation, verb="member.removed").count() == 1

    @pytest.mark.parametrize("attempt", range(3))
    def test_role_changes_fired_twice_both_answer(self, attempt):
        organisation, (first, second), target = self.setup_organisation()
        outcomes = _race_outcomes(
            lambda: services.membership_change_role(actor=first.user, membership=target, role=MANAGER),
            lambda: services.membership_change_role(actor=second.user, membership=target, role=MANAGER),
        )
        assert outcomes == [None, None]
        assert Membership.objects.get(pk=target.pk).role.key == MANAGER
        assert Activity.objects.filter(organisation=organisation, verb="member.role_changed").count() == 1

    @pytest.mark.parametrize("attempt", range(3))
    def test_a_role_change_racing_a_removal_and_a_leave(self, attempt):
        organisation, (first, second), target = self.setup_organisation()
        outcomes = _race_outcomes(
            lambda: services.membership_change_role(actor=first.user, membership=target, role=MANAGER),
            lambda: services.membership_remove(actor=second.user, membership=target),
            lambda: services.membership_leave(membership=target),
        )
        self.assert_only_the_gone_message(outcomes)
        assert sum(outcome is None for outcome in outcomes[1:]) == 1  # one of the removal and the leave won
        assert not Membership.objects.filter(pk=target.pk).exists()
        assert rights_of(target.user, organisation) == set()

    def test_the_loser_of_a_role_change_is_told_without_a_race(self):
        _organisation, (first, _second), target = self.setup_organisation()
        services.membership_leave(membership=target)
        with pytest.raises(ValidationError) as refused:
            services.membership_change_role(actor=first.user, membership=target, role=MANAGER)
        assert refused.value.code == services.MEMBERSHIP_GONE
        with pytest.raises(ValidationError) as refused:
            services.membership_leave(membership=target)
        assert refused.value.messages == ["You are no longer a member of this organisation."]
