from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from billing import services
from billing.models import Credit, Invoice, Payment
from organisations.models import Activity
from tests.accounts.factories import UserFactory

from .factories import ApplicationFactory, CardFactory, usage_of


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def invoice(organisation):
    app = ApplicationFactory(organisation=organisation, name="shop-front")
    for day in range(1, 31):
        usage_of(app, date(2026, 11, day), 24)
    return services.invoice_issue(organisation=organisation, month=date(2026, 11, 1), issued_on=date(2026, 12, 1))


@pytest.mark.parametrize(
    "model", ["invoice", "payment", "usagerecord", "credit", "flavor", "addonplan", "billingprofile", "paymentmethod"]
)
def test_billing_admin_lists(staff_client, invoice, model):
    CardFactory(organisation=invoice.organisation)
    assert staff_client.get(reverse(f"admin:billing_{model}_changelist")).status_code == 200


def test_an_issued_invoice_is_read_only_in_the_admin(staff_client, invoice):
    url = reverse("admin:billing_invoice_change", args=[invoice.pk])
    page = staff_client.get(url).content.decode()
    assert invoice.number in page
    assert 'name="total"' not in page and 'name="number"' not in page
    assert reverse("admin:billing_invoice_credit_note", args=[invoice.pk]) in page
    response = staff_client.post(url, {"total": "1.00", "number": "HACKED", "status": "PAID"})
    assert response.status_code == 403
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.number, stored.total, stored.status) == (invoice.number, Decimal("33.70"), Invoice.Status.PENDING)
    assert staff_client.get(reverse("admin:billing_invoice_add")).status_code == 403
    assert (
        staff_client.post(reverse("admin:billing_invoice_delete", args=[invoice.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert Invoice.objects.filter(pk=invoice.pk).exists()


def test_staff_issue_a_credit_note_from_the_admin(staff_client, invoice):
    url = reverse("admin:billing_invoice_credit_note", args=[invoice.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"reason": "Outage", "amount": "5"})
    assert response.status_code == 302
    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert note.credited_invoice == invoice and note.total == Decimal("-6.00")
    response = staff_client.post(url, {"reason": "Too much", "amount": "1000"})
    assert response.status_code == 200 and "A credit note is between" in response.content.decode()
    assert Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).count() == 1


def test_staff_record_a_bank_transfer(staff_client, invoice):
    url = reverse("admin:billing_invoice_bank_transfer", args=[invoice.pk])
    response = staff_client.post(url, {"amount": "33.70", "reference": "VIR-123"})
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.method, payment.amount, payment.reference) == ("bank_transfer", Decimal("33.70"), "VIR-123")
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID
    assert Activity.objects.filter(verb="billing.bank_transfer_recorded").exists()


def test_status_actions_go_through_the_service(staff_client, invoice):
    staff_client.post(
        reverse("admin:billing_invoice_changelist"), {"action": "mark_wont_pay", "_selected_action": [invoice.pk]}
    )
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.WONTPAY
    assert Activity.objects.filter(verb="billing.invoice_status_changed").exists()


def test_staff_grant_credit(staff_client, organisation):
    response = staff_client.post(
        reverse("admin:billing_credit_add"),
        {"organisation": organisation.pk, "kind": "free", "label": "Sorry", "amount": "15", "expires_on": ""},
    )
    assert response.status_code == 302
    credit = Credit.objects.get()
    assert credit.remaining == Decimal(15)
    assert Activity.objects.filter(verb="billing.credit_granted", organisation=organisation).exists()


def test_demo_seed_is_idempotent(organisation):
    from billing import demo
    from billing.models import UsageRecord

    demo.seed(organisation)
    counts = (UsageRecord.objects.count(), Invoice.objects.count(), Payment.objects.count())
    assert counts[0] > 365 and counts[1] >= 12
    demo.seed(organisation)
    assert (UsageRecord.objects.count(), Invoice.objects.count(), Payment.objects.count()) == counts
    assert Invoice.objects.filter(status=Invoice.Status.PENDING).count() == 1
