import zoneinfo

from django.utils import timezone, translation


class PreferencesMiddleware:
    """Show pages in the signed-in person's language and time zone (after ``AuthenticationMiddleware``).

    A signed-out visitor keeps what ``LocaleMiddleware`` chose (the switcher's cookie, the browser) and the
    console's time zone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            if user.language and translation.check_for_language(user.language):
                translation.activate(user.language)
                request.LANGUAGE_CODE = translation.get_language()
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (ValueError, zoneinfo.ZoneInfoNotFoundError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        # Not deactivated on the way out: a streamed response (a CSV export) is rendered after this returns. Each
        # request sets its zone here first.
        return self.get_response(request)
