"""An invoice or credit note as a PDF (fpdf2), in the active language, with the legal mentions.

The DejaVu Sans font is bundled (billing/fonts, its licence beside it) so every European name and the euro sign
print the same on every server. The fonts are parsed once per process (``_font``); an issued invoice is immutable and
its PDF shows nothing that changes (no payment status), so the rendered bytes are cached per invoice and language
(``invoice_pdf_cached``).
"""

import copy
import functools
from io import BytesIO
from pathlib import Path

from django.core.cache import cache
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django_countries import countries
from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from fpdf.fonts import SubsetMap

from .models import Invoice, InvoiceLine
from .money import format_amount, format_quantity

FONT_DIR = Path(__file__).resolve().parent / "fonts"
GREY = (93, 102, 120)
INK = (29, 36, 51)
LINE = (221, 225, 234)


def _date(value) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def _unit_label(line: InvoiceLine) -> str:
    return {
        InvoiceLine.Kind.APPLICATION: _("instance-hours"),
        InvoiceLine.Kind.ADDON: _("hours"),
    }.get(line.kind, "")


def line_text(line: InvoiceLine) -> tuple[str, str]:
    """The description and detail of a line as printed (and shown on the invoice page)."""
    if line.kind == InvoiceLine.Kind.APPLICATION:
        return _("Application %(name)s") % {"name": line.description}, _("Flavor %(flavor)s") % {"flavor": line.detail}
    if line.kind == InvoiceLine.Kind.ADDON:
        return _("Add-on %(name)s") % {"name": line.description}, line.detail
    if line.kind == InvoiceLine.Kind.CREDIT:
        label = _("Free credit") if line.detail == "free" else _("Prepaid credit")
        return line.description, label
    return line.description, _("Correction of invoice %(number)s") % {"number": line.detail}


FONTS = {"dejavu": "DejaVuSans.ttf", "dejavuB": "DejaVuSans-Bold.ttf"}
# Bump when the layout or the wording of the PDF changes: cached PDFs of the old layout are then not served.
PDF_LAYOUT_VERSION = 1
PDF_CACHE_SECONDS = 60 * 60 * 24 * 7


@functools.cache
def _parsed_font(fontkey: str):
    """The font as fpdf2 parses it (glyph widths, character map): about 0.1 s, done once per process."""
    parser = FPDF()
    parser.add_font("DejaVu", fontkey.removeprefix("dejavu"), str(FONT_DIR / FONTS[fontkey]))
    return parser.fonts[fontkey], (FONT_DIR / FONTS[fontkey]).read_bytes()


def _font(fontkey: str, index: int):
    """A document's own copy of the parsed font: the parsed tables are shared, the subset of the glyphs used and
    the fontTools object (subset in place when the PDF is written) are the document's."""
    parsed, data = _parsed_font(fontkey)
    font = copy.copy(parsed)
    font.i = index
    font.ttfont = ttLib.TTFont(BytesIO(data), recalcTimestamp=False, lazy=True)
    font._hbfont = None
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    return font


class _InvoicePDF(FPDF):
    def __init__(self, invoice: Invoice):
        super().__init__(format="A4")
        self.invoice = invoice
        for fontkey in FONTS:
            self.fonts[fontkey] = _font(fontkey, len(self.fonts) + 1)
        self.set_auto_page_break(auto=True, margin=20)
        self.set_margins(18, 18, 18)
        self.set_title(invoice.number)
        self.set_author(invoice.seller.get("name", ""))
        self.set_creator("Organisations console")

    def footer(self):
        self.set_y(-15)
        self.set_font("DejaVu", "", 7)
        self.set_text_color(*GREY)
        seller = self.invoice.seller
        self.cell(
            0,
            4,
            f"{seller.get('name', '')} · {seller.get('registration', '')} · "
            + _("VAT number %(number)s") % {"number": seller.get("vat_number", "")}
            + f" · {self.page_no()}/{{nb}}",
            align="C",
        )


def _text(pdf: FPDF, text: str, size: float = 9, bold: bool = False, color=INK, height: float = 4.6, **kwargs):
    pdf.set_font("DejaVu", "B" if bold else "", size)
    pdf.set_text_color(*color)
    pdf.multi_cell(kwargs.pop("w", 0), height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, **kwargs)


def invoice_pdf(invoice: Invoice) -> bytes:
    """Render ``invoice`` (with its lines) as PDF bytes."""
    pdf = _InvoicePDF(invoice)
    pdf.alias_nb_pages()
    pdf.add_page()
    seller = invoice.seller
    title = _("Credit note") if invoice.is_credit_note else _("Invoice")

    # Seller (left) and document title (right)
    top = pdf.get_y()
    _text(pdf, seller.get("name", ""), size=13, bold=True, w=95)
    _text(pdf, seller.get("address", ""), w=95)
    _text(pdf, _("VAT number: %(number)s") % {"number": seller.get("vat_number", "")}, w=95)
    _text(pdf, seller.get("registration", ""), w=95, color=GREY)
    left_bottom = pdf.get_y()
    pdf.set_xy(120, top)
    _text(pdf, f"{title} {invoice.number}", size=14, bold=True, w=72, align="R")
    for label, value in (
        (_("Issued on"), _date(invoice.issued_on)),
        (_("Period"), f"{_date(invoice.period_start)} \u2013 {_date(invoice.period_end)}"),
        (_("Due on"), _date(invoice.due_on)),
    ):
        pdf.set_x(120)
        _text(pdf, _("%(label)s: %(value)s") % {"label": label, "value": value}, w=72, align="R")
    if invoice.credited_invoice_id:
        pdf.set_x(120)
        _text(pdf, _("Credits invoice %(number)s") % {"number": invoice.credited_invoice.number}, w=72, align="R")
    pdf.set_y(max(left_bottom, pdf.get_y()) + 8)

    # Buyer
    pdf.set_x(110)
    _text(pdf, _("Billed to"), size=8, color=GREY, w=82)
    pdf.set_x(110)
    _text(pdf, invoice.buyer_name, size=10, bold=True, w=82)
    address = invoice.buyer_address
    if invoice.buyer_country and not address.endswith(str(countries.name(invoice.buyer_country))):
        address = "\n".join(filter(None, [address, str(countries.name(invoice.buyer_country))]))
    if address:
        pdf.set_x(110)
        _text(pdf, address, w=82)
    if invoice.buyer_vat_number:
        pdf.set_x(110)
        _text(pdf, _("VAT number: %(number)s") % {"number": invoice.buyer_vat_number}, w=82)
    if invoice.buyer_email:
        pdf.set_x(110)
        _text(pdf, invoice.buyer_email, w=82, color=GREY)
    pdf.ln(6)
    if invoice.reason:
        _text(pdf, _("Reason: %(reason)s") % {"reason": invoice.reason})
        pdf.ln(2)

    # Lines
    widths = (78, 34, 30, 32)
    pdf.set_fill_color(245, 246, 250)
    pdf.set_draw_color(*LINE)
    pdf.set_font("DejaVu", "B", 8)
    pdf.set_text_color(*GREY)
    for width, head, align in zip(
        widths, (_("Service"), _("Quantity"), _("Unit price"), _("Amount")), ("L", "R", "R", "R"), strict=True
    ):
        pdf.cell(width, 7, head, border="B", align=align, fill=True)
    pdf.ln(7)
    for line in invoice.lines.all():
        description, detail = line_text(line)
        pdf.set_text_color(*INK)
        pdf.set_font("DejaVu", "", 8.5)
        text = f"{description}\n{detail}" if detail else description
        # A row that would not fit starts the next page; otherwise multi_cell breaks inside it and the row's
        # height, measured across two pages, pushes every following row onto a page of its own.
        rows = pdf.multi_cell(widths[0], 4.5, text, dry_run=True, output=MethodReturnValue.LINES)
        if pdf.will_page_break(4.5 * len(rows) + 1.5):
            pdf.add_page()
        y = pdf.get_y()
        pdf.multi_cell(widths[0], 4.5, text)
        height = pdf.get_y() - y
        pdf.set_xy(pdf.l_margin + widths[0], y)
        quantity = format_quantity(line.quantity)
        unit = _unit_label(line)
        pdf.cell(widths[1], 4.5, f"{quantity} {unit}".strip() if unit else quantity, align="R")
        if line.kind in {InvoiceLine.Kind.APPLICATION, InvoiceLine.Kind.ADDON}:
            unit_price = format_amount(line.unit_price, places=4)
        else:
            unit_price = format_amount(line.unit_price)
        pdf.cell(widths[2], 4.5, unit_price, align="R")
        pdf.cell(widths[3], 4.5, format_amount(line.amount), align="R")
        pdf.set_xy(pdf.l_margin, y + max(height, 4.5) + 1.5)
        pdf.line(pdf.l_margin, pdf.get_y() - 0.75, pdf.l_margin + sum(widths), pdf.get_y() - 0.75)

    # Totals and VAT breakdown
    pdf.ln(3)
    rows = [(_("Subtotal"), invoice.subtotal)]
    if invoice.credits_total:
        rows.append((_("Credits applied"), -invoice.credits_total))
    rows += [
        (_("Total excluding VAT"), invoice.net_total),
        (_("VAT %(rate)s %%") % {"rate": formats.number_format(invoice.vat_rate.normalize())}, invoice.vat_total),
    ]
    for label, value in rows:
        pdf.set_x(pdf.l_margin + widths[0] + widths[1] - 20)
        pdf.set_font("DejaVu", "", 9)
        pdf.set_text_color(*INK)
        pdf.cell(widths[2] + 20, 5.5, label, align="R")
        pdf.cell(widths[3], 5.5, format_amount(value), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_x(pdf.l_margin + widths[0] + widths[1] - 20)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(widths[2] + 20, 7, _("Total including VAT"), align="R")
    pdf.cell(widths[3], 7, format_amount(invoice.total), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.ln(4)
    _text(pdf, _("VAT breakdown"), size=9, bold=True)
    pdf.set_font("DejaVu", "", 8.5)
    for width, head in zip((50, 50, 50), (_("Rate"), _("Taxable amount"), _("VAT")), strict=True):
        pdf.cell(width, 5, head, border="B", align="R")
    pdf.ln(5)
    for width, value in zip(
        (50, 50, 50),
        (
            f"{formats.number_format(invoice.vat_rate.normalize())} %",
            format_amount(invoice.net_total),
            format_amount(invoice.vat_total),
        ),
        strict=True,
    ):
        pdf.cell(width, 5, value, align="R")
    pdf.ln(9)

    # Legal mentions and payment
    mentions = []
    if invoice.vat_mention:
        mentions.append(_(invoice.vat_mention))
    if not invoice.is_credit_note:
        mentions.append(
            _("Payment due by %(date)s. Bank transfer: IBAN %(iban)s, BIC %(bic)s, reference %(number)s.")
            % {
                "date": _date(invoice.due_on),
                "iban": seller.get("iban", ""),
                "bic": seller.get("bic", ""),
                "number": invoice.number,
            }
        )
        mentions.append(
            _(
                "Late payment: penalties at three times the legal interest rate and a fixed recovery fee of 40 € "
                "(Articles L441-10 and D441-5 of the French Commercial Code). No discount for early payment."
            )
        )
    for mention in mentions:
        _text(pdf, mention, size=8, color=GREY, height=4)
        pdf.ln(1)
    return bytes(pdf.output())


def invoice_pdf_cached(invoice: Invoice) -> bytes:
    """``invoice_pdf`` in the active language, rendered once per invoice and language (issued invoices never change,
    and the PDF shows no payment status); the key also names the invoice's number, creation time and the layout's
    version, so a restored or re-created database never meets another invoice's PDF."""
    key = (
        f"billing:invoice-pdf:{PDF_LAYOUT_VERSION}:{invoice.pk}:{invoice.number}:{invoice.created_at.timestamp()}:"
        f"{translation.get_language()}"
    )
    pdf = _recent_pdfs.get(key)
    if pdf is None:
        pdf = cache.get(key)
        if pdf is None:
            pdf = invoice_pdf(invoice)
            cache.set(key, pdf, PDF_CACHE_SECONDS)
        _recent_pdfs.put(key, pdf)
    return pdf


class _RecentPdfs:
    """The last PDFs served by this process, in front of the shared cache (a PDF never changes under its key; a
    large one is tens of kilobytes to fetch and unpickle). Bounded by their total size."""

    def __init__(self, max_bytes: int):
        self.max_bytes, self.size, self.pdfs = max_bytes, 0, {}

    def get(self, key: str) -> bytes | None:
        pdf = self.pdfs.pop(key, None)
        if pdf is not None:
            self.pdfs[key] = pdf  # the most recent last
        return pdf

    def clear(self) -> None:
        self.size, self.pdfs = 0, {}

    def put(self, key: str, pdf: bytes) -> None:
        if len(pdf) > self.max_bytes:
            return
        self.pdfs[key] = pdf
        self.size += len(pdf)
        while self.size > self.max_bytes:
            self.size -= len(self.pdfs.pop(next(iter(self.pdfs))))


_recent_pdfs = _RecentPdfs(max_bytes=8 * 1024 * 1024)
