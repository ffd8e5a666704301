from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from guardian.admin import ReinforcedGuardedModelAdmin

from . import services
from .models import Activity, Membership, Organisation


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
    list_display = ["name", "slug", "is_personal", "require_two_factor", "created_at"]
    list_filter = ["is_personal", "require_two_factor", "created_at"]
    search_fields = ["name", "slug", "memberships__user__email"]
    readonly_fields = ["created_at"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Staff add, change and remove members through the services, so the last-Admin rule holds here too."""

    list_display = ["user", "organisation", "role", "joined_at", "expires_at"]
    list_filter = ["role", "organisation__is_personal", "joined_at", "expires_at"]
    search_fields = ["user__email", "user__name", "organisation__name", "organisation__slug"]
    list_select_related = ["user", "organisation"]
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
