from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "apps"
    verbose_name = _("Applications")

    def connect_organisation_deletion(self):
        """An organisation's deletion takes its applications and add-ons."""
        from organisations.signals import organisation_deleting

        from . import handlers

        organisation_deleting.connect(handlers.delete_organisation_resources, dispatch_uid="apps_organisation_deleting")

    def ready(self):
        """What changes an organisation's pages (organisations/generations.py)."""
        self.connect_organisation_deletion()
        from billing.models import Flavor
        from organisations.generations import changes_organisation, changes_people

        from .models import (
            Addon,
            Application,
            ApplicationGrant,
            ApplicationGroupObjectPermission,
            ApplicationUserObjectPermission,
            Deployment,
            Domain,
            EnvironmentVariable,
        )

        for model in (Application, Addon):
            changes_organisation(model, lambda row: row.organisation_id)
        for model in (EnvironmentVariable, Domain, ApplicationGrant):
            changes_organisation(model, lambda row: row.application.organisation_id)
        changes_organisation(Deployment, lambda deployment: deployment.application.organisation_id, on_delete=False)
        for model in (ApplicationUserObjectPermission, ApplicationGroupObjectPermission):
            changes_organisation(model, lambda right: right.content_object.organisation_id)
        changes_people(organisations_of_grantee)
        # A flavor's name shows on the pages of every application of that size (staff rename it in the admin); a
        # flavor in use cannot be deleted.
        changes_organisation(Flavor, organisations_of_flavor, on_delete=False)


def organisations_of_flavor(flavor) -> list[int]:
    """The organisations with an application of this flavor."""
    from .models import Application

    return list(Application.objects.filter(flavor=flavor).values_list("organisation_id", flat=True).distinct())


def organisations_of_grantee(user_id: int) -> list[int]:
    """The organisations whose pages show this person as holding a grant on one of their applications."""
    from .models import ApplicationGrant

    return list(ApplicationGrant.objects.filter(user_id=user_id).values_list("application__organisation_id", flat=True))
