from django.utils.cache import patch_cache_control


class PrivateResponseMiddleware:
    """Keep every response Django renders out of shared and browser caches: ``Cache-Control: private, no-store``.

    Pages, downloads (invoice PDFs, CSV exports) and revealed secrets belong to the person signed in, and the public
    pages (sign-in, invitation links) carry a CSRF token of their own. Only the static assets, which whitenoise answers
    before this middleware, are cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_cache_control(response, private=True, no_store=True)
        return response
