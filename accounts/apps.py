from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import handlers

        user_logged_in.connect(handlers.keep_language_on_sign_in, dispatch_uid="language_on_sign_in")
