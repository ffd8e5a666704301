from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.admin import ReinforcedGuardedModelAdmin

from . import services
from .models import Activity, Invitation, Membership, Organisation, Role


class OrganisationRolesMixin:
    """The role field lists the roles of the row's organisation (every organisation's, named with it, on add)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name != "role":
            return super().formfield_for_foreignkey(db_field, request, **kwargs)
        object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
        obj = self.get_object(request, object_id) if object_id else None
        queryset = Role.objects.select_related("organisation")
        kwargs["queryset"] = queryset.filter(organisation_id=obj.organisation_id) if obj else queryset
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        field.label_from_instance = lambda role: role.display_name if obj else f"{role.organisation} — {role}"
        return field


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "organisation"
    extra = 0
    fields = ["user", "role", "joined_at", "invited_by", "expires_at"]
    readonly_fields = fields  # Roles change through MembershipAdmin, which goes through the services.
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Organisation)
class OrganisationAdmin(ReinforcedGuardedModelAdmin):
    list_display = ["name", "slug", "is_personal", "require_two_factor", "created_at", "deleted_at"]
    list_filter = ["is_personal", "require_two_factor", "created_at", "deleted_at"]
    search_fields = ["name", "slug", "memberships__user__email"]
    readonly_fields = ["created_at", "deleted_at"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    actions = None  # No bulk delete: each deletion goes through the service's rules.

    def get_deleted_objects(self, objs, request):
        """What the service deletes, without the cascade's objections: the row stays (services.organisation_delete),
        so the invoices, usage and credits it keeps are neither protected nor deleted, and no right over them is
        needed; the delete_organisation permission is."""
        deleted, model_count, _perms_needed, _protected = super().get_deleted_objects(objs, request)
        return deleted, model_count, set(), []

    def delete_model(self, request, obj):
        """Staff delete as an Admin would: refused while billing is not settled; the row stays, marked deleted."""
        try:
            services.organisation_delete(actor=request.user, organisation=obj, confirm_name=obj.name)
        except ValidationError as error:
            request._organisation_refused = True
            self.message_user(request, " ".join(error.messages), messages.ERROR)

    def response_delete(self, request, obj_display, obj_id):
        if getattr(request, "_organisation_refused", False):
            return HttpResponseRedirect(reverse("admin:organisations_organisation_change", args=[obj_id]))
        return super().response_delete(request, obj_display, obj_id)


@admin.register(Membership)
class MembershipAdmin(OrganisationRolesMixin, admin.ModelAdmin):
    """Staff add, change and remove members through the services, so the last-Admin rule holds here too."""

    list_display = ["user", "organisation", "role", "joined_at", "expires_at"]
    list_filter = ["role__key", "organisation__is_personal", "joined_at", "expires_at"]
    search_fields = ["user__email", "user__name", "organisation__name", "organisation__slug"]
    list_select_related = ["user", "organisation", "role"]
    raw_id_fields = ["user", "organisation"]
    fields = ["organisation", "user", "role", "expires_at", "joined_at", "invited_by"]
    actions = None  # No bulk delete: each removal goes through the last-Admin rule.

    def get_readonly_fields(self, request, obj=None):
        locked = ["joined_at", "invited_by"]
        return [*locked, "organisation", "user"] if obj else locked

    def save_model(self, request, obj, form, change):
        try:
            if not change:
                created = services.membership_add(
                    actor=request.user,
                    organisation=obj.organisation,
                    user=obj.user,
                    role=obj.role,
                    expires_at=obj.expires_at,
                    by_staff=True,
                )
                obj.pk = created.pk
                return
            if "role" in form.changed_data:
                services.membership_change_role(actor=request.user, membership=obj, role=obj.role, by_staff=True)
            if "expires_at" in form.changed_data:
                Membership.objects.filter(pk=obj.pk).update(expires_at=obj.expires_at)
        except ValidationError as error:
            request._membership_refused = True
            self.message_user(request, " ".join(error.messages), messages.ERROR)

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "_membership_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(request, "_membership_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def delete_model(self, request, obj):
        try:
            services.membership_remove(actor=request.user, membership=obj, by_staff=True)
        except ValidationError as error:
            request._membership_refused = True
            self.message_user(request, " ".join(error.messages), messages.ERROR)

    def response_delete(self, request, obj_display, obj_id):
        if getattr(request, "_membership_refused", False):
            return HttpResponseRedirect(reverse("admin:organisations_membership_change", args=[obj_id]))
        return super().response_delete(request, obj_display, obj_id)


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["created_at", "organisation_name", "actor_label", "verb", "target_label"]
    list_filter = ["verb", "created_at"]
    search_fields = ["organisation_name", "actor_label", "verb", "target_label"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InvitationStatusFilter(admin.SimpleListFilter):
    """The state as people see it, with "expired" for pending invitations past their expiry."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return list(Invitation.STATUS_LABELS.items())

    def queryset(self, request, queryset):
        value, now = self.value(), timezone.now()
        if value == Invitation.EXPIRED:
            return queryset.filter(state=Invitation.State.PENDING, expires_at__lte=now)
        if value == Invitation.State.PENDING:
            return queryset.pending()
        if value in Invitation.State.values:
            return queryset.filter(state=value)
        return queryset


@admin.register(Invitation)
class InvitationAdmin(OrganisationRolesMixin, admin.ModelAdmin):
    """Staff invite, resend and revoke through the services; accepting is the invited person's alone.

    Nothing here changes a membership, so the last-Admin rule cannot be broken from this page.
    """

    list_display = ["email", "organisation", "role", "status_display", "invited_by", "created_at", "expires_at"]
    list_filter = [InvitationStatusFilter, "role__key", "created_at", "expires_at"]
    search_fields = ["email", "organisation__name", "organisation__slug", "invited_by__email"]
    list_select_related = ["organisation", "invited_by", "role"]
    raw_id_fields = ["organisation"]
    date_hierarchy = "created_at"
    actions = ["resend", "revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["organisation", "email", "role"]
        return [
            "organisation",
            "email",
            "role",
            "status_display",
            "invited_by",
            "created_at",
            "sent_at",
            "expires_at",
            "accepted_by",
            "accepted_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the record stays, as the activity log refers to it

    @admin.display(description=_("status"))
    def status_display(self, obj):
        return obj.get_status_display()

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            created = services.invitation_create(
                actor=request.user,
                organisation=obj.organisation,
                email=obj.email,
                role=obj.role,
                base_url=request.build_absolute_uri("/"),
                by_staff=True,
            )
        except ValidationError as error:
            request._invitation_refused = True
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return
        obj.pk = created.pk

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "_invitation_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def _each(self, request, queryset, action, done_message):
        done = 0
        for invitation in queryset:
            try:
                action(invitation)
            except ValidationError as error:
                self.message_user(request, f"{invitation.email}: {' '.join(error.messages)}", messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Send the selected invitations again (new link, new expiry)"))
    def resend(self, request, queryset):
        base_url = request.build_absolute_uri("/")
        self._each(
            request,
            queryset,
            lambda invitation: services.invitation_resend(
                actor=request.user, invitation=invitation, base_url=base_url, by_staff=True
            ),
            _("%(count)d invitation(s) sent again."),
        )

    @admin.action(description=_("Revoke the selected invitations"))
    def revoke(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda invitation: services.invitation_revoke(actor=request.user, invitation=invitation, by_staff=True),
            _("%(count)d invitation(s) revoked."),
        )
