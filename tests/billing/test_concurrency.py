"""Gapless invoice numbers when several issuers run at once (PostgreSQL row locks, real threads)."""

import threading
from datetime import date

import pytest
from django.db import connection, connections

from billing import services
from billing.models import Invoice
from tests.organisations.factories import OrganisationFactory

from .factories import ApplicationFactory, usage_of

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the price list is written again by tests/conftest.py
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

NOVEMBER = date(2026, 11, 1)


def test_concurrent_issuing_gives_gapless_numbers_and_one_invoice_per_organisation():
    organisations = []
    for index in range(8):
        organisation = OrganisationFactory()
        usage_of(ApplicationFactory(organisation=organisation, name=f"app-{index}"), date(2026, 11, 2), 24)
        organisations.append(organisation)
    # Every organisation is issued by two threads at once: one wins, the other finds the invoice already there.
    jobs = organisations * 2
    barrier = threading.Barrier(len(jobs))
    errors = []

    def run(organisation):
        try:
            barrier.wait()
            services.invoice_issue(organisation=organisation, month=NOVEMBER, issued_on=date(2026, 12, 1))
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(organisation,)) for organisation in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"2026-{n:05d}" for n in range(1, len(organisations) + 1)]
    assert Invoice.objects.values("organisation").distinct().count() == len(organisations)


def test_concurrent_month_runs_issue_each_invoice_once():
    for index in range(5):
        organisation = OrganisationFactory()
        usage_of(ApplicationFactory(organisation=organisation, name=f"app-{index}"), date(2026, 11, 2), 24)
    barrier = threading.Barrier(3)
    errors = []

    def run():
        try:
            barrier.wait()
            services.invoices_issue_month(month=NOVEMBER, issued_on=date(2026, 12, 1))
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [f"2026-{n:05d}" for n in range(1, 6)]


def test_concurrent_removals_of_one_payment_method_remove_it_once_and_log_it_once():
    from django.core.exceptions import ValidationError

    from billing.models import PaymentMethod
    from organisations.models import Activity
    from tests.accounts.factories import UserFactory

    from .factories import CardFactory

    organisation = OrganisationFactory()
    admin = UserFactory()
    card = CardFactory(organisation=organisation)
    CardFactory(organisation=organisation, card_last4="1111", is_default=False)
    barrier = threading.Barrier(2)
    refused, errors = [], []

    def run():
        method = PaymentMethod.objects.get(pk=card.pk)  # each request read the row before either removed it
        try:
            barrier.wait()
            services.payment_method_remove(actor=admin, payment_method=method)
        except ValidationError as error:
            refused.append(error)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [error.messages for error in refused] == [["This payment method has already been removed."]]
    assert Activity.objects.filter(organisation=organisation, verb="billing.payment_method_removed").count() == 1
    assert PaymentMethod.objects.filter(organisation=organisation, is_default=True).count() == 1


def test_concurrent_recordings_and_rebuilds_keep_the_roll_up_the_sum_of_the_usage_rows():
    """Recordings of one service's month race (the roll-up's row is created by one, added to by the others) with
    rebuilds of that month: every quantity is counted once."""
    import time
    from decimal import Decimal

    from django.db import transaction
    from django.db.models import Sum

    from billing.models import UsageMonth, UsageRecord

    organisation = OrganisationFactory()
    app = ApplicationFactory(organisation=organisation, name="api")
    recorders, rounds = 6, 3
    barrier = threading.Barrier(recorders + 1)
    errors = []

    def record(index):
        try:
            barrier.wait()
            for step in range(rounds):
                day = 1 + index * rounds + step
                rows = [
                    services.usage_row(service=app, day=date(2026, 11, day), quantity=Decimal("1.25")),
                    services.usage_row(service=app, day=date(2026, 10, day), quantity=Decimal(2)),
                ]
                with transaction.atomic():
                    services.usage_record(rows=rows)
                    time.sleep(0.02)  # committed late: the others queue on the roll-up's rows meanwhile
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    def rebuild():
        try:
            barrier.wait()
            for _step in range(rounds):
                services.usage_months_rebuild(month=date(2026, 11, 1))
                time.sleep(0.01)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=record, args=(index,)) for index in range(recorders)]
    threads.append(threading.Thread(target=rebuild))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert UsageRecord.objects.count() == 2 * recorders * rounds
    for month, quantity in [(date(2026, 11, 1), Decimal("22.50")), (date(2026, 10, 1), Decimal(36))]:
        rolled = UsageMonth.objects.get(organisation=organisation, month=month)
        assert rolled.quantity == quantity
        assert UsageRecord.objects.filter(day__month=month.month).aggregate(total=Sum("quantity"))["total"] == quantity
