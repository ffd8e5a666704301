from datetime import date
from decimal import Decimal

import factory

from billing import services
from billing.models import BillingProfile, PaymentMethod, UsageRecord
from tests.apps.factories import AddonFactory, ApplicationFactory
from tests.organisations.factories import OrganisationFactory

__all__ = ["AddonFactory", "ApplicationFactory", "BillingProfileFactory", "CardFactory", "usage_of"]


class BillingProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingProfile

    organisation = factory.SubFactory(OrganisationFactory)
    customer_type = BillingProfile.CustomerType.BUSINESS
    company_name = "Acme Web Agency SAS"
    billing_email = "billing@acme.example"
    address_line1 = "12 rue des Lilas"
    postal_code = "69001"
    city = "Lyon"
    country = "FR"
    vat_number = "FR40303265045"


class CardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentMethod

    organisation = factory.SubFactory(OrganisationFactory)
    kind = PaymentMethod.Kind.CARD
    is_default = True
    card_brand = PaymentMethod.Brand.VISA
    card_last4 = "4242"
    card_exp_month = 12
    card_exp_year = 2099


def usage_of(service, day: date, hours, unit_price=None) -> UsageRecord:
    """A saved day of usage of an application or an add-on, at the price list's price or ``unit_price``."""
    row = services.usage_row(service=service, day=day, quantity=Decimal(str(hours)))
    if unit_price is not None:
        row.unit_price = Decimal(str(unit_price))
    services.usage_record(rows=[row])
    return row
