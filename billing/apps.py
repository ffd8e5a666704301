from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def connect_organisation_deletion(self):
        """An organisation is deleted only once billed and paid; its payment methods go with it."""
        from organisations.signals import deletion_blockers, organisation_deleting

        from . import handlers

        deletion_blockers.connect(handlers.deletion_blockers, dispatch_uid="billing_deletion_blockers")
        organisation_deleting.connect(
            handlers.delete_organisation_payment_methods, dispatch_uid="billing_organisation_deleting"
        )

    def ready(self):
        """What changes an organisation's pages (organisations/generations.py). Usage rows are not here: the
        consumption page caches under the organisation's usage version (billing/selectors.py)."""
        self.connect_organisation_deletion()
        from organisations.generations import changes_organisation

        from .models import BillingProfile, Credit, Invoice, Payment, PaymentMethod

        for model in (BillingProfile, PaymentMethod, Credit):
            changes_organisation(model, lambda row: row.organisation_id)
        changes_organisation(Invoice, lambda invoice: invoice.organisation_id, on_delete=False)
        changes_organisation(Payment, lambda payment: payment.invoice.organisation_id, on_delete=False)
