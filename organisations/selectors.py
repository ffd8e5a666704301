"""Read queries shared by several views."""

from datetime import datetime, time, timedelta

from allauth.mfa.models import Authenticator
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .activity import visible_verbs
from .models import Activity, Invitation, Membership


def memberships_for_switcher(*, user) -> list[Membership]:
    """The user's active memberships, personal space first, for the organisation switcher."""
    return list(
        Membership.objects.active()
        .filter(user=user)
        .select_related("organisation", "role")
        .order_by("-organisation__is_personal", "organisation__name")
    )


def request_memberships(request) -> list[Membership] | tuple[Membership, ...]:
    """The signed-in user's memberships for the page shell's switcher: on an organisation's pages, the ones read
    with the access (``access.memberships_with_rights``); elsewhere ``memberships_for_switcher``, once per request."""
    access = getattr(request, "organisation_access", None)
    if access is not None:
        return access.memberships
    memberships = getattr(request, "_console_memberships", None)
    if memberships is None:
        memberships = request._console_memberships = memberships_for_switcher(user=request.user)
    return memberships


def active_member_count(*, organisation) -> int:
    return Membership.objects.active().filter(organisation=organisation).count()


def visible_activity(*, organisation, rights):
    """The organisation's activity entries a reader holding ``rights`` may see (``activity.KIND_RIGHTS``)."""
    return Activity.objects.filter(organisation=organisation, verb__in=visible_verbs(rights)).select_related("actor")


def recent_activity(*, organisation, rights, limit: int = 10) -> list[Activity]:
    return list(visible_activity(organisation=organisation, rights=rights).order_by("-created_at", "-id")[:limit])


def members_list(*, organisation, query: str = "", without_two_factor: bool = False):
    """The organisation's members with their user and whether they have two-factor (``has_totp``); expired ones
    too (``is_expired``: they get nothing, and are listed to be renewed or removed)."""
    members = (
        Membership.objects.filter(organisation=organisation)
        .select_related("user", "role")
        .annotate(
            has_totp=Exists(Authenticator.objects.filter(user_id=OuterRef("user_id"), type=Authenticator.Type.TOTP))
        )
        .order_by("user__name", "user__email", "pk")
    )
    if query:
        members = members.filter(Q(user__name__icontains=query) | Q(user__email__icontains=query))
    if without_two_factor:
        members = members.filter(has_totp=False)
    return members


def pending_invitations(*, organisation) -> list:
    """The invitations still waiting for an answer, expired ones included (they can be resent or revoked)."""
    return list(
        Invitation.objects.filter(organisation=organisation, state=Invitation.State.PENDING, application=None)
        .select_related("invited_by", "role")
        .order_by("expires_at", "pk")
    )


def activity_list(*, organisation, rights, actor: str = "", verb: str = "", since=None, until=None):
    """The organisation's activity that ``rights`` cover, newest first; ``since``/``until`` are inclusive dates in
    the current time zone."""
    activities = visible_activity(organisation=organisation, rights=rights).order_by("-created_at", "-id")
    if actor:
        activities = activities.filter(actor_label=actor)
    if verb:
        activities = activities.filter(verb=verb)
    zone = timezone.get_current_timezone()
    if since:
        activities = activities.filter(created_at__gte=datetime.combine(since, time.min, tzinfo=zone))
    if until:
        activities = activities.filter(
            created_at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
        )
    return activities


def is_known_actor(*, organisation, actor: str) -> bool:
    """Whether ``actor`` (the log's label of a person: their email) is a member of the organisation or named by its
    activity log; one query, on indexes."""
    return (
        Membership.objects.active().filter(organisation=organisation, user__email__iexact=actor).exists()
        or Activity.objects.filter(organisation=organisation, actor_label=actor).exists()
    )
