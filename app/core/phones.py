"""Phone numbers as people write them (docs/i18n.md): 139 7331 2345 for a mobile,
0731-2233 4455 for a landline (area code, hyphen, then the number in groups), +852 2123 4567
for a number outside mainland China. Stored numbers are E.164; `tel:` links use that form."""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

_LANDLINE = {PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


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
