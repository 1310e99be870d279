from django import forms
from django.contrib import admin

from ifixit.auctions.models import AuctionSource, FeedHealth, Lot


class AuctionSourceForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https", help_text=AuctionSource._meta.get_field("url").help_text)

    class Meta:
        model = AuctionSource
        fields = "__all__"
        # Credentials are write-only here: never shown back once saved.
        widgets = {"api_key": forms.PasswordInput(render_value=False), "webhook_secret": forms.PasswordInput(render_value=False)}


@admin.register(AuctionSource)
class AuctionSourceAdmin(admin.ModelAdmin):
    form = AuctionSourceForm
    list_display = ["name", "kind", "url", "enabled", "paused"]

    def save_model(self, request, obj, form, change):
        # An empty password field on edit keeps the stored credential.
        if change:
            stored = AuctionSource.objects.get(pk=obj.pk)
            obj.api_key = obj.api_key or stored.api_key
            obj.webhook_secret = obj.webhook_secret or stored.webhook_secret
        super().save_model(request, obj, form, change)
        FeedHealth.objects.get_or_create(source=obj)


@admin.register(Lot)
class LotAdmin(admin.ModelAdmin):
    list_display = ["external_id", "source", "make", "model", "stage", "current_bid", "bid_count", "outcome", "ends_at"]
    list_filter = ["source", "stage", "outcome"]
    search_fields = ["external_id", "make", "model"]
