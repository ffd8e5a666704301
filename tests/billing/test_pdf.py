import io
from datetime import date

import pytest
from django.utils import translation
from pypdf import PdfReader

from billing import services
from billing.models import Invoice
from billing.pdf import invoice_pdf, invoice_pdf_cached
from organisations.roles import ADMIN

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


def test_the_fonts_are_parsed_once_and_every_document_gets_its_own_subset(invoice):
    from billing.pdf import _parsed_font

    first = invoice_pdf(invoice)
    misses = _parsed_font.cache_info().misses
    second = invoice_pdf(invoice)
    assert _parsed_font.cache_info().misses == misses  # the second document parsed nothing
    assert pdf_text(first) == pdf_text(second)
    with translation.override("fr"):
        assert invoice.number in pdf_text(invoice_pdf(invoice))


def test_the_pdf_is_cached_per_invoice_and_language(invoice, django_assert_num_queries):
    english = invoice_pdf_cached(invoice)
    with django_assert_num_queries(0):  # neither the lines nor anything else are read again
        assert invoice_pdf_cached(invoice) == english
    with translation.override("fr"):
        french = invoice_pdf_cached(invoice)
    assert french != english
    assert "Application shop-front" in pdf_text(english)


def test_the_pdf_shows_no_status_so_a_payment_keeps_the_cached_one_right(invoice, member):
    before = pdf_text(invoice_pdf(invoice))
    assert "Pending" not in before and "Paid" not in before
    cached = invoice_pdf_cached(invoice)
    services.invoice_set_status(actor=member(ADMIN), invoice=invoice, status=Invoice.Status.PAID)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert pdf_text(invoice_pdf(invoice)) == before
    assert invoice_pdf_cached(invoice) == cached


@pytest.mark.parametrize("services", [1, 60])
def test_the_pdf_view_s_queries_do_not_grow_with_the_lines(user_as, organisation, services, django_assert_num_queries):
    """Cold (rendered: the lines are read) and warm (cached), the same counts with 2 or 120 lines."""
    from django.urls import reverse

    for number in range(services):
        app = ApplicationFactory(organisation=organisation, name=f"app-{number}")
        addon = AddonFactory(organisation=organisation, name=f"db-{number}")
        usage_of(app, date(2026, 11, 3), 24)
        usage_of(addon, date(2026, 11, 3), 24)
    invoice = services_issue(organisation)
    assert invoice.lines.count() == 2 * services
    client, _user = user_as(ADMIN)
    url = reverse("billing:invoice_pdf", args=[organisation.slug, invoice.pk])
    client.get(reverse("billing:invoices", args=[organisation.slug]))  # the session is warm
    with django_assert_num_queries(PDF_QUERIES_COLD):
        assert client.get(url).content.startswith(b"%PDF")
    with django_assert_num_queries(PDF_QUERIES_WARM):
        assert client.get(url).content.startswith(b"%PDF")


def services_issue(organisation):
    return services.invoice_issue(organisation=organisation, month=date(2026, 11, 1), issued_on=date(2026, 12, 1))


# session, user, memberships with the rights (one query), the invoice; the lines only when the PDF is rendered
PDF_QUERIES_WARM = 4
PDF_QUERIES_COLD = 5
