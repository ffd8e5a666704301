"""Access mixins for the organisation's views: each view declares the right it needs."""

from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .access import organisation_access
from .roles import Right

# The TOTP authenticator enrolled in this session (handlers.remember_two_factor_enrolment): entering its first code
# proved the second factor, as signing in with it would have.
TWO_FACTOR_ENROLLED_SESSION_KEY = "organisations_two_factor_enrolled"


def session_used_second_factor(request) -> bool:
    """Whether THIS session was authenticated with a second factor: at sign-in or when reauthenticating (allauth's
    authentication records), or by enrolling TOTP in it. An account's authenticator alone is not enough: a session
    signed in with the password before it was enrolled elsewhere has not used it."""
    if any(record.get("method") == "mfa" for record in get_authentication_records(request, request.user)):
        return True
    enrolled = request.session.get(TWO_FACTOR_ENROLLED_SESSION_KEY)
    return (
        enrolled is not None
        and Authenticator.objects.filter(pk=enrolled, user=request.user, type=Authenticator.Type.TOTP).exists()
    )


class OrganisationMixin:
    """Loads the organisation named by the URL's ``slug`` once, with the request's access to it.

    Anonymous people never get here (``LoginRequiredMiddleware``); a person who may not know the organisation
    exists gets 404; a member without ``required_right`` gets 403; when the organisation requires two-factor
    authentication, a person without it is sent to set it up, and a session that did not use it (password alone) to
    confirm it with their authenticator code.
    """

    required_right: Right | None = None
    # Pages that change the organisation's roles: its Admins only (``OrganisationAccess.can_edit_roles``).
    requires_role_editing: bool = False
    # The views of one application (apps.mixins) also admit people holding a grant on it, who are not members.
    allow_application_grantees: bool = False

    def dispatch(self, request, *args, **kwargs):
        self.access = organisation_access(
            user=request.user, slug=kwargs["slug"], allow_grantees=self.allow_application_grantees
        )
        self.organisation = self.access.organisation
        request.organisation_access = self.access
        if self.required_right is not None and not self.access.has(self.required_right):
            raise PermissionDenied
        if self.requires_role_editing and not self.access.can_edit_roles:
            raise PermissionDenied
        if self.organisation.require_two_factor:
            refusal = self.two_factor_refusal(request)
            if refusal is not None:
                return refusal
        return super().dispatch(request, *args, **kwargs)

    def two_factor_refusal(self, request):
        """Where a person goes when the organisation requires two-factor authentication of the session; None: in."""
        if not is_mfa_enabled(request.user, [Authenticator.Type.TOTP]):
            messages.warning(
                request,
                _("“%(name)s” requires two-factor authentication. Set it up to continue.")
                % {"name": self.organisation.name},
            )
            return redirect("mfa_activate_totp")
        if session_used_second_factor(request):
            return None
        messages.warning(
            request,
            _(
                "“%(name)s” requires two-factor authentication, and this session was signed in without it. Enter a "
                "code from your authenticator app to continue."
            )
            % {"name": self.organisation.name},
        )
        # Back to the page; after a refused POST (an action's URL), to the organisation.
        next_url = (
            request.get_full_path()
            if request.method == "GET"
            else reverse("organisations:entry", kwargs={"slug": self.organisation.slug})
        )
        return HttpResponseRedirect(f"{reverse('mfa_reauthenticate')}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")

    def get_context_data(self, **kwargs):
        kwargs.setdefault("organisation", self.organisation)
        kwargs.setdefault("access", self.access)
        return super().get_context_data(**kwargs)
