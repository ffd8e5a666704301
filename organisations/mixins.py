"""Access mixins for the organisation's views: each view declares the right it needs."""

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .access import organisation_access
from .roles import Right


class OrganisationMixin:
    """Loads the organisation named by the URL's ``slug`` once, with the request's access to it.

    Anonymous people never get here (``LoginRequiredMiddleware``); a person who may not know the organisation
    exists gets 404; a member without ``required_right`` gets 403; when the organisation requires two-factor
    authentication, a person without it is sent to set it up.
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
        if self.organisation.require_two_factor and not is_mfa_enabled(request.user, [Authenticator.Type.TOTP]):
            messages.warning(
                request,
                _("“%(name)s” requires two-factor authentication. Set it up to continue.")
                % {"name": self.organisation.name},
            )
            return redirect("mfa_activate_totp")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("organisation", self.organisation)
        kwargs.setdefault("access", self.access)
        return super().get_context_data(**kwargs)
