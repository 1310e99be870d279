from django.contrib import admin

from ifixit.notifications.models import Delivery, Digest, Notification, Preference


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    readonly_fields = ["channel", "address", "status", "attempts", "last_error", "sent_at", "provider_id", "digest"]
    can_delete = False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "read_at"]
    list_filter = ["kind", "in_app"]
    search_fields = ["title", "recipient__username", "dedupe_key"]
    raw_id_fields = ["recipient"]
    inlines = [DeliveryInline]
    list_select_related = ["recipient"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "channel", "address", "status", "attempts", "last_error", "sent_at"]
    list_filter = ["status", "channel"]
    raw_id_fields = ["notification", "digest"]


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ["local_date", "recipient", "channel", "status", "item_count", "sent_at"]
    list_filter = ["status", "channel"]
    raw_id_fields = ["recipient"]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "in_app", "email", "sms", "timing"]
    raw_id_fields = ["user"]
