from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
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
        post_save.connect(handlers.create_builtin_roles, sender="organisations.Organisation", dispatch_uid="roles")
        post_delete.connect(handlers.delete_role_group, sender="organisations.Role", dispatch_uid="role_group")
        user_signed_up.connect(handlers.accept_invitation_after_signup, dispatch_uid="invitation_after_signup")
        authenticator_added.connect(handlers.remember_two_factor_enrolment, dispatch_uid="two_factor_enrolment")
