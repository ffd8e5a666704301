from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import AddonPlan, Flavor
from organisations.models import Organisation

MAX_INSTANCES = 40


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
    name = models.CharField(_("name"), max_length=64)
    description = models.CharField(_("description"), max_length=255, blank=True)
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

    def __str__(self):
        return self.name

    def clean(self):
        if self.min_instances and self.max_instances and self.min_instances > self.max_instances:
            raise ValidationError({"max_instances": _("The maximum must be at least the minimum.")})


class Addon(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="addons", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=64)
    plan = models.ForeignKey(AddonPlan, on_delete=models.PROTECT, related_name="+", verbose_name=_("plan"))
    region = models.CharField(
        _("region"), max_length=8, choices=Application.Region.choices, default=Application.Region.PARIS
    )
    applications = models.ManyToManyField(
        Application, related_name="addons", blank=True, verbose_name=_("linked applications")
    )
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
