from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self):
        """An organisation is deleted only once billed and paid; its payment methods go with it."""
        from organisations.signals import deletion_blockers, organisation_deleting

        from . import handlers

        deletion_blockers.connect(handlers.deletion_blockers, dispatch_uid="billing_deletion_blockers")
        organisation_deleting.connect(
            handlers.delete_organisation_payment_methods, dispatch_uid="billing_organisation_deleting"
        )
