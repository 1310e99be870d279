"""Shapes of the finance pages' input. Rules live in the models and services."""

from datetime import date

from dateutil.relativedelta import relativedelta
from django import forms
from django.utils import timezone

from ifixit.finance.models import MAX_TERM_MONTHS, MIN_TERM_MONTHS, Lender, Status
from ifixit.finance.selectors import ApplicationFilters
from ifixit.finance.services import CAR_OUTCOMES, KEEP, LENDER_FIELDS
from ifixit.money import symbol

MONEY_INPUT = {"step": "0.01", "inputmode": "decimal"}
STATUS_FILTERS = [("", "Any state"), ("open", "Open")] + Status.choices


class ApplicationForm(forms.Form):
    customer = forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": "Choose the customer who applies."})
    car = forms.IntegerField(widget=forms.HiddenInput)
    lender = forms.ModelChoiceField(queryset=Lender.objects.none(), empty_label="Choose a lender")
    cash_price = forms.DecimalField(max_digits=12, decimal_places=2, label="Cash price", widget=forms.NumberInput(attrs=MONEY_INPUT))
    deposit = forms.DecimalField(required=False, max_digits=12, decimal_places=2, label="Deposit", widget=forms.NumberInput(attrs=MONEY_INPUT))
    part_exchange = forms.DecimalField(required=False, max_digits=12, decimal_places=2, label="Part-exchange", widget=forms.NumberInput(attrs=MONEY_INPUT))
    amount_financed = forms.DecimalField(
        required=False, max_digits=12, decimal_places=2, label="Amount financed", widget=forms.NumberInput(attrs=MONEY_INPUT),
        help_text="Leave empty to finance the balance: price − deposit − part-exchange.",
    )
    term_months = forms.IntegerField(
        label="Term (months)", initial=48, widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": MIN_TERM_MONTHS, "max": MAX_TERM_MONTHS})
    )
    apr = forms.DecimalField(max_digits=4, decimal_places=1, label="APR (%)", widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}))
    lender_reference = forms.CharField(required=False, max_length=60, label="Lender's reference")
    note = forms.CharField(required=False, max_length=1000, widget=forms.TextInput(attrs={"placeholder": "Anything the finance team should know"}))

    FIGURES = ("cash_price", "deposit", "part_exchange", "amount_financed", "term_months", "apr")

    def __init__(self, *args, lenders, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lender"].queryset = lenders
        for name in ("cash_price", "deposit", "part_exchange", "amount_financed"):
            self.fields[name].label += f" ({symbol().strip()})"
        if editing:
            for name in ("customer", "car", "note"):
                del self.fields[name]

    def figures(self) -> dict:
        data = self.cleaned_data
        return {
            "lender_id": data["lender"].pk,
            "cash_price": data["cash_price"],
            "deposit": data.get("deposit") or 0,
            "part_exchange": data.get("part_exchange") or 0,
            "amount_financed": data.get("amount_financed"),
            "term_months": data["term_months"],
            "apr": data["apr"],
            "lender_reference": data.get("lender_reference") or "",
        }


class QuoteForm(forms.Form):
    """The figures alone, for the live monthly-payment preview."""

    cash_price = forms.CharField(required=False)
    deposit = forms.CharField(required=False)
    part_exchange = forms.CharField(required=False)
    amount_financed = forms.CharField(required=False)
    term_months = forms.CharField(required=False)
    apr = forms.CharField(required=False)


class MoveForm(forms.Form):
    to_status = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)
    note = forms.CharField(required=False, max_length=1000)
    lender_reference = forms.CharField(required=False, max_length=60, label="Lender's reference")
    car_outcome = forms.ChoiceField(choices=list(CAR_OUTCOMES.items()), initial=KEEP, required=False, widget=forms.RadioSelect, label="And the car")


class LenderForm(forms.ModelForm):
    website = forms.URLField(required=False, assume_scheme="https", max_length=200)

    class Meta:
        model = Lender
        fields = LENDER_FIELDS
        labels = {"typical_decision_hours": "Typical decision time (hours)", "is_active": "We work with them"}
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "phone": forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
            "typical_decision_hours": forms.NumberInput(attrs={"inputmode": "numeric"}),
        }

    def validate_unique(self):
        pass  # the service checks the name case-insensitively

    def _post_clean(self):
        pass  # the service normalises and validates


class BoardFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", widget=forms.TextInput(attrs={"type": "search", "placeholder": "Customer, reg or reference"}))
    status = forms.ChoiceField(required=False, choices=STATUS_FILTERS, label="State")
    lender = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    location = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    waiting = forms.BooleanField(required=False, label="Only those waiting too long")

    def __init__(self, *args, lenders, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lender"].choices = [("", "Any lender")] + [(lender.pk, lender.name) for lender in lenders]
        self.fields["location"].choices = [("", "All my locations")] + [(loc.pk, loc.name) for loc in locations]

    def to_filters(self) -> ApplicationFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return ApplicationFilters(
            status=data.get("status") or "",
            lender=data.get("lender"),
            location=data.get("location"),
            waiting=bool(data.get("waiting")),
            q=(data.get("q") or "").strip(),
        )


class FiguresForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), label="From")
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), label="To")
    location = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = [("", "All my locations")] + [(loc.pk, loc.name) for loc in locations]

    @staticmethod
    def default_period() -> dict[str, date]:
        """This month and the eleven before it."""
        today = timezone.localdate()
        return {"start": date(today.year, today.month, 1) - relativedelta(months=11), "end": today}

    def clean(self):
        data = super().clean()
        for name, value in self.default_period().items():
            data[name] = data.get(name) or value
        if data["end"] < data["start"]:
            self.add_error("end", "The end must not be before the start.")
        elif (data["end"] - data["start"]).days > 366 * 5:
            self.add_error("start", "Choose at most five years.")
        return data
