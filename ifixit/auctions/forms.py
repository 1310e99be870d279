from django import forms

from ifixit.auctions.models import AuctionSource, Lot
from ifixit.auctions.selectors import LotFilters


class LotFilterForm(forms.Form):
    source = forms.ModelChoiceField(queryset=AuctionSource.objects.all(), required=False, empty_label="All sources")
    make = forms.CharField(required=False, max_length=50)
    price_min = forms.IntegerField(required=False, min_value=0, label="Bid from (£)")
    price_max = forms.IntegerField(required=False, min_value=0, label="Bid up to (£)")
    stage = forms.ChoiceField(required=False, choices=[("", "Open"), (Lot.Stage.PREBID, "Pre-bidding"), (Lot.Stage.LIVE, "Live"), (Lot.Stage.CLOSED, "Closed")])

    def to_filters(self) -> LotFilters:
        if not self.is_valid():
            return LotFilters()
        data = self.cleaned_data
        return LotFilters(
            source=data["source"].pk if data["source"] else None,
            make=data["make"].strip(),
            price_min=data["price_min"],
            price_max=data["price_max"],
            stage=data["stage"],
        )
