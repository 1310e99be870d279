"""Shapes of customer-care input. Normalising and the rules live in crm.services."""

import datetime

from django import forms
from django.utils import timezone

from ifixit.crm.models import Communication, Customer, FollowUp, FollowUpRule


class CustomerFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search", widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, email, phone or postcode"}))
    tag = forms.CharField(required=False, max_length=40)
    location = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    repeat = forms.BooleanField(required=False, label="Repeat buyers")
    marketing = forms.ChoiceField(required=False, choices=[("", "Any consent"), ("email", "Agreed to email"), ("sms", "Agreed to SMS")])

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = [("", "All locations")] + [(loc.pk, loc.name) for loc in locations]


class CustomerForm(forms.ModelForm):
    tags = forms.CharField(required=False, max_length=300, help_text="Separate tags with commas, e.g. trade, VIP.")

    class Meta:
        model = Customer
        fields = [
            "kind",
            "name",
            "contact_name",
            "email",
            "phone",
            "address_line1",
            "address_line2",
            "town",
            "postcode",
            "email_marketing",
            "sms_marketing",
            "notes",
        ]
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "off", "inputmode": "email"}),
            "phone": forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "placeholder": "07911 123456"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"email_marketing": "Agrees to marketing by email", "sms_marketing": "Agrees to marketing by SMS"}
        help_texts = {"phone": "UK numbers as dialled; others with +country code."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The service normalises and checks these; the model's own checks would refuse
        # '07911 123456' before it is made '+447911123456'.
        self.fields["email"] = forms.CharField(required=False, max_length=254, widget=self.fields["email"].widget, label="Email")
        self.fields["phone"] = forms.CharField(required=False, max_length=30, widget=self.fields["phone"].widget, label="Phone", help_text=self.fields["phone"].help_text)
        if self.instance.pk:
            self.initial["tags"] = ", ".join(t.name for t in self.instance.tags.all())

    def _post_clean(self):
        pass  # the service validates the whole record

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        tags = [t for t in (data.pop("tags") or "").split(",") if t.strip()]
        return {"tags": tags, **data}


class CustomerCreateForm(CustomerForm):
    location = forms.TypedChoiceField(coerce=int, label="Location")
    allow_duplicate = forms.BooleanField(required=False, widget=forms.HiddenInput)

    field_order = ["location"]

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = [(loc.pk, loc.name) for loc in locations]
        self.only_location = locations[0].pk if len(locations) == 1 else None
        if self.only_location:
            # One location: nothing to choose, the customer is that location's.
            self.fields["location"].widget = forms.HiddenInput()
            self.fields["location"].required = False
            self.initial.setdefault("location", self.only_location)

    def clean_location(self):
        return self.cleaned_data.get("location") or self.only_location


class MessageForm(forms.Form):
    channel = forms.ChoiceField(choices=[("email", "Email"), ("sms", "SMS")], widget=forms.RadioSelect, initial="email")
    purpose = forms.ChoiceField(choices=Communication.Purpose.choices, initial=Communication.Purpose.SERVICE, label="What it is")
    car = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="About")
    subject = forms.CharField(required=False, max_length=200, help_text="For emails.")
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), max_length=5000, label="Message")

    def __init__(self, *args, cars, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["car"].choices = [("", "Nothing in particular")] + [(c.pk, f"{c.year} {c.make} {c.model} {c.registration_display}") for c in cars]


class LogForm(forms.Form):
    channel = forms.ChoiceField(choices=[("call", "Call"), ("visit", "Visit"), ("note", "Note")], initial="call")
    direction = forms.ChoiceField(
        choices=[("out", "We contacted them"), ("in", "They contacted us")], initial="out", required=False, label="Who made contact"
    )
    occurred_at = forms.DateTimeField(
        required=False, label="When", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty for now.",
    )
    car = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="About")
    subject = forms.CharField(required=False, max_length=200, label="Summary")
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, label="What was said or done", required=False)

    def __init__(self, *args, cars, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["car"].choices = [("", "Nothing in particular")] + [(c.pk, f"{c.year} {c.make} {c.model} {c.registration_display}") for c in cars]


def _tomorrow_at_ten() -> datetime.datetime:
    local = timezone.localtime() + datetime.timedelta(days=1)
    return local.replace(hour=10, minute=0, second=0, microsecond=0)


class FollowUpForm(forms.Form):
    due_at = forms.DateTimeField(label="Due", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"), initial=_tomorrow_at_ten)
    assignee = forms.TypedChoiceField(coerce=int, label="For")
    car = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="About")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False)

    def __init__(self, *args, staff, cars, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [(u.pk, u.get_full_name() or u.username) for u in staff]
        self.fields["car"].choices = [("", "Nothing in particular")] + [(c.pk, f"{c.year} {c.make} {c.model} {c.registration_display}") for c in cars]


class FollowUpDoneForm(forms.Form):
    outcome = forms.ChoiceField(choices=FollowUp.Outcome.choices)
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class FollowUpSnoozeForm(forms.Form):
    until = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"), initial=_tomorrow_at_ten)


class FollowUpRuleForm(forms.ModelForm):
    class Meta:
        model = FollowUpRule
        fields = ["name", "months_after_sale", "days_after_sale", "assign_to", "note", "is_active"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}
        labels = {"months_after_sale": "Months after the sale", "days_after_sale": "Days after the sale", "is_active": "Active"}

    def _post_clean(self):
        pass  # the service validates


class SurveyDelayForm(forms.Form):
    survey_after_days = forms.IntegerField(
        required=False, min_value=0, max_value=90, label="Send the satisfaction survey this many days after a sale",
        help_text="Leave empty to send no surveys from this location.",
    )


class MergeForm(forms.Form):
    merged = forms.IntegerField(label="Record number to merge into this one", min_value=1)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class SurveyAnswerForm(forms.Form):
    recommend_score = forms.TypedChoiceField(
        coerce=int, choices=[(i, str(i)) for i in range(11)], widget=forms.RadioSelect,
        label="How likely are you to recommend us to a friend or colleague?",
        error_messages={"required": "Choose a number from 0 to 10."},
    )
    satisfaction = forms.TypedChoiceField(
        coerce=int, choices=[(i, str(i)) for i in range(1, 6)], widget=forms.RadioSelect,
        label="How satisfied are you with your car and our service?",
        error_messages={"required": "Choose from 1 to 5."},
    )
    comment = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4}), label="Anything you would like to tell us? (optional)")
