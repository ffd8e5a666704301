from django.contrib import admin

from .models import AddonPlan, Flavor


@admin.register(Flavor)
class FlavorAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "vcpus", "memory_mb", "hourly_price", "is_active"]
    list_editable = ["hourly_price", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]


@admin.register(AddonPlan)
class AddonPlanAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "code", "monthly_price", "is_active"]
    list_editable = ["monthly_price", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
