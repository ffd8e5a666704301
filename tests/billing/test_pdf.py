import io
from datetime import date

import pytest
from django.utils import translation
from pypdf import PdfReader

from billing import services
from billing.pdf import invoice_pdf

from .factories import AddonFactory, ApplicationFactory, BillingProfileFactory, usage_of


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def invoice(organisation):
    BillingProfileFactory(organisation=organisation, country="DE", vat_number="DE136695976", company_name="Acme GmbH")
    app = ApplicationFactory(organisation=organisation, name="shop-front")
    addon = AddonFactory(organisation=organisation, name="shop-db")
    for day in range(1, 31):
        usage_of(app, date(2026, 11, day), 48)
        usage_of(addon, date(2026, 11, day), 24)
    return services.invoice_issue(organisation=organisation, month=date(2026, 11, 1), issued_on=date(2026, 12, 1))


def test_the_pdf_opens_and_holds_number_totals_and_vat_numbers(invoice):
    data = invoice_pdf(invoice)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert invoice.number in text
    assert "€66.16" in text  # total; reverse charge: no VAT
    assert "DE136695976" in text  # buyer
    assert "FR40303265045" in text  # seller
    assert "Acme GmbH" in text
    assert "shop-front" in text and "shop-db" in text
    assert "Article 196 of Directive 2006/112/EC" in text
    assert "Due on" in text


def test_the_pdf_in_french_formats_amounts_the_french_way(invoice):
    with translation.override("fr"):
        text = pdf_text(invoice_pdf(invoice))
    assert "66,16\u00a0€" in text or "66,16 €" in text


def test_a_credit_note_pdf_names_the_invoice(invoice, member):
    note = services.credit_note_issue(actor=member("ADMIN"), invoice=invoice, reason="Outage")
    text = pdf_text(invoice_pdf(note))
    assert note.number in text and invoice.number in text
    assert "-€66.16" in text


def test_an_invoice_of_many_lines_fills_its_pages(organisation):
    """120 lines take a few pages, each row on the page it starts on (not one page per row after the first)."""
    BillingProfileFactory(organisation=organisation)
    for index in range(120):
        app = ApplicationFactory(organisation=organisation, name=f"app-{index:03d}")
        usage_of(app, date(2026, 11, 2), 24)
    invoice = services.invoice_issue(organisation=organisation, month=date(2026, 11, 1), issued_on=date(2026, 12, 1))
    reader = PdfReader(io.BytesIO(invoice_pdf(invoice)))
    assert 3 <= len(reader.pages) <= 6
    text = pdf_text(invoice_pdf(invoice))
    assert "app-000" in text and "app-119" in text and invoice.number in text
