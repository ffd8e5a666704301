"""
Who may do what in an organisation: the one place where a request's rights are worked out.

The access object is built once per request from the member's role: the rights of a role are the django-guardian
object permissions of its group on the organisation, read through the membership (Membership → Role → group
permissions), so a role change is a change of rights at once, and nothing else (a permission given to the user
directly, an expired membership) gives any right. It is handed to the views (which check the right they declare),
the services, and the page shell (which shows what may be used).
"""

from dataclasses import dataclass, field
from functools import cache

from django.contrib.auth.models import Permission
from django.db import connection
from django.http import Http404
from django.utils import timezone

from .models import Membership, Organisation, OrganisationGroupObjectPermission, Role
from .roles import Right, can_manage, is_admin


class _Can:
    """Lets templates ask ``access.can.<right>``; unknown rights are refused, like missing ones."""

    def __init__(self, rights: frozenset[str]):
        self._rights = rights

    def __getitem__(self, codename: str) -> bool:
        return codename in self._rights


@dataclass(frozen=True)
class OrganisationAccess:
    organisation: Organisation
    membership: Membership | None
    rights: frozenset[str] = field(default_factory=frozenset)
    # All of the person's active memberships, read with the rights: the page shell's switcher lists them.
    memberships: tuple[Membership, ...] = ()

    def has(self, right: Right) -> bool:
        return right.value in self.rights

    @property
    def can(self) -> _Can:
        return _Can(self.rights)

    @property
    def is_member(self) -> bool:
        return self.membership is not None

    @property
    def role(self) -> Role | None:
        return self.membership.role if self.membership else None

    @property
    def can_edit_roles(self) -> bool:
        """Whether this member may create, change and delete the organisation's custom roles (Admins)."""
        return self.membership is not None and is_admin(self.role) and not self.organisation.is_personal

    def can_manage_role(self, role: Role) -> bool:
        """Whether this member may grant, change or remove ``role`` (a subset of their rights; only an Admin manages
        Admins)."""
        return self.membership is not None and can_manage(self.role, role)

    def manageable_roles(self) -> list[Role]:
        """The organisation's roles this member may grant, with their rights."""
        if self.membership is None:
            return []
        return [role for role in organisation_roles(organisation=self.organisation) if self.can_manage_role(role)]


def organisation_roles(*, organisation) -> list[Role]:
    """The organisation's roles, built-in first, each with its rights: one query."""
    fields = ["id", "organisation_id", "group_id", "name", "description", "key", "priority"]
    permissions = "group__organisationgroupobjectpermission"
    found: dict[int, Role] = {}
    codenames: dict[int, set[str]] = {}
    for *values, object_id, codename in Role.objects.filter(organisation=organisation).values_list(
        *fields, f"{permissions}__content_object_id", f"{permissions}__permission__codename"
    ):
        if values[0] not in found:
            found[values[0]] = Role(**dict(zip(fields, values, strict=True)))
            codenames[values[0]] = set()
        if object_id == organisation.pk:
            codenames[values[0]].add(codename)
    for role in found.values():
        role.rights = codenames[role.pk]
        role.organisation = organisation
    return list(found.values())


@cache
def _memberships_with_rights_sql() -> str:
    """The user's active memberships in switcher order, with their roles; the membership of the organisation named
    by the slug parameter repeated once per right its role's group holds on it, NULL for the others."""
    membership, organisation, role = Membership._meta.db_table, Organisation._meta.db_table, Role._meta.db_table
    group_rights = OrganisationGroupObjectPermission._meta.db_table
    permission = Permission._meta.db_table
    # Table names from the models' metadata; every value is a bound parameter.
    return f"""
        SELECT m.id, m.invited_by_id, m.expires_at, r.id, r.group_id, r.name, r.description, r.key, r.priority,
               o.id, o.name, o.slug, o.description, o.is_personal, o.require_two_factor, p.codename
        FROM {membership} m
        INNER JOIN {organisation} o ON o.id = m.organisation_id
        INNER JOIN {role} r ON r.id = m.role_id
        LEFT JOIN {group_rights} gr
            ON gr.group_id = r.group_id AND gr.content_object_id = o.id AND o.slug = %(slug)s
        LEFT JOIN {permission} p ON p.id = gr.permission_id
        WHERE m.user_id = %(user)s AND (m.expires_at IS NULL OR m.expires_at > %(now)s)
        ORDER BY o.is_personal DESC, o.name, o.id
    """  # noqa: S608


def memberships_with_rights(*, user, slug: str) -> tuple[list[Membership], frozenset[str]]:
    """The user's active memberships with their organisations and roles (switcher order), and the codenames of the
    rights their role holds on the organisation ``slug``: what every organisation page needs before anything else,
    in one query. The one reader of a member's rights: nothing but an active membership's role gives any.

    Written in SQL because every page pays for it (the ORM's query building cost more than the query). The dates of
    the organisation are left out (deferred: read on first use), no page shell shows them.
    """
    with connection.cursor() as cursor:
        cursor.execute(_memberships_with_rights_sql(), {"user": user.pk, "slug": slug, "now": timezone.now()})
        rows = cursor.fetchall()
    memberships: dict[int, Membership] = {}
    rights: set[str] = set()
    for row in rows:
        membership_id, invited_by_id, expires_at, *role_values = row[:9]
        organisation_id, name, org_slug, description, is_personal, require_two_factor, codename = row[9:]
        if membership_id not in memberships:
            organisation = Organisation.from_db(
                connection.alias,
                ["id", "name", "slug", "description", "is_personal", "require_two_factor"],
                # SQLite returns booleans as integers.
                [organisation_id, name, org_slug, description, bool(is_personal), bool(require_two_factor)],
            )
            role_id, *role_values = role_values
            role = Role.from_db(  # the values in the order of the model's fields, as from_db takes them
                connection.alias,
                ["id", "organisation_id", "group_id", "name", "description", "key", "priority"],
                [role_id, organisation_id, *role_values],
            )
            role.organisation = organisation
            membership = Membership.from_db(
                connection.alias,
                ["id", "organisation_id", "user_id", "role_id", "invited_by_id", "expires_at"],
                [membership_id, organisation_id, user.pk, role.pk, invited_by_id, expires_at],
            )
            membership.organisation, membership.role = organisation, role
            memberships[membership_id] = membership
        if codename is not None:
            rights.add(codename)
    known = {right.value for right in Right}
    rights &= known
    for membership in memberships.values():
        if membership.organisation.slug == slug:
            membership.role.rights = rights
    return list(memberships.values()), frozenset(rights)


def member_access(*, user, organisation) -> OrganisationAccess | None:
    """The access of ``user`` as a member of ``organisation``, or None when they are not an active member (for
    services, which are told the organisation rather than its address)."""
    memberships, rights = memberships_with_rights(user=user, slug=organisation.slug)
    membership = next((m for m in memberships if m.organisation_id == organisation.pk), None)
    if membership is None:
        return None
    return OrganisationAccess(
        organisation=membership.organisation, membership=membership, rights=rights, memberships=tuple(memberships)
    )


def organisation_access(*, user, slug: str, allow_grantees: bool = False) -> OrganisationAccess:
    """The access of ``user`` to the organisation ``slug``; 404 when they may not know it exists.

    ``allow_grantees``: for the pages of one application, a person who is not a member but holds a grant on one of
    the organisation's applications gets an access without any right; ``apps.access`` decides per application.
    """
    memberships, rights = memberships_with_rights(user=user, slug=slug)
    membership = next((m for m in memberships if m.organisation.slug == slug), None)
    if membership is None and allow_grantees:
        from apps.access import grantee_organisation  # apps depends on organisations, not the reverse

        organisation = grantee_organisation(user=user, slug=slug)
        if organisation is not None:
            return OrganisationAccess(organisation=organisation, membership=None, memberships=tuple(memberships))
    if membership is None:
        raise Http404("No organisation found.")
    return OrganisationAccess(
        organisation=membership.organisation, membership=membership, rights=rights, memberships=tuple(memberships)
    )
