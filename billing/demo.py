"""Demo billing for Acme: a profile, payment methods, a year of plausible usage and its invoices (idempotent)."""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.models import Addon, Application

from . import selectors, services
from .models import AddonPlan, BillingProfile, Credit, Flavor, Invoice, PaymentMethod, UsageRecord

DAYS = 365


def _services_of(acme) -> tuple[list[Application], list[Addon]]:
    """Acme's applications and add-ons; a couple are created when the applications demo has made none."""
    applications = list(Application.objects.filter(organisation=acme).select_related("flavor"))
    addons = list(Addon.objects.filter(organisation=acme).select_related("plan"))
    if not applications and not addons:
        applications = [
            Application.objects.create(
                organisation=acme, name="intranet", runtime="python", flavor=Flavor.objects.get(code="s")
            ),
            Application.objects.create(
                organisation=acme, name="landing", runtime="node", flavor=Flavor.objects.get(code="xs")
            ),
        ]
        addons = [
            Addon.objects.create(
                organisation=acme, name="intranet-db", plan=AddonPlan.objects.get(kind="postgresql", code="s")
            )
        ]
    return applications, addons


def _usage(acme, applications, addons, today: date) -> list[UsageRecord]:
    rows = []
    for application in applications:
        rng = random.Random(f"{application.pk}")  # noqa: S311 - demo data, not security
        low = max(application.min_instances, 1)
        high = max(application.max_instances, low + 1)
        for offset in range(DAYS, 0, -1):
            day = today - timedelta(days=offset)
            # Busier on weekdays and towards the end of the year; an application is born some day in the year.
            if offset > DAYS - rng.randint(0, 60):
                continue
            instances = low + rng.random() * (high - low) * (1.0 if day.weekday() < 5 else 0.4)
            hours = Decimal(str(round(instances * 24, 2)))
            rows.append(services.usage_row(service=application, day=day, quantity=hours))
    for addon in addons:
        for offset in range(DAYS, 0, -1):
            rows.append(services.usage_row(service=addon, day=today - timedelta(days=offset), quantity=Decimal(24)))
    return rows


def seed(acme) -> None:
    """Complete Acme's billing demo; running it again changes nothing."""
    today = timezone.localdate()
    with transaction.atomic():
        BillingProfile.objects.get_or_create(
            organisation=acme,
            defaults={
                "company_name": "Acme Web Agency SAS",
                "billing_email": "accounting@acme.example",
                "address_line1": "12 rue des Lilas",
                "postal_code": "69001",
                "city": "Lyon",
                "country": "FR",
                "vat_number": "FR40303265045",
            },
        )
        if not PaymentMethod.objects.filter(organisation=acme).exists():
            PaymentMethod.objects.create(
                organisation=acme,
                kind=PaymentMethod.Kind.CARD,
                is_default=True,
                holder_name="Alice Admin",
                card_brand=PaymentMethod.Brand.VISA,
                card_last4="4242",
                card_exp_month=9,
                card_exp_year=today.year + 2,
            )
            PaymentMethod.objects.create(
                organisation=acme,
                kind=PaymentMethod.Kind.SEPA_DEBIT,
                holder_name="Acme Web Agency SAS",
                iban_masked="FR76 •••• 0189",
                mandate_reference=f"CONSOLE-{acme.pk}-DEMO",
            )
        if not Credit.objects.filter(organisation=acme).exists():
            Credit.objects.create(
                organisation=acme, kind=Credit.Kind.FREE, label="Welcome credit", amount=20, remaining=20
            )
        if not UsageRecord.objects.filter(organisation=acme).exists():
            applications, addons = _services_of(acme)
            services.usage_record(rows=_usage(acme, applications, addons, today))

    # Invoice every complete month of the year, as the monthly command would have, and settle all but the last.
    month = selectors.month_start(today - timedelta(days=DAYS))
    current = selectors.month_start(today)
    while month < current:
        services.invoice_issue(organisation=acme, month=month, issued_on=selectors.next_month(month), notify=False)
        month = selectors.next_month(month)
    last = Invoice.objects.filter(organisation=acme, kind=Invoice.Kind.INVOICE).order_by("-period_start").first()
    for invoice in Invoice.objects.filter(organisation=acme, kind=Invoice.Kind.INVOICE, status=Invoice.Status.PENDING):
        if last is not None and invoice.pk != last.pk:
            services.invoice_pay(actor=None, invoice=invoice)
