from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class OrganisationsConfig(AppConfig):
    name = "organisations"
    verbose_name = _("Organisations")

    def ready(self):
        from allauth.account.signals import user_signed_up
        from allauth.mfa.signals import authenticator_added
        from django.conf import settings

        from . import handlers

        post_save.connect(
            handlers.create_personal_space, sender=settings.AUTH_USER_MODEL, dispatch_uid="personal_space"
        )
        user_signed_up.connect(handlers.accept_invitation_after_signup, dispatch_uid="invitation_after_signup")
        authenticator_added.connect(handlers.remember_two_factor_enrolment, dispatch_uid="two_factor_enrolment")
        self.connect_generations()

    def connect_generations(self):
        """What changes an organisation's pages (organisations/generations.py)."""
        from . import handlers
        from .generations import changes_organisation, changes_people
        from .models import (
            Activity,
            Invitation,
            Membership,
            Organisation,
            OrganisationGroupObjectPermission,
            OrganisationUserObjectPermission,
        )

        changes_organisation(Organisation, lambda organisation: organisation.pk)
        for model in (Membership, Invitation):
            changes_organisation(model, lambda row: row.organisation_id)
        changes_organisation(Activity, lambda entry: entry.organisation_id, on_delete=False)
        for model in (OrganisationUserObjectPermission, OrganisationGroupObjectPermission):
            changes_organisation(model, lambda right: right.content_object_id)
        changes_people(handlers.organisations_of_member)
