"""
Who may do what in an organisation: the one place where a request's rights are worked out.

The access object is built once per request from the member's django-guardian rights on the organisation and
handed to the views (which check the right they declare) and to the page shell (which shows what may be used).
"""

from dataclasses import dataclass, field

from django.http import Http404

from .models import Membership, Organisation, OrganisationGroupObjectPermission, OrganisationUserObjectPermission
from .roles import Right, Role, roles


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
        return self.membership.role_definition if self.membership else None

    def can_manage_role(self, role_id: str) -> bool:
        """Whether this member may grant, change or remove ``role_id`` (only an Admin manages Admins)."""
        return self.membership is not None and roles.can_manage(self.membership.role, role_id)

    def manageable_roles(self) -> list[Role]:
        return roles.manageable_by(self.membership.role) if self.membership else []


def organisation_rights(*, user, organisation: Organisation) -> frozenset[str]:
    """The codenames of the rights ``user`` holds on ``organisation``, directly or through a group, in one query.

    A UNION of two index lookups (the member's rows, their groups' rows): joining the permission table to both
    guardian tables at once and de-duplicating costs several times more on every page.
    """
    direct = OrganisationUserObjectPermission.objects.filter(user=user, content_object=organisation)
    through_groups = OrganisationGroupObjectPermission.objects.filter(group__user=user, content_object=organisation)
    return frozenset(
        direct.values_list("permission__codename", flat=True).union(
            through_groups.values_list("permission__codename", flat=True)
        )
    )


def organisation_access(
    *, user, slug: str, allow_grantees: bool = False, memberships: list[Membership] | None = None
) -> OrganisationAccess:
    """The access of ``user`` to the organisation ``slug``; 404 when they may not know it exists.

    ``allow_grantees``: for the pages of one application, a person who is not a member but holds a grant on one of
    the organisation's applications gets an access without any right; ``apps.access`` decides per application.
    ``memberships``: the user's active memberships with their organisations, when already read (the page shell's
    switcher, ``selectors.request_memberships``): the current one is taken from them instead of a query.
    """
    if memberships is not None:
        membership = next((m for m in memberships if m.user_id == user.pk and m.organisation.slug == slug), None)
    else:
        membership = (
            Membership.objects.active()
            .select_related("organisation")
            .filter(user=user, organisation__slug=slug)
            .first()
        )
    if membership is None and allow_grantees:
        from apps.access import grantee_organisation  # apps depends on organisations, not the reverse

        organisation = grantee_organisation(user=user, slug=slug)
        if organisation is not None:
            return OrganisationAccess(organisation=organisation, membership=None)
    if membership is None:
        raise Http404("No organisation found.")
    organisation = membership.organisation
    return OrganisationAccess(
        organisation=organisation,
        membership=membership,
        rights=organisation_rights(user=user, organisation=organisation),
    )
