from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .fields import OneLineCharField
from .roles import RIGHT_DESCRIPTIONS, role_choices, roles


class Organisation(models.Model):
    name = OneLineCharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    description = models.TextField(_("description"), max_length=1000, blank=True)
    is_personal = models.BooleanField(
        _("personal space"),
        default=False,
        help_text=_("A personal space belongs to one account: it cannot have members and cannot be deleted."),
    )
    require_two_factor = models.BooleanField(
        _("require two-factor authentication"),
        default=False,
        help_text=_("Members without two-factor authentication must set it up before reaching the organisation."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    # A deleted organisation keeps its row, so that its invoices, usage and log still name it and its slug is never
    # given again; its people, applications and add-ons are gone (services.organisation_delete).
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        # The rights of the roles (organisations/roles.py), granted per organisation as object permissions.
        # view/change/delete_organisation are Django's default permissions, reused as rights.
        permissions = [
            (right.value, str(description))
            for right, description in RIGHT_DESCRIPTIONS.items()
            if right.value not in {"view_organisation", "change_organisation", "delete_organisation"}
        ]

    def __str__(self):
        return self.name

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class OrganisationUserObjectPermission(UserObjectPermissionBase):
    """A user's right on one organisation (guardian's direct foreign-key table)."""

    content_object = models.ForeignKey(Organisation, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("member right")
        verbose_name_plural = _("member rights")


class OrganisationGroupObjectPermission(GroupObjectPermissionBase):
    """A group's right on one organisation (guardian's direct foreign-key table)."""

    content_object = models.ForeignKey(Organisation, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("group right")
        verbose_name_plural = _("group rights")


class MembershipQuerySet(models.QuerySet):
    def active(self):
        """Memberships that have not expired."""
        now = timezone.now()
        return self.filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now))


class Membership(models.Model):
    """The one source of truth for a member's role; their guardian rights are derived from it."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("organisation")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=32, choices=role_choices)
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    expires_at = models.DateTimeField(
        _("expires"), null=True, blank=True, help_text=_("Temporary access ends at this time.")
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organisation", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="unique_membership"),
        ]
        indexes = [models.Index(fields=["organisation", "role"])]

    def __str__(self):
        return f"{self.user} in {self.organisation} ({self.get_role_display()})"

    @property
    def role_definition(self):
        return roles.get(self.role) if self.role else None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class Activity(models.Model):
    """One entry of an organisation's activity log: who did what, when, to what."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("organisation"),
    )
    # Kept when the organisation is deleted, so platform staff can still read what happened.
    organisation_name = models.CharField(_("organisation name"), max_length=100)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor"), max_length=254, blank=True)
    verb = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_label = models.CharField(_("target"), max_length=255, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activity")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "-created_at"]),
            # The log's filters: a person, a kind of action, each newest first.
            models.Index(fields=["organisation", "actor_label", "-created_at"], name="activity_org_actor"),
            models.Index(fields=["organisation", "verb", "-created_at"], name="activity_org_verb"),
        ]

    def __str__(self):
        return f"{self.actor_label} {self.verb} {self.target_label}"

    @property
    def actor_name(self) -> str:
        """Who did it, as people are shown: their name or email; the label kept when the account is gone; the
        console itself for what no person did (invoicing, a deployment finishing)."""
        if self.actor is not None:
            return self.actor.display_name
        return self.actor_label or str(_("System"))

    @property
    def verb_label(self) -> str:
        from .activity import verb_label  # activity.py writes Activity rows, so it imports this module

        return verb_label(self.verb)


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        """Invitations that can still be accepted: pending and not expired."""
        return self.filter(state=Invitation.State.PENDING, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """An invitation to join an organisation with a role, sent to one email address.

    Only the SHA-256 of the token is stored; the token itself is only ever in the emailed link. "Expired" is not a
    stored state: a pending invitation whose ``expires_at`` has passed is expired.

    An invitation to one application (``application`` set, ``role`` empty) gives, once accepted, a grant of
    ``application_level`` on that application instead of a membership (``services._invitation_grant``).
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        REVOKED = "revoked", _("Revoked")

    # What the admin and the pages show: the stored state, or "expired" for a pending invitation past its expiry.
    EXPIRED = "expired"
    STATUS_LABELS = {**dict(State.choices), EXPIRED: _("Expired")}

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("organisation")
    )
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=32, choices=role_choices, blank=True)
    # An invitation to one application only: the grant it gives (levels: apps.models.ApplicationGrant.Level).
    application = models.ForeignKey(
        "apps.Application",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("application"),
    )
    application_level = models.CharField(_("application access"), max_length=16, blank=True)
    access_expires_at = models.DateTimeField(_("access expires"), null=True, blank=True)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("last sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "state", "email"])]
        constraints = [
            # Either a role in the organisation, or a level on one of its applications.
            models.CheckConstraint(
                condition=(models.Q(application__isnull=True) & ~models.Q(role=""))
                | (models.Q(application__isnull=False) & models.Q(role="") & ~models.Q(application_level="")),
                name="invitation_role_or_application",
            ),
        ]

    def __str__(self):
        return self.email

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def status(self) -> str:
        """The state as people see it: a pending invitation past its expiry is expired."""
        if self.state == self.State.PENDING and self.is_expired:
            return self.EXPIRED
        return self.state

    def get_status_display(self) -> str:
        return str(self.STATUS_LABELS[self.status])

    @property
    def is_pending(self) -> bool:
        return self.status == self.State.PENDING

    @property
    def role_definition(self):
        return roles.get(self.role) if self.role else None
