from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """Count failed sign-ins per account, whatever the Host header says.

        allauth prefixes the address with the current site's domain, which without django.contrib.sites is the
        request's Host header: "console.example", "CONSOLE.example" and "console.example:443" all pass
        ALLOWED_HOSTS, and each would get an account its own budget of attempts. Sign-in, the clearing after a
        password reset and the count all go through this key.
        """
        return credentials.get("email", credentials.get("username", "")).lower()
