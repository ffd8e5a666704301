from django.conf import settings
from django.utils import translation

from . import services


def keep_language_on_sign_in(sender, request, user, **kwargs):
    """A person who never chose a language keeps the one they signed in with, on every device from then on."""
    language = translation.get_language()
    if not user.language and language in dict(settings.LANGUAGES):
        services.user_set_language(user=user, language=language)
