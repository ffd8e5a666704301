"""
The organisation roles, as data.

A right is a permission on the Organisation model (see ``Organisation.Meta.permissions``); a role is a set of
rights. Roles are rows of their organisation (``models.Role``): the four built-in ones defined here, made for every
organisation, and custom ones. A role's rights are django-guardian object permissions of its group on the
organisation; a membership points at its role, and nothing copies the rights per member. Code asks for rights,
never for role names.

A member may only manage (invite, promote to, demote from, remove) roles whose rights are a subset of their own,
and only an Admin manages Admins (``can_manage``).
"""

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Right(StrEnum):
    """Every right of the console: codenames of permissions on the Organisation model."""

    VIEW_ORGANISATION = "view_organisation"
    CHANGE_ORGANISATION = "change_organisation"
    DELETE_ORGANISATION = "delete_organisation"
    VIEW_MEMBERS = "view_members"
    INVITE_MEMBERS = "invite_members"
    CHANGE_MEMBER_ROLES = "change_member_roles"
    REMOVE_MEMBERS = "remove_members"
    VIEW_ACTIVITY = "view_activity"
    VIEW_APPLICATIONS = "view_applications"
    ADD_APPLICATIONS = "add_applications"
    OPERATE_APPLICATIONS = "operate_applications"
    DEPLOY_APPLICATIONS = "deploy_applications"
    REMOVE_APPLICATIONS = "remove_applications"
    MANAGE_ADDONS = "manage_addons"
    VIEW_BILLING = "view_billing"
    MANAGE_BILLING = "manage_billing"
    MANAGE_SECURITY = "manage_security"

    @property
    def perm(self) -> str:
        """The full permission name, as ``user.has_perm`` takes it."""
        return f"organisations.{self.value}"


# Descriptions of the rights, shown in the admin's permission list and on the roles page.
RIGHT_DESCRIPTIONS: dict[Right, Promise] = {
    Right.VIEW_ORGANISATION: _("See the organisation's overview"),
    Right.CHANGE_ORGANISATION: _("Edit the organisation's settings"),
    Right.DELETE_ORGANISATION: _("Delete the organisation"),
    Right.VIEW_MEMBERS: _("See the member list"),
    Right.INVITE_MEMBERS: _("Add and invite members"),
    Right.CHANGE_MEMBER_ROLES: _("Change members' roles"),
    Right.REMOVE_MEMBERS: _("Remove members"),
    Right.VIEW_ACTIVITY: _("See the activity log"),
    Right.VIEW_APPLICATIONS: _("See applications and add-ons"),
    Right.ADD_APPLICATIONS: _("Create applications"),
    Right.OPERATE_APPLICATIONS: _("Configure, start, stop and restart applications"),
    Right.DEPLOY_APPLICATIONS: _("Access repositories and deploy"),
    Right.REMOVE_APPLICATIONS: _("Delete applications"),
    Right.MANAGE_ADDONS: _("Create and delete add-ons"),
    Right.VIEW_BILLING: _("Access bills, consumption and receive invoices"),
    Right.MANAGE_BILLING: _("Pay invoices, manage payment methods and billing details"),
    Right.MANAGE_SECURITY: _("Change the organisation's security settings (required two-factor authentication)"),
}

_BUILD = {
    Right.VIEW_APPLICATIONS,
    Right.ADD_APPLICATIONS,
    Right.OPERATE_APPLICATIONS,
    Right.DEPLOY_APPLICATIONS,
}
_BILLING = {Right.VIEW_BILLING, Right.MANAGE_BILLING}
_MANAGE = {
    Right.VIEW_ORGANISATION,
    Right.CHANGE_ORGANISATION,
    Right.VIEW_MEMBERS,
    Right.INVITE_MEMBERS,
    Right.CHANGE_MEMBER_ROLES,
    Right.REMOVE_MEMBERS,
    Right.VIEW_ACTIVITY,
    Right.REMOVE_APPLICATIONS,
    Right.MANAGE_ADDONS,
}

ADMIN = "ADMIN"
MANAGER = "MANAGER"
DEVELOPER = "DEVELOPER"
ACCOUNTING = "ACCOUNTING"

# Lowest priority first. The order is the priority.
ROLES = (
    {
        "id": ACCOUNTING,
        "name": _("Accountant"),
        "desc": _("Sees the billing pages and nothing else: invoices, consumption, payment methods."),
        "rights": _BILLING,
    },
    {
        "id": DEVELOPER,
        "name": _("Developer"),
        "desc": _("Creates, configures and deploys applications; sees members and add-ons."),
        "rights": {Right.VIEW_ORGANISATION, Right.VIEW_MEMBERS} | _BUILD,
    },
    {
        "id": MANAGER,
        "name": _("Manager"),
        "desc": _("Manages members (but not Admins), applications and add-ons; no access to billing."),
        "rights": _MANAGE | _BUILD,
    },
    {
        "id": ADMIN,
        "name": _("Admin"),
        "desc": _("Every right, including billing and deleting the organisation."),
        "rights": set(Right),
    },
)


@dataclass(frozen=True)
class BuiltinRole:
    """The definition of a built-in role, from which every organisation's row of that role is made."""

    id: str
    name: Promise
    desc: Promise
    priority: int
    rights: frozenset[Right]

    def __str__(self):
        return str(self.name)

    @property
    def key(self) -> str:
        return self.id

    def has_right(self, right: Right) -> bool:
        return right in self.rights


def is_admin(role) -> bool:
    """Whether ``role`` (an ``organisations.models.Role`` or a built-in definition) is the Admin role."""
    return role is not None and role.key == ADMIN


def can_manage(actor, target) -> bool:
    """Whether a holder of the role ``actor`` may grant, change or remove the role ``target``.

    Roles are ``organisations.models.Role`` rows or built-in definitions (anything with ``key`` and ``rights``): a
    member manages the roles whose rights are a subset of their own, and only an Admin manages Admins.
    """
    if actor is None or target is None:
        return False
    if is_admin(actor):
        return True
    if is_admin(target):
        return False
    return {str(right) for right in target.rights} <= {str(right) for right in actor.rights}


class RoleManager:
    """The built-in roles: what each may do, and who may manage whom."""

    def __init__(self, definitions):
        self._roles = {
            definition["id"]: BuiltinRole(
                id=definition["id"],
                name=definition["name"],
                desc=definition["desc"],
                priority=priority + 1,
                rights=frozenset(definition["rights"]),
            )
            for priority, definition in enumerate(definitions)
        }
        self.top = max(self._roles.values(), key=lambda role: role.priority)

    def __iter__(self):
        """Highest priority first, as the roles are listed to people."""
        return iter(sorted(self._roles.values(), key=lambda role: -role.priority))

    def __contains__(self, key) -> bool:
        return key in self._roles

    def get(self, role_id: str) -> BuiltinRole:
        return self._roles[role_id]

    def choices(self) -> list[tuple[str, Promise]]:
        return [(role.id, role.name) for role in self]

    def with_right(self, right: Right) -> list[str]:
        """The keys of the built-in roles that hold ``right``."""
        return [role.id for role in self if right in role.rights]

    def can_manage(self, actor, target) -> bool:
        """``can_manage`` for roles or built-in keys."""
        return can_manage(self._resolve(actor), self._resolve(target))

    def manageable_by(self, actor) -> list[BuiltinRole]:
        return [role for role in self if self.can_manage(actor, role)]

    def _resolve(self, role):
        return self.get(role) if isinstance(role, str) else role


roles = RoleManager(ROLES)

# Starting points offered when an Admin creates a custom role (the roles page).
SUGGESTED_ROLES = (
    {
        "id": "viewer",
        "name": _("Viewer"),
        "desc": _("Sees the applications and the members; changes nothing."),
        "rights": {Right.VIEW_ORGANISATION, Right.VIEW_APPLICATIONS, Right.VIEW_MEMBERS},
    },
    {
        "id": "billing",
        "name": _("Billing only"),
        "desc": _("Sees the invoices and consumption; pays nothing and changes nothing."),
        "rights": {Right.VIEW_BILLING},
    },
)


def role_choices() -> list[tuple[str, Promise]]:
    """The built-in roles as choices (a module-level function, so migrations can refer to it)."""
    return roles.choices()
