"""Django admin for admins: direct access to every inventory row, read-mostly for history."""

from django.contrib import admin

from ifixit.inventory.models import Car, CarPhoto, PhaseChange, PhotoFileChange, RepairItem, Sale


class RepairItemInline(admin.TabularInline):
    model = RepairItem
    extra = 0


class PhaseChangeInline(admin.TabularInline):
    model = PhaseChange
    extra = 0
    can_delete = False
    readonly_fields = ("from_phase", "to_phase", "changed_at", "changed_by", "note")

    def has_add_permission(self, request, obj=None):
        return False  # phase changes go through the state machine (services), never by hand


@admin.register(Car)
class CarAdmin(admin.ModelAdmin):
    list_display = ("__str__", "vin", "location", "phase", "phase_changed_at", "purchase_price")
    list_filter = ("phase", "location", "fuel", "body_type")
    search_fields = ("vin", "registration", "make", "model")
    list_select_related = ("location",)
    readonly_fields = ("phase", "phase_changed_at", "created_at", "created_by", "updated_at")
    inlines = [RepairItemInline, PhaseChangeInline]
    date_hierarchy = "created_at"


@admin.register(Sale)
class SaleAdmin(admin.ModelAdmin):
    list_display = ("car", "sold_on", "price", "cost_at_sale", "location", "sold_by")
    list_filter = ("location",)
    list_select_related = ("car", "location", "sold_by")
    date_hierarchy = "sold_on"
    readonly_fields = ("cost_at_sale",)


@admin.register(CarPhoto)
class CarPhotoAdmin(admin.ModelAdmin):
    list_display = ("car", "caption", "width", "height", "uploaded_at")
    list_select_related = ("car",)
    # Photos come in through the upload check (inventory.services.car_photo_add) only.
    readonly_fields = ("image", "width", "height", "uploaded_by", "uploaded_at")

    def has_add_permission(self, request):
        return False


@admin.register(PhotoFileChange)
class PhotoFileChangeAdmin(admin.ModelAdmin):
    list_display = ("changed_at", "car", "photo_id", "action", "old_name", "new_name", "reason")
    list_filter = ("action",)
    list_select_related = ("car",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
