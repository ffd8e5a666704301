from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .fields import OneLineCharField
from .roles import RIGHT_DESCRIPTIONS, Right, role_choices, roles


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


class Role(models.Model):
    """A role of an organisation: a name and a set of rights, which are the object permissions of its group on the
    organisation (guardian's ``OrganisationGroupObjectPermission``). Built-in roles (``key`` set, from
    ``roles.ROLES``) are made with every organisation and cannot be edited or deleted in the console; custom roles
    are the organisation's own.

    The role's members are the memberships pointing at it; the group holds the rights, not the members, so there is
    no per-member copy of them to keep in sync.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="roles", verbose_name=_("organisation")
    )
    group = models.OneToOneField(
        "auth.Group", on_delete=models.PROTECT, related_name="organisation_role", verbose_name=_("group")
    )
    name = OneLineCharField(_("name"), max_length=60)
    description = OneLineCharField(_("description"), max_length=255, blank=True)
    # NULL for custom roles, so that the (organisation, key) constraint holds for built-in ones only.
    key = models.CharField(_("built-in role"), max_length=32, choices=role_choices, null=True, blank=True)  # noqa: DJ001
    # Built-in roles are listed by their priority (Admin first), custom ones after them (0), by name.
    priority = models.PositiveSmallIntegerField(_("priority"), default=0, editable=False)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["organisation", "-priority", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="unique_builtin_role"),
            models.UniqueConstraint(fields=["organisation", "name"], name="unique_role_name"),
        ]

    def __str__(self):
        return str(self.display_name)

    @property
    def is_builtin(self) -> bool:
        return self.key is not None

    @property
    def definition(self):
        """The built-in definition of this role, or None for a custom role."""
        return roles.get(self.key) if self.key in roles else None

    @property
    def display_name(self):
        return self.definition.name if self.definition else self.name

    @property
    def display_description(self):
        return self.definition.desc if self.definition else self.description

    @property
    def choice_value(self) -> str:
        """How forms and the API name the role: its built-in key (ADMIN…), or its id for a custom role."""
        return self.key or str(self.pk)

    @property
    def rights(self) -> frozenset[Right]:
        """The rights of the role: its group's object permissions on its organisation (read once per instance)."""
        if not hasattr(self, "_rights"):
            codenames = OrganisationGroupObjectPermission.objects.filter(
                group_id=self.group_id, content_object_id=self.organisation_id
            ).values_list("permission__codename", flat=True)
            self._rights = rights_from_codenames(codenames)
        return self._rights

    @rights.setter
    def rights(self, value) -> None:
        self._rights = rights_from_codenames(value)

    def has_right(self, right: Right) -> bool:
        return right in self.rights


def rights_from_codenames(codenames) -> frozenset[Right]:
    """The rights among permission codenames (other permissions, which staff could add, give nothing)."""
    known = {right.value: right for right in Right}
    return frozenset(known[str(codename)] for codename in codenames if str(codename) in known)


class MembershipQuerySet(models.QuerySet):
    def active(self):
        """Memberships that have not expired."""
        now = timezone.now()
        return self.filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now))

    def holding(self, right: Right):
        """Memberships whose role holds ``right`` on their organisation."""
        return self.filter(
            models.Exists(
                OrganisationGroupObjectPermission.objects.filter(
                    group_id=models.OuterRef("role__group_id"),
                    content_object_id=models.OuterRef("organisation_id"),
                    permission__codename=right.value,
                )
            )
        )

    def admins(self):
        """Memberships with the Admin role."""
        return self.filter(role__key=roles.top.id)


class Membership(models.Model):
    """A person's membership of an organisation with one of its roles, which gives them the role's rights."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("organisation")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.ForeignKey(Role, on_delete=models.RESTRICT, related_name="memberships", verbose_name=_("role"))
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

    def __str__(self):
        return f"{self.user} in {self.organisation} ({self.role})"

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

    An invitation to one application (``application`` set, no ``role``) gives, once accepted, a grant of
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
    role = models.ForeignKey(
        Role, on_delete=models.RESTRICT, null=True, blank=True, related_name="invitations", verbose_name=_("role")
    )
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
                condition=(models.Q(application__isnull=True) & models.Q(role__isnull=False))
                | (models.Q(application__isnull=False) & models.Q(role__isnull=True) & ~models.Q(application_level="")),
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
