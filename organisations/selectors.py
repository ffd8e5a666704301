"""Read queries shared by several views."""

from .models import Activity, Membership


def memberships_for_switcher(*, user) -> list[Membership]:
    """The user's active memberships, personal space first, for the organisation switcher."""
    return list(
        Membership.objects.active()
        .filter(user=user)
        .select_related("organisation")
        .order_by("-organisation__is_personal", "organisation__name")
    )


def active_member_count(*, organisation) -> int:
    return Membership.objects.active().filter(organisation=organisation).count()


def recent_activity(*, organisation, limit: int = 10) -> list[Activity]:
    return list(Activity.objects.filter(organisation=organisation).order_by("-created_at", "-id")[:limit])
