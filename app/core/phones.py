"""Phone numbers as people write them (docs/i18n.md): 139 7331 2345 for a mobile,
0731-2233 4455 for a landline (area code, hyphen, then the number in groups), +852 2123 4567
for a number outside mainland China. Stored numbers are E.164 (`normalize_phone`, for the
leads' and the agents' phones alike); `tel:` links use that form."""

from __future__ import annotations

import unicodedata

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

_LANDLINE = {PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
_ALLOWED_PHONE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    phonenumbers.PhoneNumberType.TOLL_FREE,  # 800
    phonenumbers.PhoneNumberType.SHARED_COST,  # 400
    phonenumbers.PhoneNumberType.UAN,
}


def normalize_phone(raw: str) -> str:
    """E.164 form of any number ``phonenumbers`` validates; ValueError with a reason otherwise.

    +86 is the default region: a number without a country code is read as Chinese (13812345678,
    0731-28881234). A number from elsewhere needs its code (+886 912 345 678, 00852 9123 4567).
    See docs/parser.md (phones).
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    if len(text) > 40:
        raise ValueError("is too long to be a phone number")
    # phonenumbers reads letters as keypad digits (138abcd5678 -> 13822235678); we don't.
    if any(ch.isalpha() for ch in text):
        raise ValueError("is not a phone number: it contains letters")
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise ValueError("is not a phone number (e.g. 13812345678 or +852 9123 4567)") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("is not a valid phone number (e.g. 13812345678 or +852 9123 4567)")
    if phonenumbers.number_type(number) not in _ALLOWED_PHONE_TYPES:
        raise ValueError("must be a mobile or landline number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(value: str | None) -> str:
    """`value` (E.164, or anything) written for people; unparseable text unchanged."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return value
    if number.country_code != 86:
        return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    if national.startswith("0") and phonenumbers.number_type(number) in _LANDLINE:
        area, _, rest = national.partition(" ")
        return f"{area}-{rest}" if rest else national
    return national


def tel_href(value: str | None) -> str:
    """The `tel:` link of a stored number (E.164 keeps the country code)."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return "tel:" + "".join(ch for ch in value if ch.isdigit() or ch == "+")
    return "tel:" + phonenumbers.format_number(number, PhoneNumberFormat.E164)
