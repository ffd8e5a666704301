from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect

from . import services
from .models import Addon, Application, ApplicationGrant, Deployment, Domain, EnvironmentVariable


class VariableInline(admin.TabularInline):
    """Names only: platform staff do not need the values, which stay out of the admin."""

    model = EnvironmentVariable
    fields = ["name", "updated_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class DomainInline(admin.TabularInline):
    model = Domain
    fields = ["hostname", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class DeploymentInline(admin.TabularInline):
    model = Deployment
    fields = ["created_at", "commit", "author_label", "status", "finished_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0
    ordering = ["-created_at"]


class GrantInline(admin.TabularInline):
    model = ApplicationGrant
    fk_name = "application"
    fields = ["user", "level", "expires_at", "granted_by", "created_at"]
    readonly_fields = fields  # Grants change through ApplicationGrantAdmin, which keeps guardian's rows in step.
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "runtime", "region", "flavor", "min_instances", "max_instances", "state"]
    list_filter = ["state", "runtime", "region", "flavor"]
    search_fields = ["name", "organisation__name", "organisation__slug", "domains__hostname"]
    list_select_related = ["organisation", "flavor"]
    # Changes go through the console's services (activity, lifecycle); staff inspect here, and delete.
    readonly_fields = [
        "organisation",
        "name",
        "description",
        "runtime",
        "region",
        "flavor",
        "min_instances",
        "max_instances",
        "state",
        "created_at",
    ]
    inlines = [VariableInline, DomainInline, DeploymentInline, GrantInline]
    actions = None

    def has_add_permission(self, request):
        return False

    def delete_model(self, request, obj):
        services.application_delete(actor=request.user, application=obj, confirm_name=obj.name)


@admin.register(Addon)
class AddonAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "plan", "region", "created_at"]
    list_filter = ["plan__kind", "region"]
    search_fields = ["name", "organisation__name", "organisation__slug"]
    list_select_related = ["organisation", "plan"]
    readonly_fields = ["organisation", "name", "plan", "region", "applications", "created_at"]
    actions = None

    def has_add_permission(self, request):
        return False

    def delete_model(self, request, obj):
        services.addon_delete(actor=request.user, addon=obj)


@admin.register(ApplicationGrant)
class ApplicationGrantAdmin(admin.ModelAdmin):
    """Staff grant, change and revoke through the services, so the guardian permissions follow the grant."""

    list_display = ["user", "application", "level", "expires_at", "granted_by", "created_at"]
    list_filter = ["level", "expires_at"]
    search_fields = ["user__email", "application__name", "application__organisation__name"]
    list_select_related = ["user", "application__organisation", "granted_by"]
    raw_id_fields = ["user", "application"]
    fields = ["application", "user", "level", "expires_at", "granted_by", "created_at"]
    actions = None  # No bulk delete: each revocation removes its guardian rows too.

    def get_readonly_fields(self, request, obj=None):
        locked = ["granted_by", "created_at"]
        return [*locked, "application", "user"] if obj else locked

    def save_model(self, request, obj, form, change):
        try:
            grant = services.grant_set(
                actor=request.user,
                application=obj.application,
                user=obj.user,
                level=obj.level,
                expires_at=obj.expires_at,
            )
            obj.pk = grant.pk
        except ValidationError as error:
            request._grant_refused = True
            self.message_user(request, " ".join(error.messages), messages.ERROR)

    def delete_model(self, request, obj):
        services.grant_revoke(actor=request.user, grant=obj)

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "_grant_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(request, "_grant_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)
