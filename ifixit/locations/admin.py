"""Django admin for admins: the group's sites."""

from django.contrib import admin

from ifixit.locations.models import Location


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "time_zone", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code")
