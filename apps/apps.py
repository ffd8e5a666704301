from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "apps"
    verbose_name = _("Applications")

    def ready(self):
        """An organisation's deletion takes its applications and add-ons."""
        from organisations.signals import organisation_deleting

        from . import handlers

        organisation_deleting.connect(handlers.delete_organisation_resources, dispatch_uid="apps_organisation_deleting")
