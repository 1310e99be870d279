"""Shape of the location form's input. The rules (code format, uniqueness, a real time
zone, a holding cost that is not negative) live in locations.services."""

from django import forms

from ifixit.inventory.sites.services import time_zone_names
from ifixit.money import symbol


class LocationForm(forms.Form):
    name = forms.CharField(max_length=100)
    code = forms.CharField(
        max_length=20,  # as typed, spaces and all; the service normalises and checks 2-10
        help_text="2 to 10 letters or digits, shown in lists (e.g. LDN).",
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false", "autocomplete": "off"}),
    )
    address = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    # A plain CharField behind a select: the service says why a zone is refused, in words
    # an API client gets too, rather than a generic "not one of the choices".
    time_zone = forms.CharField(max_length=64, initial="Europe/London", widget=forms.Select)
    daily_holding_cost = forms.DecimalField(
        max_digits=8,
        decimal_places=2,
        initial="12.00",
        label=f"Daily holding cost ({symbol().strip()})",
        help_text="What a car in stock costs per day here (finance, insurance, space).",
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(name, name.replace("_", " ")) for name in time_zone_names()]
        # A stored zone the list no longer has stays on show (and the service says why it
        # is refused) instead of the browser silently picking the first zone in the list.
        current = self["time_zone"].value()
        if current and current not in time_zone_names():
            choices.insert(0, (current, current))
        self.fields["time_zone"].widget.choices = choices
