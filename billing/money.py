"""Amounts as people read them: the one formatter of money, used by pages, PDFs, emails and CSV files."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils import translation

from .vat import round_cents

NBSP = "\u00a0"

# language: (thousands separator, decimal separator, pattern)
_FORMATS = {
    "en": (",", ".", "€{amount}"),
    "fr": (NBSP, ",", "{amount}" + NBSP + "€"),
}


def format_amount(amount: Decimal | None, language: str | None = None, places: int = 2) -> str:
    """Format ``amount`` in euros for ``language`` (the active one by default): €1,234.56 or 1 234,56 €.

    Rounded half up to the cent, or to ``places`` decimals for unit prices.
    """
    if amount is None:
        return ""
    language = (language or translation.get_language() or "en").split("-")[0]
    thousands, decimal, pattern = _FORMATS.get(language, _FORMATS["en"])
    value = (
        round_cents(Decimal(amount))
        if places == 2
        else Decimal(amount).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    )
    digits = f"{abs(value):,.{places}f}".replace(",", "\0").replace(".", decimal).replace("\0", thousands)
    return ("-" if value < 0 else "") + pattern.format(amount=digits)


def format_quantity(quantity: Decimal, language: str | None = None, places: int = 2) -> str:
    """Format a quantity (hours) with the language's separators."""
    language = (language or translation.get_language() or "en").split("-")[0]
    thousands, decimal, _pattern = _FORMATS.get(language, _FORMATS["en"])
    return f"{Decimal(quantity):,.{places}f}".replace(",", "\0").replace(".", decimal).replace("\0", thousands)
