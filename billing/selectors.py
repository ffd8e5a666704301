"""Read queries of billing, shared by the views, the invoicing and the demo."""

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import DecimalField, Exists, F, Max, OuterRef, Q, Sum
from django.db.models.functions import ExtractYear, Round, TruncMonth
from django.utils import timezone

from .models import AddonPlan, BillingProfile, Invoice, PaymentMethod, UsageMonth, UsageRecord
from .vat import round_cents

INVOICE_GROUPS = (
    ("pending", (Invoice.Status.PENDING, Invoice.Status.PAYMENTHELD)),
    ("processing", (Invoice.Status.PROCESSING,)),
    ("paid", (Invoice.Status.PAID,)),
    ("other", (Invoice.Status.CANCELED, Invoice.Status.REFUNDED, Invoice.Status.WONTPAY)),
)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def usage_groups(
    *,
    start: date,
    end: date,
    organisation=None,
    uninvoiced_only: bool = False,
    after_organisation_id: int | None = None,
    organisations: int | None = None,
):
    """Usage between ``start`` and ``end`` (excluded) summed per organisation and service, in ONE grouped query.

    One row per organisation, service, flavor or plan, and unit price: the lines of the month's invoices. The
    database does the summing, so the cost does not grow with Python loops over usage rows. ``organisations``
    keeps the first that many organisations (by id) after ``after_organisation_id``: one batch of a run.
    """
    usage = UsageRecord.objects.filter(day__gte=start, day__lt=end)
    if organisation is not None:
        usage = usage.filter(organisation=organisation)
    if uninvoiced_only:
        usage = usage.filter(
            ~Exists(
                Invoice.objects.filter(
                    organisation_id=OuterRef("organisation_id"), kind=Invoice.Kind.INVOICE, period_start=start
                )
            )
        )
    if after_organisation_id is not None:
        usage = usage.filter(organisation_id__gt=after_organisation_id)
    if organisations is not None:
        first = usage.values("organisation_id").distinct().order_by("organisation_id")[:organisations]
        usage = usage.filter(organisation_id__in=first)
    return (
        usage.values("organisation_id", "kind", "service_key", "unit_price", "flavor__name", "plan__kind", "plan__name")
        .annotate(quantity=Sum("quantity"), name=Max("service_name"))
        .order_by("organisation_id", "-kind", "name", "service_key", "unit_price")
    )


def open_invoices(*, organisation) -> list[Invoice]:
    """The organisation's invoices awaiting a payment or its outcome, oldest first."""
    return list(
        Invoice.objects.filter(organisation=organisation, status__in=Invoice.OPEN_STATUSES).order_by(
            "issued_on", "number"
        )
    )


def uninvoiced_months(*, organisation) -> list[date]:
    """The months of usage the organisation has not been invoiced for yet, and will be (a total above zero).

    Summed like the invoicing sums them (``usage_groups``, a line rounded to the cent), only for the months without
    an invoice: usually the current one.
    """
    invoiced = Invoice.objects.filter(organisation=organisation, kind=Invoice.Kind.INVOICE).values("period_start")
    months = (
        UsageRecord.objects.filter(organisation=organisation, quantity__gt=0, unit_price__gt=0)
        .annotate(month=TruncMonth("day"))
        .exclude(month__in=invoiced)
        .values_list("month", flat=True)
        .distinct()
        .order_by("month")
    )
    return [
        month
        for month in months
        if sum(
            round_cents(row["quantity"] * row["unit_price"])
            for row in usage_groups(start=month, end=next_month(month), organisation=organisation)
        )
        > 0
    ]


def plan_label(kind: str | None, name: str | None) -> str:
    """An add-on plan as named on invoices: "PostgreSQL S Medium Space"."""
    if not kind:
        return name or ""
    return f"{AddonPlan.Kind(kind).label} {name}".strip()


def billing_profile(*, organisation) -> BillingProfile:
    """The organisation's billing profile, unsaved and empty when it has none yet."""
    return BillingProfile.objects.filter(organisation=organisation).first() or BillingProfile(organisation=organisation)


def payment_methods(*, organisation) -> list[PaymentMethod]:
    return list(PaymentMethod.objects.filter(organisation=organisation))


def default_successor(*, organisation, excluding: PaymentMethod | None = None) -> PaymentMethod | None:
    """The method that becomes the default when the default is removed: the most recent one that is not an expired
    card (a card is valid to the end of its expiry month, as ``PaymentMethod.is_expired`` says)."""
    today = timezone.localdate()
    expired = Q(kind=PaymentMethod.Kind.CARD) & (
        Q(card_exp_year__lt=today.year) | Q(card_exp_year=today.year, card_exp_month__lt=today.month)
    )
    methods = PaymentMethod.objects.filter(organisation=organisation).exclude(expired)
    if excluding is not None:
        methods = methods.exclude(pk=excluding.pk)
    return methods.order_by("-created_at", "-id").first()


@dataclass
class PaymentBanner:
    no_default: bool = False
    default_expired: bool = False


def payment_banner(*, organisation) -> PaymentBanner:
    """Whether the billing pages warn of a missing default payment method or an expired default card."""
    default = PaymentMethod.objects.filter(organisation=organisation, is_default=True).first()
    if default is None:
        return PaymentBanner(no_default=True)
    return PaymentBanner(default_expired=default.is_expired())


def invoice_years(*, organisation) -> list[int]:
    """The years in which the organisation has invoices, newest first (one query)."""
    return list(
        Invoice.objects.filter(organisation=organisation)
        .annotate(year=ExtractYear("issued_on"))
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    )


@dataclass
class InvoiceGroup:
    key: str
    invoices: list = field(default_factory=list)
    total: Decimal = Decimal(0)


def invoices_by_group(*, organisation, year: int) -> tuple[list[InvoiceGroup], Decimal]:
    """The year's invoices and credit notes grouped Pending / Processing / Paid / other, with totals (one query)."""
    groups = {key: InvoiceGroup(key) for key, _statuses in INVOICE_GROUPS}
    group_of = {status: key for key, statuses in INVOICE_GROUPS for status in statuses}
    year_total = Decimal(0)
    for invoice in Invoice.objects.filter(organisation=organisation, issued_on__year=year).order_by(
        "-issued_on", "-number"
    ):
        group = groups[group_of[invoice.status]]
        group.invoices.append(invoice)
        group.total += invoice.total
        year_total += invoice.total
    return [group for group in groups.values() if group.invoices], year_total


def invoices_for_year(*, organisation, year: int):
    return Invoice.objects.filter(organisation=organisation, issued_on__year=year).order_by("issued_on", "number")


def invoice_detail(*, organisation, invoice_id: int) -> Invoice:
    """The invoice with its lines, payments and credit notes; 404 outside the organisation."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        Invoice.objects.select_related("credited_invoice").prefetch_related("lines", "payments", "credit_notes"),
        organisation=organisation,
        pk=invoice_id,
    )


@dataclass
class ServiceUsage:
    service_key: str
    name: str
    kind: str
    detail: str
    quantity: Decimal
    amount: Decimal


@dataclass
class MonthTotal:
    month: date
    amount: Decimal


def consumption_by_service(*, organisation, start: date, end: date) -> list[ServiceUsage]:
    """What each application and add-on cost in the months from ``start`` to ``end`` (the roll-up, one query),
    costliest first."""
    rows = UsageMonth.objects.filter(organisation=organisation, month__gte=start, month__lt=end).values(
        "service_key", "kind", "service_name", "unit_price", "quantity", "flavor__name", "plan__kind", "plan__name"
    )
    services: dict[str, ServiceUsage] = {}
    for row in rows:
        detail = row["flavor__name"] or plan_label(row["plan__kind"], row["plan__name"])
        service = services.setdefault(
            row["service_key"],
            ServiceUsage(row["service_key"], row["service_name"], row["kind"], detail, Decimal(0), Decimal(0)),
        )
        service.name = max(service.name, row["service_name"])
        service.quantity += row["quantity"]
        service.amount += round_cents(row["quantity"] * row["unit_price"])  # rounded as the invoice's lines are
    return sorted(services.values(), key=lambda service: (-service.amount, service.name))


def consumption_by_month(*, organisation, start: date, end: date) -> list[MonthTotal]:
    """The cost of each month from ``start`` to ``end`` (the roll-up, one query), oldest first, empty months included.

    Each roll-up row is rounded to the cent as the invoice's line is, so a past month shows its invoice's subtotal.
    """
    rows = UsageMonth.objects.filter(organisation=organisation, month__gte=start, month__lt=end)
    if connection.vendor == "postgresql":
        # Exact numeric, ROUND half away from zero (half up: amounts are never negative): one row a month comes back.
        totals = dict(
            rows.values("month")
            .annotate(amount=Sum(Round(F("quantity") * F("unit_price"), 2), output_field=DecimalField()))
            .order_by()
            .values_list("month", "amount")
        )
    else:  # SQLite computes decimals in floating point: rounded in Python
        totals: dict[date, Decimal] = {}
        for month, quantity, unit_price in rows.values_list("month", "quantity", "unit_price"):
            totals[month] = totals.get(month, Decimal(0)) + round_cents(quantity * unit_price)
    months, month = [], start
    while month < end:
        months.append(MonthTotal(month, totals.get(month, Decimal(0))))
        month = next_month(month)
    return months


def month_estimate(*, month_to_date: Decimal, today: date, last_month: Decimal) -> Decimal:
    """The month's cost if the rest of it goes on like its complete days so far (usage is recorded per day).

    On the first of the month nothing is known yet: last month's cost is the estimate.
    """
    complete_days = today.day - 1
    if complete_days == 0:
        return last_month
    days_in_month = calendar.monthrange(today.year, today.month)[1]
    return round_cents(month_to_date * Decimal(days_in_month) / Decimal(complete_days))


def recipients_of_invoices(*, organisation) -> list[str]:
    """The email addresses of the members who receive invoices (those holding VIEW_BILLING)."""
    from organisations.models import Membership
    from organisations.roles import Right

    emails = list(
        Membership.objects.active()
        .holding(Right.VIEW_BILLING)
        .filter(organisation=organisation)
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )
    return emails


def usage_exists(*, organisation) -> bool:
    return UsageRecord.objects.filter(organisation=organisation).exists()


def today() -> date:
    return timezone.localdate()
