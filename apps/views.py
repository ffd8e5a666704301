from functools import cached_property

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView, View

from organisations import services as organisation_services
from organisations.mixins import OrganisationMixin
from organisations.models import Invitation
from organisations.roles import Right
from organisations.views import Confirmation, ConfirmedActionView, ServiceActionView, apply_validation_error

from . import selectors, services
from .access import CAPABILITY_LABELS, Capability
from .forms import (
    AddonCreateForm,
    AddonLinkForm,
    ApplicationCreateForm,
    ApplicationFilterForm,
    DeleteApplicationForm,
    DeployForm,
    DomainForm,
    GrantForm,
    ScalingForm,
    VariableForm,
    VariablesTextForm,
)
from .mixins import ApplicationMixin
from .models import Addon, ApplicationGrant, Deployment, Domain, EnvironmentVariable
from .validators import variables_as_text

PAGE_SIZE = 25


class ServiceFormMixin:
    """``form_valid`` calls ``perform``; a service's ValidationError goes back on the form, nothing written."""

    success_message = ""

    def perform(self, form):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            result = self.perform(form)
        except ValidationError as error:
            apply_validation_error(form, error)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return redirect(self.get_success_url(result))

    def get_success_url(self, result=None):
        raise NotImplementedError


# The organisation's applications


class ApplicationListView(OrganisationMixin, TemplateView):
    required_right = Right.VIEW_APPLICATIONS
    template_name = "apps/list.html"
    filter_form_class = ApplicationFilterForm

    def get_context_data(self, **kwargs):
        form = self.filter_form_class(self.request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        applications = selectors.applications_for_list(
            organisation=self.organisation,
            search=filters.get("q", ""),
            state=filters.get("state", ""),
            runtime=filters.get("runtime", ""),
            region=filters.get("region", ""),
        )
        page = Paginator(applications, PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        kwargs.update(filter_form=form, page=page, query=query.urlencode())
        return super().get_context_data(**kwargs)


class ApplicationCreateView(OrganisationMixin, ServiceFormMixin, FormView):
    required_right = Right.ADD_APPLICATIONS
    template_name = "apps/create.html"
    form_class = ApplicationCreateForm

    def perform(self, form):
        application = services.application_create(
            actor=self.request.user, organisation=self.organisation, **form.cleaned_data
        )
        messages.success(self.request, _("Application “%(name)s” created.") % {"name": application.name})
        return application

    def get_success_url(self, result=None):
        return reverse("apps:overview", kwargs={"slug": self.organisation.slug, "pk": result.pk})


# One application's tabs


class ApplicationTabMixin(ApplicationMixin):
    def app_url(self, name: str, **kwargs) -> str:
        return reverse(f"apps:{name}", kwargs={"slug": self.organisation.slug, "pk": self.application.pk, **kwargs})


class OverviewView(ApplicationTabMixin, TemplateView):
    template_name = "apps/overview.html"
    tab = "overview"

    def get_context_data(self, **kwargs):
        kwargs["last_deployment"] = self.application.deployments.select_related("author").first()
        kwargs["domains"] = list(self.application.domains.all())
        kwargs["capability_labels"] = [
            CAPABILITY_LABELS[capability] for capability in Capability if self.app_access.has(capability)
        ]
        return super().get_context_data(**kwargs)


class VariablesView(ApplicationTabMixin, ServiceFormMixin, FormView):
    """The variables: names for everyone who can see the application; values for those who can configure it."""

    template_name = "apps/variables.html"
    tab = "variables"
    form_class = VariableForm
    post_capability = Capability.CONFIGURE
    success_message = ""

    def get_context_data(self, **kwargs):
        can_configure = self.app_access.has(Capability.CONFIGURE)
        reveal = self.request.GET.get("reveal", "")
        kwargs["variables"] = list(self.application.variables.all())
        kwargs["revealed"] = reveal if can_configure else ""
        kwargs["addon_variables"] = selectors.application_addon_variables(application=self.application)
        return super().get_context_data(**kwargs)

    def perform(self, form):
        variable = services.variable_add(actor=self.request.user, application=self.application, **form.cleaned_data)
        messages.success(self.request, _("Variable %(name)s added.") % {"name": variable.name})

    def get_success_url(self, result=None):
        return self.app_url("variables")


class VariableEditView(ApplicationTabMixin, ServiceFormMixin, FormView):
    template_name = "apps/variable_edit.html"
    tab = "variables"
    form_class = VariableForm
    required_capability = Capability.CONFIGURE

    def get_variable(self):
        return get_object_or_404(EnvironmentVariable, application=self.application, pk=self.kwargs["variable_id"])

    def get_initial(self):
        variable = self.get_variable()
        return {"name": variable.name, "value": variable.value}

    def get_context_data(self, **kwargs):
        kwargs["variable"] = self.get_variable()
        return super().get_context_data(**kwargs)

    def perform(self, form):
        variable = services.variable_update(actor=self.request.user, variable=self.get_variable(), **form.cleaned_data)
        messages.success(self.request, _("Variable %(name)s saved.") % {"name": variable.name})

    def get_success_url(self, result=None):
        return self.app_url("variables")


class VariableDeleteView(ApplicationTabMixin, ConfirmedActionView):
    required_capability = Capability.CONFIGURE

    @cached_property
    def variable(self) -> EnvironmentVariable:
        return get_object_or_404(EnvironmentVariable, application=self.application, pk=self.kwargs["variable_id"])

    def confirmation(self):
        names = {"name": self.variable.name, "application": self.application.name}
        return Confirmation(
            title=_("Delete the variable %(name)s?") % names,
            consequences=[
                _("%(name)s and its value are deleted from “%(application)s”; the value cannot be recovered.") % names
            ],
            button=_("Delete the variable"),
            cancel_url=self.get_success_url(),
        )

    def perform(self):
        services.variable_delete(actor=self.request.user, variable=self.variable)
        return _("Variable %(name)s deleted.") % {"name": self.variable.name}

    def get_success_url(self):
        return self.app_url("variables")


class VariablesTextView(ApplicationTabMixin, ServiceFormMixin, FormView):
    template_name = "apps/variables_text.html"
    tab = "variables"
    form_class = VariablesTextForm
    required_capability = Capability.CONFIGURE

    def get_initial(self):
        return {"text": variables_as_text(self.application.variables.all())}

    def perform(self, form):
        summary = services.variables_replace(
            actor=self.request.user, application=self.application, text=form.cleaned_data["text"]
        )
        messages.success(
            self.request,
            _("Variables saved: %(added)d added, %(changed)d changed, %(removed)d deleted.")
            % {key: len(value) for key, value in summary.items()},
        )

    def get_success_url(self, result=None):
        return self.app_url("variables")


class DomainsView(ApplicationTabMixin, ServiceFormMixin, FormView):
    template_name = "apps/domains.html"
    tab = "domains"
    form_class = DomainForm
    post_capability = Capability.CONFIGURE

    def get_context_data(self, **kwargs):
        kwargs["domains"] = list(self.application.domains.all())
        return super().get_context_data(**kwargs)

    def perform(self, form):
        domain = services.domain_add(actor=self.request.user, application=self.application, **form.cleaned_data)
        messages.success(self.request, _("%(hostname)s now routes to this application.") % {"hostname": domain})

    def get_success_url(self, result=None):
        return self.app_url("domains")


class DomainRemoveView(ApplicationTabMixin, ConfirmedActionView):
    required_capability = Capability.CONFIGURE

    @cached_property
    def domain(self) -> Domain:
        return get_object_or_404(Domain, application=self.application, pk=self.kwargs["domain_id"])

    def confirmation(self):
        names = {"hostname": self.domain.hostname, "application": self.application.name}
        return Confirmation(
            title=_("Remove %(hostname)s?") % names,
            consequences=[
                _("%(hostname)s stops routing to “%(application)s”: its visitors no longer reach the application.")
                % names
            ],
            button=_("Remove the domain"),
            cancel_url=self.get_success_url(),
        )

    def perform(self):
        services.domain_remove(actor=self.request.user, domain=self.domain)
        return _("%(hostname)s removed.") % {"hostname": self.domain.hostname}

    def get_success_url(self):
        return self.app_url("domains")


class ScalingView(ApplicationTabMixin, ServiceFormMixin, FormView):
    template_name = "apps/scaling.html"
    tab = "scaling"
    form_class = ScalingForm
    post_capability = Capability.CONFIGURE
    success_message = ""

    def get_initial(self):
        return {
            "flavor": self.application.flavor,
            "min_instances": self.application.min_instances,
            "max_instances": self.application.max_instances,
        }

    def perform(self, form):
        services.application_scale(actor=self.request.user, application=self.application, **form.cleaned_data)
        messages.success(self.request, _("Scaling saved."))

    def get_success_url(self, result=None):
        return self.app_url("scaling")


class DeploymentsView(ApplicationTabMixin, ServiceFormMixin, FormView):
    template_name = "apps/deployments.html"
    tab = "deployments"
    form_class = DeployForm
    post_capability = Capability.DEPLOY

    def get_context_data(self, **kwargs):
        deployments = self.application.deployments.select_related("author")
        kwargs["page"] = Paginator(deployments, PAGE_SIZE).get_page(self.request.GET.get("page"))
        return super().get_context_data(**kwargs)

    def perform(self, form):
        deployment = services.deployment_create(
            actor=self.request.user, application=self.application, commit=form.cleaned_data["commit"]
        )
        _deployment_message(self.request, deployment)

    def get_success_url(self, result=None):
        return self.app_url("deployments")


def _deployment_message(request, deployment: Deployment) -> None:
    if deployment.status == Deployment.Status.FAILED:
        messages.error(request, _("The deployment of %(commit)s failed.") % {"commit": deployment.short_commit})
    else:
        messages.success(request, _("Deployment of %(commit)s started.") % {"commit": deployment.short_commit})


class RedeployView(ApplicationTabMixin, View):
    http_method_names = ["post"]
    required_capability = Capability.DEPLOY

    def post(self, request, *args, **kwargs):
        deployment = get_object_or_404(Deployment, application=self.application, pk=kwargs["deployment_id"])
        try:
            deployment = services.deployment_redeploy(actor=request.user, deployment=deployment)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            _deployment_message(request, deployment)
        return redirect(reverse("apps:deployments", kwargs={"slug": self.organisation.slug, "pk": self.application.pk}))


class OperateView(ApplicationTabMixin, ServiceActionView):
    """Start or restart (``action``, given in the URL configuration); stopping is confirmed first (``StopView``)."""

    required_capability = Capability.OPERATE
    action = ""

    def perform(self):
        service = {
            "start": services.application_start,
            "restart": services.application_restart,
        }[self.action]
        application = service(actor=self.request.user, application=self.application)
        return _("The application is now %(state)s.") % {"state": application.get_state_display().lower()}

    def get_success_url(self):
        return self.app_url("overview")


class StopView(ApplicationTabMixin, ConfirmedActionView):
    required_capability = Capability.OPERATE

    def confirmation(self):
        name = {"application": self.application.name}
        consequences = [
            _("Every instance of “%(application)s” stops: it answers no request until it is started again.") % name
        ]
        hostnames = [domain.hostname for domain in self.application.domains.all()]
        if hostnames:
            consequences.append(
                _("These addresses stop answering: %(hostnames)s.") % {"hostnames": ", ".join(hostnames)}
            )
        return Confirmation(
            title=_("Stop “%(application)s”?") % name,
            consequences=consequences,
            button=_("Stop the application"),
            cancel_url=self.get_success_url(),
        )

    def perform(self):
        application = services.application_stop(actor=self.request.user, application=self.application)
        return _("The application is now %(state)s.") % {"state": application.get_state_display().lower()}

    def get_success_url(self):
        return self.app_url("overview")


class ActivityView(ApplicationTabMixin, TemplateView):
    template_name = "apps/activity.html"
    tab = "activity"

    def get_context_data(self, **kwargs):
        kwargs["activities"] = selectors.application_activity(application=self.application)
        return super().get_context_data(**kwargs)


class AccessView(ApplicationTabMixin, ServiceFormMixin, FormView):
    """Who has access, and why; people with the right to share grant and revoke access here."""

    template_name = "apps/access.html"
    tab = "access"
    form_class = GrantForm
    required_capability = Capability.SEE_ACCESS
    post_capability = Capability.SHARE

    def get_context_data(self, **kwargs):
        page = selectors.people_with_access_page(
            application=self.application, number=self.request.GET.get("page"), per_page=PAGE_SIZE
        )
        entries = selectors.access_entries(
            application=self.application, user_ids=[row["user_id"] for row in page.object_list]
        )
        kwargs["page"] = page
        kwargs["invitations"] = selectors.pending_application_invitations(application=self.application)
        kwargs["entries"] = [
            {
                "entry": entry,
                "labels": [
                    CAPABILITY_LABELS[capability] for capability in Capability if capability in entry.capabilities
                ],
            }
            for entry in entries
        ]
        return super().get_context_data(**kwargs)

    def perform(self, form):
        invitation = services.grant_by_email(
            actor=self.request.user,
            application=self.application,
            base_url=self.request.build_absolute_uri("/"),
            **form.cleaned_data,
        )
        # The same answer whether or not the address has an account: it says nothing about accounts.
        messages.success(
            self.request,
            _("An invitation to %(application)s was sent to %(email)s. The access starts once they accept it.")
            % {"email": invitation.email, "application": self.application.name},
        )

    def get_success_url(self, result=None):
        return self.app_url("access")


class GrantRevokeView(ApplicationTabMixin, ConfirmedActionView):
    required_capability = Capability.SHARE

    @cached_property
    def grant(self) -> ApplicationGrant:
        return get_object_or_404(
            ApplicationGrant.objects.select_related("user"), application=self.application, pk=self.kwargs["grant_id"]
        )

    def confirmation(self):
        names = {
            "email": self.grant.user.email,
            "level": self.grant.get_level_display(),
            "application": self.application.name,
        }
        return Confirmation(
            title=_("Revoke the access of %(email)s?") % names,
            consequences=[_("%(email)s loses %(level)s access to “%(application)s” at once.") % names],
            button=_("Revoke the access"),
            cancel_url=self.get_success_url(),
        )

    def perform(self):
        services.grant_revoke(actor=self.request.user, grant=self.grant)
        return _("%(email)s no longer has access to %(application)s.") % {
            "email": self.grant.user.email,
            "application": self.application.name,
        }

    def get_success_url(self):
        return self.app_url("access")


class InvitationActionView(ApplicationTabMixin, ServiceActionView):
    """Resend or revoke a pending invitation to this application (the organisation's invitation services)."""

    required_capability = Capability.SHARE
    action = ""

    def perform(self):
        invitation = get_object_or_404(
            Invitation, organisation=self.organisation, application=self.application, pk=self.kwargs["invitation_id"]
        )
        if self.action == "resend":
            organisation_services.invitation_resend(
                actor=self.request.user, invitation=invitation, base_url=self.request.build_absolute_uri("/")
            )
            return _("Invitation sent again to %(email)s.") % {"email": invitation.email}
        organisation_services.invitation_revoke(actor=self.request.user, invitation=invitation)
        return _("Invitation to %(email)s revoked.") % {"email": invitation.email}

    def get_success_url(self):
        return self.app_url("access")


class ApplicationDeleteView(ApplicationTabMixin, ServiceFormMixin, FormView):
    template_name = "apps/delete.html"
    form_class = DeleteApplicationForm
    required_capability = Capability.DELETE

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "application": self.application}

    def perform(self, form):
        services.application_delete(
            actor=self.request.user, application=self.application, confirm_name=form.cleaned_data["confirm_name"]
        )
        messages.success(self.request, _("Application “%(name)s” deleted.") % {"name": self.application.name})

    def get_success_url(self, result=None):
        return reverse("apps:list", kwargs={"slug": self.organisation.slug})


# Add-ons


class AddonListView(OrganisationMixin, TemplateView):
    required_right = Right.VIEW_APPLICATIONS
    template_name = "apps/addons.html"

    def get_context_data(self, **kwargs):
        kwargs["page"] = Paginator(selectors.addons_for_list(organisation=self.organisation), PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        return super().get_context_data(**kwargs)


class AddonCreateView(OrganisationMixin, ServiceFormMixin, FormView):
    required_right = Right.MANAGE_ADDONS
    template_name = "apps/addon_create.html"
    form_class = AddonCreateForm

    def perform(self, form):
        addon = services.addon_create(actor=self.request.user, organisation=self.organisation, **form.cleaned_data)
        messages.success(self.request, _("Add-on “%(name)s” created.") % {"name": addon.name})
        return addon

    def get_success_url(self, result=None):
        return reverse("apps:addon", kwargs={"slug": self.organisation.slug, "addon_id": result.pk})


class AddonMixin(OrganisationMixin):
    def get_addon(self) -> Addon:
        return get_object_or_404(
            Addon.objects.select_related("plan"), organisation=self.organisation, pk=self.kwargs["addon_id"]
        )


class AddonDetailView(AddonMixin, ServiceFormMixin, FormView):
    """An add-on, its connection variables (names) and the applications linked to it."""

    required_right = Right.VIEW_APPLICATIONS
    template_name = "apps/addon.html"
    form_class = AddonLinkForm

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST":
            self.required_right = Right.MANAGE_ADDONS
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organisation": self.organisation}

    def get_initial(self):
        return {"applications": list(self.addon.applications.all())}

    def get(self, request, *args, **kwargs):
        self.addon = self.get_addon()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.addon = self.get_addon()
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs["addon"] = self.addon
        kwargs["variable_names"] = [name for name, _value in selectors.addon_connection_variables(self.addon)]
        kwargs["linked"] = list(self.addon.applications.all())
        return super().get_context_data(**kwargs)

    def perform(self, form):
        services.addon_link(actor=self.request.user, addon=self.addon, applications=form.cleaned_data["applications"])
        messages.success(self.request, _("Linked applications saved."))

    def get_success_url(self, result=None):
        return reverse("apps:addon", kwargs={"slug": self.organisation.slug, "addon_id": self.addon.pk})


class AddonDeleteView(AddonMixin, ConfirmedActionView):
    required_right = Right.MANAGE_ADDONS

    @cached_property
    def addon(self) -> Addon:
        return self.get_addon()

    def confirmation(self):
        name = {"name": self.addon.name}
        consequences = [_("The add-on “%(name)s” and all the data it holds are deleted. It cannot be undone.") % name]
        linked = [application.name for application in self.addon.applications.all()]
        if linked:
            consequences.append(
                _("These applications lose its connection variables: %(applications)s.")
                % {"applications": ", ".join(linked)}
            )
        return Confirmation(
            title=_("Delete the add-on “%(name)s”?") % name,
            consequences=consequences,
            button=_("Delete the add-on"),
            cancel_url=reverse("apps:addon", kwargs={"slug": self.organisation.slug, "addon_id": self.addon.pk}),
        )

    def perform(self):
        services.addon_delete(actor=self.request.user, addon=self.addon)
        return _("Add-on “%(name)s” deleted.") % {"name": self.addon.name}

    def get_success_url(self):
        return reverse("apps:addons", kwargs={"slug": self.organisation.slug})


# Shared with me


class SharedWithMeView(TemplateView):
    """The applications shared with the signed-in person, across organisations."""

    template_name = "apps/shared.html"

    def get_context_data(self, **kwargs):
        kwargs["grants"] = selectors.shared_with(user=self.request.user)
        return super().get_context_data(**kwargs)
