import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from organisations.fields import OneLineField
from organisations.forms import FIRST_DAY, LAST_DAY, filter_date_field

from .models import BillingProfile, Credit, PaymentMethod
from .vat import compact_vat_number, iban_error, vat_number_error

# 12 to 19 digits, possibly grouped by spaces or dashes: what a pasted card number (PAN) looks like.
_PAN = re.compile(r"(?:\d[ -]?){12,18}\d")
PAN_ERROR = _(
    "This looks like a full card number. Never type a card number here: give only its last four digits; "
    "the card itself is kept by our payment provider."
)


class InvoiceYearForm(forms.Form):
    """The year of the invoices page and its CSV; a year out of range is ignored (the page shows the latest)."""

    year = forms.IntegerField(label=_("Year"), required=False, min_value=FIRST_DAY.year, max_value=LAST_DAY.year)


class ConsumptionMonthForm(forms.Form):
    """The month of the consumption page (``2026-03``); a month out of range is ignored (the page shows this one)."""

    month = filter_date_field(_("Month"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].input_formats = ["%Y-%m"]


class RejectCardNumbersMixin:
    """Refuses any text field holding something that looks like a full card number, on every billing form.

    IBANs and VAT numbers are long digit strings by nature: their own validators check them.
    """

    pan_exempt_fields = ("iban", "vat_number")

    def clean(self):
        cleaned = super().clean()
        for name in self.fields:
            value = self.data.get(self.add_prefix(name))
            if name not in self.pan_exempt_fields and isinstance(value, str) and _PAN.search(value):
                self._errors.pop(name, None)
                self.add_error(name, PAN_ERROR)
        return cleaned


class BillingProfileForm(RejectCardNumbersMixin, forms.ModelForm):
    country = LazyTypedChoiceField(label=_("Country"), choices=[("", "---------"), *countries], required=True)

    class Meta:
        model = BillingProfile
        fields = [
            "customer_type",
            "company_name",
            "billing_email",
            "address_line1",
            "address_line2",
            "postal_code",
            "city",
            "country",
            "vat_number",
        ]
        help_texts = {
            "vat_number": _(
                "EU businesses outside France: with a valid VAT number you are invoiced without VAT (reverse charge). "
                "The number is checked with its country's check digits."
            ),
            "billing_email": _("Invoices are also sent to this address."),
        }

    def clean_vat_number(self):
        return compact_vat_number(self.cleaned_data.get("vat_number", "").strip())

    def clean(self):
        cleaned = super().clean()
        vat_number, country = cleaned.get("vat_number"), cleaned.get("country")
        is_business = cleaned.get("customer_type") == BillingProfile.CustomerType.BUSINESS
        if is_business and not cleaned.get("company_name") and "company_name" not in self._errors:
            self.add_error("company_name", _("Give the company's name."))
        if vat_number and country and "vat_number" not in self._errors:
            if cleaned.get("customer_type") != BillingProfile.CustomerType.BUSINESS:
                self.add_error("vat_number", _("Only a business has a VAT number."))
            else:
                error = vat_number_error(vat_number, country)
                if error:
                    self.add_error("vat_number", error)
        return cleaned


def _year_choices():
    year = timezone.localdate().year
    return [(value, str(value)) for value in range(year, year + 16)]


class CardForm(RejectCardNumbersMixin, forms.Form):
    """A card as recorded here: brand, last four digits and expiry. The provider holds the card itself."""

    holder_name = OneLineField(label=_("Name on the card"), max_length=100, required=False)
    brand = forms.ChoiceField(label=_("Brand"), choices=PaymentMethod.Brand.choices)
    last4 = OneLineField(
        label=_("Last four digits"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 4}),
    )
    exp_month = forms.TypedChoiceField(
        label=_("Expiry month"), coerce=int, choices=[(month, f"{month:02d}") for month in range(1, 13)]
    )
    exp_year = forms.TypedChoiceField(label=_("Expiry year"), coerce=int, choices=_year_choices)

    def clean_last4(self):
        value = self.cleaned_data["last4"].strip()
        if _PAN.search(value):
            raise forms.ValidationError(PAN_ERROR)
        if not re.fullmatch(r"\d{4}", value):
            raise forms.ValidationError(_("Give the last four digits of the card only."))
        return value

    def clean(self):
        cleaned = super().clean()
        month, year = cleaned.get("exp_month"), cleaned.get("exp_year")
        today = timezone.localdate()
        if month and year and (year, month) < (today.year, today.month):
            self.add_error("exp_year", _("This card has expired."))
        return cleaned


class SepaForm(RejectCardNumbersMixin, forms.Form):
    holder_name = OneLineField(label=_("Account holder"), max_length=100)
    iban = OneLineField(label=_("IBAN"), max_length=42, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    mandate = forms.BooleanField(
        label=_(
            "I authorise the seller to send instructions to my bank to debit my account for the invoices of this "
            "organisation (SEPA direct-debit mandate)."
        )
    )

    def clean_iban(self):
        value = self.cleaned_data["iban"]
        error = iban_error(value)
        if error:
            raise forms.ValidationError(error)
        return value


class CreditNoteForm(forms.Form):
    reason = OneLineField(label=_("Reason"), max_length=255)
    amount = forms.DecimalField(
        label=_("Amount excluding VAT"),
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=_("Leave empty to credit the whole invoice."),
    )


class BankTransferForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount received"), max_digits=12, decimal_places=2, min_value=0.01)
    reference = OneLineField(label=_("Bank reference"), max_length=64, required=False)


class CreditGrantForm(forms.ModelForm):
    class Meta:
        model = Credit
        fields = ["organisation", "kind", "label", "amount", "expires_on"]
