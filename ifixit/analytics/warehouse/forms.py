"""Shapes of the import pages' input: a file to import, and its mapping to I-fixit's fields."""

from django import forms
from django.conf import settings

from ifixit.analytics.warehouse import mappings

NOT_IN_FILE = ("", "— not in this file —")
DATE_FORMATS = [
    ("", "Day first: 25/03/2024, 25 Mar 2024 (or 2024-03-25)"),
    ("%m/%d/%Y", "Month first: 03/25/2024 (US files)"),
    ("%m-%d-%Y", "Month first: 03-25-2024"),
    ("%Y%m%d", "Digits: 20240325"),
]
HELP = {
    "make": "VW, Volkswagen and volkswagen are read as one make.",
    "price": "The price the car sold for: £ signs and thousands commas are fine.",
    "mileage": "A row may say its unit (72,000 km); otherwise the unit below.",
    "year": "The model year, or a first-registration date.",
    "sale_date": "Rows without a date are kept, but left out of trends over time.",
    "ref": "The sale's own id at the source (a lot number), if the file has one. Without it, a sale is recognised by "
           "its details, so importing the same rows again adds nothing.",
}


class UploadForm(forms.Form):
    file = forms.FileField(
        label="File of sales",
        help_text="CSV (any delimiter) or XLSX (the first sheet is read); the first row names the columns.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx"}),
    )


class MappingForm(forms.Form):
    """One choice of the file's column per I-fixit field; unit, currency and source given
    once for the file or read from a column."""

    staged = forms.CharField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(choices=[("auction", "Auction results"), ("retail", "Retail sales")], initial="auction",
                             widget=forms.RadioSelect, label="The file holds")
    source = forms.CharField(max_length=100, required=False, label="Source",
                             help_text="Where these sales happened: BCA, Manheim, AutoTrader, ...")
    source_column = forms.ChoiceField(required=False, label="…or the column naming the source of each row")
    mileage_unit = forms.ChoiceField(choices=[("mi", "Miles"), ("km", "Kilometres")], initial="mi", label="Mileage is in")
    mileage_unit_column = forms.ChoiceField(required=False, label="…or the column giving each row's unit")
    currency = forms.CharField(max_length=3, label="Prices are in",
                               help_text=f"A currency code; prices are kept in {settings.CURRENCY}.")
    currency_column = forms.ChoiceField(required=False, label="…or the column giving each row's currency")
    rate = forms.DecimalField(required=False, min_value=0, max_digits=14, decimal_places=8, label="Exchange rate",
                              help_text=f"For a file in another currency: {settings.CURRENCY} for one unit of it.")
    date_format = forms.ChoiceField(choices=DATE_FORMATS, required=False, label="Dates are written")
    all_or_nothing = forms.BooleanField(required=False, label="All or nothing: import nothing if any row is bad")

    def __init__(self, *args, header: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        columns = [NOT_IN_FILE] + [(name, name) for name in header if name]
        per_column = {
            name: forms.ChoiceField(choices=columns, required=name in mappings.REQUIRED_COLUMNS, label=mappings.LABELS[name],
                                    help_text=HELP.get(name, ""))
            for name in mappings.COLUMN_FIELDS
        }
        self.fields = {**per_column, **self.fields}
        for name in ("source_column", "mileage_unit_column", "currency_column"):
            self.fields[name].choices = columns
        self.fields["currency"].initial = settings.CURRENCY

    @classmethod
    def initial_from(cls, suggested: dict, *, staged: str) -> dict:
        initial = {"staged": staged}
        for name, value in suggested.items():
            if isinstance(value, dict):
                initial[f"{name}_column"] = value["column"]
            else:
                initial[name] = value
        return initial

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()

    def to_mapping(self) -> dict:
        data = self.cleaned_data
        mapping: dict = {name: data[name] for name in mappings.COLUMN_FIELDS if data.get(name)}
        for name in mappings.EITHER_FIELDS:
            column = data.get(f"{name}_column")
            if column:
                mapping[name] = {"column": column}
            elif data.get(name):
                mapping[name] = data[name]
        mapping["kind"] = data["kind"]
        if data.get("rate"):
            mapping["rate"] = str(data["rate"])
        if data.get("date_format"):
            mapping["date_format"] = data["date_format"]
        return mapping

    def field_for(self, mapping_field: str) -> str | None:
        """Where a service error about a mapping field is shown."""
        column = f"{mapping_field}_column"
        if column in self.fields and self.cleaned_data.get(column):
            return column
        return mapping_field if mapping_field in self.fields else None

    def column_fields(self):
        return [self[name] for name in mappings.COLUMN_FIELDS if name not in mappings.REQUIRED_COLUMNS]

    def required_fields(self):
        return [self[name] for name in mappings.REQUIRED_COLUMNS]
