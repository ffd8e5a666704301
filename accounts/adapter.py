from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """Count failed sign-ins per account, whatever the Host header says.

        allauth prefixes the address with the current site's domain, which without django.contrib.sites is the
        request's Host header: "console.example", "CONSOLE.example" and "console.example:443" all pass
        ALLOWED_HOSTS, and each would get an account its own budget of attempts. Sign-in, the clearing after a
        password reset and the count all go through this key.
        """
        return credentials.get("email", credentials.get("username", "")).lower()

    def save_user(self, request, user, form, commit=True):
        """Keep the name asked at sign-up, and the language the page was read in."""
        user.name = form.cleaned_data.get("name", "")
        language = translation.get_language()
        if language in dict(settings.LANGUAGES):
            user.language = language
        return super().save_user(request, user, form, commit=commit)


def user_display(user) -> str:
    """How allauth names a person in its messages and pages (``ACCOUNT_USER_DISPLAY``): as the console does."""
    return user.display_name
