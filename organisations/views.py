from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView, RedirectView, TemplateView

from console.navigation import sections_for

from . import selectors, services
from .forms import DeleteOrganisationForm, OrganisationForm
from .mixins import OrganisationMixin
from .roles import Right


def apply_validation_error(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, on its field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class HomeView(TemplateView):
    """The signed-in person's organisations."""

    template_name = "organisations/home.html"

    def get_context_data(self, **kwargs):
        kwargs["memberships"] = selectors.memberships_for_switcher(user=self.request.user)
        return super().get_context_data(**kwargs)


class OrganisationCreateView(FormView):
    template_name = "organisations/create.html"
    form_class = OrganisationForm

    def form_valid(self, form):
        organisation = services.organisation_create(
            actor=self.request.user,
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
        )
        messages.success(self.request, _("Organisation “%(name)s” created.") % {"name": organisation.name})
        return redirect("organisations:entry", slug=organisation.slug)


class OrganisationEntryView(OrganisationMixin, RedirectView):
    """The organisation's address: leads each member to the first section their role may use."""

    def get_redirect_url(self, *args, **kwargs):
        sections = sections_for(self.access)
        if not sections:
            raise PermissionDenied
        return sections[0]["url"]


class OverviewView(OrganisationMixin, TemplateView):
    required_right = Right.VIEW_ORGANISATION
    template_name = "organisations/overview.html"

    def get_context_data(self, **kwargs):
        kwargs["member_count"] = selectors.active_member_count(organisation=self.organisation)
        if self.access.has(Right.VIEW_ACTIVITY):
            kwargs["recent_activity"] = selectors.recent_activity(organisation=self.organisation)
        return super().get_context_data(**kwargs)


class SettingsView(OrganisationMixin, FormView):
    required_right = Right.CHANGE_ORGANISATION
    template_name = "organisations/settings.html"
    form_class = OrganisationForm

    def get_form_kwargs(self):
        # A copy: a rejected form must not rename the organisation shown in the page shell.
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = type(self.organisation).objects.get(pk=self.organisation.pk)
        return kwargs

    def form_valid(self, form):
        services.organisation_update(
            actor=self.request.user,
            organisation=self.organisation,
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
        )
        messages.success(self.request, _("Settings saved."))
        return redirect("organisations:settings", slug=self.organisation.slug)


class DeleteView(OrganisationMixin, FormView):
    required_right = Right.DELETE_ORGANISATION
    template_name = "organisations/delete.html"
    form_class = DeleteOrganisationForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organisation": self.organisation}

    def form_valid(self, form):
        try:
            services.organisation_delete(
                actor=self.request.user,
                organisation=self.organisation,
                confirm_name=form.cleaned_data["confirm_name"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Organisation “%(name)s” deleted.") % {"name": self.organisation.name})
        return redirect(reverse("home"))
