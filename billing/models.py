from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Flavor(models.Model):
    """An instance size with its hourly price: the one price list for applications, used by billing too."""

    code = models.SlugField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=32)
    vcpus = models.DecimalField(_("vCPUs"), max_digits=5, decimal_places=2)
    memory_mb = models.PositiveIntegerField(_("memory (MiB)"))
    hourly_price = models.DecimalField(
        _("price per hour (EUR)"), max_digits=10, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("flavor")
        verbose_name_plural = _("flavors")
        ordering = ["position", "code"]

    def __str__(self):
        return self.name


class AddonPlan(models.Model):
    """A plan of an add-on kind with its monthly price, in the same price list."""

    class Kind(models.TextChoices):
        POSTGRESQL = "postgresql", "PostgreSQL"
        MYSQL = "mysql", "MySQL"
        REDIS = "redis", "Redis"
        MONGODB = "mongodb", "MongoDB"
        S3 = "s3", _("S3-compatible storage")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=64)
    monthly_price = models.DecimalField(
        _("price per month (EUR)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("add-on plan")
        verbose_name_plural = _("add-on plans")
        ordering = ["kind", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="unique_addon_plan")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.name}"

    @property
    def hourly_price(self) -> Decimal:
        """The monthly price spread over a 30-day month, for usage priced by the hour."""
        return self.monthly_price / Decimal(720)
