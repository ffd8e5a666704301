from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self):
        """What changes an organisation's pages (organisations/generations.py). Usage rows are not here: the
        consumption page caches under the organisation's usage version (billing/selectors.py)."""
        from organisations.generations import changes_organisation

        from .models import BillingProfile, Credit, Invoice, Payment, PaymentMethod

        for model in (BillingProfile, PaymentMethod, Credit):
            changes_organisation(model, lambda row: row.organisation_id)
        changes_organisation(Invoice, lambda invoice: invoice.organisation_id, on_delete=False)
        changes_organisation(Payment, lambda payment: payment.invoice.organisation_id, on_delete=False)
