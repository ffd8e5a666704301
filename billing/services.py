"""
Every change to billing: one transaction per function, each recording an activity entry.

Invoicing: ``invoices_issue_month`` sums a month's usage in one grouped query per batch of organisations
(``selectors.usage_groups``) and issues one invoice per organisation, each in its own transaction. Numbers come
from a per-series, per-year counter row locked ``FOR UPDATE`` in the issuing transaction, so they have no gaps even
when several issuers run at once.
"""

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import DateField, F, Max, Q, Sum
from django.db.models.functions import TruncMonth
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from organisations.activity import activity_entry, activity_record
from organisations.models import Activity, Organisation

from . import selectors
from .models import (
    BillingProfile,
    Credit,
    CreditApplication,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    Payment,
    PaymentMethod,
    UsageMonth,
    UsageRecord,
)
from .payments import payment_provider
from .vat import (
    compact_vat_number,
    iban_error,
    iban_masked,
    round_cents,
    seller,
    vat_amount,
    vat_number_error,
    vat_treatment,
)

PAYMENT_TERM_DAYS = 30
SERIES = {Invoice.Kind.INVOICE: "", Invoice.Kind.CREDIT_NOTE: "CN"}
PROFILE_FIELDS = [
    "customer_type",
    "billing_email",
    "company_name",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
    "vat_number",
]


# Billing profile


def _profile_snapshot(profile: BillingProfile) -> dict:
    return {name: str(getattr(profile, name) or "") for name in PROFILE_FIELDS}


@transaction.atomic
def billing_profile_update(*, actor, organisation: Organisation, **values) -> BillingProfile:
    """Save the organisation's billing details; a VAT number must pass its country's check digits."""
    unknown = set(values) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown billing profile fields: {sorted(unknown)}")
    profile = BillingProfile.objects.select_for_update().filter(organisation=organisation).first()
    created = profile is None
    profile = profile or BillingProfile(organisation=organisation)
    before = None if created else _profile_snapshot(profile)
    for name, value in values.items():
        setattr(profile, name, value)
    profile.vat_number = compact_vat_number(profile.vat_number)
    country = profile.country.code or ""
    if profile.vat_number:
        error = vat_number_error(profile.vat_number, country)
        if error:
            raise ValidationError({"vat_number": error})
        if not profile.is_business:
            raise ValidationError({"vat_number": _("Only a business has a VAT number.")})
    if profile.is_business and not profile.company_name:
        raise ValidationError({"company_name": _("Give the company's name.")})
    profile.full_clean()
    profile.save()
    after = _profile_snapshot(profile)
    if before != after:
        activity_record(
            organisation=organisation,
            actor=actor,
            verb="billing.profile_updated",
            target=profile,
            before=before,
            after=after,
        )
    return profile


# Payment methods


def _add_payment_method(*, actor, organisation: Organisation, method: PaymentMethod) -> PaymentMethod:
    Organisation.objects.select_for_update().get(pk=organisation.pk)
    method.organisation = organisation
    method.is_default = not PaymentMethod.objects.filter(organisation=organisation, is_default=True).exists()
    method.full_clean()
    method.save()
    activity_record(
        organisation=organisation,
        actor=actor,
        verb="billing.payment_method_added",
        target=method,
        after={"method": str(method), "default": method.is_default},
    )
    return method


@transaction.atomic
def payment_method_add_card(
    *, actor, organisation: Organisation, brand: str, last4: str, exp_month: int, exp_year: int, holder_name: str = ""
) -> PaymentMethod:
    """Record a card by its brand, last four digits and expiry (the provider keeps the card itself)."""
    if not (len(last4) == 4 and last4.isdigit()):
        raise ValidationError({"last4": _("Give the last four digits of the card only.")})
    today = timezone.localdate()
    if (exp_year, exp_month) < (today.year, today.month):
        raise ValidationError({"exp_year": _("This card has expired.")})
    method = PaymentMethod(
        kind=PaymentMethod.Kind.CARD,
        card_brand=brand,
        card_last4=last4,
        card_exp_month=exp_month,
        card_exp_year=exp_year,
        holder_name=holder_name,
    )
    return _add_payment_method(actor=actor, organisation=organisation, method=method)


@transaction.atomic
def payment_method_add_sepa(*, actor, organisation: Organisation, holder_name: str, iban: str) -> PaymentMethod:
    """Record a SEPA direct-debit mandate; only the IBAN's country and last four characters are kept."""
    error = iban_error(iban)
    if error:
        raise ValidationError({"iban": error})
    method = PaymentMethod(
        kind=PaymentMethod.Kind.SEPA_DEBIT,
        holder_name=holder_name,
        iban_masked=iban_masked(iban),
        mandate_reference=f"CONSOLE-{organisation.pk}-{timezone.now():%Y%m%d%H%M%S}",
    )
    return _add_payment_method(actor=actor, organisation=organisation, method=method)


@transaction.atomic
def payment_method_add_bank_transfer(*, actor, organisation: Organisation) -> PaymentMethod:
    """Choose to pay by bank transfer (once per organisation)."""
    if PaymentMethod.objects.filter(organisation=organisation, kind=PaymentMethod.Kind.BANK_TRANSFER).exists():
        raise ValidationError(_("Bank transfer is already one of your payment methods."))
    return _add_payment_method(
        actor=actor, organisation=organisation, method=PaymentMethod(kind=PaymentMethod.Kind.BANK_TRANSFER)
    )


@transaction.atomic
def payment_method_set_default(*, actor, payment_method: PaymentMethod) -> PaymentMethod:
    """Make ``payment_method`` the one default of its organisation (refused if it was removed meanwhile)."""
    Organisation.objects.select_for_update().get(pk=payment_method.organisation_id)
    payment_method = PaymentMethod.objects.filter(pk=payment_method.pk).first()
    if payment_method is None:
        raise ValidationError(_("This payment method has already been removed."))
    previous = PaymentMethod.objects.filter(organisation_id=payment_method.organisation_id, is_default=True).first()
    if previous is not None and previous.pk == payment_method.pk:
        return payment_method
    if payment_method.is_expired():
        raise ValidationError(_("An expired card cannot be the default payment method."))
    PaymentMethod.objects.filter(organisation_id=payment_method.organisation_id, is_default=True).update(
        is_default=False
    )
    payment_method.is_default = True
    payment_method.save(update_fields=["is_default"])
    activity_record(
        organisation=payment_method.organisation,
        actor=actor,
        verb="billing.payment_method_default",
        target=payment_method,
        before={"default": str(previous) if previous else ""},
        after={"default": str(payment_method)},
    )
    return payment_method


@transaction.atomic
def payment_method_remove(*, actor, payment_method: PaymentMethod) -> None:
    """Remove a payment method; the most recent valid other one becomes the default if it was the default.

    The method's row is read again under the organisation's lock: of two removals at once, the second finds it gone
    and is refused, so one removal writes one activity entry.
    """
    organisation = Organisation.objects.select_for_update().get(pk=payment_method.organisation_id)
    payment_method = PaymentMethod.objects.filter(pk=payment_method.pk, organisation=organisation).first()
    if payment_method is None:
        raise ValidationError(_("This payment method has already been removed."))
    was_default = payment_method.is_default
    label = str(payment_method)
    payment_method.delete()
    if was_default:
        successor = selectors.default_successor(organisation=organisation)
        if successor is not None:
            successor.is_default = True
            successor.save(update_fields=["is_default"])
    activity_record(
        organisation=organisation,
        actor=actor,
        verb="billing.payment_method_removed",
        target=None,
        before={"method": label, "default": was_default},
    )


@transaction.atomic
def organisation_payment_methods_delete(*, organisation: Organisation) -> None:
    """Forget the payment methods of an organisation being deleted (its payments keep their label)."""
    PaymentMethod.objects.filter(organisation=organisation).delete()


# Credits


@transaction.atomic
def credit_grant(
    *, actor, organisation: Organisation, kind: str, amount: Decimal, label: str, expires_on: date | None = None
) -> Credit:
    """Give the organisation free or prepaid credit, consumed by its next invoices."""
    amount = round_cents(amount)
    if amount <= 0:
        raise ValidationError({"amount": _("A credit is a positive amount.")})
    credit = Credit(
        organisation=organisation, kind=kind, label=label, amount=amount, remaining=amount, expires_on=expires_on
    )
    credit.full_clean()
    credit.save()
    activity_record(
        organisation=organisation,
        actor=actor,
        verb="billing.credit_granted",
        target=credit,
        after={"kind": kind, "amount": str(amount), "label": label},
    )
    return credit


# Usage


def usage_row(*, service, day: date, quantity: Decimal) -> UsageRecord:
    """An unsaved day of usage of an application (instance-hours) or an add-on (hours), priced from today's list.

    Metering writes these in bulk (``usage_record``); the snapshots keep them right after the application or add-on
    is deleted or the price list changes.
    """
    from apps.models import Application

    is_app = isinstance(service, Application)
    price = service.flavor.hourly_price if is_app else service.plan.hourly_price
    return UsageRecord(
        organisation_id=service.organisation_id,
        kind=UsageRecord.Kind.APPLICATION if is_app else UsageRecord.Kind.ADDON,
        application=service if is_app else None,
        addon=None if is_app else service,
        service_key=f"{'application' if is_app else 'addon'}:{service.pk}",
        service_name=service.name,
        flavor_id=service.flavor_id if is_app else None,
        plan_id=None if is_app else service.plan_id,
        day=day,
        quantity=Decimal(quantity).quantize(Decimal("0.01")),
        unit_price=Decimal(price).quantize(Decimal("0.000001")),
    )


# The roll-up's rows are few (a service, a price, a month): a statement adds this many at once, 9 parameters each.
USAGE_MONTHS_BATCH = 500


@transaction.atomic
def usage_record(*, rows: list[UsageRecord]) -> list[UsageRecord]:
    """Save days of usage (``usage_row``) and add them to their months' roll-up (``UsageMonth``), in ONE transaction.

    The roll-up is an upsert adding to the stored quantity: two recordings at once for the same month queue on its
    row's lock and both count (neither reads then writes). Keys are written in one order, so they cannot deadlock.
    Usage rows are only ever added (nothing updates or deletes one), so the roll-up stays their exact sum.
    """
    for row in rows:  # as their columns store them, so that the roll-up adds what the rows hold
        row.quantity = Decimal(row.quantity).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        row.unit_price = Decimal(row.unit_price).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    rows = UsageRecord.objects.bulk_create(rows, batch_size=2000)
    totals: dict[tuple, list] = {}
    for row in rows:
        month = selectors.month_start(row.day)
        key = (row.organisation_id, month, row.service_key, row.unit_price, row.flavor_id or 0, row.plan_id or 0)
        entry = totals.setdefault(key, [row.kind, row.service_name, Decimal(0)])
        entry[1] = max(entry[1], row.service_name)
        entry[2] += row.quantity
    table = UsageMonth._meta.db_table
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"  # SQLite's MAX of two values
    keys = sorted(totals)
    for offset in range(0, len(keys), USAGE_MONTHS_BATCH):
        batch = keys[offset : offset + USAGE_MONTHS_BATCH]
        params = []
        for organisation_id, month, service_key, unit_price, flavor_id, plan_id in batch:
            kind, name, quantity = totals[organisation_id, month, service_key, unit_price, flavor_id, plan_id]
            params += [organisation_id, month, kind, service_key, name, flavor_id or None, plan_id or None, unit_price]
            params.append(quantity)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (organisation_id, month, kind, service_key, service_name, flavor_id, plan_id, "  # noqa: S608 - a model's table
                f"unit_price, quantity) VALUES {', '.join(['(%s, %s, %s, %s, %s, %s, %s, %s, %s)'] * len(batch))} "
                "ON CONFLICT (organisation_id, month, service_key, unit_price, COALESCE(flavor_id, 0), "
                f"COALESCE(plan_id, 0)) DO UPDATE SET quantity = {table}.quantity + EXCLUDED.quantity, "
                f"service_name = {greatest}({table}.service_name, EXCLUDED.service_name)",
                params,
            )
    return rows


def usage_months_source(*, start: date, end: date, organisation=None):
    """The roll-up's rows computed from the usage rows between ``start`` and ``end``: one grouped query."""
    usage = UsageRecord.objects.filter(day__gte=start, day__lt=end)
    if organisation is not None:
        usage = usage.filter(organisation=organisation)
    return (
        usage.annotate(month=TruncMonth("day", output_field=DateField()))
        .values("organisation_id", "month", "service_key", "unit_price", "flavor_id", "plan_id")
        .annotate(kind=Max("kind"), service_name=Max("service_name"), quantity=Sum("quantity"))
        .order_by()
    )


def usage_months_insert(*, start: date, end: date, organisation=None) -> tuple[str, tuple]:
    """The INSERT ... SELECT ... GROUP BY writing the roll-up of the usage rows between ``start`` and ``end``."""
    sql, params = usage_months_source(start=start, end=end, organisation=organisation).query.sql_with_params()
    columns = "organisation_id, month, service_key, unit_price, flavor_id, plan_id, kind, service_name, quantity"
    return f"INSERT INTO {UsageMonth._meta.db_table} ({columns}) {sql}", params


@transaction.atomic
def usage_months_rebuild(*, month: date, organisation: Organisation | None = None) -> int:
    """Compute the month's roll-up again from its usage rows (idempotent); the number of roll-up rows written.

    On PostgreSQL the roll-up's table is locked against recordings first (they wait, then add to the new rows), so a
    recording in flight is counted once: in the rows read if it committed before, by its own upsert if after.
    """
    start = selectors.month_start(month)
    end = selectors.next_month(start)
    table = UsageMonth._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        stored = UsageMonth.objects.filter(month=start)
        if organisation is not None:
            stored = stored.filter(organisation=organisation)
        stored.delete()
        cursor.execute(*usage_months_insert(start=start, end=end, organisation=organisation))
        return cursor.rowcount


# Invoicing


@dataclass
class IssueReport:
    issued: list[Invoice] = field(default_factory=list)
    skipped: int = 0


def _take_number(*, kind: str, year: int) -> str:
    """The next number of the series, under a row lock held until the issuing transaction ends (no gaps)."""
    series = SERIES[kind]
    InvoiceSequence.objects.bulk_create([InvoiceSequence(series=series, year=year)], ignore_conflicts=True)
    sequence = InvoiceSequence.objects.select_for_update().get(series=series, year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"{series}{year}-{sequence.last_number:05d}"


def _locked_sequence(*, kind: str, year: int) -> InvoiceSequence:
    """The series' counter row of the year, locked until the transaction ends."""
    series = SERIES[kind]
    InvoiceSequence.objects.bulk_create([InvoiceSequence(series=series, year=year)], ignore_conflicts=True)
    return InvoiceSequence.objects.select_for_update().get(series=series, year=year)


def _usage_lines(rows) -> list[InvoiceLine]:
    lines = []
    for row in rows:
        is_app = row["kind"] == UsageRecord.Kind.APPLICATION
        detail = row["flavor__name"] if is_app else selectors.plan_label(row["plan__kind"], row["plan__name"])
        lines.append(
            InvoiceLine(
                kind=InvoiceLine.Kind.APPLICATION if is_app else InvoiceLine.Kind.ADDON,
                description=row["name"],
                detail=detail or "",
                quantity=row["quantity"],
                unit="instance-hours" if is_app else "hours",
                unit_price=row["unit_price"],
                amount=round_cents(row["quantity"] * row["unit_price"]),
            )
        )
    return lines


def _usable_credits(*, organisation_ids: list[int], on: date) -> dict[int, list[Credit]]:
    """The organisations' credits that can still be consumed, locked, in the order they are consumed."""
    credits = (
        Credit.objects.select_for_update()
        .filter(organisation_id__in=organisation_ids, remaining__gt=0)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=on))
        .order_by("organisation_id", "kind", F("expires_on").asc(nulls_last=True), "created_at", "id")
    )  # "free" before "prepaid", soonest to expire first
    by_organisation: dict[int, list[Credit]] = {}
    for credit in credits:
        by_organisation.setdefault(credit.organisation_id, []).append(credit)
    return by_organisation


def _consume_credits(credits: list[Credit], subtotal: Decimal) -> list[tuple[Credit, Decimal]]:
    """Take from ``credits`` (in order) up to ``subtotal``; the credits' ``remaining`` is lowered, not saved."""
    applied, left = [], subtotal
    for credit in credits:
        if left <= 0:
            break
        amount = min(credit.remaining, left)
        credit.remaining -= amount
        applied.append((credit, amount))
        left -= amount
    return applied


def _buyer(organisation: Organisation, profile: BillingProfile | None) -> dict:
    if profile is None:
        return {"name": organisation.name, "email": "", "address": "", "country": "", "vat": "", "business": True}
    return {
        "name": profile.company_name or organisation.name,
        "email": profile.billing_email,
        "address": profile.address,
        "country": profile.country.code or "",
        "vat": profile.vat_number,
        "business": profile.is_business,
    }


def _untranslated(text) -> str:
    """The English original of a marked string: stored, and translated when shown (``gettext`` of it)."""
    with translation.override(None):
        return str(text)


# Organisations issued together in one transaction by the monthly run (one numbers block, bulk inserts).
ISSUE_BATCH = 200


def _issue_batch(
    *, batch: list[tuple[int, list[dict]]], period_start: date, issued_on: date, notify: bool = True
) -> list[Invoice]:
    """Issue the invoices of ``batch`` (organisation id, its grouped usage) for the month, in ONE transaction.

    Organisations already invoiced for the month, or with nothing to bill, are left out. The year's counter row is
    locked FOR UPDATE first (every issuer queues there, so the existence check is race-free), then the numbers are
    taken as one gapless block, in the batch's order, and everything is written with bulk inserts.
    """
    with transaction.atomic():
        sequence = _locked_sequence(kind=Invoice.Kind.INVOICE, year=issued_on.year)
        invoiced = set(
            Invoice.objects.filter(
                organisation_id__in=[organisation_id for organisation_id, _rows in batch],
                kind=Invoice.Kind.INVOICE,
                period_start=period_start,
            ).values_list("organisation_id", flat=True)
        )
        to_issue = []
        for organisation_id, rows in batch:
            if organisation_id in invoiced:
                continue
            lines = _usage_lines(rows)
            subtotal = sum((line.amount for line in lines), Decimal(0))
            if subtotal > 0:
                to_issue.append((organisation_id, lines, subtotal))
        if not to_issue:
            return []
        ids = [organisation_id for organisation_id, _lines, _subtotal in to_issue]
        organisations = Organisation.objects.in_bulk(ids)
        profiles = {
            profile.organisation_id: profile for profile in BillingProfile.objects.filter(organisation_id__in=ids)
        }
        credits = _usable_credits(organisation_ids=ids, on=issued_on)
        period_end = selectors.next_month(period_start) - timedelta(days=1)
        seller_details = seller()
        invoices, all_lines, applications, consumed = [], [], [], []
        for number, (organisation_id, lines, subtotal) in enumerate(to_issue, start=sequence.last_number + 1):
            organisation = organisations[organisation_id]
            buyer = _buyer(organisation, profiles.get(organisation_id))
            treatment = vat_treatment(country=buyer["country"], vat_number=buyer["vat"], is_business=buyer["business"])
            applied = _consume_credits(credits.get(organisation_id, []), subtotal)
            credits_total = sum((amount for _credit, amount in applied), Decimal(0))
            for credit, amount in applied:
                lines.append(
                    InvoiceLine(
                        kind=InvoiceLine.Kind.CREDIT,
                        description=credit.label,
                        detail=credit.kind,
                        quantity=Decimal(1),
                        unit_price=-amount,
                        amount=-amount,
                    )
                )
            net = subtotal - credits_total
            vat = vat_amount(net, treatment.rate)
            invoice = Invoice(
                kind=Invoice.Kind.INVOICE,
                number=f"{sequence.series}{sequence.year}-{number:05d}",
                organisation=organisation,
                period_start=period_start,
                period_end=period_end,
                issued_on=issued_on,
                due_on=issued_on + timedelta(days=PAYMENT_TERM_DAYS),
                seller=seller_details,
                buyer_name=buyer["name"],
                buyer_email=buyer["email"],
                buyer_address=buyer["address"],
                buyer_country=buyer["country"],
                buyer_vat_number=buyer["vat"],
                vat_scheme=treatment.scheme.value,
                vat_rate=treatment.rate,
                vat_mention=_untranslated(treatment.mention),
                subtotal=subtotal,
                credits_total=credits_total,
                net_total=net,
                vat_total=vat,
                total=net + vat,
                status=Invoice.Status.PAID if net + vat == 0 else Invoice.Status.PENDING,
                paid_at=timezone.now() if net + vat == 0 else None,
            )
            invoices.append(invoice)
            for position, line in enumerate(lines, start=1):
                line.invoice, line.position = invoice, position
            all_lines.extend(lines)
            applications.extend((credit, invoice, amount) for credit, amount in applied)
            consumed.extend(credit for credit, _amount in applied)
        sequence.last_number += len(invoices)
        sequence.save(update_fields=["last_number"])
        Invoice.objects.bulk_create(invoices)  # PostgreSQL and SQLite give back the primary keys
        for line in all_lines:
            line.invoice_id = line.invoice.pk
        InvoiceLine.objects.bulk_create(all_lines, batch_size=2000)
        if consumed:
            Credit.objects.bulk_update(consumed, ["remaining"])
            CreditApplication.objects.bulk_create(
                CreditApplication(credit=credit, invoice=invoice, amount=amount)
                for credit, invoice, amount in applications
            )
        Activity.objects.bulk_create(
            activity_entry(
                organisation=invoice.organisation,
                actor=None,
                verb="billing.invoice_issued",
                target=invoice,
                after={"number": invoice.number, "total": str(invoice.total), "period": f"{period_start:%Y-%m}"},
            )
            for invoice in invoices
        )
        if notify:
            _enqueue_emails([invoice.pk for invoice in invoices])
        return invoices


def _enqueue_emails(invoice_ids: list[int]) -> None:
    """Email the invoices from background tasks once the issuing transaction commits (a failure is logged).

    The batch's tasks are enqueued in one transaction: with the database backend, one commit for all of them.
    """
    from .tasks import invoice_email

    def enqueue() -> None:
        with transaction.atomic():
            for invoice_id in invoice_ids:
                invoice_email.enqueue(invoice_id=invoice_id)

    transaction.on_commit(enqueue, robust=True)


def invoice_issue(
    *, organisation: Organisation, month: date, issued_on: date | None = None, notify: bool = True
) -> Invoice | None:
    """Issue ``organisation``'s invoice for ``month``; None when it exists already or there is nothing to bill.

    ``notify``: email it once issued (the demo's back-dated invoices are not mailed).
    """
    start = selectors.month_start(month)
    rows = list(selectors.usage_groups(start=start, end=selectors.next_month(start), organisation=organisation))
    issued = _issue_batch(
        batch=[(organisation.pk, rows)],
        period_start=start,
        issued_on=issued_on or timezone.localdate(),
        notify=notify,
    )
    return issued[0] if issued else None


def invoices_issue_month(*, month: date, issued_on: date | None = None) -> IssueReport:
    """Issue every organisation's invoice for ``month`` (idempotent: a rerun issues nothing new).

    The usage is summed by the database in one grouped query per ``ISSUE_BATCH`` organisations (by id, each batch
    starting after the last one's: no cursor stays open between batches, so PgBouncer in transaction mode and
    DISABLE_SERVER_SIDE_CURSORS are both fine); each batch's invoices are issued in one transaction, so the usage
    rows are never all in memory and a failure leaves the batches before it issued.
    """
    start = selectors.month_start(month)
    end = selectors.next_month(start)
    issued_on = issued_on or timezone.localdate()
    report = IssueReport(
        skipped=Invoice.objects.filter(kind=Invoice.Kind.INVOICE, period_start=start).count(),
    )
    after = None
    while rows := list(
        selectors.usage_groups(
            start=start, end=end, uninvoiced_only=True, after_organisation_id=after, organisations=ISSUE_BATCH
        )
    ):
        batch = [
            (organisation_id, list(group))
            for organisation_id, group in itertools.groupby(rows, key=lambda row: row["organisation_id"])
        ]
        issued = _issue_batch(batch=batch, period_start=start, issued_on=issued_on)
        report.issued.extend(issued)
        report.skipped += len(batch) - len(issued)
        if len(batch) < ISSUE_BATCH:
            break
        after = batch[-1][0]
    return report


def invoice_pdf_and_name(invoice: Invoice) -> tuple[bytes, str]:
    from .pdf import invoice_pdf_cached

    return invoice_pdf_cached(invoice), invoice.file_name


def invoice_send(*, invoice_id: int) -> int:
    """Email the invoice with its PDF to every member who receives invoices, and to the billing email."""
    invoice = Invoice.objects.select_related("organisation").get(pk=invoice_id)
    if invoice.organisation is None:
        return 0
    recipients = selectors.recipients_of_invoices(organisation=invoice.organisation)
    if invoice.buyer_email and invoice.buyer_email not in recipients:
        recipients.append(invoice.buyer_email)
    if not recipients:
        return 0
    with translation.override(translation.get_language() or settings.LANGUAGE_CODE):
        context = {"invoice": invoice, "organisation": invoice.organisation}
        subject = render_to_string("billing/email/invoice_subject.txt", context).strip()
        body = render_to_string("billing/email/invoice_body.txt", context)
        pdf, name = invoice_pdf_and_name(invoice)
    message = EmailMessage(subject=subject, body=body, to=[], bcc=recipients)
    message.attach(name, pdf, "application/pdf")
    return message.send()


@transaction.atomic
def invoice_pay(*, actor, invoice: Invoice) -> Payment:
    """Pay a pending invoice with the organisation's default payment method through the payment provider."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if not invoice.is_payable:
        raise ValidationError(_("This invoice is not waiting for a payment."))
    method = PaymentMethod.objects.filter(organisation_id=invoice.organisation_id, is_default=True).first()
    if method is None:
        raise ValidationError(_("Add a payment method and make it the default first."))
    if method.kind == PaymentMethod.Kind.BANK_TRANSFER:
        raise ValidationError(
            _("Your default payment method is bank transfer: transfer the amount with the invoice number as reference.")
        )
    provider = payment_provider()
    # The sandbox answers at once; a real provider's call would be made with an idempotency key (the payment id).
    result = provider.charge(
        payment_method=method, amount=invoice.total, currency=invoice.currency, description=invoice.number
    )
    payment = Payment.objects.create(
        invoice=invoice,
        method=method.kind,
        payment_method=method,
        method_label=str(method),
        amount=invoice.total,
        status=result.status,
        provider=provider.name,
        reference=result.reference,
        failure_reason=result.failure_reason,
    )
    before = {"status": invoice.status}
    if result.status == Payment.Status.SUCCEEDED:
        _set_status(invoice, Invoice.Status.PAID)
    elif result.status == Payment.Status.PROCESSING:
        _set_status(invoice, Invoice.Status.PROCESSING)
    activity_record(
        organisation=invoice.organisation,
        actor=actor,
        verb="billing.payment_failed" if result.status == Payment.Status.FAILED else "billing.invoice_paid",
        target=invoice,
        before=before,
        after={"status": invoice.status, "payment": payment.get_status_display(), "method": str(method)},
    )
    return payment


def _set_status(invoice: Invoice, status: str) -> None:
    invoice.status = status
    invoice.status_changed_at = timezone.now()
    fields = ["status", "status_changed_at"]
    if status == Invoice.Status.PAID:
        invoice.paid_at = invoice.status_changed_at
        fields.append("paid_at")
    invoice.save(update_fields=fields)


@transaction.atomic
def payment_record_bank_transfer(*, actor, invoice: Invoice, amount: Decimal, reference: str = "") -> Payment:
    """Record a bank transfer received for an invoice (platform staff); the invoice is paid once covered."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.kind != Invoice.Kind.INVOICE or invoice.status in {
        Invoice.Status.PAID,
        Invoice.Status.CANCELED,
        Invoice.Status.REFUNDED,
    }:
        raise ValidationError(_("This invoice is not waiting for a payment."))
    amount = round_cents(amount)
    if amount <= 0:
        raise ValidationError({"amount": _("A transfer is a positive amount.")})
    payment = Payment.objects.create(
        invoice=invoice,
        method=Payment.Method.BANK_TRANSFER,
        method_label=str(_("Bank transfer")),
        amount=amount,
        status=Payment.Status.SUCCEEDED,
        provider="bank",
        reference=reference,
        recorded_by=actor,
    )
    received = sum(
        (p.amount for p in invoice.payments.filter(status=Payment.Status.SUCCEEDED)),
        Decimal(0),
    )
    before = {"status": invoice.status}
    if received >= invoice.total:
        _set_status(invoice, Invoice.Status.PAID)
    activity_record(
        organisation=invoice.organisation,
        actor=actor,
        verb="billing.bank_transfer_recorded",
        target=invoice,
        before=before,
        after={"status": invoice.status, "amount": str(amount), "reference": reference},
    )
    return payment


ALLOWED_STATUS_CHANGES = {
    Invoice.Status.PENDING: {Invoice.Status.PAYMENTHELD, Invoice.Status.WONTPAY, Invoice.Status.PAID},
    Invoice.Status.PAYMENTHELD: {Invoice.Status.PENDING, Invoice.Status.WONTPAY, Invoice.Status.PAID},
    Invoice.Status.PROCESSING: {Invoice.Status.PAID, Invoice.Status.PENDING, Invoice.Status.PAYMENTHELD},
    Invoice.Status.WONTPAY: {Invoice.Status.PENDING, Invoice.Status.PAID},
}


@transaction.atomic
def invoice_set_status(*, actor, invoice: Invoice, status: str) -> Invoice:
    """Move an invoice's payment status (platform staff: a debit cleared, a payment held, a bad debt)."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if status not in ALLOWED_STATUS_CHANGES.get(invoice.status, set()):
        raise ValidationError(
            _("An invoice cannot go from %(old)s to %(new)s.")
            % {"old": invoice.get_status_display(), "new": Invoice.Status(status).label}
        )
    before = {"status": invoice.status}
    _set_status(invoice, status)
    activity_record(
        organisation=invoice.organisation,
        actor=actor,
        verb="billing.invoice_status_changed",
        target=invoice,
        before=before,
        after={"status": status},
    )
    return invoice


@transaction.atomic
def credit_note_issue(*, actor, invoice: Invoice, reason: str, amount: Decimal | None = None) -> Invoice:
    """Correct an issued invoice with a credit note referencing it: all of it, or ``amount`` excluding VAT."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.kind != Invoice.Kind.INVOICE:
        raise ValidationError(_("Only an invoice can be credited."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the invoice is corrected.")})
    already = sum((-note.net_total for note in invoice.credit_notes.all()), Decimal(0))
    creditable = invoice.net_total - already
    net = creditable if amount is None else round_cents(amount)
    if net <= 0 or net > creditable:
        raise ValidationError(
            {"amount": _("A credit note is between 0.01 and %(max)s excluding VAT.") % {"max": creditable}}
        )
    issued_on = timezone.localdate()
    vat = vat_amount(net, invoice.vat_rate)
    note = Invoice.objects.create(
        kind=Invoice.Kind.CREDIT_NOTE,
        number=_take_number(kind=Invoice.Kind.CREDIT_NOTE, year=issued_on.year),
        organisation=invoice.organisation,
        credited_invoice=invoice,
        reason=reason,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        issued_on=issued_on,
        due_on=issued_on,
        seller=invoice.seller,
        buyer_name=invoice.buyer_name,
        buyer_email=invoice.buyer_email,
        buyer_address=invoice.buyer_address,
        buyer_country=invoice.buyer_country,
        buyer_vat_number=invoice.buyer_vat_number,
        vat_scheme=invoice.vat_scheme,
        vat_rate=invoice.vat_rate,
        vat_mention=invoice.vat_mention,
        subtotal=-net,
        credits_total=Decimal(0),
        net_total=-net,
        vat_total=-vat,
        total=-(net + vat),
        status=Invoice.Status.PAID,
        paid_at=timezone.now(),
    )
    InvoiceLine.objects.create(
        invoice=note,
        position=1,
        kind=InvoiceLine.Kind.CORRECTION,
        description=reason[:255],
        detail=invoice.number,
        quantity=Decimal(1),
        unit_price=-net,
        amount=-net,
    )
    if net == creditable:
        if invoice.status == Invoice.Status.PAID:
            _set_status(invoice, Invoice.Status.REFUNDED)
        elif invoice.is_payable or invoice.status == Invoice.Status.WONTPAY:
            _set_status(invoice, Invoice.Status.CANCELED)
    activity_record(
        organisation=invoice.organisation,
        actor=actor,
        verb="billing.credit_note_issued",
        target=note,
        after={"number": note.number, "invoice": invoice.number, "total": str(note.total), "reason": reason},
    )
    note_id = note.pk
    transaction.on_commit(lambda: invoice_send(invoice_id=note_id), robust=True)
    return note
