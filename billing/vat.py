"""
VAT: the one place where the rate and the legal mention of an invoice are decided, and VAT numbers are checked.

The seller is established in France. The rules applied (services supplied electronically / cloud hosting):

- a buyer in France, business or consumer: French VAT at 20%;
- a business elsewhere in the EU with a valid VAT number: reverse charge, 0%, with the legal mention;
- a consumer elsewhere in the EU (or a business that has not given a valid VAT number): the standard rate of the
  buyer's country (the One-Stop-Shop scheme);
- a buyer outside the EU: no VAT.

"Valid" VAT number means here that it passes the check digits of its country (python-stdnum); nothing is asked of
the EU's VIES service, so the console works offline. A VIES check could be added where ``vat_state`` is computed.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from stdnum import iban as stdnum_iban
from stdnum.eu import vat as stdnum_vat
from stdnum.exceptions import ValidationError as StdnumError

CENT = Decimal("0.01")

SELLER_COUNTRY = "FR"

# Standard VAT rates of the EU member states, in percent (as of 2025: EE 24 since July 2025, FI 25.5 since
# September 2024, RO 21 since August 2025, SK 23 since January 2025). Update when a member state changes its rate.
EU_STANDARD_RATES: dict[str, Decimal] = {
    "AT": Decimal("20"),
    "BE": Decimal("21"),
    "BG": Decimal("20"),
    "CY": Decimal("19"),
    "CZ": Decimal("21"),
    "DE": Decimal("19"),
    "DK": Decimal("25"),
    "EE": Decimal("24"),
    "ES": Decimal("21"),
    "FI": Decimal("25.5"),
    "FR": Decimal("20"),
    "GR": Decimal("24"),
    "HR": Decimal("25"),
    "HU": Decimal("27"),
    "IE": Decimal("23"),
    "IT": Decimal("22"),
    "LT": Decimal("21"),
    "LU": Decimal("17"),
    "LV": Decimal("21"),
    "MT": Decimal("18"),
    "NL": Decimal("21"),
    "PL": Decimal("23"),
    "PT": Decimal("23"),
    "RO": Decimal("21"),
    "SE": Decimal("25"),
    "SI": Decimal("22"),
    "SK": Decimal("23"),
}

# The prefix of VAT numbers differs from the ISO country code for Greece only.
_VAT_PREFIX = {"GR": "EL"}

REVERSE_CHARGE_MENTION = _("VAT reverse charge (Autoliquidation), Article 196 of Directive 2006/112/EC")
OUTSIDE_EU_MENTION = _("VAT not applicable, Article 259-1 of the French General Tax Code (CGI)")

DEFAULT_SELLER = {
    "name": "Console Cloud SAS",
    "address": "1 rue de la Paix\n75002 Paris\nFrance",
    "country": "FR",
    "vat_number": "FR40303265045",
    "registration": "RCS Paris 303 265 045",
    "email": "billing@console.example",
    "iban": "FR76 3000 6000 0112 3456 7890 189",
    "bic": "AGRIFRPP",
}


def seller() -> dict:
    """The seller's identity printed on invoices (``settings.BILLING_SELLER`` overrides the default)."""
    return {**DEFAULT_SELLER, **getattr(settings, "BILLING_SELLER", {})}


class VatScheme(StrEnum):
    DOMESTIC = "domestic"
    REVERSE_CHARGE = "reverse_charge"
    EU_CONSUMER = "eu_consumer"
    OUTSIDE_EU = "outside_eu"


class VatState(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    PENDING = "pending"
    NOT_NEEDED = "not_needed"


VAT_STATE_LABELS: dict[VatState, Promise] = {
    VatState.VALID: _("Valid (check digits verified)"),
    VatState.INVALID: _("Invalid"),
    VatState.PENDING: _("Pending: give a VAT number to be invoiced without VAT (reverse charge)"),
    VatState.NOT_NEEDED: _("Not needed"),
}


@dataclass(frozen=True)
class VatTreatment:
    scheme: VatScheme
    rate: Decimal
    mention: Promise | str = ""


def is_eu(country: str) -> bool:
    return country in EU_STANDARD_RATES


def round_cents(amount: Decimal) -> Decimal:
    """Round to the cent, half up (the rounding of invoices)."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def vat_amount(net: Decimal, rate: Decimal) -> Decimal:
    return round_cents(net * rate / Decimal(100))


def compact_vat_number(number: str) -> str:
    """The number without spaces, dots or dashes, upper case (its country prefix checked later)."""
    if not number:
        return ""
    try:
        return stdnum_vat.compact(number)
    except StdnumError:
        return "".join(char for char in number.upper() if char.isalnum())


def vat_number_error(number: str, country: str) -> Promise | None:
    """Why ``number`` is not a valid VAT number for ``country`` (check digits only), or None when it is."""
    if not is_eu(country):
        return _("VAT numbers are only used for businesses in the European Union.")
    try:
        compact = stdnum_vat.validate(number)
    except StdnumError:
        return _("This is not a valid EU VAT number (the check digits do not match).")
    prefix = _VAT_PREFIX.get(country, country)
    if not compact.startswith(prefix):
        return _("A VAT number of this country starts with %(prefix)s.") % {"prefix": prefix}
    return None


def vat_state(*, country: str, vat_number: str, is_business: bool) -> VatState:
    """The state of a buyer's VAT number, as shown on the billing details page."""
    if not is_business or not is_eu(country):
        return VatState.NOT_NEEDED
    if not vat_number:
        return VatState.NOT_NEEDED if country == SELLER_COUNTRY else VatState.PENDING
    return VatState.INVALID if vat_number_error(vat_number, country) else VatState.VALID


def vat_treatment(*, country: str, vat_number: str, is_business: bool) -> VatTreatment:
    """The VAT scheme, rate and legal mention of an invoice to this buyer."""
    if not country or country == SELLER_COUNTRY:
        return VatTreatment(VatScheme.DOMESTIC, EU_STANDARD_RATES[SELLER_COUNTRY])
    if is_eu(country):
        if vat_state(country=country, vat_number=vat_number, is_business=is_business) == VatState.VALID:
            return VatTreatment(VatScheme.REVERSE_CHARGE, Decimal(0), REVERSE_CHARGE_MENTION)
        return VatTreatment(VatScheme.EU_CONSUMER, EU_STANDARD_RATES[country])
    return VatTreatment(VatScheme.OUTSIDE_EU, Decimal(0), OUTSIDE_EU_MENTION)


def iban_error(number: str) -> Promise | None:
    """Why ``number`` is not a valid IBAN (python-stdnum: country format and check digits), or None."""
    try:
        stdnum_iban.validate(number)
    except StdnumError:
        return _("This is not a valid IBAN (check the country code, length and check digits).")
    return None


def iban_masked(number: str) -> str:
    """The IBAN as stored: its country and check digits and its last four characters only."""
    compact = stdnum_iban.compact(number)
    return f"{compact[:4]} •••• {compact[-4:]}"
