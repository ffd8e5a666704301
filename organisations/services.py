"""
Every change to organisations and memberships. Each function is one transaction and records an activity entry.

Rule checks raise ``ValidationError`` with a message meant for the person who asked; views have already checked
that the actor holds the right (403 otherwise), so these rules are the ones a right alone cannot express.
"""

from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .activity import activity_record
from .models import Membership, Organisation, OrganisationUserObjectPermission
from .roles import roles


def _unique_slug(name: str) -> str:
    base = slugify(name)[:100] or "organisation"
    slug, suffix = base, 2
    while Organisation.objects.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


def membership_sync_rights(membership: Membership) -> None:
    """Make the member's guardian rights on the organisation those of their role, and only those."""
    OrganisationUserObjectPermission.objects.filter(
        user_id=membership.user_id, content_object_id=membership.organisation_id
    ).delete()
    codenames = [right.value for right in roles.get(membership.role).rights]
    permissions = Permission.objects.filter(
        content_type__app_label="organisations", content_type__model="organisation", codename__in=codenames
    )
    OrganisationUserObjectPermission.objects.bulk_create(
        OrganisationUserObjectPermission(
            user_id=membership.user_id, content_object_id=membership.organisation_id, permission=permission
        )
        for permission in permissions
    )


def _revoke_rights(membership: Membership) -> None:
    OrganisationUserObjectPermission.objects.filter(
        user_id=membership.user_id, content_object_id=membership.organisation_id
    ).delete()


def _lock(organisation: Organisation) -> Organisation:
    """Lock the organisation row: changes that could take away its last Admin run one at a time."""
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


def _other_admins_exist(membership: Membership) -> bool:
    return (
        Membership.objects.active()
        .filter(organisation_id=membership.organisation_id, role=roles.top.id)
        .exclude(pk=membership.pk)
        .exists()
    )


def _actor_membership(*, actor, organisation: Organisation) -> Membership:
    membership = Membership.objects.active().filter(organisation=organisation, user=actor).first()
    if membership is None:
        raise ValidationError(_("You are not a member of this organisation."))
    return membership


def _check_may_manage(*, actor_membership: Membership, role: str) -> None:
    if not roles.can_manage(actor_membership.role, role):
        raise ValidationError(
            _("Only a member with the %(role)s role can manage %(role)s members.") % {"role": roles.get(role)}
        )


def _membership_snapshot(membership: Membership) -> dict:
    return {"user": membership.user.email, "role": membership.role}


@transaction.atomic
def personal_space_create(*, user) -> Organisation:
    """Create the account's personal space, of which the account is the only Admin."""
    name = user.get_short_name()
    organisation = Organisation.objects.create(name=name[:100], slug=_unique_slug(f"{name}-personal"), is_personal=True)
    membership = Membership.objects.create(organisation=organisation, user=user, role=roles.top.id)
    membership_sync_rights(membership)
    return organisation


@transaction.atomic
def organisation_create(*, actor, name: str, description: str = "") -> Organisation:
    """Create an organisation of which ``actor`` is the first Admin."""
    organisation = Organisation.objects.create(name=name, slug=_unique_slug(name), description=description)
    membership = Membership.objects.create(organisation=organisation, user=actor, role=roles.top.id)
    membership_sync_rights(membership)
    activity_record(
        organisation=organisation,
        actor=actor,
        verb="organisation.created",
        target=organisation,
        after={"name": name, "description": description},
    )
    return organisation


@transaction.atomic
def organisation_update(*, actor, organisation: Organisation, name: str, description: str) -> Organisation:
    """Change the organisation's name and description."""
    before = {"name": organisation.name, "description": organisation.description}
    organisation.name, organisation.description = name, description
    organisation.save(update_fields=["name", "description"])
    after = {"name": name, "description": description}
    if before != after:
        activity_record(
            organisation=organisation,
            actor=actor,
            verb="organisation.updated",
            target=organisation,
            before=before,
            after=after,
        )
    return organisation


@transaction.atomic
def organisation_delete(*, actor, organisation: Organisation, confirm_name: str) -> None:
    """Delete the organisation and everything in it, once its exact name has been typed."""
    if organisation.is_personal:
        raise ValidationError(_("A personal space cannot be deleted."))
    if confirm_name != organisation.name:
        raise ValidationError({"confirm_name": _("Type the organisation's name exactly to confirm.")})
    organisation = _lock(organisation)
    activity_record(
        organisation=organisation,
        actor=actor,
        verb="organisation.deleted",
        target=organisation,
        before={"name": organisation.name},
    )
    organisation.delete()


@transaction.atomic
def membership_add(
    *, actor, organisation: Organisation, user, role: str, expires_at=None, by_staff: bool = False
) -> Membership:
    """Make ``user`` a member of ``organisation`` with ``role``."""
    if organisation.is_personal:
        raise ValidationError(_("A personal space cannot have members."))
    role = roles.get(role).id
    if not by_staff:
        _check_may_manage(actor_membership=_actor_membership(actor=actor, organisation=organisation), role=role)
    _lock(organisation)
    if Membership.objects.filter(organisation=organisation, user=user).exists():
        raise ValidationError(_("%(email)s is already a member of this organisation.") % {"email": user.email})
    membership = Membership.objects.create(
        organisation=organisation, user=user, role=role, invited_by=actor, expires_at=expires_at
    )
    membership_sync_rights(membership)
    activity_record(
        organisation=organisation,
        actor=actor,
        verb="member.added",
        target=membership.user,
        after=_membership_snapshot(membership),
    )
    return membership


@transaction.atomic
def membership_change_role(*, actor, membership: Membership, role: str, by_staff: bool = False) -> Membership:
    """Give the member another role; only an Admin touches Admins, and the last Admin stays one.

    ``by_staff``: platform staff acting from the Django admin, who are not members; the last-Admin rule holds.
    """
    role = roles.get(role).id
    organisation = _lock(membership.organisation)
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if not by_staff:
        actor_membership = _actor_membership(actor=actor, organisation=organisation)
        _check_may_manage(actor_membership=actor_membership, role=membership.role)
        _check_may_manage(actor_membership=actor_membership, role=role)
    if membership.role == role:
        return membership
    if membership.role == roles.top.id and not _other_admins_exist(membership):
        raise ValidationError(
            _("%(email)s is the last %(role)s of this organisation. Appoint another %(role)s first.")
            % {"email": membership.user.email, "role": roles.top}
        )
    before = _membership_snapshot(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    membership_sync_rights(membership)
    activity_record(
        organisation=organisation,
        actor=actor,
        verb="member.role_changed",
        target=membership.user,
        before=before,
        after=_membership_snapshot(membership),
    )
    return membership


def _membership_end(*, actor, membership: Membership, verb: str, last_admin_message: str, check_actor: bool) -> None:
    organisation = _lock(membership.organisation)
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if check_actor:
        actor_membership = _actor_membership(actor=actor, organisation=organisation)
        _check_may_manage(actor_membership=actor_membership, role=membership.role)
    if organisation.is_personal:
        raise ValidationError(_("Nobody can leave or be removed from a personal space."))
    if membership.role == roles.top.id and not _other_admins_exist(membership):
        raise ValidationError(last_admin_message % {"email": membership.user.email, "role": roles.top})
    before = _membership_snapshot(membership)
    _revoke_rights(membership)
    membership.delete()
    activity_record(organisation=organisation, actor=actor, verb=verb, target=membership.user, before=before)


@transaction.atomic
def membership_remove(*, actor, membership: Membership, by_staff: bool = False) -> None:
    """Remove a member from the organisation; only an Admin removes an Admin, never the last one."""
    _membership_end(
        actor=actor,
        membership=membership,
        verb="member.removed",
        check_actor=not by_staff,
        last_admin_message=_(
            "%(email)s is the last %(role)s of this organisation and cannot be removed. Appoint another %(role)s first."
        ),
    )


@transaction.atomic
def membership_leave(*, membership: Membership) -> None:
    """The member leaves the organisation; the last Admin cannot."""
    _membership_end(
        actor=membership.user,
        membership=membership,
        verb="member.left",
        check_actor=False,
        last_admin_message=_(
            "You are the last %(role)s of this organisation and cannot leave it. Appoint another %(role)s first."
        ),
    )
