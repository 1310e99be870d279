"""The preferences form: one row of channel choices per notification kind."""

import datetime

from django import forms

from ifixit.notifications import kinds
from ifixit.notifications.selectors import Choice


class PreferencesForm(forms.Form):
    mobile = forms.CharField(
        required=False, max_length=30, help_text="For SMS. A UK mobile such as 07911 123456, or +country code."
    )
    digest_time = forms.TimeField(
        initial=datetime.time(7, 30),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="When your daily digest is sent, in your location's time zone."
    )

    def __init__(self, *args, choices: list[Choice], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for choice in choices:
            key = choice.kind.key
            self.fields[f"{key}-in_app"] = forms.BooleanField(required=False, initial=choice.in_app, label="In app")
            self.fields[f"{key}-email"] = forms.BooleanField(required=False, initial=choice.email, label="Email")
            self.fields[f"{key}-sms"] = forms.BooleanField(required=False, initial=choice.sms, label="SMS")
            self.fields[f"{key}-timing"] = forms.ChoiceField(
                choices=[(kinds.IMMEDIATE, "Immediately"), (kinds.DIGEST, "Daily digest")],
                initial=choice.timing,
                label="When",
            )
            self.rows.append((choice.kind, [self[f"{key}-{c}"] for c in ("in_app", "email", "sms", "timing")]))

    def kind_choices(self) -> dict[str, dict]:
        data = self.cleaned_data
        return {
            kind.key: {c: data[f"{kind.key}-{c}"] for c in ("in_app", "email", "sms", "timing")} for kind, _ in self.rows
        }
