"""Chinese mobiles as typed (11 digits): normalize_phone takes a shortcut for them, which must
say exactly what phonenumbers says (docs/parser.md, phones)."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from app.core.phones import normalize_phone

ALLOWED = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.SHARED_COST,
    phonenumbers.PhoneNumberType.UAN,
}


def phonenumbers_says(number: str) -> str | None:
    try:
        parsed = phonenumbers.parse(number, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed) or phonenumbers.number_type(parsed) not in ALLOWED:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def ours(number: str) -> str | None:
    try:
        return normalize_phone(number)
    except ValueError:
        return None


@pytest.mark.parametrize("first", range(10, 20))
def test_every_block_of_eleven_digit_numbers_reads_as_phonenumbers_reads_it(first):
    rng = random.Random(first)
    # Each 4-digit start, two numbers: the shortcut decides per block of 7 leading digits.
    for start in range(first * 100, first * 100 + 100):
        for _ in range(2):
            number = f"{start}{rng.randrange(10**7):07d}"
            assert ours(number) == phonenumbers_says(number), number


def test_the_carrier_prefixes_and_unassigned_blocks_are_refused_as_before():
    for number in ("17951123456", "11471009785", "15400000000", "12345678901"):
        assert ours(number) == phonenumbers_says(number) is None
    assert ours("13812345678") == "+8613812345678"
