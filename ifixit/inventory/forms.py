"""Shapes of the inventory pages' input. Rules live in models and services."""

from datetime import date

from django import forms
from django.utils import timezone

from ifixit.inventory.models import Car, Payment, Phase, RepairItem
from ifixit.locations.models import Location
from ifixit.inventory.selectors import PAYMENT_FILTERS, SORTS, CarFilters
from ifixit.money import symbol
from ifixit.inventory.services import CAR_EDITABLE_FIELDS

INITIAL_PHASES = [Phase.SOURCED, Phase.PURCHASED, Phase.IN_TRANSIT, Phase.FIXING, Phase.READY]


class CarFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", widget=forms.TextInput(attrs={"placeholder": "VIN, reg, make or model", "type": "search"}))
    location = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Location")
    phase = forms.ChoiceField(required=False, choices=[("", "Any phase")] + Phase.choices)
    make = forms.CharField(required=False, max_length=50)
    model = forms.CharField(required=False, max_length=50)
    year_min = forms.IntegerField(required=False, min_value=1900, max_value=2100, label="Year from")
    year_max = forms.IntegerField(required=False, min_value=1900, max_value=2100, label="Year to")
    min_days_in_phase = forms.IntegerField(required=False, min_value=0, max_value=3650, label="Days in phase ≥")
    payment = forms.ChoiceField(required=False, choices=[("", "Any payment")] + list(PAYMENT_FILTERS.items()), label="Paid by")
    sort = forms.ChoiceField(required=False, choices=list(SORTS.items()))

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = [("", "All my locations")] + [(loc.id, loc.name) for loc in locations]

    def clean(self):
        data = super().clean()
        if data.get("year_min") and data.get("year_max") and data["year_min"] > data["year_max"]:
            self.add_error("year_max", "Must not be before 'Year from'.")
        return data

    def to_filters(self) -> CarFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return CarFilters(
            location=data.get("location"),
            phase=data.get("phase") or "",
            make=(data.get("make") or "").strip(),
            model=(data.get("model") or "").strip(),
            year_min=data.get("year_min"),
            year_max=data.get("year_max"),
            min_days_in_phase=data.get("min_days_in_phase"),
            payment=data.get("payment") or "",
            q=(data.get("q") or "").strip(),
            sort=data.get("sort") or "-created_at",
        )


class CarForm(forms.ModelForm):
    """The car registration form (and its edit form, without location and phase)."""

    class Meta:
        model = Car
        fields = CAR_EDITABLE_FIELDS
        widgets = {
            "purchased_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "vin": forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false", "maxlength": 20}),
            "registration": forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
            "mileage": forms.NumberInput(attrs={"inputmode": "numeric"}),
        }
        labels = {"vin": "VIN", "asking_price": "Asking price"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The VIN's uniqueness is checked by the service against every location.
        self.fields["vin"].validators = [v for v in self.fields["vin"].validators if v.__class__.__name__ != "UniqueValidator"]
        self.fields["vin"].max_length = 20  # allow spaces as typed; normalised to 17 by the model

    def validate_unique(self):
        pass  # the service checks VIN uniqueness across all locations

    def _post_clean(self):
        # Leave model validation to the service, which runs full_clean on the normalised values
        # and maps errors back to these fields.
        pass


class CarRegistrationForm(CarForm):
    location = forms.TypedChoiceField(coerce=int)
    phase = forms.ChoiceField(choices=[(p.value, p.label) for p in INITIAL_PHASES], initial=Phase.PURCHASED, label="Starting phase")

    class Meta(CarForm.Meta):
        fields = ["location", "phase"] + CAR_EDITABLE_FIELDS

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = [(loc.id, loc.name) for loc in locations]
        self.order_fields(["vin", "registration", "make", "model", "trim", "year", "mileage", "location", "phase"])


class PhaseChangeForm(forms.Form):
    to_phase = forms.ChoiceField(choices=Phase.choices, label="Move to")
    note = forms.CharField(required=False, max_length=500, widget=forms.TextInput(attrs={"placeholder": "Why (optional)"}))
    expected_phase = forms.ChoiceField(choices=Phase.choices, widget=forms.HiddenInput)


class RepairItemForm(forms.ModelForm):
    class Meta:
        model = RepairItem
        fields = ["category", "description", "parts_cost", "labour_cost"]
        widgets = {
            "parts_cost": forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
            "labour_cost": forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        }

    def _post_clean(self):
        pass  # full validation is the service's


MONEY_INPUT = {"step": "0.01", "inputmode": "decimal"}


class SaleForm(forms.Form):
    customer = forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": "Choose who bought the car, or add them as a new customer."})
    sold_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), initial=timezone.localdate, label="Sale date")
    price = forms.DecimalField(max_digits=12, decimal_places=2, label="Sale price", widget=forms.NumberInput(attrs=MONEY_INPUT))
    payment = forms.ChoiceField(
        choices=Payment.choices, widget=forms.RadioSelect, label="How the customer pays",
        error_messages={"required": "Say how the customer pays: cash (or card or bank transfer) or finance."},
        help_text="A car sold on finance is delivered once its finance application is funded.",
    )
    part_exchange_allowance = forms.DecimalField(
        required=False, min_value=0, max_digits=12, decimal_places=2, label="Part-exchange allowance",
        widget=forms.NumberInput(attrs=MONEY_INPUT), help_text="Leave empty if no car was taken in.",
    )
    part_exchange_registration = forms.CharField(
        required=False, max_length=10, label="Part-exchange registration",
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    part_exchange_description = forms.CharField(
        required=False, max_length=200, label="Part-exchange car", widget=forms.TextInput(attrs={"placeholder": "e.g. 2015 Ford Fiesta, 78,000 miles"})
    )
    note = forms.CharField(required=False, max_length=500)
    expected_phase = forms.ChoiceField(choices=Phase.choices, widget=forms.HiddenInput)

    PART_EXCHANGE_FIELDS = ("part_exchange_allowance", "part_exchange_registration", "part_exchange_description")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("price", "part_exchange_allowance"):
            self.fields[name].label += f" ({symbol().strip()})"

    def clean_sold_on(self) -> date:
        return self.cleaned_data["sold_on"]

    def clean_part_exchange_allowance(self):
        return self.cleaned_data["part_exchange_allowance"] or 0


class SwitchToCashForm(forms.Form):
    note = forms.CharField(max_length=500, label="Why", widget=forms.TextInput(attrs={"placeholder": "e.g. paid in full by bank transfer"}))


class RepairSettingsForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = ["repair_at_risk_days", "repair_overdue_days", "daily_holding_cost"]
        labels = {
            "repair_at_risk_days": "At risk after (days)",
            "repair_overdue_days": "Overdue after (days)",
            "daily_holding_cost": f"Daily holding cost ({symbol().strip()})",
        }
        widgets = {
            "repair_at_risk_days": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "repair_overdue_days": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "daily_holding_cost": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
        }


class TransferRequestForm(forms.Form):
    to_location = forms.ModelChoiceField(queryset=Location.objects.none(), label="To", empty_label="Choose a location")
    reason = forms.CharField(max_length=300, widget=forms.TextInput(attrs={"placeholder": "e.g. sells faster in Leeds"}))
    planned_on = forms.DateField(label="Planned date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    transport_cost = forms.DecimalField(
        label=f"Transport cost ({symbol().strip()})", min_value=0, max_digits=12, decimal_places=2, initial=0,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )

    def __init__(self, *args, destinations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_location"].queryset = destinations
        self.fields["planned_on"].initial = timezone.localdate()


class TransferActionForm(forms.Form):
    note = forms.CharField(max_length=500, required=False)
