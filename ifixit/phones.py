"""Phone numbers: one normal form (E.164) everywhere, so one person is one number."""

import phonenumbers
from django.core.exceptions import ValidationError

DEFAULT_REGION = "GB"  # numbers typed without +country are British: this is a UK dealer group


def normalise_phone(value: str, region: str = DEFAULT_REGION) -> str:
    """'07911 123456' -> '+447911123456'. Empty stays empty; nonsense raises ValidationError."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValidationError("Enter a phone number such as 07911 123456 or +44 7911 123456.", code="phone")
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("%(value)s is not a valid phone number.", params={"value": value}, code="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_phone(value: str) -> None:
    normalise_phone(value)


def is_mobile(value: str, region: str = DEFAULT_REGION) -> bool:
    """Whether an E.164 number can take an SMS (a mobile, or a number that may be one)."""
    try:
        kind = phonenumbers.number_type(phonenumbers.parse(value, region))
    except phonenumbers.NumberParseException:
        return False
    return kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
