"""The billing section of an organisation: the Accountant's whole console."""

import csv
from datetime import date
from functools import cached_property

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView, TemplateView

from organisations.mixins import OrganisationMixin
from organisations.roles import Right
from organisations.views import Confirmation, ConfirmedActionView, apply_validation_error

from . import selectors, services
from .charts import month_bars
from .forms import BillingProfileForm, CardForm, ConsumptionMonthForm, InvoiceYearForm, SepaForm
from .models import Invoice, PaymentMethod
from .money import format_amount
from .pdf import invoice_pdf_cached, line_text

TABS = (
    ("invoices", "billing:invoices", gettext_lazy("Invoices")),
    ("consumption", "billing:consumption", gettext_lazy("Consumption")),
    ("payment_methods", "billing:payment_methods", gettext_lazy("Payment methods")),
    ("profile", "billing:profile", gettext_lazy("Billing details")),
)


class BillingMixin(OrganisationMixin):
    """A page of the billing section: its tabs and the payment-method banners."""

    required_right = Right.VIEW_BILLING
    tab = "invoices"

    def get_context_data(self, **kwargs):
        kwargs["tabs"] = [{"key": key, "url_name": url_name, "label": label} for key, url_name, label in TABS]
        kwargs["tab"] = self.tab
        kwargs["banner"] = selectors.payment_banner(organisation=self.organisation)
        return super().get_context_data(**kwargs)


class BillingActionMixin(OrganisationMixin):
    """A POST-only change of the billing section."""

    required_right = Right.MANAGE_BILLING
    http_method_names = ["post"]


def _year(request, years: list[int]) -> int:
    """The year asked for in the query string, else the latest year with invoices, else this one."""
    form = InvoiceYearForm(request.GET)
    if form.is_valid() and form.cleaned_data["year"]:
        return form.cleaned_data["year"]
    return years[0] if years else timezone.localdate().year


class InvoicesView(BillingMixin, TemplateView):
    """The invoices of a year, grouped Pending / Processing / Paid / other, with totals."""

    template_name = "billing/invoices.html"
    filter_form_class = InvoiceYearForm

    def get_context_data(self, **kwargs):
        years = selectors.invoice_years(organisation=self.organisation)
        year = _year(self.request, years)
        groups, year_total = selectors.invoices_by_group(organisation=self.organisation, year=year)
        kwargs.update(years=years, year=year, groups=groups, year_total=year_total)
        return super().get_context_data(**kwargs)


class InvoicesCsvView(OrganisationMixin, View):
    """A year's invoices and credit notes as a CSV file, for the accountant's books."""

    required_right = Right.VIEW_BILLING
    filter_form_class = InvoiceYearForm

    def get(self, request, *args, **kwargs):
        years = selectors.invoice_years(organisation=self.organisation)
        year = _year(request, years)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="invoices-{self.organisation.slug}-{year}.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                _("Number"),
                _("Type"),
                _("Issued on"),
                _("Period"),
                _("Due on"),
                _("Status"),
                _("Total excluding VAT"),
                _("VAT rate (%)"),
                _("VAT"),
                _("Total including VAT"),
                _("Currency"),
                _("Buyer VAT number"),
                _("Credited invoice"),
            ]
        )
        for invoice in selectors.invoices_for_year(organisation=self.organisation, year=year).select_related(
            "credited_invoice"
        ):
            writer.writerow(
                [
                    invoice.number,
                    invoice.get_kind_display(),
                    invoice.issued_on.isoformat(),
                    f"{invoice.period_start:%Y-%m}",
                    invoice.due_on.isoformat(),
                    invoice.get_status_display(),
                    invoice.net_total,
                    invoice.vat_rate,
                    invoice.vat_total,
                    invoice.total,
                    invoice.currency,
                    invoice.buyer_vat_number,
                    invoice.credited_invoice.number if invoice.credited_invoice else "",
                ]
            )
        return response


class InvoiceDetailView(BillingMixin, TemplateView):
    template_name = "billing/invoice_detail.html"

    def get_context_data(self, **kwargs):
        invoice = selectors.invoice_detail(organisation=self.organisation, invoice_id=self.kwargs["invoice_id"])
        kwargs["invoice"] = invoice
        kwargs["lines"] = [(line, *line_text(line)) for line in invoice.lines.all()]
        kwargs["default_method"] = (
            PaymentMethod.objects.filter(organisation=self.organisation, is_default=True).first()
            if invoice.is_payable
            else None
        )
        return super().get_context_data(**kwargs)


class InvoicePdfView(OrganisationMixin, View):
    required_right = Right.VIEW_BILLING

    def get(self, request, *args, **kwargs):
        # The lines are read only when the PDF is not cached yet.
        invoice = get_object_or_404(Invoice, organisation=self.organisation, pk=kwargs["invoice_id"])
        response = HttpResponse(invoice_pdf_cached(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{invoice.file_name}"'
        return response


class InvoicePayView(BillingActionMixin, View):
    def post(self, request, *args, **kwargs):
        invoice = get_object_or_404(Invoice, organisation=self.organisation, pk=kwargs["invoice_id"])
        try:
            payment = services.invoice_pay(actor=request.user, invoice=invoice)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            amount = format_amount(payment.amount)
            if payment.status == payment.Status.SUCCEEDED:
                messages.success(
                    request, _("Invoice %(number)s paid: %(amount)s.") % {"number": invoice.number, "amount": amount}
                )
            elif payment.status == payment.Status.PROCESSING:
                messages.success(
                    request,
                    _("The direct debit of %(amount)s for invoice %(number)s is on its way; it takes a few days.")
                    % {"number": invoice.number, "amount": amount},
                )
            else:
                messages.error(
                    request,
                    _("The payment was declined: %(reason)s Nothing was charged.") % {"reason": payment.failure_reason},
                )
        return redirect("billing:invoice", slug=self.organisation.slug, invoice_id=invoice.pk)


def _month(request, default: date) -> date:
    """The month asked for in the query string (``2026-03``), else ``default``."""
    form = ConsumptionMonthForm(request.GET)
    if form.is_valid() and form.cleaned_data["month"]:
        return form.cleaned_data["month"]
    return default


class ConsumptionView(BillingMixin, TemplateView):
    """What each application and add-on costs: the month to date (or a past month), the last 12 months' chart."""

    template_name = "billing/consumption.html"
    tab = "consumption"
    filter_form_class = ConsumptionMonthForm
    chart_months = 12

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        current = selectors.month_start(today)
        month = min(_month(self.request, current), current)
        chart_start = current
        for _step in range(self.chart_months - 1):
            chart_start = selectors.previous_month(chart_start)
        months = selectors.consumption_by_month(
            organisation=self.organisation, start=min(chart_start, month), end=selectors.next_month(current)
        )
        services_usage = selectors.consumption_by_service(
            organisation=self.organisation, start=month, end=selectors.next_month(month)
        )
        by_month = {entry.month: entry.amount for entry in months}
        kwargs.update(
            month=month,
            is_current=month == current,
            services=services_usage,
            month_total=sum((service.amount for service in services_usage), start=0),
            chart=month_bars([entry for entry in months if entry.month >= chart_start], current=month),
            past_months=[entry for entry in reversed(months) if current > entry.month >= chart_start],
            previous=selectors.previous_month(month),
            next=selectors.next_month(month) if month < current else None,
        )
        if month == current:
            kwargs["estimate"] = selectors.month_estimate(
                month_to_date=by_month.get(current, 0),
                today=today,
                last_month=by_month.get(selectors.previous_month(current), 0),
            )
        return super().get_context_data(**kwargs)


class PaymentMethodsView(BillingMixin, TemplateView):
    template_name = "billing/payment_methods.html"
    tab = "payment_methods"

    def get_context_data(self, **kwargs):
        kwargs["methods"] = selectors.payment_methods(organisation=self.organisation)
        kwargs["has_bank_transfer"] = any(m.kind == PaymentMethod.Kind.BANK_TRANSFER for m in kwargs["methods"])
        return super().get_context_data(**kwargs)


class _PaymentMethodFormView(BillingMixin, FormView):
    required_right = Right.MANAGE_BILLING
    tab = "payment_methods"

    def add(self, form):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            method = self.add(form)
        except ValidationError as error:
            apply_validation_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Payment method %(method)s added.") % {"method": method})
        return redirect("billing:payment_methods", slug=self.organisation.slug)


class CardAddView(_PaymentMethodFormView):
    template_name = "billing/card_form.html"
    form_class = CardForm

    def add(self, form):
        data = form.cleaned_data
        return services.payment_method_add_card(
            actor=self.request.user,
            organisation=self.organisation,
            brand=data["brand"],
            last4=data["last4"],
            exp_month=data["exp_month"],
            exp_year=data["exp_year"],
            holder_name=data["holder_name"],
        )


class SepaAddView(_PaymentMethodFormView):
    template_name = "billing/sepa_form.html"
    form_class = SepaForm

    def add(self, form):
        return services.payment_method_add_sepa(
            actor=self.request.user,
            organisation=self.organisation,
            holder_name=form.cleaned_data["holder_name"],
            iban=form.cleaned_data["iban"],
        )


class BankTransferAddView(BillingActionMixin, View):
    def post(self, request, *args, **kwargs):
        try:
            services.payment_method_add_bank_transfer(actor=request.user, organisation=self.organisation)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Bank transfer added to your payment methods."))
        return redirect("billing:payment_methods", slug=self.organisation.slug)


class PaymentMethodDefaultView(BillingActionMixin, View):
    def post(self, request, *args, **kwargs):
        method = get_object_or_404(PaymentMethod, organisation=self.organisation, pk=kwargs["method_id"])
        try:
            services.payment_method_set_default(actor=request.user, payment_method=method)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(method)s is now the default payment method.") % {"method": method})
        return redirect("billing:payment_methods", slug=self.organisation.slug)


class PaymentMethodRemoveView(OrganisationMixin, ConfirmedActionView):
    required_right = Right.MANAGE_BILLING

    @cached_property
    def method(self) -> PaymentMethod:
        return get_object_or_404(PaymentMethod, organisation=self.organisation, pk=self.kwargs["method_id"])

    def confirmation(self):
        consequences = [_("%(method)s will no longer be used to pay the invoices.") % {"method": self.method}]
        if self.method.is_default:
            successor = selectors.default_successor(organisation=self.organisation, excluding=self.method)
            if successor is None:
                consequences.append(
                    _("It is the default payment method and no other valid one is left: add one to pay the invoices.")
                )
            else:
                consequences.append(
                    _("It is the default payment method: %(method)s becomes the default.") % {"method": successor}
                )
        return Confirmation(
            title=_("Remove %(method)s?") % {"method": self.method},
            consequences=consequences,
            button=_("Remove the payment method"),
            cancel_url=self.get_success_url(),
        )

    def perform(self):
        label = str(self.method)
        services.payment_method_remove(actor=self.request.user, payment_method=self.method)
        return _("Payment method %(method)s removed.") % {"method": label}

    def get_success_url(self):
        return reverse("billing:payment_methods", kwargs={"slug": self.organisation.slug})


class ProfileView(BillingMixin, TemplateView):
    template_name = "billing/profile.html"
    tab = "profile"

    def get_context_data(self, **kwargs):
        kwargs["profile"] = selectors.billing_profile(organisation=self.organisation)
        return super().get_context_data(**kwargs)


class ProfileEditView(BillingMixin, FormView):
    required_right = Right.MANAGE_BILLING
    template_name = "billing/profile_form.html"
    form_class = BillingProfileForm
    tab = "profile"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": selectors.billing_profile(organisation=self.organisation)}

    def form_valid(self, form):
        values = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.billing_profile_update(actor=self.request.user, organisation=self.organisation, **values)
        except ValidationError as error:
            apply_validation_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Billing details saved."))
        return redirect("billing:profile", slug=self.organisation.slug)
