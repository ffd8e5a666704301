from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from organisations.services import DeletionBlocker

from . import selectors, services


def deletion_blockers(sender, organisation, **kwargs) -> list[DeletionBlocker]:
    """An organisation is deleted only once billed and paid: no invoice still open, no usage still to invoice."""
    blockers = []
    invoices = selectors.open_invoices(organisation=organisation)
    if invoices:
        blockers.append(
            DeletionBlocker(
                message=_("Invoices not paid yet: %(numbers)s. The organisation can be deleted once they are paid.")
                % {"numbers": ", ".join(invoice.number for invoice in invoices)},
                url=reverse("billing:invoices", kwargs={"slug": organisation.slug}),
                link_label=_("See the invoices"),
            )
        )
    months = selectors.uninvoiced_months(organisation=organisation)
    if months:
        blockers.append(
            DeletionBlocker(
                message=_(
                    "Usage not invoiced yet: %(months)s. A month's invoice is issued at the start of the next month; "
                    "the organisation can be deleted once it is paid."
                )
                % {"months": ", ".join(date_format(month, "YEAR_MONTH_FORMAT") for month in months)},
                url=reverse("billing:consumption", kwargs={"slug": organisation.slug}),
                link_label=_("See the consumption"),
            )
        )
    return blockers


def delete_organisation_payment_methods(sender, organisation, actor, **kwargs):
    """The organisation is being deleted: nothing may be charged to it any more."""
    services.organisation_payment_methods_delete(organisation=organisation)
