from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from ifixit.accounts import two_factor
from ifixit.accounts.models import ApiToken, AuditEvent, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (("I-fixit", {"fields": ("role", "locations", "sees_all_locations")}),)
    list_display = ("username", "email", "role", "is_active", "sees_all_locations")
    list_filter = ("role", "is_active", "locations")
    filter_horizontal = ("groups", "user_permissions", "locations")
    actions = ["reset_second_factor"]

    @admin.action(description="Reset the second factor (they set it up again at their next sign-in)")
    def reset_second_factor(self, request, queryset):
        for user in queryset:
            two_factor.reset(request, user=user)
        self.message_user(request, f"Second factor reset for {queryset.count()} user(s); recorded in the audit log.")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read only: the log is evidence."""

    list_display = ("at", "action", "actor", "target_user", "username", "ip_address")
    list_filter = ("action",)
    search_fields = ("action", "username", "actor__username", "target_user__username", "ip_address")
    date_hierarchy = "at"
    list_select_related = ("actor", "target_user")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")
