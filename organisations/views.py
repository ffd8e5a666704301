import csv
import json
from dataclasses import dataclass
from functools import cached_property

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView, RedirectView, TemplateView
from django.views.generic.base import ContextMixin, TemplateResponseMixin

from console.navigation import sections_for

from . import selectors, services
from .access import organisation_roles
from .forms import (
    ActivityFilterForm,
    ConfirmForm,
    DeleteOrganisationForm,
    InvitationForm,
    MemberFilterForm,
    MemberRenewForm,
    MemberRoleForm,
    OrganisationForm,
    RoleDeleteForm,
    RoleForm,
    TwoFactorSettingForm,
)
from .keyset import in_chunks
from .mixins import OrganisationMixin
from .models import Invitation, Membership, Role
from .pagination import CappedPaginator, PageNumberMixin
from .roles import RIGHT_DESCRIPTIONS, SUGGESTED_ROLES, Right


def apply_validation_error(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, on its field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class ServiceActionView(View):
    """A POST-only action (delete, revoke, start...): a refusal becomes an error message, then back to the success
    URL. ``perform`` calls the service and returns the success message."""

    http_method_names = ["post"]

    def perform(self) -> str:
        raise NotImplementedError

    def get_success_url(self) -> str:
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        try:
            message = self.perform()
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, message)
        return redirect(self.get_success_url())


@dataclass(frozen=True)
class Confirmation:
    """What a confirmation page says: what is about to happen, what will be lost, the button that does it."""

    title: str
    consequences: list[str]
    button: str
    cancel_url: str


CONFIRM_FIELD = "confirm"


class ConfirmedActionView(TemplateResponseMixin, ContextMixin, ServiceActionView):
    """A destructive action behind a confirmation page, the action's own address: GET shows what will be lost
    (``confirmation``) with a form posting ``confirm``; only that POST acts. A POST without it (a form or a script that
    skipped the page) shows the page again and changes nothing. No script: the CSP forbids inline ones."""

    http_method_names = ["get", "post"]
    template_name = "confirm.html"

    def confirmation(self) -> Confirmation:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(confirmation=self.confirmation(), confirm_field=CONFIRM_FIELD)
        return self.render_to_response(context)

    def post(self, request, *args, **kwargs):
        if request.POST.get(CONFIRM_FIELD) != "yes":
            return self.get(request, *args, **kwargs)
        return super().post(request, *args, **kwargs)


class RecentAuthenticationMixin:
    """Sensitive changes ask for a recent sign-in (allauth's reauthentication), once the access checks have passed.

    Put after ``OrganisationMixin``: a person who may not see the page gets 404/403, not a password prompt. A POST
    interrupted by the prompt is replayed by allauth once the person has signed in again.
    """

    reauthentication_allow_get = False

    def dispatch(self, request, *args, **kwargs):
        check = reauthentication_required(super().dispatch, allow_get=self.reauthentication_allow_get)
        return check(request, *args, **kwargs)


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
            kwargs["recent_activity"] = selectors.recent_activity(
                organisation=self.organisation, rights=self.access.rights
            )
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


class DeleteView(OrganisationMixin, RecentAuthenticationMixin, FormView):
    """What stops the deletion, if anything (with where to settle it); otherwise the form, which asks for the name
    and, to delete, a recent sign-in."""

    required_right = Right.DELETE_ORGANISATION
    reauthentication_allow_get = True
    template_name = "organisations/delete.html"
    form_class = DeleteOrganisationForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organisation": self.organisation}

    def get_context_data(self, **kwargs):
        kwargs["blockers"] = services.organisation_deletion_blockers(organisation=self.organisation)
        return super().get_context_data(**kwargs)

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


# Members and invitations

# The session key under which a sign-up started from an invitation link remembers its token (see handlers).
INVITATION_SESSION_KEY = "organisations_invitation_token"


def _base_url(request) -> str:
    """The console's scheme and host, for links in emails."""
    return request.build_absolute_uri("/")


# The rights with which a member acts on other members (or their invitations), according to their roles.
MANAGING_RIGHTS = (Right.CHANGE_MEMBER_ROLES, Right.REMOVE_MEMBERS, Right.INVITE_MEMBERS)


class MembersView(OrganisationMixin, PageNumberMixin, ListView):
    required_right = Right.VIEW_MEMBERS
    template_name = "organisations/members.html"
    context_object_name = "members"
    paginate_by = 50
    filter_form_class = MemberFilterForm

    @cached_property
    def filter_form(self):
        return self.filter_form_class(self.request.GET)

    def get_queryset(self):
        filters = self.filter_form.cleaned_data if self.filter_form.is_valid() else {}
        return selectors.members_list(
            organisation=self.organisation,
            query=filters.get("q", ""),
            without_two_factor=filters.get("without_two_factor", False),
        )

    def get_context_data(self, **kwargs):
        kwargs["filter_form"] = self.filter_form
        if any(self.access.has(right) for right in MANAGING_RIGHTS):
            kwargs["manageable_role_ids"] = {role.pk for role in self.access.manageable_roles()}
        if self.access.has(Right.INVITE_MEMBERS):
            kwargs["invitations"] = selectors.pending_invitations(organisation=self.organisation)
        return super().get_context_data(**kwargs)


class MemberMixin:
    """A member of the URL's organisation, by the membership's id; members of other organisations are 404."""

    # Removing or renewing a member also reaches an expired membership; changing a role does not.
    include_expired = False

    @cached_property
    def target(self) -> Membership:
        memberships = Membership.objects.select_related("user", "role")
        return get_object_or_404(
            memberships if self.include_expired else memberships.active(),
            organisation=self.organisation,
            pk=self.kwargs["pk"],
        )

    def get_context_data(self, **kwargs):
        kwargs["target"] = self.target
        return super().get_context_data(**kwargs)

    def member_gone(self, error: ValidationError):
        """Another request removed the member first (or they left): say so on the member list."""
        messages.error(self.request, " ".join(error.messages))
        return redirect("organisations:members", slug=self.organisation.slug)


class MemberRoleView(OrganisationMixin, RecentAuthenticationMixin, MemberMixin, FormView):
    required_right = Right.CHANGE_MEMBER_ROLES
    template_name = "organisations/member_role.html"
    form_class = MemberRoleForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["manageable_roles"] = self.access.manageable_roles()
        kwargs.setdefault("initial", {})["role"] = self.target.role.choice_value
        return kwargs

    def form_valid(self, form):
        try:
            membership = services.membership_change_role(
                actor=self.request.user, membership=self.target, role=form.cleaned_data["role"]
            )
        except ValidationError as error:
            if error.code == services.MEMBERSHIP_GONE:
                return self.member_gone(error)
            apply_validation_error(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(email)s is now %(role)s.") % {"email": membership.user.email, "role": membership.role},
        )
        return redirect("organisations:members", slug=self.organisation.slug)


class MemberRemoveView(OrganisationMixin, RecentAuthenticationMixin, MemberMixin, FormView):
    required_right = Right.REMOVE_MEMBERS
    include_expired = True
    template_name = "organisations/member_remove.html"
    form_class = ConfirmForm

    def form_valid(self, form):
        try:
            services.membership_remove(actor=self.request.user, membership=self.target)
        except ValidationError as error:
            if error.code == services.MEMBERSHIP_GONE:
                return self.member_gone(error)
            apply_validation_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("%(email)s has been removed.") % {"email": self.target.user.email})
        return redirect("organisations:members", slug=self.organisation.slug)


class MemberRenewView(OrganisationMixin, RecentAuthenticationMixin, MemberMixin, FormView):
    """A temporary membership, expired or not, gets a new expiry (or none)."""

    required_right = Right.CHANGE_MEMBER_ROLES
    include_expired = True
    template_name = "organisations/member_renew.html"
    form_class = MemberRenewForm

    def form_valid(self, form):
        try:
            services.membership_renew(
                actor=self.request.user, membership=self.target, expires_at=form.cleaned_data["expires_at"]
            )
        except ValidationError as error:
            if error.code == services.MEMBERSHIP_GONE:
                return self.member_gone(error)
            apply_validation_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The access of %(email)s is renewed.") % {"email": self.target.user.email})
        return redirect("organisations:members", slug=self.organisation.slug)


class LeaveView(OrganisationMixin, FormView):
    """Any member may leave, after confirming; the last Admin is told to appoint another first."""

    template_name = "organisations/leave.html"
    form_class = ConfirmForm

    def form_valid(self, form):
        try:
            services.membership_leave(membership=self.access.membership)
        except ValidationError as error:
            if error.code == services.MEMBERSHIP_GONE:
                messages.error(self.request, " ".join(error.messages))
                return redirect("home")
            apply_validation_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("You have left “%(name)s”.") % {"name": self.organisation.name})
        return redirect("home")


class InviteView(OrganisationMixin, FormView):
    required_right = Right.INVITE_MEMBERS
    template_name = "organisations/invite.html"
    form_class = InvitationForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "manageable_roles": self.access.manageable_roles()}

    def form_valid(self, form):
        try:
            invitation = services.invitation_create(
                actor=self.request.user,
                organisation=self.organisation,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                base_url=_base_url(self.request),
            )
        except ValidationError as error:
            apply_validation_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
        return redirect("organisations:members", slug=self.organisation.slug)


class InvitationActionView(OrganisationMixin, View):
    """Resend or revoke a pending invitation of the organisation (a button on the members page)."""

    required_right = Right.INVITE_MEMBERS
    http_method_names = ["post"]
    action = ""

    def post(self, request, *args, **kwargs):
        invitation = get_object_or_404(Invitation, organisation=self.organisation, pk=kwargs["pk"])
        try:
            if self.action == "resend":
                services.invitation_resend(actor=request.user, invitation=invitation, base_url=_base_url(request))
                messages.success(request, _("Invitation sent again to %(email)s.") % {"email": invitation.email})
            else:
                services.invitation_revoke(actor=request.user, invitation=invitation)
                messages.success(request, _("Invitation to %(email)s revoked.") % {"email": invitation.email})
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("organisations:members", slug=self.organisation.slug)


class SecurityView(OrganisationMixin, RecentAuthenticationMixin, FormView):
    """The organisation's security settings: whether every member must use two-factor authentication."""

    required_right = Right.MANAGE_SECURITY
    reauthentication_allow_get = True
    template_name = "organisations/security.html"
    form_class = TwoFactorSettingForm

    def get_initial(self):
        return {"require_two_factor": self.organisation.require_two_factor}

    def form_valid(self, form):
        try:
            services.organisation_set_two_factor(
                actor=self.request.user,
                organisation=self.organisation,
                require_two_factor=form.cleaned_data["require_two_factor"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Security settings saved."))
        return redirect("organisations:security", slug=self.organisation.slug)


# Roles


class RolesView(OrganisationMixin, TemplateView):
    """Every role of the organisation with its rights, as a matrix; Admins create, change and delete custom ones."""

    required_right = Right.VIEW_MEMBERS
    template_name = "organisations/roles.html"

    def get_context_data(self, **kwargs):
        kwargs["roles"] = organisation_roles(organisation=self.organisation)
        kwargs["rights"] = list(RIGHT_DESCRIPTIONS.items())
        kwargs["suggestions"] = SUGGESTED_ROLES
        return super().get_context_data(**kwargs)


class RoleCreateView(OrganisationMixin, FormView):
    required_right = Right.CHANGE_MEMBER_ROLES
    requires_role_editing = True
    template_name = "organisations/role_form.html"
    form_class = RoleForm

    def get_initial(self):
        start = next((s for s in SUGGESTED_ROLES if s["id"] == self.request.GET.get("start")), None)
        if start is None:
            return {}
        return {"name": start["name"], "description": start["desc"], "rights": [r.value for r in start["rights"]]}

    def form_valid(self, form):
        try:
            role = services.role_create(
                actor=self.request.user,
                organisation=self.organisation,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                rights=form.cleaned_data["rights"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Role “%(name)s” created.") % {"name": role})
        return redirect("organisations:roles", slug=self.organisation.slug)


class CustomRoleMixin:
    """A custom role of the URL's organisation; built-in roles and other organisations' roles are 404."""

    @cached_property
    def role(self) -> Role:
        return get_object_or_404(Role, organisation=self.organisation, pk=self.kwargs["role_id"], key__isnull=True)

    def get_context_data(self, **kwargs):
        kwargs["role"] = self.role
        kwargs["member_count"] = Membership.objects.filter(role=self.role).count()
        return super().get_context_data(**kwargs)


class RoleUpdateView(OrganisationMixin, CustomRoleMixin, FormView):
    required_right = Right.CHANGE_MEMBER_ROLES
    requires_role_editing = True
    template_name = "organisations/role_form.html"
    form_class = RoleForm

    def get_initial(self):
        role = self.role
        return {"name": role.name, "description": role.description, "rights": [r.value for r in role.rights]}

    def form_valid(self, form):
        try:
            role = services.role_update(
                actor=self.request.user,
                role=self.role,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                rights=form.cleaned_data["rights"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Role “%(name)s” saved.") % {"name": role})
        return redirect("organisations:roles", slug=self.organisation.slug)


class RoleDeleteView(OrganisationMixin, CustomRoleMixin, FormView):
    required_right = Right.CHANGE_MEMBER_ROLES
    requires_role_editing = True
    template_name = "organisations/role_delete.html"
    form_class = RoleDeleteForm

    def get_form_kwargs(self):
        others = [role for role in organisation_roles(organisation=self.organisation) if role.pk != self.role.pk]
        in_use = (
            Membership.objects.filter(role=self.role).exists() or Invitation.objects.filter(role=self.role).exists()
        )
        return {**super().get_form_kwargs(), "role": self.role, "other_roles": others, "in_use": in_use}

    def form_valid(self, form):
        name = str(self.role)
        try:
            services.role_delete(
                actor=self.request.user, role=self.role, replacement=form.cleaned_data["replacement"] or None
            )
        except ValidationError as error:
            apply_validation_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Role “%(name)s” deleted.") % {"name": name})
        return redirect("organisations:roles", slug=self.organisation.slug)


class ActivityFilterMixin:
    filter_form_class = ActivityFilterForm

    @cached_property
    def filter_form(self):
        return self.filter_form_class(self.request.GET, organisation=self.organisation, rights=self.access.rights)

    def filtered_activity(self):
        self.filter_form.is_valid()
        # Fields that did not validate are left out of the filter; the form shows their errors.
        filters = {name: value for name, value in self.filter_form.cleaned_data.items() if value}
        return selectors.activity_list(organisation=self.organisation, rights=self.access.rights, **filters)


class ActivityView(OrganisationMixin, ActivityFilterMixin, PageNumberMixin, ListView):
    required_right = Right.VIEW_ACTIVITY
    template_name = "organisations/activity.html"
    context_object_name = "activities"
    paginate_by = 50
    paginator_class = CappedPaginator

    def get_queryset(self):
        return self.filtered_activity()

    def get_context_data(self, **kwargs):
        kwargs["filter_form"] = self.filter_form
        return super().get_context_data(**kwargs)


class _Echo:
    def write(self, value):
        return value


def _csv_cell(value) -> str:
    """A cell that a spreadsheet shows as text, never runs as a formula; a snapshot (``before``, ``after``) as JSON."""
    if value is None:
        text = ""
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, cls=DjangoJSONEncoder)
    else:
        text = str(value)
    return f"'{text}" if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


class ActivityExportView(OrganisationMixin, ActivityFilterMixin, View):
    """The activity log, with the page's filters, as CSV."""

    required_right = Right.VIEW_ACTIVITY
    chunk_size = 2000  # rows per query: each chunk is read by a query of its own (organisations/keyset.py)

    def get(self, request, *args, **kwargs):
        activities = self.filtered_activity()
        writer = csv.writer(_Echo())
        header = [_("Time"), _("Who"), _("Action"), _("Target type"), _("Target"), _("Before"), _("After")]

        def rows():
            yield writer.writerow(header)
            for activity in in_chunks(activities, size=self.chunk_size):
                yield writer.writerow(
                    _csv_cell(value)
                    for value in (
                        timezone.localtime(activity.created_at).isoformat(),
                        activity.actor_label,
                        activity.verb,
                        activity.target_type,
                        activity.target_label,
                        activity.before,
                        activity.after,
                    )
                )

        filename = f"activity-{self.organisation.slug}-{timezone.localdate().isoformat()}.csv"
        return StreamingHttpResponse(
            rows(),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


# The invitation link: public, since the invited person may have no account yet.


def _invitation_closed(request, invitation: Invitation | None):
    """The page of a link that cannot be used: unknown (404) or no longer pending (410). Says nothing more."""
    if invitation is None:
        message, status = _("This invitation link is not valid. It may have been replaced by a newer one."), 404
    else:
        message, status = services.INVITATION_CLOSED_MESSAGES[invitation.status](), 410
    return render(request, "organisations/invitation_closed.html", {"message": message}, status=status)


def _invitation_by_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("organisation", "invited_by", "application")
        .filter(token_hash=services.invitation_token_hash(token))
        .first()
    )


@method_decorator(login_not_required, name="dispatch")
class InvitationView(TemplateView):
    """What the invitation is, and how to answer it: sign in or sign up, then accept; or decline."""

    template_name = "organisations/invitation.html"

    def get(self, request, *args, **kwargs):
        invitation = _invitation_by_token(kwargs["token"])
        user = request.user
        if (
            invitation is not None
            and invitation.state == Invitation.State.ACCEPTED
            and user.is_authenticated
            and invitation.accepted_by_id == user.pk
        ):
            if invitation.application_id:
                return redirect("apps:overview", slug=invitation.organisation.slug, pk=invitation.application_id)
            return redirect("organisations:entry", slug=invitation.organisation.slug)
        if invitation is None or not invitation.is_pending:
            return _invitation_closed(request, invitation)
        is_invitee = (
            user.is_authenticated
            and user.emailaddress_set.filter(email__iexact=invitation.email, verified=True).exists()
        )
        path = request.path
        context = self.get_context_data(
            invitation=invitation,
            organisation=invitation.organisation,
            role=invitation.role,
            is_invitee=is_invitee,
            # Told before anyone signs up or accepts: the inviter may no longer give this access.
            inviter_refusal=services.invitation_inviter_refusal(invitation),
            login_url=f"{reverse('account_login')}?{urlencode({'next': path})}",
            signup_url=reverse("organisations:invitation_signup", kwargs={"token": kwargs["token"]}),
            token=kwargs["token"],
        )
        return self.render_to_response(context)


@method_decorator(login_not_required, name="dispatch")
class InvitationSignupView(View):
    """Sign up from the invitation link, with the invited email filled in and taken as verified.

    The link was sent only to the invited address, so following it proves control of that address, as a
    confirmation link would: allauth's ``stash_verified_email`` marks it verified at sign-up, and the invitation is
    accepted as the account is created (``handlers.accept_invitation_after_signup``).
    """

    def get(self, request, token):
        invitation = _invitation_by_token(token)
        invitation_url = reverse("organisations:invitation", kwargs={"token": token})
        if invitation is None or not invitation.is_pending or request.user.is_authenticated:
            return redirect(invitation_url)
        get_account_adapter(request).stash_verified_email(request, invitation.email)
        request.session[INVITATION_SESSION_KEY] = token
        return HttpResponseRedirect(f"{reverse('account_signup')}?{urlencode({'next': invitation_url})}")


class InvitationAcceptView(View):
    """Accept: signed in, with the invited email verified (LoginRequiredMiddleware sends others to sign in)."""

    http_method_names = ["post"]

    def post(self, request, token):
        try:
            invitation = services.invitation_accept(user=request.user, token=token)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("organisations:invitation", token=token)
        messages.success(request, accepted_message(invitation))
        if invitation.application_id:
            return redirect("apps:overview", slug=invitation.organisation.slug, pk=invitation.application_id)
        return redirect("organisations:entry", slug=invitation.organisation.slug)


def accepted_message(invitation: Invitation) -> str:
    """What the person who accepted ``invitation`` is told: the application now shared, or the role they hold."""
    if invitation.application_id:
        return _("“%(name)s” is now shared with you.") % {"name": invitation.application.name}
    return _("Welcome to “%(name)s”: you are %(role)s.") % {
        "name": invitation.organisation.name,
        "role": invitation.role,
    }


@method_decorator(login_not_required, name="dispatch")
class InvitationDeclineView(View):
    http_method_names = ["post"]

    def post(self, request, token):
        try:
            invitation = services.invitation_decline(token=token, user=request.user)
        except ValidationError:
            return _invitation_closed(request, _invitation_by_token(token))
        return render(request, "organisations/invitation_declined.html", {"organisation": invitation.organisation})
