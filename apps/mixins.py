"""Access mixins for the pages of one application: each view declares the capability it needs."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from organisations.mixins import OrganisationMixin

from .access import Capability, application_access
from .models import Application


class _ApplicationCheck:
    """Runs after ``OrganisationMixin`` has loaded the organisation: loads the application and checks the capability.

    A member who cannot reach the application gets 403 (as for any right they lack); a grantee gets 404 for any
    application not shared with them, so that nothing else of the organisation exists for them.
    """

    required_capability: Capability = Capability.VIEW
    # The capability needed to POST, when it differs from the one needed to see the page.
    post_capability: Capability | None = None

    def dispatch(self, request, *args, **kwargs):
        self.application = get_object_or_404(
            Application.objects.select_related("flavor"), organisation_id=self.organisation.pk, pk=kwargs["pk"]
        )
        self.application.organisation = self.organisation  # already read with the access
        self.app_access = application_access(
            user=request.user, organisation_access=self.access, application=self.application
        )
        if not self.app_access.can_reach:
            if not self.access.is_member:
                raise Http404("No application found.")
            raise PermissionDenied
        needed = self.post_capability if request.method == "POST" and self.post_capability else self.required_capability
        if not self.app_access.has(needed):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("application", self.application)
        kwargs.setdefault("app_access", self.app_access)
        kwargs.setdefault("tab", getattr(self, "tab", ""))
        return super().get_context_data(**kwargs)


class ApplicationMixin(OrganisationMixin, _ApplicationCheck):
    """Loads the organisation, then the application ``pk`` within it, with the request's capabilities on it."""

    allow_application_grantees = True
