"""
Every change to organisations and memberships. Each function is one transaction and records an activity entry.

Rule checks raise ``ValidationError`` with a message meant for the person who asked; views have already checked
that the actor holds the right (403 otherwise), so these rules are the ones a right alone cannot express.
"""

import hashlib
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.core.internal import ratelimit
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import signals
from .access import member_access
from .activity import activity_record
from .models import (
    Invitation,
    Membership,
    Organisation,
    OrganisationGroupObjectPermission,
    OrganisationUserObjectPermission,
    Role,
)
from .roles import Right, can_manage, is_admin, roles


def _unique_slug(name: str) -> str:
    base = slugify(name)[:100] or "organisation"
    slug, suffix = base, 2
    while Organisation.objects.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


def _permissions(rights) -> list[Permission]:
    return list(
        Permission.objects.filter(
            content_type__app_label="organisations",
            content_type__model="organisation",
            codename__in=[str(right) for right in rights],
        )
    )


def _role_set_rights(role: Role, rights) -> None:
    """Make the role's group hold ``rights`` on its organisation, and only those."""
    OrganisationGroupObjectPermission.objects.filter(
        group_id=role.group_id, content_object_id=role.organisation_id
    ).delete()
    OrganisationGroupObjectPermission.objects.bulk_create(
        OrganisationGroupObjectPermission(group_id=role.group_id, content_object_id=role.organisation_id, permission=p)
        for p in _permissions(rights)
    )
    role.rights = rights


def _group_name(organisation: Organisation, name: str) -> str:
    """The role's group's name, as staff see it in the admin (unique: a role's name is unique in its organisation)."""
    return f"{organisation.slug[:60]} #{organisation.pk}: {name}"


def _role_new(*, organisation: Organisation, name: str, description: str, rights, key=None, priority=0) -> Role:
    group = Group.objects.create(name=_group_name(organisation, name))
    role = Role.objects.create(
        organisation=organisation, group=group, name=name, description=description, key=key, priority=priority
    )
    _role_set_rights(role, rights)
    return role


def organisation_roles_create(*, organisation: Organisation) -> list[Role]:
    """Give the organisation the built-in roles it lacks (called for every new organisation)."""
    existing = set(Role.objects.filter(organisation=organisation, key__isnull=False).values_list("key", flat=True))
    with translation.override(None):  # stored in English; pages show the built-in roles' names translated
        return [
            _role_new(
                organisation=organisation,
                name=str(definition.name),
                description="",
                rights=definition.rights,
                key=definition.key,
                priority=definition.priority,
            )
            for definition in roles
            if definition.key not in existing
        ]


def role_for(*, organisation: Organisation, role) -> Role:
    """The role of ``organisation`` that ``role`` names: a Role, a built-in key (ADMIN…) or a custom role's id."""
    if isinstance(role, Role):
        found = role if role.organisation_id == organisation.pk else None
    else:
        value = str(role or "")
        lookup = {"key": value} if value in roles else {"pk": int(value)} if value.isdigit() else None
        found = Role.objects.filter(organisation=organisation, **lookup).first() if lookup else None
    if found is None:
        raise ValidationError({"role": _("Choose a valid role.")})
    return found


def _role_label(role: Role) -> str:
    """How activity entries name a role: its built-in key, or its name."""
    return role.key or role.name


def _lock(organisation: Organisation) -> Organisation:
    """Lock the organisation row: changes that could take away its last Admin run one at a time.

    A deleted organisation changes no more (and is not deleted twice).
    """
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.is_deleted:
        raise ValidationError(_("This organisation has been deleted."))
    return organisation


def _other_admins_exist(membership: Membership) -> bool:
    return (
        Membership.objects.active()
        .admins()
        .filter(organisation_id=membership.organisation_id)
        .exclude(pk=membership.pk)
        .exists()
    )


# The code of the error a change of a membership that no longer exists raises: a request that lost a race with
# another removal, a leave or a role change (the views answer it with a message and the member list).
MEMBERSHIP_GONE = "membership_gone"


def _lock_membership(membership: Membership, *, gone_message=None) -> Membership:
    """Lock the membership's row and read it afresh, once the organisation is locked; a membership removed
    meanwhile (another request won the race) is a ValidationError, not a DoesNotExist."""
    locked = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "role")
        .filter(pk=membership.pk)
        .first()
    )
    if locked is None:
        message = gone_message or _("%(email)s is no longer a member of this organisation: already removed, or left.")
        raise ValidationError(message % {"email": membership.user.email}, code=MEMBERSHIP_GONE)
    return locked


def _actor_access(*, actor, organisation: Organisation):
    access = member_access(user=actor, organisation=organisation)
    if access is None:
        raise ValidationError(_("You are not a member of this organisation."))
    return access


def _check_may_manage(*, actor_access, role: Role) -> None:
    if not can_manage(actor_access.role, role):
        if is_admin(role):
            message = _("Only a member with the %(role)s role can manage %(role)s members.")
        else:
            message = _("Your role cannot manage the %(role)s role: it holds rights that yours does not.")
        raise ValidationError(message % {"role": role})


def _membership_snapshot(membership: Membership) -> dict:
    return {"user": membership.user.email, "role": _role_label(membership.role)}


def _admin_role(organisation: Organisation) -> Role:
    return Role.objects.get(organisation=organisation, key=roles.top.key)


@transaction.atomic
def personal_space_create(*, user) -> Organisation:
    """Create the account's personal space, of which the account is the only Admin."""
    name = user.get_short_name()
    organisation = Organisation.objects.create(name=name[:100], slug=_unique_slug(f"{name}-personal"), is_personal=True)
    Membership.objects.create(organisation=organisation, user=user, role=_admin_role(organisation))
    return organisation


@transaction.atomic
def organisation_create(*, actor, name: str, description: str = "") -> Organisation:
    """Create an organisation of which ``actor`` is the first Admin."""
    organisation = Organisation.objects.create(name=name, slug=_unique_slug(name), description=description)
    Membership.objects.create(organisation=organisation, user=actor, role=_admin_role(organisation))
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


@dataclass(frozen=True)
class DeletionBlocker:
    """Why the organisation cannot be deleted yet, and where to settle it."""

    message: str
    url: str = ""
    link_label: str = ""


def organisation_deletion_blockers(*, organisation: Organisation) -> list[DeletionBlocker]:
    """What stops the organisation from being deleted now, as every app sees it (``signals.deletion_blockers``)."""
    blockers = []
    for _receiver, found in signals.deletion_blockers.send(sender=Organisation, organisation=organisation):
        blockers.extend(found or ())
    return blockers


@transaction.atomic
def organisation_delete(*, actor, organisation: Organisation, confirm_name: str) -> None:
    """Delete the organisation once its exact name has been typed and nothing blocks it.

    Its members, invitations, rights, applications (destroyed by the orchestrator after the commit) and add-ons go.
    Its row stays, marked deleted, with its invoices, the usage they were computed from and its log: those are
    records that outlive it (platform staff see them in the admin), and its slug is never given to another.
    """
    if organisation.is_personal:
        raise ValidationError(_("A personal space cannot be deleted."))
    if confirm_name != organisation.name:
        raise ValidationError({"confirm_name": _("Type the organisation's name exactly to confirm.")})
    organisation = _lock(organisation)
    blockers = organisation_deletion_blockers(organisation=organisation)
    if blockers:
        raise ValidationError([blocker.message for blocker in blockers], code="deletion_blocked")
    activity_record(
        organisation=organisation,
        actor=actor,
        verb="organisation.deleted",
        target=organisation,
        before={"name": organisation.name},
    )
    signals.organisation_deleting.send(sender=Organisation, organisation=organisation, actor=actor)
    Invitation.objects.filter(organisation=organisation).delete()
    Membership.objects.filter(organisation=organisation).delete()
    # Rows nothing writes any more, but staff could add in guardian's admin (they give nothing).
    OrganisationUserObjectPermission.objects.filter(content_object=organisation).delete()
    OrganisationGroupObjectPermission.objects.filter(content_object=organisation).delete()
    Role.objects.filter(organisation=organisation).delete()  # their groups go with them (handlers.delete_role_group)
    organisation.deleted_at = timezone.now()
    organisation.save(update_fields=["deleted_at"])


@transaction.atomic
def membership_add(
    *, actor, organisation: Organisation, user, role: Role | str, expires_at=None, by_staff: bool = False
) -> Membership:
    """Make ``user`` a member of ``organisation`` with ``role`` (a role of the organisation, or its key or id)."""
    if organisation.is_personal:
        raise ValidationError(_("A personal space cannot have members."))
    _lock(organisation)
    role = role_for(organisation=organisation, role=role)
    if not by_staff:
        _check_may_manage(actor_access=_actor_access(actor=actor, organisation=organisation), role=role)
    return _membership_create(
        actor=actor, organisation=organisation, user=user, role=role, invited_by=actor, expires_at=expires_at
    )


def _membership_create(
    *, actor, organisation: Organisation, user, role: Role, invited_by, expires_at=None
) -> Membership:
    """Create the membership with its rights and its activity entry; the caller holds the organisation's lock."""
    existing = Membership.objects.filter(organisation=organisation, user=user).select_related("user", "role").first()
    if existing is not None and not existing.is_expired:
        raise ValidationError(_("%(email)s is already a member of this organisation.") % {"email": user.email})
    if existing is not None:  # an expired membership gives nothing: the new one takes its place
        _membership_expired_delete(existing)
    membership = Membership.objects.create(
        organisation=organisation, user=user, role=role, invited_by=invited_by, expires_at=expires_at
    )
    from apps.services import grants_end_on_joining  # apps depends on organisations, not the reverse

    grants_end_on_joining(actor=actor, membership=membership)
    activity_record(
        organisation=organisation,
        actor=actor,
        verb="member.added",
        target=membership.user,
        after=_membership_snapshot(membership),
    )
    return membership


@transaction.atomic
def membership_change_role(*, actor, membership: Membership, role: Role | str, by_staff: bool = False) -> Membership:
    """Give the member another role; a member manages only roles within their own rights, only an Admin touches
    Admins, and the last Admin stays one.

    ``by_staff``: platform staff acting from the Django admin, who are not members; the last-Admin rule holds.
    """
    organisation = _lock(membership.organisation)
    role = role_for(organisation=organisation, role=role)
    membership = _lock_membership(membership)
    if not by_staff:
        actor_access = _actor_access(actor=actor, organisation=organisation)
        _check_may_manage(actor_access=actor_access, role=membership.role)
        _check_may_manage(actor_access=actor_access, role=role)
    if membership.role_id == role.pk:
        return membership
    if is_admin(membership.role) and not _other_admins_exist(membership):
        raise ValidationError(
            _("%(email)s is the last %(role)s of this organisation. Appoint another %(role)s first.")
            % {"email": membership.user.email, "role": roles.top}
        )
    before = _membership_snapshot(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    activity_record(
        organisation=organisation,
        actor=actor,
        verb="member.role_changed",
        target=membership.user,
        before=before,
        after=_membership_snapshot(membership),
    )
    return membership


def _membership_end(
    *, actor, membership: Membership, verb: str, last_admin_message: str, check_actor: bool, gone_message=None
) -> None:
    organisation = _lock(membership.organisation)
    membership = _lock_membership(membership, gone_message=gone_message)
    if check_actor:
        _check_may_manage(actor_access=_actor_access(actor=actor, organisation=organisation), role=membership.role)
    if organisation.is_personal:
        raise ValidationError(_("Nobody can leave or be removed from a personal space."))
    if is_admin(membership.role) and not membership.is_expired and not _other_admins_exist(membership):
        raise ValidationError(last_admin_message % {"email": membership.user.email, "role": roles.top})
    before = _membership_snapshot(membership)
    membership.delete()
    activity_record(organisation=organisation, actor=actor, verb=verb, target=membership.user, before=before)


# Expired memberships give nothing; they stay listed (as expired, to be renewed or removed) this long, then the
# daily ``expire_grants`` command deletes them.
MEMBERSHIP_EXPIRED_KEPT = timedelta(days=30)


def _membership_expired_delete(membership: Membership) -> None:
    activity_record(
        organisation=membership.organisation,
        actor=None,
        verb="member.expired",
        target=membership.user,
        before={**_membership_snapshot(membership), "expires_at": membership.expires_at.isoformat()},
    )
    membership.delete()


def memberships_expire(*, now=None) -> int:
    """Delete the memberships expired for longer than ``MEMBERSHIP_EXPIRED_KEPT``; the number deleted."""
    limit = (now or timezone.now()) - MEMBERSHIP_EXPIRED_KEPT
    count = 0
    for membership in Membership.objects.filter(expires_at__lte=limit).select_related("user", "role", "organisation"):
        with transaction.atomic():
            _lock(membership.organisation)
            locked = Membership.objects.select_for_update(of=("self",)).filter(pk=membership.pk, expires_at__lte=limit)
            if locked.exists():
                _membership_expired_delete(membership)
                count += 1
    return count


@transaction.atomic
def membership_renew(*, actor, membership: Membership, expires_at=None, by_staff: bool = False) -> Membership:
    """Give the membership a new expiry (None: it no longer expires); the actor must manage the member's role."""
    organisation = _lock(membership.organisation)
    membership = _lock_membership(membership)
    if not by_staff:
        _check_may_manage(actor_access=_actor_access(actor=actor, organisation=organisation), role=membership.role)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("Choose a time in the future.")})
    before = {**_membership_snapshot(membership), "expires_at": _iso(membership.expires_at)}
    membership.expires_at = expires_at
    membership.save(update_fields=["expires_at"])
    activity_record(
        organisation=organisation,
        actor=actor,
        verb="member.renewed",
        target=membership.user,
        before=before,
        after={**_membership_snapshot(membership), "expires_at": _iso(expires_at)},
    )
    return membership


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


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
        gone_message=_("You are no longer a member of this organisation."),
        last_admin_message=_(
            "You are the last %(role)s of this organisation and cannot leave it. Appoint another %(role)s first."
        ),
    )


# Custom roles: an Admin makes them from the vocabulary of rights; the built-in ones stay as roles.py defines them.


def _role_snapshot(role: Role) -> dict:
    return {
        "name": role.name,
        "description": role.description,
        "rights": sorted(right.value for right in role.rights),
    }


def _check_may_edit_roles(*, actor, organisation: Organisation, by_staff: bool) -> None:
    if organisation.is_personal:
        raise ValidationError(_("A personal space has no roles to manage."))
    if not by_staff and not is_admin(_actor_access(actor=actor, organisation=organisation).role):
        raise ValidationError(_("Only a member with the %(role)s role can manage roles.") % {"role": roles.top})


def _clean_role_values(*, organisation: Organisation, name: str, rights, role: Role | None = None):
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Give the role a name.")})
    others = Role.objects.filter(organisation=organisation).exclude(pk=role.pk if role else None)
    taken = {str(other.name).casefold() for other in others} | {str(other).casefold() for other in others}
    if name.casefold() in taken:
        raise ValidationError({"name": _("The organisation already has a role named “%(name)s”.") % {"name": name}})
    try:
        rights = frozenset(Right(right) for right in rights)
    except ValueError as error:
        raise ValidationError({"rights": _("Choose valid rights.")}) from error
    return name, rights


@transaction.atomic
def role_create(
    *, actor, organisation: Organisation, name: str, description: str = "", rights, by_staff: bool = False
) -> Role:
    """Create a custom role of the organisation with ``rights`` (Admins only)."""
    organisation = _lock(organisation)
    _check_may_edit_roles(actor=actor, organisation=organisation, by_staff=by_staff)
    name, rights = _clean_role_values(organisation=organisation, name=name, rights=rights)
    role = _role_new(organisation=organisation, name=name, description=description.strip(), rights=rights)
    activity_record(
        organisation=organisation, actor=actor, verb="role.created", target=role, after=_role_snapshot(role)
    )
    return role


def _custom_role_locked(role: Role) -> tuple[Organisation, Role]:
    organisation = _lock(role.organisation)
    role = Role.objects.select_for_update().get(pk=role.pk)
    if role.is_builtin:
        raise ValidationError(_("A built-in role cannot be changed or deleted."))
    return organisation, role


@transaction.atomic
def role_update(*, actor, role: Role, name: str, description: str = "", rights, by_staff: bool = False) -> Role:
    """Change a custom role: its new rights hold at once for every member who has it (Admins only)."""
    organisation, role = _custom_role_locked(role)
    _check_may_edit_roles(actor=actor, organisation=organisation, by_staff=by_staff)
    name, rights = _clean_role_values(organisation=organisation, name=name, rights=rights, role=role)
    before = _role_snapshot(role)
    role.name, role.description = name, description.strip()
    role.save(update_fields=["name", "description"])
    Group.objects.filter(pk=role.group_id).update(name=_group_name(organisation, name))
    if rights != role.rights:
        _role_set_rights(role, rights)
    after = _role_snapshot(role)
    if before != after:
        activity_record(
            organisation=organisation, actor=actor, verb="role.updated", target=role, before=before, after=after
        )
    return role


@transaction.atomic
def role_delete(*, actor, role: Role, replacement: Role | str | None = None, by_staff: bool = False) -> None:
    """Delete a custom role; its members and invitations move to ``replacement`` (required when it is in use)."""
    organisation, role = _custom_role_locked(role)
    _check_may_edit_roles(actor=actor, organisation=organisation, by_staff=by_staff)
    in_use = Membership.objects.filter(role=role).exists() or Invitation.objects.filter(role=role).exists()
    before = _role_snapshot(role)
    if in_use:
        if replacement in (None, ""):
            raise ValidationError({"replacement": _("Choose the role its members move to.")})
        replacement = role_for(organisation=organisation, role=replacement)
        if replacement.pk == role.pk:
            raise ValidationError({"replacement": _("Choose another role for its members.")})
        moved = list(Membership.objects.filter(role=role).select_related("user"))
        Membership.objects.filter(role=role).update(role=replacement)
        Invitation.objects.filter(role=role).update(role=replacement)
        before["members"] = sorted(membership.user.email for membership in moved)
        for membership in moved:
            activity_record(
                organisation=organisation,
                actor=actor,
                verb="member.role_changed",
                target=membership.user,
                before={"user": membership.user.email, "role": _role_label(role)},
                after={"user": membership.user.email, "role": _role_label(replacement)},
            )
    activity_record(
        organisation=organisation,
        actor=actor,
        verb="role.deleted",
        target=role,
        before=before,
        after={"members_moved_to": _role_label(replacement)} if in_use else None,
    )
    role.delete()


@transaction.atomic
def organisation_set_two_factor(*, actor, organisation: Organisation, require_two_factor: bool) -> Organisation:
    """Require (or stop requiring) two-factor authentication of every member of the organisation."""
    organisation = _lock(organisation)
    if organisation.require_two_factor == require_two_factor:
        return organisation
    if require_two_factor and not is_mfa_enabled(actor, [Authenticator.Type.TOTP]):
        raise ValidationError(
            _("Set up two-factor authentication for your own account first, or you would lock yourself out.")
        )
    organisation.require_two_factor = require_two_factor
    organisation.save(update_fields=["require_two_factor"])
    activity_record(
        organisation=organisation,
        actor=actor,
        verb="organisation.two_factor_changed",
        target=organisation,
        before={"require_two_factor": not require_two_factor},
        after={"require_two_factor": require_two_factor},
    )
    return organisation


# Invitations. The token is 256 random bits (secrets.token_urlsafe(32)); only its SHA-256 is stored, the token itself
# is only ever in the emailed link. An invitation lasts INVITATION_TTL; a resend gives it a new token and a new expiry.
INVITATION_TTL = timedelta(days=7)

# Every invitation email sent (invite or resend) counts against the organisation and against the inviter, in
# allauth's cache-based rate limiter (the one that counts sign-in attempts). settings.INVITATION_RATE_LIMITS overrides.
INVITATION_RATE_LIMITS = {
    "invite_per_organisation": "50/h/key,200/d/key",
    "invite_per_inviter": "20/h/key,100/d/key",
}


def invitation_token_hash(token: str) -> str:
    """The stored form of an invitation token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, invitation_token_hash(token)


def _invitation_snapshot(invitation: Invitation) -> dict:
    if invitation.application_id:
        return {
            "email": invitation.email,
            "application": invitation.application.name,
            "level": invitation.application_level,
        }
    return {"email": invitation.email, "role": _role_label(invitation.role)}


@contextmanager
def _invitation_rate_limited(*, organisation: Organisation, actor, by_staff: bool):
    """Count one invitation email against the organisation's and the inviter's limits (staff are not limited).

    Refuses when a limit is reached; gives the counts back if what follows fails, so a refused or failed
    invitation costs nothing.
    """
    if by_staff:
        yield
        return
    config = getattr(settings, "INVITATION_RATE_LIMITS", INVITATION_RATE_LIMITS)
    usages = []
    try:
        for action, key in (
            ("invite_per_organisation", f"organisation:{organisation.pk}"),
            ("invite_per_inviter", f"user:{actor.pk}"),
        ):
            # Only "key" rates are used, so no request is needed: the limit holds for every caller of the service.
            usage = ratelimit.consume(None, app="organisations", action=action, config=config, key=key, limit_get=True)
            if usage is None:
                raise ValidationError(_("Too many invitations have been sent. Try again later."))
            usages.append(usage)
        yield
    except Exception:
        for usage in usages:
            usage.rollback()
        raise


def _invitation_send(*, invitation: Invitation, token: str, base_url: str) -> None:
    """Email the invitation's link, which carries the token, to the invited address."""
    context = {
        "invitation": invitation,
        "organisation": invitation.organisation,
        "inviter": invitation.invited_by,
        "role": invitation.role,
        "application": invitation.application,
        "url": base_url.rstrip("/") + reverse("organisations:invitation", kwargs={"token": token}),
        "expires_at": invitation.expires_at,
    }
    subject = " ".join(render_to_string("organisations/email/invitation_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("organisations/email/invitation_message.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string("organisations/email/invitation_message.html", context), "text/html")
    message.send()


def _check_may_invite(*, actor, organisation: Organisation, role: Role | None) -> None:
    """``role`` None: an invitation to one application, which gives no role to manage."""
    actor_access = _actor_access(actor=actor, organisation=organisation)
    if not actor_access.has(Right.INVITE_MEMBERS):
        raise ValidationError(_("You may not invite members to this organisation."))
    if role is not None:
        _check_may_manage(actor_access=actor_access, role=role)


def _inviter_may_still_grant(invitation: Invitation) -> bool:
    """Whether the inviter may still give what the invitation gives: the rule they met when sending it, asked of
    their membership today (demoted, left, removed or deleted: no). Platform staff who invited from the Django admin
    may as long as they hold the admin's permission to invite."""
    inviter = invitation.invited_by
    if inviter is None or not inviter.is_active:
        return False
    if inviter.is_staff and inviter.has_perm(_STAFF_INVITE_PERM):
        return True
    try:
        _check_may_invite(actor=inviter, organisation=invitation.organisation, role=invitation.role)
    except ValidationError:
        return False
    return True


def invitation_inviter_refusal(invitation: Invitation) -> str:
    """Why the invitation can no longer be accepted because of its inviter (what acceptance says), or ""."""
    if _inviter_may_still_grant(invitation):
        return ""
    return _(
        "This invitation can no longer be accepted: the person who sent it may no longer give this access. "
        "Ask the organisation to send you a new invitation."
    )


# What platform staff need to invite from the Django admin (its "add invitation" page).
_STAFF_INVITE_PERM = "organisations.add_invitation"


def _email_is_member(*, organisation: Organisation, email: str) -> bool:
    """Whether ``email`` is an active member's: an expired membership does not stop a new invitation."""
    return (
        Membership.objects.active()
        .filter(organisation=organisation)
        .filter(
            Q(user__email__iexact=email) | Q(user__emailaddress__email__iexact=email, user__emailaddress__verified=True)
        )
        .exists()
    )


def _invitation_locked(invitation: Invitation) -> Invitation:
    """Lock the invitation's organisation, then the invitation: the order every change here takes, so none deadlock.

    (Writing an activity entry takes a share lock on the organisation row, so the organisation always comes first.)
    """
    Organisation.objects.select_for_update().filter(pk=invitation.organisation_id).first()
    return (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("organisation", "invited_by")
        .get(pk=invitation.pk)
    )


@transaction.atomic
def invitation_create(
    *,
    actor,
    organisation: Organisation,
    email: str,
    role: Role | str | None,
    base_url: str,
    by_staff: bool = False,
    application=None,
    application_level: str = "",
    access_expires_at=None,
) -> Invitation:
    """Invite ``email`` to join ``organisation`` with ``role`` and email them the link.

    ``base_url``: scheme and host of the console, for the link. ``by_staff``: platform staff in the Django admin.
    ``application``: an invitation to that application only (``role`` empty), giving ``application_level`` on it
    until ``access_expires_at``; ``apps.services.grant_by_email`` has validated the level.
    """
    email = email.strip().lower()
    validate_email(email)
    if application is not None:
        if application.organisation_id != organisation.pk or role or not application_level:
            raise ValidationError(_("Choose an application of this organisation and an access level."))
        role = None
    else:
        if organisation.is_personal:
            raise ValidationError(_("A personal space cannot have members."))
        role = role_for(organisation=organisation, role=role)
    if not by_staff:
        _check_may_invite(actor=actor, organisation=organisation, role=role)
    organisation = _lock(organisation)  # one invitation per address at a time, also when two requests race
    if _email_is_member(organisation=organisation, email=email):
        if application is not None:
            from apps.services import member_grant_refused  # apps depends on organisations, not the reverse

            raise member_grant_refused(email=email)
        raise ValidationError({"email": _("%(email)s is already a member of this organisation.") % {"email": email}})
    if (
        Invitation.objects.pending()
        .filter(organisation=organisation, email__iexact=email, application=application)
        .exists()
    ):
        raise ValidationError(
            {"email": _("%(email)s has already been invited; the invitation is pending.") % {"email": email}}
        )
    with _invitation_rate_limited(organisation=organisation, actor=actor, by_staff=by_staff):
        token, token_hash = _new_token()
        now = timezone.now()
        invitation = Invitation.objects.create(
            organisation=organisation,
            email=email,
            role=role,
            application=application,
            application_level=application_level,
            access_expires_at=access_expires_at,
            token_hash=token_hash,
            invited_by=actor,
            created_at=now,
            sent_at=now,
            expires_at=now + INVITATION_TTL,
        )
        activity_record(
            organisation=organisation,
            actor=actor,
            verb="invitation.created",
            target=invitation,
            after=_invitation_snapshot(invitation),
        )
        _invitation_send(invitation=invitation, token=token, base_url=base_url)
    return invitation


@transaction.atomic
def invitation_resend(*, actor, invitation: Invitation, base_url: str, by_staff: bool = False) -> Invitation:
    """Send the invitation again with a new token and a new expiry; the previous link stops working.

    The person who sends it again becomes its inviter: acceptance checks that they may still give the access.
    """
    invitation = _invitation_locked(invitation)
    if not by_staff:
        _check_may_invite(actor=actor, organisation=invitation.organisation, role=invitation.role)
    if invitation.state != Invitation.State.PENDING:
        raise ValidationError(_("Only a pending invitation can be sent again."))
    if _email_is_member(organisation=invitation.organisation, email=invitation.email):
        raise ValidationError(_("%(email)s is already a member of this organisation.") % {"email": invitation.email})
    with _invitation_rate_limited(organisation=invitation.organisation, actor=actor, by_staff=by_staff):
        token, invitation.token_hash = _new_token()
        invitation.sent_at = timezone.now()
        invitation.expires_at = invitation.sent_at + INVITATION_TTL
        invitation.invited_by = actor
        invitation.save(update_fields=["token_hash", "sent_at", "expires_at", "invited_by"])
        activity_record(
            organisation=invitation.organisation,
            actor=actor,
            verb="invitation.resent",
            target=invitation,
            after=_invitation_snapshot(invitation),
        )
        _invitation_send(invitation=invitation, token=token, base_url=base_url)
    return invitation


@transaction.atomic
def invitation_revoke(*, actor, invitation: Invitation, by_staff: bool = False) -> Invitation:
    """Withdraw a pending (or expired) invitation: its link stops working."""
    invitation = _invitation_locked(invitation)
    if not by_staff:
        _check_may_invite(actor=actor, organisation=invitation.organisation, role=invitation.role)
    if invitation.state != Invitation.State.PENDING:
        raise ValidationError(_("Only a pending invitation can be revoked."))
    invitation.state = Invitation.State.REVOKED
    invitation.save(update_fields=["state"])
    activity_record(
        organisation=invitation.organisation,
        actor=actor,
        verb="invitation.revoked",
        target=invitation,
        before=_invitation_snapshot(invitation),
    )
    return invitation


def _invitation_for_response(token: str) -> Invitation:
    """The invitation of ``token``, locked, if it can still be answered; a clear error otherwise."""
    invitation = Invitation.objects.filter(token_hash=invitation_token_hash(token)).first()
    if invitation is not None:
        invitation = _invitation_locked(invitation)
    if invitation is None or invitation.token_hash != invitation_token_hash(token):  # resent meanwhile
        raise ValidationError(_("This invitation link is not valid. It may have been replaced by a newer one."))
    if not invitation.is_pending:
        raise ValidationError(INVITATION_CLOSED_MESSAGES[invitation.status]())
    return invitation


# Why a link no longer works, as the invitation page and the services say it (callables: translated when used).
INVITATION_CLOSED_MESSAGES = {
    Invitation.EXPIRED: lambda: _("This invitation has expired. Ask the organisation to send you a new one."),
    Invitation.State.REVOKED: lambda: _("This invitation has been withdrawn."),
    Invitation.State.DECLINED: lambda: _("This invitation has been declined."),
    Invitation.State.ACCEPTED: lambda: _("This invitation has already been used."),
}


@transaction.atomic
def invitation_decline(*, token: str, user=None) -> Invitation:
    """The invited person declines; holding the link is enough, as declining gives nothing."""
    invitation = _invitation_for_response(token)
    invitation.state = Invitation.State.DECLINED
    invitation.save(update_fields=["state"])
    activity_record(
        organisation=invitation.organisation,
        actor=user if user is not None and user.is_authenticated else None,
        verb="invitation.declined",
        target=invitation,
        before=_invitation_snapshot(invitation),
    )
    return invitation


def _invitation_grant(*, invitation: Invitation, user):
    """What accepting ``invitation`` gives ``user``: a membership with the invited role, or a grant on the invited
    application for an invitation to one application."""
    if invitation.application_id:
        from apps.services import grant_set  # apps depends on organisations, not the reverse

        return grant_set(
            actor=invitation.invited_by,
            application=invitation.application,
            user=user,
            level=invitation.application_level,
            expires_at=invitation.access_expires_at,
        )
    return _membership_create(
        actor=user,
        organisation=invitation.organisation,
        user=user,
        role=invitation.role,
        invited_by=invitation.invited_by,
    )


@transaction.atomic
def invitation_accept(*, user, token: str) -> Invitation:
    """``user`` accepts the invitation of ``token``: once, before it expires, with the invited email verified."""
    invitation = _invitation_for_response(token)
    if not EmailAddress.objects.filter(user=user, email__iexact=invitation.email, verified=True).exists():
        raise ValidationError(
            _(
                "This invitation was sent to another email address. Sign in with that address, or add it to your "
                "account and verify it, to accept."
            )
        )
    if (
        not invitation.application_id
        and Membership.objects.active().filter(organisation=invitation.organisation, user=user).exists()
    ):
        raise ValidationError(_("You are already a member of this organisation."))
    if refusal := invitation_inviter_refusal(invitation):
        raise ValidationError(refusal)
    _invitation_grant(invitation=invitation, user=user)
    invitation.state = Invitation.State.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["state", "accepted_by", "accepted_at"])
    activity_record(
        organisation=invitation.organisation,
        actor=user,
        verb="invitation.accepted",
        target=invitation,
        after=_invitation_snapshot(invitation),
    )
    return invitation
