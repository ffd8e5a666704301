from urllib.parse import urlencode

from allauth.account.adapter import get_adapter
from allauth.account.forms import SignupForm as BaseSignupForm
from allauth.account.models import EmailAddress
from allauth.account.utils import get_next_redirect_url
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from organisations.fields import OneLineField

from .models import User, time_zone_choices

NAME_MAX_LENGTH = User._meta.get_field("name").max_length


class SignupForm(BaseSignupForm):
    """allauth's sign-up, for a person who proved their address before signing up (an invitation's link, which
    ``organisations.views.InvitationSignupView`` stashes as verified).

    allauth answers a sign-up with an address some account already holds by emailing "you already have an account"
    and creating nothing, so as not to tell who has an account. When the address was proven, that would strand the
    invitee:
    - an address another account only claims (an unverified secondary address) belongs to no one: the claim is
      dropped and the sign-up goes on (the other account could never verify it now: allauth allows one verified
      owner per address, and keeps a claimed address off a new account);
    - an address that is another account's sign-in or verified address: the person is told so (they control it) and
      sent to sign in, then back to the invitation.
    Without a proven address, allauth's answer stands.

    The person's name is asked too: ``adapter.AccountAdapter.save_user`` stores it.
    """

    name = OneLineField(
        label=gettext_lazy("Name"),
        max_length=NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "name", "placeholder": gettext_lazy("Your name")}),
    )
    field_order = ["name", "email", "password1", "password2"]

    def try_save(self, request):
        email = self.cleaned_data.get("email")
        if self.account_already_exists and get_adapter(request).is_email_verified(request, email):
            owned = (
                get_user_model().objects.filter(email__iexact=email).exists()
                or EmailAddress.objects.filter(email__iexact=email, verified=True).exists()
            )
            if not owned:
                with transaction.atomic():
                    # Unverified claims of other accounts on the address would keep it from the new account.
                    EmailAddress.objects.filter(email__iexact=email, verified=False).delete()
                    self.account_already_exists = False
                    return super().try_save(request)
            else:
                messages.info(
                    request,
                    _(
                        "An account already uses %(email)s. Sign in with it to continue; if you do not know its "
                        "password, reset it from the sign-in page."
                    )
                    % {"email": email},
                )
                query = {REDIRECT_FIELD_NAME: get_next_redirect_url(request) or reverse("home")}
                return None, HttpResponseRedirect(f"{reverse('account_login')}?{urlencode(query)}")
        return super().try_save(request)


class ProfileForm(forms.ModelForm):
    """The person's name, language and time zone."""

    name = OneLineField(label=gettext_lazy("Name"), max_length=NAME_MAX_LENGTH)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone"),
        choices=time_zone_choices,
        help_text=gettext_lazy("Dates and times in the console are shown in this zone."),
    )

    class Meta:
        model = User
        fields = ["name", "language", "time_zone"]
