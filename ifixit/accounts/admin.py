from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from ifixit.accounts import audit, services, two_factor
from ifixit.accounts.models import ApiToken, AuditEvent, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (("I-fixit", {"fields": ("role", "locations", "sees_all_locations")}),)
    list_display = ("username", "email", "role", "is_active", "sees_all_locations")
    list_filter = ("role", "is_active", "locations")
    filter_horizontal = ("groups", "user_permissions", "locations")
    actions = ["reset_second_factor"]
    AUDITED = ("role", "is_active", "is_superuser", "is_staff", "sees_all_locations")

    def save_model(self, request, obj, form, change):
        # What an admin changed in someone's rights goes in the audit log; locations after
        # save_related, where the many-to-many is written.
        before = User.objects.filter(pk=obj.pk).values(*self.AUDITED).first() if change else {}
        request._audit_locations_before = set(obj.locations.values_list("code", flat=True)) if change else set()
        super().save_model(request, obj, form, change)
        changed = {f: [before.get(f), getattr(obj, f)] for f in self.AUDITED if before.get(f) != getattr(obj, f)}
        if changed and change:
            audit.record(request, "user.rights_changed", target=obj, detail=changed)
        elif not change:
            audit.record(request, "user.created", target=obj, detail={"role": obj.role})

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        services.user_set_role(user=obj, role=obj.role)  # the role's group and staff flag follow the role
        after = set(obj.locations.values_list("code", flat=True))
        before = getattr(request, "_audit_locations_before", set())
        if after != before:
            audit.record(request, "user.locations_changed", target=obj,
                         detail={"added": sorted(after - before), "removed": sorted(before - after)})

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
