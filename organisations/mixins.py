"""Access mixins for the organisation's views: each view declares the right it needs."""

from django.core.exceptions import PermissionDenied

from .access import organisation_access
from .roles import Right


class OrganisationMixin:
    """Loads the organisation named by the URL's ``slug`` once, with the request's access to it.

    Anonymous people never get here (``LoginRequiredMiddleware``); a person who may not know the organisation
    exists gets 404; a member without ``required_right`` gets 403.
    """

    required_right: Right | None = None
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
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("organisation", self.organisation)
        kwargs.setdefault("access", self.access)
        return super().get_context_data(**kwargs)
