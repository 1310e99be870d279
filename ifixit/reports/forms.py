"""Shapes of the report pages' input: a report's parameters, and a schedule."""

import zoneinfo

from django import forms
from django.conf import settings

from ifixit.accounts.models import User
from ifixit.inventory.models import Phase
from ifixit.reports import catalogue, periods
from ifixit.reports.models import Format, Schedule

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
COMMON_ZONES = [
    "Europe/London",
    "Europe/Dublin",
    "Europe/Paris",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Dubai",
    "UTC",
]


class ParamsForm(forms.Form):
    """The parameters a report takes, and only those."""

    period = forms.ChoiceField(choices=periods.CHOICES, label="Period")
    start = forms.DateField(required=False, widget=DATE_INPUT, label="From")
    end = forms.DateField(required=False, widget=DATE_INPUT, label="To")
    locations = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        label="Locations",
        help_text="None ticked: all yours.",
    )
    phase = forms.ChoiceField(required=False, choices=[("", "Any phase")] + Phase.choices)
    make = forms.CharField(required=False, max_length=50)

    def __init__(self, *args, report: catalogue.Report, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.report = report
        self.fields["locations"].choices = [(loc.pk, loc.name) for loc in locations]
        self.fields["period"].initial = report.default_period
        for name, needs in (
            ("period", catalogue.PERIOD),
            ("start", catalogue.PERIOD),
            ("end", catalogue.PERIOD),
            ("locations", catalogue.LOCATIONS),
            ("phase", catalogue.PHASE),
            ("make", catalogue.MAKE),
        ):
            if needs not in report.accepts:
                del self.fields[name]

    def to_params(self) -> catalogue.Params:
        data = self.cleaned_data
        period = data.get("period") or periods.CUSTOM
        if catalogue.PERIOD not in self.report.accepts:
            period = periods.CUSTOM
        return catalogue.Params(
            period=period,
            start=data.get("start") if period == periods.CUSTOM else None,
            end=data.get("end") if period == periods.CUSTOM else None,
            locations=tuple(data.get("locations") or ()),
            phase=data.get("phase") or "",
            make=(data.get("make") or "").strip(),
        )

    @classmethod
    def initial_from(cls, params: catalogue.Params) -> dict:
        return {
            "period": params.period,
            "start": params.start,
            "end": params.end,
            "locations": list(params.locations),
            "phase": params.phase,
            "make": params.make,
        }


class ScheduleForm(forms.Form):
    name = forms.CharField(max_length=120, required=False, help_text="Leave empty to use the report's name.")
    format = forms.ChoiceField(choices=Format.choices, initial=Format.XLSX)
    frequency = forms.ChoiceField(
        choices=Schedule.Frequency.choices, initial=Schedule.Frequency.WEEKLY, widget=forms.RadioSelect
    )
    weekday = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")] + Schedule.Weekday.choices,
        label="On (weekly)",
    )
    day_of_month = forms.ChoiceField(
        required=False,
        label="On day (monthly)",
        choices=[("", "—")] + [(str(d), str(d)) for d in range(1, 32)] + [("last", "The last day")],
        help_text="A 29th-31st runs on the last day of shorter months.",
    )
    time_of_day = forms.TimeField(
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"), label="At", initial="07:00"
    )
    time_zone = forms.CharField(
        max_length=64, label="Time zone", widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"})
    )
    recipient_users = forms.TypedMultipleChoiceField(
        required=False, coerce=int, widget=forms.CheckboxSelectMultiple, label="Colleagues"
    )
    recipient_emails = forms.CharField(
        required=False,
        label="Other email addresses",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "one per line"}),
        help_text="People outside the system: accountants, the bank.",
    )

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient_users"].choices = [
            (u.pk, f"{u.get_full_name() or u.username} ({u.email or 'no email'})") for u in colleagues
        ]
        self.fields["time_zone"].initial = settings.TIME_ZONE

    def clean_time_zone(self):
        value = self.cleaned_data["time_zone"].strip()
        if value not in zoneinfo.available_timezones():
            raise forms.ValidationError(f"{value} is not a time zone; use a name such as Europe/London.")
        return value

    def service_fields(self) -> dict:
        data = self.cleaned_data
        day = data.get("day_of_month") or ""
        return {
            "name": data.get("name") or "",
            "format": data["format"],
            "frequency": data["frequency"],
            "weekday": data.get("weekday"),
            "day_of_month": int(day) if day.isdigit() else None,
            "on_last_day": day == "last",
            "time_of_day": data["time_of_day"],
            "time_zone": data["time_zone"],
            "recipient_user_ids": list(data.get("recipient_users") or []),
            "recipient_emails": data.get("recipient_emails") or "",
        }

    @classmethod
    def initial_from(cls, schedule: Schedule) -> dict:
        return {
            "name": schedule.name,
            "format": schedule.format,
            "frequency": schedule.frequency,
            "weekday": schedule.weekday,
            "day_of_month": "last"
            if schedule.on_last_day
            else (str(schedule.day_of_month) if schedule.day_of_month else ""),
            "time_of_day": schedule.time_of_day,
            "time_zone": schedule.time_zone,
            "recipient_users": [u.pk for u in schedule.recipient_users.all()],
            "recipient_emails": schedule.recipient_emails,
        }


def colleagues_of(user: User):
    """Who a user may send reports to: active people of their locations (everyone, for an admin)."""
    people = User.objects.filter(is_active=True)
    if not user.is_group_wide:
        people = people.filter(locations__in=user.locations.all()).distinct()
    return people.order_by("first_name", "last_name", "username")
