import pytest

from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER, Right, roles

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
