from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from billing.models import AddonPlan, Flavor
from organisations.fields import OneLineCharField
from organisations.models import Organisation

MAX_INSTANCES = 40
MAX_VARIABLE_VALUE = 8192


class Application(models.Model):
    class Runtime(models.TextChoices):
        NODE = "node", "Node.js"
        PYTHON = "python", "Python"
        JAVA = "java", "Java"
        PHP = "php", "PHP"
        GO = "go", "Go"
        RUBY = "ruby", "Ruby"
        RUST = "rust", "Rust"
        DOCKER = "docker", "Docker"
        STATIC = "static", _("Static site")

    class Region(models.TextChoices):
        PARIS = "par", _("Paris")
        ROUBAIX = "rbx", _("Roubaix")
        MONTREAL = "mtl", _("Montreal")
        SINGAPORE = "sgp", _("Singapore")
        WARSAW = "waw", _("Warsaw")

    class State(models.TextChoices):
        STOPPED = "stopped", _("Stopped")
        DEPLOYING = "deploying", _("Deploying")
        RUNNING = "running", _("Running")
        FAILED = "failed", _("Failed")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="applications", verbose_name=_("organisation")
    )
    name = OneLineCharField(_("name"), max_length=64)
    description = OneLineCharField(_("description"), max_length=255, blank=True)
    runtime = models.CharField(_("runtime"), max_length=16, choices=Runtime.choices)
    region = models.CharField(_("region"), max_length=8, choices=Region.choices, default=Region.PARIS)
    flavor = models.ForeignKey(Flavor, on_delete=models.PROTECT, related_name="+", verbose_name=_("flavor"))
    min_instances = models.PositiveSmallIntegerField(
        _("minimum instances"), default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_INSTANCES)]
    )
    max_instances = models.PositiveSmallIntegerField(
        _("maximum instances"), default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_INSTANCES)]
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.STOPPED)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unique_application_name"),
            models.CheckConstraint(
                condition=models.Q(min_instances__gte=1)
                & models.Q(max_instances__lte=MAX_INSTANCES)
                & models.Q(min_instances__lte=models.F("max_instances")),
                name="application_scaling_bounds",
            ),
        ]
        # Per-application grants (ApplicationGrant.Level) are these permissions on the Application object.
        permissions = [
            ("deploy_application", _("Deploy, start, stop and restart the application")),
            ("manage_application", _("Configure the application's variables, domains and scaling")),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.min_instances and self.max_instances and self.min_instances > self.max_instances:
            raise ValidationError({"max_instances": _("The maximum must be at least the minimum.")})


class Addon(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="addons", verbose_name=_("organisation")
    )
    name = OneLineCharField(_("name"), max_length=64)
    plan = models.ForeignKey(AddonPlan, on_delete=models.PROTECT, related_name="+", verbose_name=_("plan"))
    region = models.CharField(
        _("region"), max_length=8, choices=Application.Region.choices, default=Application.Region.PARIS
    )
    applications = models.ManyToManyField(
        Application, related_name="addons", blank=True, verbose_name=_("linked applications")
    )
    # The generated password of the add-on's service, exposed to linked applications as a connection variable.
    secret = models.CharField(_("secret"), max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("add-on")
        verbose_name_plural = _("add-ons")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="unique_addon_name")]

    def __str__(self):
        return self.name

    @property
    def kind(self) -> str:
        return self.plan.kind


class EnvironmentVariable(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="variables", verbose_name=_("application")
    )
    name = OneLineCharField(_("name"), max_length=128)
    value = models.TextField(_("value"), max_length=MAX_VARIABLE_VALUE, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("environment variable")
        verbose_name_plural = _("environment variables")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["application", "name"], name="unique_variable_name")]

    def __str__(self):
        return self.name


class Domain(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="domains", verbose_name=_("application")
    )
    # Unique across the platform: a hostname routes to one application only.
    hostname = OneLineCharField(_("hostname"), max_length=253, unique=True)
    created_at = models.DateTimeField(_("added"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
        ordering = ["hostname"]

    def __str__(self):
        return self.hostname


class Deployment(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("In progress")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="deployments", verbose_name=_("application")
    )
    commit = OneLineCharField(_("commit"), max_length=40)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    author_label = models.CharField(_("author"), max_length=254, blank=True)
    redeploy_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("redeploy of")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    created_at = models.DateTimeField(_("started"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("deployment")
        verbose_name_plural = _("deployments")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["application", "-created_at"])]

    def __str__(self):
        return f"{self.application} @ {self.commit[:7]}"

    @property
    def short_commit(self) -> str:
        return self.commit[:7]

    @property
    def author_name(self) -> str:
        """Who deployed, as people are shown: their name or email; the label kept when the account is gone."""
        return self.author.display_name if self.author is not None else self.author_label


class ApplicationUserObjectPermission(UserObjectPermissionBase):
    """A person's permission on one application (guardian's direct foreign-key table), derived from a grant."""

    content_object = models.ForeignKey(Application, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("application user permission")
        verbose_name_plural = _("application user permissions")


class ApplicationGroupObjectPermission(GroupObjectPermissionBase):
    """A group's permission on one application (guardian's direct foreign-key table)."""

    content_object = models.ForeignKey(Application, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("application group permission")
        verbose_name_plural = _("application group permissions")


class GrantQuerySet(models.QuerySet):
    def active(self):
        """Grants that have not expired."""
        return self.filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=timezone.now()))


class ApplicationGrant(models.Model):
    """A person's access to one application: the one source of truth; guardian's rows are derived from it.

    The levels, each including the ones before it (``apps.access`` turns them into capabilities):
    - view: the overview, the names of the environment variables (never their values), domains, scaling,
      deployments and the application's activity;
    - deploy: also deploy, redeploy, start, stop and restart;
    - manage: also configure: environment variables (and see their values), domains and scaling.
    No level lets a grantee delete the application, share it or see anything else of the organisation.
    """

    class Level(models.TextChoices):
        VIEW = "view", _("View")
        DEPLOY = "deploy", _("Deploy")
        MANAGE = "manage", _("Manage")

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="grants", verbose_name=_("application")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="application_grants",
        verbose_name=_("person"),
    )
    level = models.CharField(_("access"), max_length=16, choices=Level.choices)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True, help_text=_("The access ends at this time."))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )
    created_at = models.DateTimeField(_("granted"), default=timezone.now, editable=False)

    objects = GrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("application access")
        verbose_name_plural = _("application access")
        ordering = ["application", "user__email"]
        constraints = [models.UniqueConstraint(fields=["application", "user"], name="unique_application_grant")]

    def __str__(self):
        return f"{self.user} → {self.application} ({self.get_level_display()})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
