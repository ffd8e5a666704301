"""Read queries shared by the application and add-on views; each in a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.utils.translation import gettext as _

from organisations.models import (
    Activity,
    Invitation,
    Membership,
    Organisation,
    OrganisationGroupObjectPermission,
    Role,
)
from organisations.roles import Right

from .access import Capability, capabilities_from_permissions, capabilities_from_rights
from .models import (
    Addon,
    Application,
    ApplicationGrant,
    ApplicationGroupObjectPermission,
    ApplicationUserObjectPermission,
    Deployment,
)


def applications_for_list(
    *, organisation: Organisation, search: str = "", state: str = "", runtime: str = "", region: str = ""
) -> QuerySet[Application]:
    """The organisation's applications, filtered, with their flavor and last deployment time (one query a page)."""
    last_deployment = Deployment.objects.filter(application=OuterRef("pk")).order_by("-created_at", "-id")
    queryset = (
        Application.objects.filter(organisation=organisation)
        .select_related("flavor")
        .annotate(
            last_deployed_at=Subquery(last_deployment.values("created_at")[:1]),
            last_commit=Subquery(last_deployment.values("commit")[:1]),
        )
        .order_by("name", "id")
    )
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(description__icontains=search))
    if state:
        queryset = queryset.filter(state=state)
    if runtime:
        queryset = queryset.filter(runtime=runtime)
    if region:
        queryset = queryset.filter(region=region)
    return queryset


def application_activity(*, application: Application, limit: int = 50) -> list[Activity]:
    return list(
        Activity.objects.filter(
            organisation_id=application.organisation_id, target_type="application", target_id=str(application.pk)
        )
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )


def addons_for_list(*, organisation: Organisation) -> QuerySet[Addon]:
    return Addon.objects.filter(organisation=organisation).select_related("plan").prefetch_related("applications")


# The connection variables an add-on of each kind exposes to the applications linked to it.
_CONNECTION = {
    "postgresql": ("POSTGRESQL_ADDON", "postgresql", 5432),
    "mysql": ("MYSQL_ADDON", "mysql", 3306),
    "redis": ("REDIS", "redis", 6379),
    "mongodb": ("MONGODB_ADDON", "mongodb", 27017),
}


def addon_connection_variables(addon: Addon) -> list[tuple[str, str]]:
    """The (name, value) pairs an add-on exposes, e.g. ``POSTGRESQL_ADDON_URI``."""
    host = f"{addon.plan.kind}-{addon.pk}.{addon.region}.addons.console.example"
    user = f"u{addon.pk}"
    if addon.plan.kind == "s3":
        return [
            ("S3_ENDPOINT", f"https://s3.{addon.region}.console.example"),
            ("S3_BUCKET", addon.name),
            ("S3_ACCESS_KEY_ID", f"AK{addon.pk:08d}"),
            ("S3_SECRET_ACCESS_KEY", addon.secret),
        ]
    prefix, scheme, port = _CONNECTION[addon.plan.kind]
    if addon.plan.kind == "redis":
        return [
            (f"{prefix}_HOST", host),
            (f"{prefix}_PORT", str(port)),
            (f"{prefix}_PASSWORD", addon.secret),
            (f"{prefix}_URL", f"{scheme}://:{addon.secret}@{host}:{port}/0"),
        ]
    return [
        (f"{prefix}_HOST", host),
        (f"{prefix}_PORT", str(port)),
        (f"{prefix}_USER", user),
        (f"{prefix}_PASSWORD", addon.secret),
        (f"{prefix}_DB", addon.name),
        (f"{prefix}_URI", f"{scheme}://{user}:{addon.secret}@{host}:{port}/{addon.name}"),
    ]


def application_addon_variables(*, application: Application) -> list[tuple[Addon, str, str]]:
    """The variables the add-ons linked to the application expose: (add-on, name, value)."""
    return [
        (addon, name, value)
        for addon in application.addons.select_related("plan").order_by("name")
        for name, value in addon_connection_variables(addon)
    ]


def pending_application_invitations(*, application: Application) -> list[Invitation]:
    """Invitations to this application still waiting for an answer, expired ones included."""
    invitations = list(
        Invitation.objects.filter(application=application, state=Invitation.State.PENDING)
        .select_related("invited_by")
        .order_by("expires_at", "pk")
    )
    for invitation in invitations:
        invitation.level_label = ApplicationGrant.Level(invitation.application_level).label
    return invitations


def shared_with(*, user) -> list[ApplicationGrant]:
    """The user's active grants, with their applications and organisations."""
    return list(
        ApplicationGrant.objects.active()
        .filter(user=user)
        .select_related("application__organisation", "application__flavor")
        .order_by("application__organisation__name", "application__name")
    )


@dataclass
class AccessEntry:
    """One person who can reach an application, what they can do and why."""

    user: object
    role: Role | None = None
    role_capabilities: frozenset[Capability] = frozenset()
    grant: ApplicationGrant | None = None
    grant_capabilities: frozenset[Capability] = frozenset()
    reasons: list = field(default_factory=list)

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self.role_capabilities | self.grant_capabilities

    @property
    def can_reach(self) -> bool:
        return Capability.VIEW in self.capabilities


def people_with_access(*, application: Application) -> QuerySet:
    """Who can reach the application, in SQL, members first then by email: one row (``user_id``, ``is_member``,
    ``email``) per person. Active members whose rights (directly or through a group) include seeing applications,
    and everyone holding a grant on it (expired ones too: they are shown to be revoked). Paginate it; the rows of a
    page become entries with ``access_entries``."""
    organisation_id = application.organisation_id
    granted = ApplicationGrant.objects.filter(application=application)
    members = Membership.objects.active().filter(organisation_id=organisation_id)
    # A member's rights are their role's (its group's permissions on the organisation).
    can_view = Q(pk__in=members.holding(Right.VIEW_APPLICATIONS).values("pk"))
    members_reaching = members.filter(can_view | Exists(granted.filter(user_id=OuterRef("user_id"))))
    grantees_only = granted.exclude(user_id__in=members.values("user_id"))
    return (
        members_reaching.order_by()
        .values("user_id")
        .annotate(is_member=Value(True), email=F("user__email"))
        .union(
            grantees_only.order_by().values("user_id").annotate(is_member=Value(False), email=F("user__email")),
            all=True,
        )
        .order_by("-is_member", "email", "user_id")
    )


class _CountedPaginator(Paginator):
    """A paginator whose count came with the page's rows (a window function), not from a query of its own."""

    def __init__(self, object_list, per_page: int, count: int):
        super().__init__(object_list, per_page)
        self.count = count  # ``count`` is a cached_property: the instance's value is used


def _people_rows(sql: str, params, *, limit: int, offset: int) -> tuple[list[dict], int | None]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT user_id, is_member, email, COUNT(*) OVER () FROM ({sql}) AS people "  # noqa: S608 - ORM's SQL
            "ORDER BY is_member DESC, email, user_id LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        rows = cursor.fetchall()
    people = [{"user_id": row[0], "is_member": bool(row[1]), "email": row[2]} for row in rows]
    return people, (rows[0][3] if rows else None)


def people_with_access_page(*, application: Application, number, per_page: int) -> Page:
    """A page of ``people_with_access`` and their count in ONE query (``COUNT(*) OVER ()``); a number past the last
    page gives the last page, as ``Paginator.get_page`` does (then the count is read apart)."""
    people = people_with_access(application=application)
    sql, params = people.query.sql_with_params()
    try:
        number = max(int(number), 1)
    except (TypeError, ValueError):
        number = 1
    rows, count = _people_rows(sql, params, limit=per_page, offset=(number - 1) * per_page)
    if count is None:
        count = people.count() if number > 1 else 0
        number = max(1, -(-count // per_page))
        if count:
            rows, count = _people_rows(sql, params, limit=per_page, offset=(number - 1) * per_page)
    return Page(rows, number, _CountedPaginator(people, per_page, count))


def access_entries(*, application: Application, user_ids: list[int]) -> list[AccessEntry]:
    """The entries of ``user_ids`` (a page of ``people_with_access``), in that order; four queries, whatever the
    sizes of the organisation, the page or the grants."""
    organisation_id = application.organisation_id
    memberships = {
        membership.user_id: membership
        for membership in Membership.objects.active()
        .filter(organisation_id=organisation_id, user_id__in=user_ids)
        .select_related("user", "role")
    }
    rights = defaultdict(set)  # by role
    for role_id, codename in OrganisationGroupObjectPermission.objects.filter(
        content_object_id=organisation_id,
        group__organisation_role__in={membership.role_id for membership in memberships.values()},
    ).values_list("group__organisation_role", "permission__codename"):
        rights[role_id].add(codename)

    grants = {
        grant.user_id: grant
        for grant in ApplicationGrant.objects.filter(application=application, user_id__in=user_ids).select_related(
            "user", "granted_by"
        )
    }
    # Direct permissions count only while the grant is active and only for people outside the organisation (a
    # member's access comes from their role, apps.access); permissions through a group, always.
    permissions, group_permissions = defaultdict(set), defaultdict(set)
    for user_id, codename, through_group in (
        ApplicationUserObjectPermission.objects.filter(content_object=application, user_id__in=user_ids)
        .values_list("user_id", "permission__codename", Value(False))
        .union(
            ApplicationGroupObjectPermission.objects.filter(
                content_object=application, group__user__in=user_ids
            ).values_list("group__user", "permission__codename", Value(True)),
            all=True,
        )
    ):
        (group_permissions if through_group else permissions)[user_id].add(codename)

    entries = []
    for user_id in user_ids:
        membership, grant = memberships.get(user_id), grants.get(user_id)
        if membership is not None:
            capabilities = capabilities_from_rights(rights[membership.role_id])
            entry = AccessEntry(user=membership.user, role=membership.role, role_capabilities=capabilities)
            if capabilities:
                entry.reasons.append(_("%(role)s of the organisation") % {"role": membership.role})
        elif grant is not None:
            entry = AccessEntry(user=grant.user)
        else:
            continue  # changed between the two reads
        if grant is not None:
            entry.grant = grant
            codenames = set(group_permissions[user_id])
            if not grant.is_expired and membership is None:
                codenames |= permissions[user_id]
                entry.reasons.append(_("direct access: %(level)s") % {"level": grant.get_level_display()})
            entry.grant_capabilities = capabilities_from_permissions(codenames)
        entries.append(entry)
    return entries


def who_has_access(*, application: Application) -> list[AccessEntry]:
    """Everyone who can reach the application, through their role or a grant, unpaginated; five queries."""
    user_ids = [row["user_id"] for row in people_with_access(application=application)]
    return access_entries(application=application, user_ids=user_ids)
