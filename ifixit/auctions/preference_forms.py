"""Forms of the bidding-preference pages: the shape of the input only; the rules (year order,
known makes and regions, name once per user) are the auctions services' (preference_save), shared with the API."""

from django import forms

from ifixit.auctions.models import AuctionSource, BiddingPreference
from ifixit.auctions.selectors import ALERT_KINDS, CHANNELS, LotVocabulary, lot_vocabulary
from ifixit.auctions.services import PreferenceInput

PAIR = "|"  # make|model in the models select's values
SEVERAL = "Hold Ctrl (⌘ on a Mac) to choose several; none chosen means any."


class PreferenceForm(forms.Form):
    name = forms.CharField(max_length=80)
    active = forms.BooleanField(
        required=False, initial=True, label="Active", help_text="Inactive preferences raise no alerts."
    )
    makes = forms.MultipleChoiceField(required=False, help_text=f"Wanted in any model. {SEVERAL}")
    models = forms.MultipleChoiceField(
        required=False,
        label="Models",
        help_text="A make chosen here is wanted in these models only; other makes above in any.",
    )
    year_min = forms.IntegerField(
        required=False, min_value=0, label="Year from", widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    year_max = forms.IntegerField(
        required=False, min_value=0, label="Year to", widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    mileage_max = forms.IntegerField(
        required=False,
        min_value=0,
        label="Mileage up to (miles)",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    price_max = forms.IntegerField(
        required=False,
        min_value=0,
        label="Most you would pay",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text="A lot over it does not match; you are told when the bidding passes it, or comes back under it.",
    )
    min_margin = forms.DecimalField(required=False, max_digits=10, decimal_places=2, label="Expected margin at least")
    min_roi = forms.DecimalField(
        required=False,
        max_digits=6,
        decimal_places=2,
        label="Expected ROI at least (%)",
        help_text="Margin and ROI come from the lot's advice; a lot without advice does not match them.",
    )
    sources = forms.ModelMultipleChoiceField(
        queryset=AuctionSource.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked means any source.",
    )
    regions = forms.MultipleChoiceField(required=False, help_text=SEVERAL)

    def __init__(
        self, *args, preference: BiddingPreference | None = None, vocabulary: LotVocabulary | None = None, **kwargs
    ):
        if preference is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": preference.name,
                "active": preference.active,
                "makes": preference.makes,
                "models": [f"{make}{PAIR}{model}" for make, model in preference.car_models],
                "year_min": preference.year_min,
                "year_max": preference.year_max,
                "mileage_max": preference.mileage_max,
                "price_max": preference.price_max,
                "min_margin": preference.min_margin,
                "min_roi": preference.min_roi,
                "sources": [s.pk for s in preference.sources.all()],
                "regions": preference.regions,
            }
        super().__init__(*args, **kwargs)
        known = vocabulary or lot_vocabulary()
        # What the preference holds stays choosable even if no lot offers it any more.
        held_makes = set(preference.makes) if preference else set()
        held_pairs = {tuple(p) for p in preference.car_models} if preference else set()
        held_regions = set(preference.regions) if preference else set()
        self.fields["makes"].choices = [(m, m) for m in sorted(set(known.makes) | held_makes)]
        by_make: dict[str, list[str]] = {}
        for make, model in sorted(set(known.models) | held_pairs):
            by_make.setdefault(make, []).append(model)
        self.fields["models"].choices = [
            (make, [(f"{make}{PAIR}{m}", m) for m in models]) for make, models in by_make.items()
        ]
        self.fields["regions"].choices = [(r, r) for r in sorted(set(known.regions) | held_regions, key=str.casefold)]
        for name in ("makes", "models", "regions"):
            self.fields[name].widget.attrs["size"] = 8

    def to_input(self) -> PreferenceInput:
        data = self.cleaned_data
        return PreferenceInput(
            name=data["name"],
            active=data["active"],
            makes=data["makes"],
            models=[tuple(value.split(PAIR, 1)) for value in data["models"]],
            year_min=data["year_min"],
            year_max=data["year_max"],
            mileage_max=data["mileage_max"],
            price_max=data["price_max"],
            min_margin=data["min_margin"],
            min_roi=data["min_roi"],
            sources=[s.pk for s in data["sources"]],
            regions=data["regions"],
        )


class AlertChannelsForm(forms.Form):
    """One row of channel boxes per lot-alert kind (the notification centre's choices)."""

    def __init__(self, *args, current: dict[str, dict[str, bool]], **kwargs):
        super().__init__(*args, **kwargs)
        labels = {"in_app": "In app", "email": "Email", "sms": "SMS"}
        for kind in ALERT_KINDS:
            for channel in CHANNELS:
                self.fields[f"{kind}-{channel}"] = forms.BooleanField(
                    required=False, initial=current[kind][channel], label=labels[channel]
                )

    def rows(self):
        from ifixit.notifications import kinds

        return [(kinds.get(kind), [self[f"{kind}-{c}"] for c in CHANNELS]) for kind in ALERT_KINDS]

    def channels(self) -> dict[str, list[str]]:
        return {kind: [c for c in CHANNELS if self.cleaned_data[f"{kind}-{c}"]] for kind in ALERT_KINDS}


class WatchForm(forms.Form):
    remind_before_start = forms.IntegerField(
        min_value=0, max_value=120, initial=10, label="Remind me before it goes live (minutes)"
    )
    remind_before_end = forms.IntegerField(
        min_value=0, max_value=120, initial=5, label="Remind me before it ends (minutes)"
    )
