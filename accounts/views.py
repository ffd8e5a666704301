from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.generic import FormView

from . import services
from .forms import ProfileForm


class ProfileView(FormView):
    """The person's name, language and time zone, with links to allauth's pages for the rest of the account."""

    template_name = "account/profile.html"
    form_class = ProfileForm

    def get_form_kwargs(self):
        # A copy: a rejected form must not rename the person in the page shell.
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = get_user_model().objects.get(pk=self.request.user.pk)
        if not kwargs["instance"].language:
            kwargs["initial"] = {"language": translation.get_language()}
        return kwargs

    def form_valid(self, form):
        user = services.user_update_profile(
            user=self.request.user,
            name=form.cleaned_data["name"],
            language=form.cleaned_data["language"],
            time_zone=form.cleaned_data["time_zone"],
        )
        with translation.override(user.language):
            messages.success(self.request, _("Profile saved."))
        response = redirect("accounts:profile")
        # Signed out, the pages stay in that language.
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return response


@login_not_required
def set_language(request):
    """Django's ``set_language``; a signed-in person's choice is kept on their account too."""
    response = i18n.set_language(request)
    language = request.POST.get("language")
    if (
        request.method == "POST"
        and request.user.is_authenticated
        and language in dict(settings.LANGUAGES)
        and translation.check_for_language(language)
    ):
        services.user_set_language(user=request.user, language=language)
    return response
