"""The monthly run at scale: emails from a background task, invoices issued in batches with gapless numbers and a
query count that does not grow with the number of organisations."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from billing import services
from billing.models import Credit, CreditApplication, Invoice, InvoiceLine, InvoiceSequence
from organisations.models import Activity

from .factories import AddonFactory, ApplicationFactory, usage_of

pytestmark = pytest.mark.django_db

NOVEMBER = date(2026, 11, 1)
ISSUED = date(2026, 12, 1)
DUMMY = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def bill(count: int) -> list:
    """``count`` organisations, each with an application and an add-on used on two days of November."""
    organisations = []
    for _index in range(count):
        app = ApplicationFactory()
        addon = AddonFactory(organisation=app.organisation)
        for day in (3, 4):
            usage_of(app, date(2026, 11, day), 24)
            usage_of(addon, date(2026, 11, day), 24)
        organisations.append(app.organisation)
    return organisations


def run_month() -> services.IssueReport:
    return services.invoices_issue_month(month=NOVEMBER, issued_on=ISSUED)


def test_batches_give_gapless_numbers_in_organisation_order(monkeypatch):
    monkeypatch.setattr(services, "ISSUE_BATCH", 2)
    organisations = bill(5)
    report = run_month()
    assert [invoice.number for invoice in report.issued] == [f"2026-{n:05d}" for n in range(1, 6)]
    assert [invoice.organisation_id for invoice in report.issued] == sorted(o.pk for o in organisations)
    assert InvoiceSequence.objects.get(series="", year=2026).last_number == 5
    assert InvoiceLine.objects.filter(kind=InvoiceLine.Kind.APPLICATION).count() == 5
    assert InvoiceLine.objects.filter(kind=InvoiceLine.Kind.ADDON).count() == 5
    assert set(InvoiceLine.objects.values_list("position", flat=True)) == {1, 2}
    assert Activity.objects.filter(verb="billing.invoice_issued").count() == 5
    entry = Activity.objects.get(verb="billing.invoice_issued", target_id=str(report.issued[0].pk))
    assert entry.organisation_id == report.issued[0].organisation_id and entry.after["number"] == "2026-00001"
    rerun = run_month()
    assert rerun.issued == [] and rerun.skipped == 5
    assert InvoiceSequence.objects.get(series="", year=2026).last_number == 5


def test_a_run_continues_the_year_s_numbers_after_a_single_issue():
    first, *_others = bill(3)
    single = services.invoice_issue(organisation=first, month=NOVEMBER, issued_on=ISSUED, notify=False)
    assert single.number == "2026-00001"
    report = run_month()
    assert [invoice.number for invoice in report.issued] == ["2026-00002", "2026-00003"]
    assert report.skipped == 1


def test_credits_are_consumed_per_organisation_in_a_batch():
    rich, poor = bill(2)
    welcome = Credit.objects.create(organisation=rich, kind="free", label="Welcome", amount=1000, remaining=1000)
    small = Credit.objects.create(
        organisation=poor, kind="free", label="Small", amount=Decimal("0.50"), remaining=Decimal("0.50")
    )
    report = run_month()
    by_organisation = {invoice.organisation_id: invoice for invoice in report.issued}
    rich_invoice, poor_invoice = by_organisation[rich.pk], by_organisation[poor.pk]
    assert rich_invoice.total == 0 and rich_invoice.status == Invoice.Status.PAID
    welcome.refresh_from_db()
    assert welcome.remaining == 1000 - rich_invoice.subtotal
    small.refresh_from_db()
    assert small.remaining == 0 and poor_invoice.credits_total == Decimal("0.50")
    assert CreditApplication.objects.get(credit=small).invoice == poor_invoice
    assert poor_invoice.lines.get(kind=InvoiceLine.Kind.CREDIT).amount == Decimal("-0.50")


@pytest.mark.parametrize("count", [2, 8])
def test_the_run_s_queries_do_not_grow_with_the_organisations(count):
    bill(count)
    with CaptureQueriesContext(connection) as queries:
        report = run_month()
    assert len(report.issued) == count
    # The count of invoiced, the grouped usage of the batch (one query), then one transaction: the sequence
    # (insert-or-ignore, lock, update), the invoiced check, organisations, profiles, credits, and the inserts of
    # invoices, lines and activity entries: a fixed number, whatever the number of organisations.
    assert len(queries) == 14, [query["sql"][:60] for query in queries.captured_queries]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PgBouncer pools PostgreSQL connections")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("server_side_cursors", [True, False], ids=["server-side-cursors", "disabled"])
def test_month_runs_at_once_through_pgbouncer_in_transaction_mode_issue_each_invoice_once(
    monkeypatch, pgbouncer, server_side_cursors
):
    """Three runs at once, two organisations per batch, each batch's transaction on whichever server connection."""
    monkeypatch.setattr(services, "ISSUE_BATCH", 2)
    organisations = bill(7)
    barrier = threading.Barrier(3)
    errors = []

    def run():
        try:
            barrier.wait()
            run_month()
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    with pgbouncer.serving(server_side_cursors=server_side_cursors):
        threads = [threading.Thread(target=run) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    invoices = Invoice.objects.order_by("number")
    assert [invoice.number for invoice in invoices] == [f"2026-{n:05d}" for n in range(1, 8)]
    assert sorted(invoice.organisation_id for invoice in invoices) == sorted(o.pk for o in organisations)
    for invoice in invoices:  # each invoice bills its own organisation's usage: its application and its add-on
        lines = {line.kind: line.description for line in invoice.lines.all()}
        assert set(lines) == {InvoiceLine.Kind.APPLICATION, InvoiceLine.Kind.ADDON}
        assert invoice.organisation.applications.get().name in lines[InvoiceLine.Kind.APPLICATION]
