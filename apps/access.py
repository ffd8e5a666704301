"""
Who may do what on one application: the one place where that is decided.

A person reaches an application in one of two ways:
- as a member of its organisation, through the rights of their role (``organisations.roles``);
- from outside the organisation, through a direct grant on the application (``ApplicationGrant``, mirrored in
  guardian's ``ApplicationUserObjectPermission`` rows), which gives nothing once expired. Grants are for people
  outside the organisation: a member's direct grant gives nothing (joining ends it, ``apps.services``), so an
  Accountant never reads an application's secrets through an old grant.
Permissions through a group count for both.

Rights and levels are translated into capabilities, which is what the application views declare and templates test.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from django.db.models import Exists, OuterRef
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from organisations.models import Organisation
from organisations.roles import Right

from .models import Application, ApplicationGrant, ApplicationGroupObjectPermission, ApplicationUserObjectPermission


class Capability(StrEnum):
    VIEW = "view"  # overview, variable names, domains, scaling, deployments, activity
    DEPLOY = "deploy"  # deploy and redeploy a commit
    OPERATE = "operate"  # start, stop, restart
    CONFIGURE = "configure"  # environment variables (and their values), domains, scaling
    DELETE = "delete"  # delete the application
    SEE_ACCESS = "see_access"  # the "who has access" tab
    SHARE = "share"  # grant and revoke per-application access


CAPABILITY_LABELS: dict[Capability, Promise] = {
    Capability.VIEW: _("view"),
    Capability.DEPLOY: _("deploy"),
    Capability.OPERATE: _("start, stop, restart"),
    Capability.CONFIGURE: _("configure"),
    Capability.DELETE: _("delete"),
    Capability.SEE_ACCESS: _("see who has access"),
    Capability.SHARE: _("share"),
}

# What an organisation right gives on each of its applications. Rights without application capabilities are absent.
RIGHT_CAPABILITIES: dict[Right, frozenset[Capability]] = {
    Right.VIEW_APPLICATIONS: frozenset({Capability.VIEW}),
    Right.DEPLOY_APPLICATIONS: frozenset({Capability.DEPLOY}),
    Right.OPERATE_APPLICATIONS: frozenset({Capability.OPERATE, Capability.CONFIGURE}),
    Right.REMOVE_APPLICATIONS: frozenset({Capability.DELETE}),
    Right.VIEW_MEMBERS: frozenset({Capability.SEE_ACCESS}),
    Right.INVITE_MEMBERS: frozenset({Capability.SEE_ACCESS, Capability.SHARE}),
}

# The permissions (on Application) that each grant level stands for, and what they give. Levels include the ones
# before them; see ``ApplicationGrant`` for their meaning in words.
LEVEL_PERMISSIONS: dict[str, tuple[str, ...]] = {
    ApplicationGrant.Level.VIEW: ("view_application",),
    ApplicationGrant.Level.DEPLOY: ("view_application", "deploy_application"),
    ApplicationGrant.Level.MANAGE: ("view_application", "deploy_application", "manage_application"),
}
PERMISSION_CAPABILITIES: dict[str, frozenset[Capability]] = {
    "view_application": frozenset({Capability.VIEW}),
    "deploy_application": frozenset({Capability.DEPLOY, Capability.OPERATE}),
    "manage_application": frozenset({Capability.CONFIGURE}),
}

# Everything a grant can give, at its highest level.
GRANT_CAPABILITIES: frozenset[Capability] = frozenset().union(*PERMISSION_CAPABILITIES.values())


def capabilities_from_rights(rights) -> frozenset[Capability]:
    """The capabilities on every application of an organisation that its rights (codenames) give."""
    found: set[Capability] = set()
    for right, capabilities in RIGHT_CAPABILITIES.items():
        if right.value in rights:
            found |= capabilities
    # Without seeing the applications, no other capability means anything.
    return frozenset(found) if Capability.VIEW in found else frozenset()


def capabilities_from_permissions(codenames) -> frozenset[Capability]:
    """The capabilities that application permissions (codenames) give."""
    found: set[Capability] = set()
    for codename in codenames:
        found |= PERMISSION_CAPABILITIES.get(codename, frozenset())
    return frozenset(found) if Capability.VIEW in found else frozenset()


def capabilities_from_level(level: str) -> frozenset[Capability]:
    return capabilities_from_permissions(LEVEL_PERMISSIONS[level])


@dataclass(frozen=True)
class ApplicationAccess:
    application: Application
    capabilities: frozenset[Capability] = field(default_factory=frozenset)
    is_member: bool = False

    def has(self, capability: Capability) -> bool:
        return capability in self.capabilities

    @property
    def can(self) -> dict[str, bool]:
        """For templates: ``app_access.can.deploy``."""
        return {capability.value: capability in self.capabilities for capability in Capability}

    @property
    def can_reach(self) -> bool:
        return Capability.VIEW in self.capabilities


def grant_permissions(*, user, application: Application, direct: bool = True) -> frozenset[str]:
    """The application permissions ``user`` holds through an active grant (or a group), in one query (a UNION of two
    index lookups, cheaper than one join of the permission table to both guardian tables).

    ``direct``: count the person's own grant; False for a member, whose access comes from their role.
    """
    through_groups = ApplicationGroupObjectPermission.objects.filter(group__user=user, content_object=application)
    codenames = through_groups.values_list("permission__codename", flat=True)
    if direct:
        active_grant = ApplicationGrant.objects.active().filter(user=user, application=application)
        own = ApplicationUserObjectPermission.objects.filter(user=user, content_object=application).filter(
            Exists(active_grant)
        )
        codenames = own.values_list("permission__codename", flat=True).union(codenames)
    return frozenset(codenames)


def application_access(*, user, organisation_access, application: Application) -> ApplicationAccess:
    """What ``user`` may do on ``application``: a member's organisation rights, or an outsider's grant (with what
    groups give either)."""
    is_member = organisation_access.is_member
    from_rights = capabilities_from_rights(organisation_access.rights) if is_member else frozenset()
    if from_rights >= GRANT_CAPABILITIES:
        from_grant = frozenset()  # no grant can add to what the member's role gives: not worth a query
    else:
        from_grant = capabilities_from_permissions(
            grant_permissions(user=user, application=application, direct=not is_member)
        )
    return ApplicationAccess(
        application=application,
        capabilities=from_rights | from_grant,
        is_member=organisation_access.is_member,
    )


def grantee_organisation(*, user, slug: str) -> Organisation | None:
    """The organisation ``slug`` when ``user`` holds an active grant on one of its applications."""
    grants = ApplicationGrant.objects.active().filter(user=user, application__organisation=OuterRef("pk"))
    return Organisation.objects.filter(slug=slug).filter(Exists(grants)).first()
