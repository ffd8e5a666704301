from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from organisations.views import apply_validation_error

from . import services
from .forms import BankTransferForm, CreditGrantForm, CreditNoteForm
from .models import (
    AddonPlan,
    BillingProfile,
    Credit,
    Flavor,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentMethod,
    UsageMonth,
    UsageRecord,
)


@admin.register(Flavor)
class FlavorAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "vcpus", "memory_mb", "hourly_price", "is_active"]
    list_editable = ["hourly_price", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]


@admin.register(AddonPlan)
class AddonPlanAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "code", "monthly_price", "is_active"]
    list_editable = ["monthly_price", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown to staff, never changed here: these rows are written by the billing services only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    fields = ["position", "kind", "description", "detail", "quantity", "unit_price", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    fields = ["created_at", "method_label", "amount", "status", "reference", "failure_reason", "recorded_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    """Issued invoices are read-only: status changes, transfers and credit notes go through the services."""

    list_display = ["number", "kind", "organisation", "period_start", "issued_on", "total", "status"]
    list_filter = ["kind", "status", "vat_scheme", "issued_on"]
    search_fields = ["number", "buyer_name", "organisation__name", "buyer_vat_number"]
    date_hierarchy = "issued_on"
    list_select_related = ["organisation"]
    inlines = [InvoiceLineInline, PaymentInline]
    actions = ["mark_paid", "mark_payment_held", "mark_wont_pay", "mark_pending"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # an edit attempt is refused (403); staff act through the actions and views below

    def has_delete_permission(self, request, obj=None):
        return False

    def has_manage_permission(self, request):
        """Staff who may record payments, change statuses and issue credit notes."""
        return request.user.has_perm("billing.change_invoice")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def get_urls(self):
        custom = [
            path(
                "<int:invoice_id>/credit-note/",
                self.admin_site.admin_view(self.credit_note_view),
                name="billing_invoice_credit_note",
            ),
            path(
                "<int:invoice_id>/bank-transfer/",
                self.admin_site.admin_view(self.bank_transfer_view),
                name="billing_invoice_bank_transfer",
            ),
        ]
        return custom + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "billing_actions": True}
        return super().change_view(request, object_id, form_url, extra_context)

    def _service_form_view(self, request, invoice_id, form_class, title, run):
        if not self.has_manage_permission(request):
            raise PermissionDenied
        invoice = get_object_or_404(Invoice, pk=invoice_id)
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = run(invoice, form.cleaned_data)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                self.message_user(request, result, messages.SUCCESS)
                return redirect("admin:billing_invoice_change", invoice.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "invoice": invoice,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/billing/invoice_action.html", context)

    def credit_note_view(self, request, invoice_id):
        def run(invoice, data):
            note = services.credit_note_issue(
                actor=request.user, invoice=invoice, reason=data["reason"], amount=data["amount"]
            )
            return _("Credit note %(number)s issued.") % {"number": note.number}

        return self._service_form_view(request, invoice_id, CreditNoteForm, _("Issue a credit note"), run)

    def bank_transfer_view(self, request, invoice_id):
        def run(invoice, data):
            services.payment_record_bank_transfer(
                actor=request.user, invoice=invoice, amount=data["amount"], reference=data["reference"]
            )
            return _("Bank transfer recorded.")

        return self._service_form_view(request, invoice_id, BankTransferForm, _("Record a bank transfer"), run)

    def _set_status(self, request, queryset, status):
        done = 0
        for invoice in queryset:
            try:
                services.invoice_set_status(actor=request.user, invoice=invoice, status=status)
                done += 1
            except ValidationError as error:
                self.message_user(request, f"{invoice.number}: {' '.join(error.messages)}", messages.WARNING)
        if done:
            self.message_user(request, _("%(count)d invoice(s) updated.") % {"count": done}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Mark as paid (debit cleared or payment received)"), permissions=["manage"])
    def mark_paid(self, request, queryset):
        self._set_status(request, queryset, Invoice.Status.PAID)

    @admin.action(description=gettext_lazy("Hold the payment"), permissions=["manage"])
    def mark_payment_held(self, request, queryset):
        self._set_status(request, queryset, Invoice.Status.PAYMENTHELD)

    @admin.action(description=gettext_lazy("Mark as won't pay"), permissions=["manage"])
    def mark_wont_pay(self, request, queryset):
        self._set_status(request, queryset, Invoice.Status.WONTPAY)

    @admin.action(description=gettext_lazy("Put back to pending"), permissions=["manage"])
    def mark_pending(self, request, queryset):
        self._set_status(request, queryset, Invoice.Status.PENDING)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "invoice", "method", "amount", "status", "provider", "reference"]
    list_filter = ["status", "method", "provider"]
    search_fields = ["invoice__number", "reference"]
    list_select_related = ["invoice"]


@admin.register(UsageRecord)
class UsageRecordAdmin(ReadOnlyAdmin):
    list_display = ["day", "organisation", "kind", "service_name", "flavor", "plan", "quantity", "unit_price"]
    list_filter = ["kind", "day"]
    search_fields = ["service_name", "organisation__name"]
    date_hierarchy = "day"
    list_select_related = ["organisation", "flavor", "plan"]


@admin.register(UsageMonth)
class UsageMonthAdmin(ReadOnlyAdmin):
    list_display = ["month", "organisation", "kind", "service_name", "flavor", "plan", "quantity", "unit_price"]
    list_filter = ["kind", "month"]
    search_fields = ["service_name", "organisation__name"]
    list_select_related = ["organisation", "flavor", "plan"]


@admin.register(Credit)
class CreditAdmin(admin.ModelAdmin):
    """Staff grant credits here (through the service); a credit is not edited afterwards."""

    list_display = ["label", "organisation", "kind", "amount", "remaining", "expires_on"]
    list_filter = ["kind"]
    search_fields = ["label", "organisation__name"]
    form = CreditGrantForm

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        created = services.credit_grant(
            actor=request.user,
            organisation=obj.organisation,
            kind=obj.kind,
            amount=obj.amount,
            label=obj.label,
            expires_on=obj.expires_on,
        )
        obj.pk = created.pk


@admin.register(BillingProfile)
class BillingProfileAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "company_name", "country", "vat_number", "billing_email"]
    search_fields = ["organisation__name", "company_name", "vat_number"]


@admin.register(PaymentMethod)
class PaymentMethodAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "__str__", "kind", "is_default", "created_at"]
    list_filter = ["kind", "is_default"]
