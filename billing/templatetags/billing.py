from django import template

from billing.money import format_amount, format_quantity

register = template.Library()


@register.filter
def money(amount):
    """``{{ amount|money }}``: the amount in euros, formatted for the active language."""
    return format_amount(amount)


@register.filter
def hours(quantity):
    """``{{ quantity|hours }}``: a number of hours, formatted for the active language."""
    return format_quantity(quantity) if quantity is not None else ""


@register.filter
def unit_price(amount):
    """``{{ price|unit_price }}``: a price per hour, to four decimals."""
    return format_amount(amount, places=4)
