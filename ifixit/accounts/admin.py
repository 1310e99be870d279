from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from ifixit.accounts.models import ApiToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (("I-fixit", {"fields": ("role", "locations", "sees_all_locations")}),)
    list_display = ("username", "email", "role", "is_active", "sees_all_locations")
    list_filter = ("role", "is_active", "locations")
    filter_horizontal = ("groups", "user_permissions", "locations")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")
