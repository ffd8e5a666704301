from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from billing import selectors, services
from billing.models import (
    BillingProfile,
    Credit,
    Flavor,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    Payment,
    PaymentMethod,
    UsageMonth,
    UsageRecord,
)
from billing.vat import REVERSE_CHARGE_MENTION
from organisations.models import Activity
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER

from .factories import AddonFactory, ApplicationFactory, BillingProfileFactory, CardFactory, usage_of

NOVEMBER = date(2026, 11, 1)
ISSUED = date(2026, 12, 1)


@pytest.fixture
def usage(organisation):
    """November 2026 of Acme: an XS application on 2 instances all month, a 10 € PostgreSQL add-on all month."""
    app = ApplicationFactory(organisation=organisation, name="shop-front")  # XS: 0.0390 €/h
    addon = AddonFactory(organisation=organisation, name="shop-db")  # PostgreSQL XS: 10 €/month
    for day in range(1, 31):
        usage_of(app, date(2026, 11, day), 48)
        usage_of(addon, date(2026, 11, day), 24)
    return app, addon


def issue(organisation, **kwargs):
    return services.invoice_issue(organisation=organisation, month=NOVEMBER, issued_on=ISSUED, **kwargs)


def test_lines_per_service_and_french_vat(organisation, usage):
    BillingProfileFactory(organisation=organisation)
    invoice = issue(organisation)
    lines = list(invoice.lines.all())
    assert [(line.kind, line.description, line.detail, line.quantity, line.amount) for line in lines] == [
        (InvoiceLine.Kind.APPLICATION, "shop-front", "XS", Decimal("1440.00"), Decimal("56.16")),
        (InvoiceLine.Kind.ADDON, "shop-db", "PostgreSQL XS Small Space", Decimal("720.00"), Decimal("10.00")),
    ]
    assert invoice.subtotal == Decimal("66.16")
    assert invoice.net_total == Decimal("66.16")
    assert invoice.vat_rate == Decimal("20")
    assert invoice.vat_total == Decimal("13.23")  # 13.232
    assert invoice.total == Decimal("79.39")
    assert invoice.vat_scheme == "domestic" and invoice.vat_mention == ""
    assert invoice.number == "2026-00001"
    assert invoice.period_end == date(2026, 11, 30) and invoice.due_on == date(2026, 12, 31)
    assert invoice.buyer_vat_number == "FR40303265045"
    assert invoice.status == Invoice.Status.PENDING


def test_a_flavor_change_makes_two_lines_for_the_application(organisation):
    app = ApplicationFactory(organisation=organisation, name="api")
    usage_of(app, date(2026, 11, 1), 24, unit_price="0.039")
    usage_of(app, date(2026, 11, 2), 24, unit_price="0.078")
    invoice = issue(organisation)
    assert [(line.quantity, line.unit_price, line.amount) for line in invoice.lines.all()] == [
        (Decimal("24.00"), Decimal("0.039000"), Decimal("0.94")),  # 0.936
        (Decimal("24.00"), Decimal("0.078000"), Decimal("1.87")),  # 1.872
    ]


def test_line_amounts_round_half_up_to_the_cent(organisation):
    app = ApplicationFactory(organisation=organisation, name="api")
    usage_of(app, date(2026, 11, 3), 3, unit_price="0.155")  # 0.465: half-up 0.47 (half-even would say 0.46)
    invoice = issue(organisation)
    assert invoice.lines.get().amount == Decimal("0.47")


def test_vat_rounds_half_up(organisation):
    BillingProfileFactory(organisation=organisation, customer_type="individual", country="BE", vat_number="")
    app = ApplicationFactory(organisation=organisation, name="api")
    usage_of(app, date(2026, 11, 3), 10, unit_price="0.05")  # 0.50 at 21% = 0.105
    invoice = issue(organisation)
    assert invoice.vat_rate == Decimal("21")
    assert invoice.vat_total == Decimal("0.11")
    assert invoice.total == Decimal("0.61")


@pytest.mark.parametrize(
    ("profile", "scheme", "rate", "vat", "mention"),
    [
        (None, "domestic", "20", "13.23", False),
        ({"country": "FR", "vat_number": "FR40303265045"}, "domestic", "20", "13.23", False),
        ({"country": "DE", "vat_number": "DE136695976"}, "reverse_charge", "0", "0.00", True),
        ({"country": "DE", "vat_number": ""}, "eu_consumer", "19", "12.57", False),
        ({"country": "BE", "vat_number": "", "customer_type": "individual"}, "eu_consumer", "21", "13.89", False),
        ({"country": "US", "vat_number": ""}, "outside_eu", "0", "0.00", True),
    ],
    ids=["no-profile", "france", "eu-business-reverse-charge", "eu-business-without-number", "eu-consumer", "us"],
)
def test_each_vat_case(organisation, usage, profile, scheme, rate, vat, mention):
    if profile is not None:
        BillingProfileFactory(organisation=organisation, **profile)
    invoice = issue(organisation)
    assert invoice.vat_scheme == scheme
    assert invoice.vat_rate == Decimal(rate)
    assert invoice.vat_total == Decimal(vat)
    assert invoice.total == Decimal("66.16") + Decimal(vat)
    assert bool(invoice.vat_mention) is mention
    if scheme == "reverse_charge":
        assert invoice.vat_mention == str(REVERSE_CHARGE_MENTION)
        assert "Article 196 of Directive 2006/112/EC" in invoice.vat_mention
        assert "Autoliquidation" in invoice.vat_mention


def test_free_credits_then_prepaid_are_applied_before_vat(organisation, usage):
    prepaid = Credit.objects.create(
        organisation=organisation, kind="prepaid", label="Prepaid", amount=100, remaining=100
    )
    free = Credit.objects.create(organisation=organisation, kind="free", label="Welcome", amount=20, remaining=20)
    Credit.objects.create(
        organisation=organisation, kind="free", label="Expired", amount=50, remaining=50, expires_on=date(2026, 11, 30)
    )
    invoice = issue(organisation)
    assert invoice.subtotal == Decimal("66.16")
    assert invoice.credits_total == Decimal("66.16")
    assert invoice.net_total == Decimal(0)
    assert invoice.total == Decimal(0)
    assert invoice.status == Invoice.Status.PAID  # nothing to pay
    credit_lines = [(line.description, line.amount) for line in invoice.lines.filter(kind=InvoiceLine.Kind.CREDIT)]
    assert credit_lines == [("Welcome", Decimal("-20.00")), ("Prepaid", Decimal("-46.16"))]
    free.refresh_from_db()
    prepaid.refresh_from_db()
    assert free.remaining == 0
    assert prepaid.remaining == Decimal("53.84")
    assert Credit.objects.get(label="Expired").remaining == 50


def test_partial_credit(organisation, usage):
    Credit.objects.create(organisation=organisation, kind="free", label="Welcome", amount=6, remaining=6)
    invoice = issue(organisation)
    assert (invoice.subtotal, invoice.credits_total, invoice.net_total) == (
        Decimal("66.16"),
        Decimal("6.00"),
        Decimal("60.16"),
    )
    assert invoice.vat_total == Decimal("12.03")  # 12.032
    assert invoice.total == Decimal("72.19")


def test_nothing_to_bill_issues_nothing(organisation):
    assert issue(organisation) is None
    assert not Invoice.objects.exists()


def test_rerun_is_idempotent(organisation, usage):
    other = ApplicationFactory(name="elsewhere")
    usage_of(other, date(2026, 11, 5), 24)
    Credit.objects.create(organisation=organisation, kind="free", label="Welcome", amount=5, remaining=5)
    first = services.invoices_issue_month(month=NOVEMBER, issued_on=ISSUED)
    assert len(first.issued) == 2
    snapshot = list(Invoice.objects.values().order_by("pk"))
    lines = InvoiceLine.objects.count()
    second = services.invoices_issue_month(month=NOVEMBER, issued_on=ISSUED)
    assert second.issued == [] and second.skipped == 2
    assert list(Invoice.objects.values().order_by("pk")) == snapshot
    assert InvoiceLine.objects.count() == lines
    assert Credit.objects.get().remaining == 0
    assert InvoiceSequence.objects.get(year=2026, series="").last_number == 2
    assert issue(organisation) is None


def test_command_issues_the_previous_month_by_default_and_reruns_quietly(organisation, usage, time_machine):
    time_machine.move_to("2026-12-01 06:00 +01:00")
    call_command("issue_invoices")
    invoice = Invoice.objects.get()
    assert invoice.period_start == NOVEMBER and invoice.issued_on == ISSUED
    call_command("issue_invoices", "--month", "2026-11")
    assert Invoice.objects.count() == 1


def test_command_refuses_a_bad_month():
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("issue_invoices", "--month", "2026-13")


def test_numbers_follow_each_other_per_year(organisation, usage):
    first = issue(organisation)
    app = ApplicationFactory(organisation=organisation, name="december")
    usage_of(app, date(2026, 12, 2), 24)
    second = services.invoice_issue(organisation=organisation, month=date(2026, 12, 1), issued_on=date(2026, 12, 20))
    usage_of(app, date(2027, 1, 2), 24)
    third = services.invoice_issue(organisation=organisation, month=date(2027, 1, 1), issued_on=date(2027, 2, 1))
    assert [first.number, second.number, third.number] == ["2026-00001", "2026-00002", "2027-00001"]


def test_usage_survives_the_deletion_of_its_application(organisation, usage):
    app, addon = usage
    app.delete()
    addon.delete()
    invoice = issue(organisation)
    assert [line.description for line in invoice.lines.all()] == ["shop-front", "shop-db"]
    assert invoice.subtotal == Decimal("66.16")
    assert UsageRecord.objects.filter(application__isnull=True, addon__isnull=True).count() == 60


def test_issued_invoice_is_immutable(organisation, usage):
    invoice = issue(organisation)
    invoice.total = Decimal("1.00")
    with pytest.raises(ValidationError, match="cannot be changed"):
        invoice.save()
    with pytest.raises(ValidationError):
        Invoice.objects.filter(pk=invoice.pk).update(total=Decimal("1.00"))
    with pytest.raises(ValidationError):
        Invoice.objects.get(pk=invoice.pk).delete()
    with pytest.raises(ValidationError):
        Invoice.objects.filter(pk=invoice.pk).delete()
    line = invoice.lines.first()
    line.amount = Decimal(0)
    with pytest.raises(ValidationError):
        line.save()
    with pytest.raises(ValidationError):
        line.delete()
    stored = Invoice.objects.get(pk=invoice.pk)
    assert stored.total == Decimal("79.39")
    assert stored.lines.count() == 2
    # The payment status is the one thing that moves.
    stored.status = Invoice.Status.PAID
    stored.save(update_fields=["status"])
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID


def test_a_correction_is_a_credit_note_referencing_the_invoice(organisation, usage, member):
    admin = member(ADMIN)
    invoice = issue(organisation)
    partial = services.credit_note_issue(
        actor=admin, invoice=invoice, reason="Outage on 3 November", amount=Decimal(10)
    )
    assert partial.kind == Invoice.Kind.CREDIT_NOTE
    assert partial.number == "CN2026-00001"
    assert partial.credited_invoice == invoice
    assert (partial.net_total, partial.vat_total, partial.total) == (Decimal(-10), Decimal(-2), Decimal(-12))
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PENDING and invoice.total == Decimal("79.39")
    rest = services.credit_note_issue(actor=admin, invoice=invoice, reason="Goodwill")
    assert rest.net_total == Decimal("-56.16")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.CANCELED
    with pytest.raises(ValidationError):
        services.credit_note_issue(actor=admin, invoice=invoice, reason="Again")
    assert Activity.objects.filter(verb="billing.credit_note_issued").count() == 2


def test_issued_invoice_is_emailed_with_its_pdf_to_admins_and_accountants(
    organisation, usage, member, mailoutbox, django_capture_on_commit_callbacks
):
    admin, accountant = member(ADMIN), member(ACCOUNTING)
    member(MANAGER), member(DEVELOPER)
    BillingProfileFactory(organisation=organisation, billing_email="books@acme.example")
    with django_capture_on_commit_callbacks(execute=True):
        invoice = issue(organisation)
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert sorted(message.bcc) == sorted([admin.email, accountant.email, "books@acme.example"])
    assert invoice.number in message.subject
    assert "€79.39" in message.body
    ((name, content, mimetype),) = message.attachments
    assert (name, mimetype) == ("2026-00001.pdf", "application/pdf")
    assert content.startswith(b"%PDF")


def test_issuing_writes_an_activity_entry(organisation, usage):
    invoice = issue(organisation)
    entry = Activity.objects.get(verb="billing.invoice_issued")
    assert entry.organisation == organisation and entry.target_id == str(invoice.pk)


# Payments


def test_pay_with_the_default_card(organisation, usage, member):
    admin = member(ADMIN)
    CardFactory(organisation=organisation)
    invoice = issue(organisation)
    payment = services.invoice_pay(actor=admin, invoice=invoice)
    assert payment.status == Payment.Status.SUCCEEDED and payment.amount == Decimal("79.39")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.paid_at is not None
    assert Activity.objects.filter(verb="billing.invoice_paid").exists()
    with pytest.raises(ValidationError):
        services.invoice_pay(actor=admin, invoice=invoice)


def test_a_declined_card_leaves_the_invoice_pending(organisation, usage, member):
    admin = member(ADMIN)
    CardFactory(organisation=organisation, card_last4="0002")
    invoice = issue(organisation)
    payment = services.invoice_pay(actor=admin, invoice=invoice)
    assert payment.status == Payment.Status.FAILED and payment.failure_reason
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PENDING
    assert Activity.objects.filter(verb="billing.payment_failed").exists()


def test_sepa_debit_is_processing(organisation, usage, member):
    admin = member(ADMIN)
    services.payment_method_add_sepa(
        actor=admin, organisation=organisation, holder_name="Acme", iban="FR76 3000 6000 0112 3456 7890 189"
    )
    invoice = issue(organisation)
    services.invoice_pay(actor=admin, invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PROCESSING


def test_paying_without_a_payment_method_is_refused(organisation, usage, member):
    invoice = issue(organisation)
    with pytest.raises(ValidationError, match="payment method"):
        services.invoice_pay(actor=member(ADMIN), invoice=invoice)
    assert not Payment.objects.exists()


def test_bank_transfer_recorded_by_staff_pays_once_covered(organisation, usage):
    from tests.accounts.factories import UserFactory

    staff = UserFactory(is_staff=True)
    invoice = issue(organisation)
    services.payment_record_bank_transfer(actor=staff, invoice=invoice, amount=Decimal("50"), reference="VIR1")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PENDING
    services.payment_record_bank_transfer(actor=staff, invoice=invoice, amount=Decimal("29.39"), reference="VIR2")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID


# Payment methods and profile


def test_exactly_one_default_payment_method(organisation, member):
    admin = member(ADMIN)
    card = services.payment_method_add_card(
        actor=admin, organisation=organisation, brand="visa", last4="4242", exp_month=1, exp_year=2099
    )
    sepa = services.payment_method_add_sepa(
        actor=admin, organisation=organisation, holder_name="Acme", iban="DE89370400440532013000"
    )
    assert card.is_default and not sepa.is_default
    assert sepa.iban_masked == "DE89 •••• 3000"
    services.payment_method_set_default(actor=admin, payment_method=sepa)
    assert list(PaymentMethod.objects.filter(is_default=True)) == [sepa]
    services.payment_method_remove(actor=admin, payment_method=sepa)
    assert list(PaymentMethod.objects.filter(is_default=True)) == [card]
    verbs = set(Activity.objects.values_list("verb", flat=True))
    assert {"billing.payment_method_added", "billing.payment_method_default", "billing.payment_method_removed"} <= verbs


def test_removing_the_default_skips_a_card_that_expired_last_month(organisation, member, time_machine):
    """Now December 2026: a card expiring 11/2026 has expired, one expiring 12/2026 is valid to the month's end."""
    time_machine.move_to("2026-12-01 00:30 +01:00")
    admin = member(ADMIN)
    sepa = PaymentMethod.objects.create(
        organisation=organisation, kind=PaymentMethod.Kind.SEPA_DEBIT, iban_masked="DE89 •••• 3000"
    )
    valid = CardFactory(organisation=organisation, is_default=False, card_exp_month=12, card_exp_year=2026)
    expired = CardFactory(organisation=organisation, is_default=False, card_exp_month=11, card_exp_year=2026)
    default = CardFactory(organisation=organisation, card_last4="4242")
    assert expired.is_expired() and not valid.is_expired()

    services.payment_method_remove(actor=admin, payment_method=default)
    assert list(PaymentMethod.objects.filter(is_default=True)) == [valid]  # the newest valid one, not ``expired``
    services.payment_method_remove(actor=admin, payment_method=valid)
    assert list(PaymentMethod.objects.filter(is_default=True)) == [sepa]
    time_machine.move_to("2026-11-30 23:30 +01:00")  # still November: 11/2026 is valid to the end of the day
    services.payment_method_remove(actor=admin, payment_method=sepa)
    assert list(PaymentMethod.objects.filter(is_default=True)) == [expired]


def test_removing_a_payment_method_twice_is_refused_and_logged_once(organisation, member):
    admin = member(ADMIN)
    card = CardFactory(organisation=organisation)
    stale = PaymentMethod.objects.get(pk=card.pk)
    services.payment_method_remove(actor=admin, payment_method=card)
    with pytest.raises(ValidationError, match="already been removed"):
        services.payment_method_remove(actor=admin, payment_method=stale)
    with pytest.raises(ValidationError, match="already been removed"):
        services.payment_method_set_default(actor=admin, payment_method=stale)
    assert Activity.objects.filter(verb="billing.payment_method_removed").count() == 1


def test_profile_update_validates_the_vat_number_and_records_activity(organisation, member):
    admin = member(ADMIN)
    values = {
        "customer_type": "business",
        "company_name": "Acme GmbH",
        "billing_email": "",
        "address_line1": "",
        "address_line2": "",
        "postal_code": "",
        "city": "Berlin",
        "country": "DE",
    }
    with pytest.raises(ValidationError):
        services.billing_profile_update(actor=admin, organisation=organisation, vat_number="DE136695977", **values)
    assert not BillingProfile.objects.exists()
    profile = services.billing_profile_update(
        actor=admin, organisation=organisation, vat_number="de 136 695 976", **values
    )
    assert profile.vat_number == "DE136695976"
    assert profile.vat_state == "valid"
    assert Activity.objects.filter(verb="billing.profile_updated").count() == 1


def test_deleting_the_organisation_keeps_its_invoices(organisation, usage, member):
    from organisations import services as organisation_services

    admin = member(ADMIN)
    Credit.objects.create(organisation=organisation, kind="free", label="Welcome", amount=5, remaining=5)
    CardFactory(organisation=organisation)
    BillingProfileFactory(organisation=organisation)
    invoice = issue(organisation)
    services.invoice_pay(actor=admin, invoice=invoice)
    services.credit_note_issue(actor=admin, invoice=invoice, reason="Goodwill", amount=Decimal(1))
    organisation_services.organisation_delete(actor=admin, organisation=organisation, confirm_name=organisation.name)
    kept = Invoice.objects.get(pk=invoice.pk)
    assert kept.organisation == organisation and kept.organisation.is_deleted
    assert (kept.number, kept.buyer_name, kept.total) == (invoice.number, "Acme Web Agency SAS", invoice.total)
    assert Invoice.objects.filter(organisation=organisation).count() == 2 and Payment.objects.count() == 1
    assert UsageRecord.objects.filter(organisation=organisation).count() == 60  # what the invoice was computed from
    assert not PaymentMethod.objects.exists()


# The monthly roll-up of usage (UsageMonth): the exact sum of the usage rows, written with them.


def _roll_up() -> list[tuple]:
    return sorted(
        UsageMonth.objects.values_list(
            "organisation_id",
            "month",
            "service_key",
            "unit_price",
            "flavor_id",
            "plan_id",
            "kind",
            "service_name",
            "quantity",
        )
    )


def _from_rows() -> list[tuple]:
    """The roll-up computed from the usage rows, with the grouped query the rebuild uses."""
    return sorted(
        (
            row["organisation_id"],
            row["month"] if isinstance(row["month"], date) else date.fromisoformat(row["month"]),
            row["service_key"],
            row["unit_price"],
            row["flavor_id"],
            row["plan_id"],
            row["kind"],
            row["service_name"],
            row["quantity"],
        )
        for row in services.usage_months_source(start=date(2000, 1, 1), end=date(2100, 1, 1))
    )


def _record_history(organisation):
    """Usage over three months, several recordings, a rescale, a price change, a rename and another organisation."""
    app = ApplicationFactory(organisation=organisation, name="api")
    addon = AddonFactory(organisation=organisation, name="db")
    services.usage_record(
        rows=[services.usage_row(service=app, day=date(2026, 9, day), quantity=Decimal("23.5")) for day in (1, 2, 3)]
    )
    usage_of(app, date(2026, 10, 30), 24)
    usage_of(app, date(2026, 10, 31), 24, unit_price="0.041")  # a new price: a line of its own
    app.flavor = Flavor.objects.get(code="s")
    app.save()
    usage_of(app, date(2026, 10, 31), 12)  # rescaled the same day: another flavor, another line
    for day in range(1, 11):
        usage_of(addon, date(2026, 11, day), 24)
    app.name = "api-v2"
    app.save()
    usage_of(app, date(2026, 11, 2), 7)
    other = ApplicationFactory(name="elsewhere")
    usage_of(other, date(2026, 10, 2), 1000)
    return app, addon


def test_the_roll_up_is_the_sum_of_the_usage_rows_after_several_recordings(organisation):
    _record_history(organisation)
    rolled = _roll_up()
    assert rolled == _from_rows()
    assert len(rolled) == 7  # a month, a price, a flavor or plan: a row
    september = UsageMonth.objects.get(organisation=organisation, month=date(2026, 9, 1))
    assert september.quantity == Decimal("70.50") and september.amount == Decimal("2.75")  # 70.5 x 0.039 = 2.7495


def test_a_failed_recording_adds_nothing_to_the_roll_up(organisation):
    app = ApplicationFactory(organisation=organisation, name="api")
    usage_of(app, date(2026, 11, 2), 24)
    before = _roll_up()
    rows = [services.usage_row(service=app, day=date(2026, 11, day), quantity=Decimal(24)) for day in (3, 2)]
    with pytest.raises(IntegrityError), transaction.atomic():
        services.usage_record(rows=rows)  # day 2 is recorded already: the whole recording is refused
    assert _roll_up() == before == _from_rows()


def test_a_rebuild_changes_nothing_and_repairs_a_month(organisation):
    _record_history(organisation)
    rolled = _roll_up()
    assert services.usage_months_rebuild(month=date(2026, 10, 15)) == 4
    assert _roll_up() == rolled
    UsageMonth.objects.filter(month=date(2026, 11, 1)).update(quantity=Decimal(1))
    UsageMonth.objects.filter(month=date(2026, 9, 1)).delete()
    call_command("rebuild_usage_months", stdout=StringIO())
    assert _roll_up() == rolled
    call_command("rebuild_usage_months", "--month", "2026-11", stdout=StringIO())
    assert _roll_up() == rolled
    with pytest.raises(CommandError):
        call_command("rebuild_usage_months", "--month", "2026-13")


def test_the_migration_fills_the_roll_up_from_the_usage_recorded_before_it(organisation):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps

    _record_history(organisation)
    rolled = _roll_up()
    UsageMonth.objects.all().delete()
    # What the migration is handed of its schema editor (SQLite opens none inside a test's transaction).
    schema_editor = SimpleNamespace(
        connection=connection, execute=lambda sql, params: connection.cursor().execute(sql, params)
    )
    importlib.import_module("billing.migrations.0007_usage_months").fill_usage_months(apps, schema_editor)
    assert _roll_up() == rolled


def test_a_months_invoice_and_its_roll_up_agree_to_the_cent(organisation):
    app, _addon = _record_history(organisation)
    usage_of(app, date(2026, 10, 3), 3, unit_price="0.155")  # 0.465: a half cent, rounded up on both sides
    for month in (date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)):
        invoice = services.invoice_issue(organisation=organisation, month=month, issued_on=date(2026, 12, 1))
        rolled = UsageMonth.objects.filter(organisation=organisation, month=month)
        assert invoice.subtotal == sum(row.amount for row in rolled)
        assert sorted(line.amount for line in invoice.lines.all()) == sorted(row.amount for row in rolled)
        (consumed,) = selectors.consumption_by_month(
            organisation=organisation, start=month, end=selectors.next_month(month)
        )
        assert consumed.amount == invoice.subtotal
        by_service = selectors.consumption_by_service(
            organisation=organisation, start=month, end=selectors.next_month(month)
        )
        assert sum(service.amount for service in by_service) == invoice.subtotal


def test_usage_rows_are_only_added_through_the_recording_service(organisation):
    """Whatever bypassed ``usage_record`` would leave the roll-up wrong: a save, a change, a deletion are refused."""
    app = ApplicationFactory(organisation=organisation, name="api")
    usage_of(app, date(2026, 11, 2), 24)
    row = UsageRecord.objects.get()
    with pytest.raises(TypeError):
        services.usage_row(service=app, day=date(2026, 11, 3), quantity=Decimal(24)).save()
    with pytest.raises(TypeError):
        row.save()
    with pytest.raises(TypeError):
        row.delete()
    with pytest.raises(TypeError):
        UsageRecord.objects.filter(pk=row.pk).update(quantity=Decimal(1))
    with pytest.raises(TypeError):
        UsageRecord.objects.all().delete()
    assert _roll_up() == _from_rows()


def test_the_roll_up_adds_the_quantities_as_the_rows_store_them(organisation):
    app = ApplicationFactory(organisation=organisation, name="api")
    rows = [services.usage_row(service=app, day=date(2026, 11, day), quantity=Decimal(1)) for day in (1, 2)]
    for row in rows:
        row.quantity, row.unit_price = Decimal("0.005"), Decimal("0.0390004")  # finer than the columns
    services.usage_record(rows=rows)
    assert _roll_up() == _from_rows()
    assert UsageMonth.objects.get().quantity == Decimal("0.02")
