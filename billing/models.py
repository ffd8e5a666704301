from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from organisations.fields import OneLineCharField

from .vat import VAT_STATE_LABELS, VatState, round_cents, vat_state


class Flavor(models.Model):
    """An instance size with its hourly price: the one price list for applications, used by billing too."""

    code = models.SlugField(_("code"), max_length=16, unique=True)
    name = OneLineCharField(_("name"), max_length=32)
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
    name = OneLineCharField(_("name"), max_length=64)
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


class BillingProfile(models.Model):
    """Who the organisation's invoices are addressed to."""

    class CustomerType(models.TextChoices):
        BUSINESS = "business", _("Business")
        INDIVIDUAL = "individual", _("Individual")

    organisation = models.OneToOneField(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="billing_profile",
        verbose_name=_("organisation"),
    )
    customer_type = models.CharField(
        _("customer type"), max_length=16, choices=CustomerType.choices, default=CustomerType.BUSINESS
    )
    billing_email = models.EmailField(_("billing email"), blank=True)
    company_name = OneLineCharField(_("company name"), max_length=200, blank=True)
    address_line1 = OneLineCharField(_("address"), max_length=200, blank=True)
    address_line2 = OneLineCharField(_("address (continued)"), max_length=200, blank=True)
    postal_code = OneLineCharField(_("postal code"), max_length=20, blank=True)
    city = OneLineCharField(_("city"), max_length=100, blank=True)
    country = CountryField(_("country"), blank=True)
    vat_number = OneLineCharField(_("VAT number"), max_length=20, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("billing profile")
        verbose_name_plural = _("billing profiles")

    def __str__(self):
        return self.company_name or str(self.organisation)

    @property
    def is_business(self) -> bool:
        return self.customer_type == self.CustomerType.BUSINESS

    @property
    def vat_state(self) -> VatState:
        return vat_state(country=self.country.code or "", vat_number=self.vat_number, is_business=self.is_business)

    @property
    def vat_state_label(self):
        return VAT_STATE_LABELS[self.vat_state]

    @property
    def address(self) -> str:
        lines = [self.address_line1, self.address_line2, f"{self.postal_code} {self.city}".strip()]
        if self.country:
            lines.append(str(self.country.name))
        return "\n".join(line for line in lines if line)


class PaymentMethod(models.Model):
    """A way to pay, masked: never a full card number or a full IBAN."""

    class Kind(models.TextChoices):
        CARD = "card", _("Card")
        SEPA_DEBIT = "sepa_debit", _("SEPA direct debit")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")

    class Brand(models.TextChoices):
        VISA = "visa", "Visa"
        MASTERCARD = "mastercard", "Mastercard"
        AMEX = "amex", "American Express"
        CB = "cb", "CB"

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="payment_methods",
        verbose_name=_("organisation"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    is_default = models.BooleanField(_("default"), default=False)
    holder_name = OneLineCharField(_("holder"), max_length=100, blank=True)
    card_brand = models.CharField(_("card brand"), max_length=16, choices=Brand.choices, blank=True)
    card_last4 = models.CharField(_("last four digits"), max_length=4, blank=True)
    card_exp_month = models.PositiveSmallIntegerField(_("expiry month"), null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(_("expiry year"), null=True, blank=True)
    iban_masked = models.CharField(_("IBAN (masked)"), max_length=16, blank=True)
    mandate_reference = models.CharField(_("mandate reference"), max_length=35, blank=True)
    created_at = models.DateTimeField(_("added"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("payment method")
        verbose_name_plural = _("payment methods")
        ordering = ["-is_default", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"], condition=models.Q(is_default=True), name="one_default_payment_method"
            ),
            models.UniqueConstraint(
                fields=["organisation"], condition=models.Q(kind="bank_transfer"), name="one_bank_transfer_method"
            ),
        ]

    def __str__(self):
        if self.kind == self.Kind.CARD:
            return f"{self.get_card_brand_display()} •••• {self.card_last4}"
        if self.kind == self.Kind.SEPA_DEBIT:
            return f"{_('SEPA direct debit')} {self.iban_masked}"
        return str(_("Bank transfer"))

    @property
    def expiry(self) -> str:
        if self.card_exp_month is None or self.card_exp_year is None:
            return ""
        return f"{self.card_exp_month:02d}/{self.card_exp_year}"

    def is_expired(self, today: date | None = None) -> bool:
        """Whether the card's expiry month has passed (a card is valid to the end of its expiry month)."""
        if self.kind != self.Kind.CARD or self.card_exp_year is None or self.card_exp_month is None:
            return False
        today = today or timezone.localdate()
        return (self.card_exp_year, self.card_exp_month) < (today.year, today.month)


class Credit(models.Model):
    """Free or prepaid credit, in EUR excluding VAT, consumed by invoices before anything is charged."""

    class Kind(models.TextChoices):
        FREE = "free", _("Free credit")
        PREPAID = "prepaid", _("Prepaid credit")

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="credits", verbose_name=_("organisation")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    label = OneLineCharField(_("label"), max_length=100)
    amount = models.DecimalField(
        _("amount (EUR)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    remaining = models.DecimalField(_("remaining (EUR)"), max_digits=12, decimal_places=2)
    expires_on = models.DateField(_("expires"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("credit")
        verbose_name_plural = _("credits")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(remaining__gte=0) & models.Q(remaining__lte=models.F("amount")),
                name="credit_remaining_bounds",
            )
        ]

    def __str__(self):
        return f"{self.label} ({self.amount} EUR)"


class UsageQuerySet(models.QuerySet):
    """Usage rows are only ever added, by ``services.usage_record``: a change or a deletion would leave the monthly
    roll-up (``UsageMonth``) wrong, so both are refused. (Deleting an application empties its foreign key through
    the base manager; that changes no quantity.)"""

    def update(self, **kwargs):
        raise TypeError("Usage rows are not changed: record a correction with billing.services.usage_record.")

    def delete(self):
        raise TypeError("Usage rows are not deleted: they are what invoices and the consumption are computed from.")


class UsageRecord(models.Model):
    """What one application or add-on consumed on one day, priced from the price list of that day.

    The application or add-on may be deleted later: the foreign key is then emptied and the snapshots
    (``service_key``, ``service_name``, the unit price) keep the invoices and the consumption history right.
    """

    class Kind(models.TextChoices):
        APPLICATION = "application", _("Application")
        ADDON = "addon", _("Add-on")

    # PROTECT: usage is what invoices are computed from; a deleted organisation keeps its row (and so its usage).
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="usage", verbose_name=_("organisation")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    application = models.ForeignKey(
        "apps.Application",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("application"),
    )
    addon = models.ForeignKey(
        "apps.Addon", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("add-on")
    )
    # "application:<id>" or "addon:<id>": groups a service's usage for ever, also after it is deleted.
    service_key = models.CharField(_("service key"), max_length=40)
    service_name = models.CharField(_("service"), max_length=64)
    flavor = models.ForeignKey(
        Flavor, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("flavor")
    )
    plan = models.ForeignKey(
        AddonPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("plan")
    )
    day = models.DateField(_("day"))
    quantity = models.DecimalField(
        _("hours"),
        max_digits=10,
        decimal_places=2,
        help_text=_("Instance-hours for an application, hours for an add-on."),
        validators=[MinValueValidator(Decimal(0))],
    )
    unit_price = models.DecimalField(_("price per hour (EUR)"), max_digits=12, decimal_places=6)

    objects = UsageQuerySet.as_manager()

    class Meta:
        verbose_name = _("usage record")
        verbose_name_plural = _("usage records")
        ordering = ["-day", "service_name"]
        constraints = [
            models.UniqueConstraint(fields=["service_key", "day", "unit_price"], name="unique_usage_per_day"),
        ]
        indexes = [models.Index(fields=["organisation", "day"], name="usage_org_day")]

    def __str__(self):
        return f"{self.service_name} {self.day}"

    def save(self, *args, **kwargs):
        raise TypeError("Usage is recorded with billing.services.usage_record, which keeps its monthly roll-up.")

    def delete(self, *args, **kwargs):
        raise TypeError("Usage rows are not deleted: they are what invoices and the consumption are computed from.")

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price


class UsageMonth(models.Model):
    """A month of one service's usage at one price: the sum of its usage rows, what the consumption page reads.

    Written in the transaction that records the usage rows (``services.usage_record``, an upsert adding to the
    quantity), so it never disagrees with them; ``services.usage_months_rebuild`` computes a month again from the rows.
    One row per service, flavor or plan and unit price, like the lines of the month's invoice.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    month = models.DateField(_("month"))
    kind = models.CharField(_("kind"), max_length=16, choices=UsageRecord.Kind.choices)
    service_key = models.CharField(_("service key"), max_length=40)
    service_name = models.CharField(_("service"), max_length=64)
    flavor = models.ForeignKey(
        Flavor, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("flavor")
    )
    plan = models.ForeignKey(
        AddonPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("plan")
    )
    unit_price = models.DecimalField(_("price per hour (EUR)"), max_digits=12, decimal_places=6)
    quantity = models.DecimalField(_("hours"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("month of usage")
        verbose_name_plural = _("months of usage")
        ordering = ["-month", "service_name"]
        constraints = [
            # Flavor and plan through COALESCE: a NULL would make every add-on row (no flavor) distinct.
            models.UniqueConstraint(
                "organisation",
                "month",
                "service_key",
                "unit_price",
                Coalesce("flavor", 0),
                Coalesce("plan", 0),
                name="unique_usage_month",
            ),
        ]

    def __str__(self):
        return f"{self.service_name} {self.month:%Y-%m}"

    @property
    def amount(self) -> Decimal:
        """The cost in EUR, rounded to the cent like the month's invoice line."""
        return round_cents(self.quantity * self.unit_price)


class InvoiceSequence(models.Model):
    """The last number given in a series and year; its row is locked while a number is taken (no gaps)."""

    series = models.CharField(_("series"), max_length=8)
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("invoice sequence")
        verbose_name_plural = _("invoice sequences")
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="unique_invoice_sequence")]

    def __str__(self):
        return f"{self.series}{self.year}: {self.last_number}"


class InvoiceQuerySet(models.QuerySet):
    def update(self, **kwargs):
        frozen = set(kwargs) - Invoice.MUTABLE_FIELDS
        if frozen:
            raise InvoiceImmutableError(
                _("An issued invoice cannot be changed (%(fields)s).") % {"fields": ", ".join(sorted(frozen))}
            )
        return super().update(**kwargs)

    def delete(self):
        raise InvoiceImmutableError(_("An issued invoice cannot be deleted; issue a credit note."))


class InvoiceImmutableError(ValidationError):
    """An attempt to change or delete an issued invoice."""


class Invoice(models.Model):
    """An issued invoice or credit note: numbered, immutable except for its payment status."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Pending")
        PROCESSING = "PROCESSING", _("Processing")
        PAID = "PAID", _("Paid")
        PAYMENTHELD = "PAYMENTHELD", _("Payment held")
        CANCELED = "CANCELED", _("Canceled")
        REFUNDED = "REFUNDED", _("Refunded")
        WONTPAY = "WONTPAY", _("Won't pay")

    # Awaiting a payment or its outcome: the organisation cannot be deleted while one of its invoices is.
    OPEN_STATUSES = frozenset({Status.PENDING, Status.PROCESSING, Status.PAYMENTHELD})
    # Only these change after issuing: the payment's progress.
    MUTABLE_FIELDS = frozenset({"status", "paid_at", "status_changed_at"})

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.INVOICE)
    number = models.CharField(_("number"), max_length=20, unique=True)
    # PROTECT: an invoice is a legal record; a deleted organisation keeps its row (organisations.services).
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
        verbose_name=_("organisation"),
    )
    credited_invoice = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        verbose_name=_("credited invoice"),
    )
    reason = OneLineCharField(_("reason"), max_length=255, blank=True)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    issued_on = models.DateField(_("issued on"))
    due_on = models.DateField(_("due on"))
    seller = models.JSONField(_("seller"))
    buyer_name = models.CharField(_("buyer"), max_length=200)
    buyer_email = models.EmailField(_("buyer email"), blank=True)
    buyer_address = models.TextField(_("buyer address"), blank=True)
    buyer_country = models.CharField(_("buyer country"), max_length=2, blank=True)
    buyer_vat_number = models.CharField(_("buyer VAT number"), max_length=20, blank=True)
    vat_scheme = models.CharField(_("VAT scheme"), max_length=16)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    vat_mention = models.CharField(_("VAT mention"), max_length=255, blank=True)
    subtotal = models.DecimalField(_("subtotal"), max_digits=12, decimal_places=2)
    credits_total = models.DecimalField(_("credits"), max_digits=12, decimal_places=2, default=Decimal(0))
    net_total = models.DecimalField(_("total excluding VAT"), max_digits=12, decimal_places=2)
    vat_total = models.DecimalField(_("VAT"), max_digits=12, decimal_places=2)
    total = models.DecimalField(_("total including VAT"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_on", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "period_start"],
                condition=models.Q(kind="invoice"),
                name="one_invoice_per_organisation_month",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "issued_on"], name="invoice_org_issued")]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            self._refuse_frozen_changes(kwargs.get("update_fields"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise InvoiceImmutableError(_("An issued invoice cannot be deleted; issue a credit note."))

    def _refuse_frozen_changes(self, update_fields) -> None:
        if update_fields is not None and set(update_fields) <= self.MUTABLE_FIELDS:
            return
        stored = type(self).objects.filter(pk=self.pk).values().first()
        changed = sorted(
            field.attname
            for field in self._meta.concrete_fields
            if field.attname not in self.MUTABLE_FIELDS
            and stored
            and stored[field.attname] != getattr(self, field.attname)
        )
        if changed:
            raise InvoiceImmutableError(
                _("An issued invoice cannot be changed (%(fields)s); issue a credit note.")
                % {"fields": ", ".join(changed)}
            )

    @property
    def is_credit_note(self) -> bool:
        return self.kind == self.Kind.CREDIT_NOTE

    @property
    def is_payable(self) -> bool:
        return self.kind == self.Kind.INVOICE and self.status in {self.Status.PENDING, self.Status.PAYMENTHELD}

    @property
    def is_overdue(self) -> bool:
        return self.is_payable and self.due_on < timezone.localdate()

    @property
    def vat_scheme_is_reverse_charge(self) -> bool:
        return self.vat_scheme == "reverse_charge"

    @property
    def file_name(self) -> str:
        return f"{self.number}.pdf"


class InvoiceLine(models.Model):
    """One service of an invoice (an application on one flavor, an add-on), or a credit applied."""

    class Kind(models.TextChoices):
        APPLICATION = "application", _("Application")
        ADDON = "addon", _("Add-on")
        CREDIT = "credit", _("Credit")
        CORRECTION = "correction", _("Correction")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines", verbose_name=_("invoice"))
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=255)
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=32, blank=True)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=6)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position"]

    def __str__(self):
        return self.description

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise InvoiceImmutableError(_("The lines of an issued invoice cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise InvoiceImmutableError(_("The lines of an issued invoice cannot be deleted."))


class CreditApplication(models.Model):
    """How much of a credit an invoice consumed."""

    credit = models.ForeignKey(Credit, on_delete=models.CASCADE, related_name="applications", verbose_name=_("credit"))
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="credit_applications", verbose_name=_("invoice")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("credit applied")
        verbose_name_plural = _("credits applied")
        ordering = ["invoice", "id"]

    def __str__(self):
        return f"{self.credit} → {self.invoice}"


class Payment(models.Model):
    """A payment attempt on an invoice: online through the payment provider, or a bank transfer recorded by staff."""

    class Method(models.TextChoices):
        CARD = "card", _("Card")
        SEPA_DEBIT = "sepa_debit", _("SEPA direct debit")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", _("Succeeded")
        PROCESSING = "processing", _("Processing")
        FAILED = "failed", _("Declined")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments", verbose_name=_("invoice"))
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    payment_method = models.ForeignKey(
        PaymentMethod,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("payment method"),
    )
    method_label = models.CharField(_("paid with"), max_length=64, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    provider = models.CharField(_("provider"), max_length=32, blank=True)
    reference = OneLineCharField(_("reference"), max_length=64, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.invoice} {self.amount} {self.get_status_display()}"
