"""Chinese and mixed numerals as people type them in enquiries.

cn2an reads well-formed numerals (三百万) but not the shapes chat messages use: ranges such as
五六十 (50–60), shorthand such as 1万5 (15000) or 三千五 (3500), decimals written 一点五亿, and
Arabic digits mixed with 万/亿. These helpers read all of them without raising; anything they
cannot read comes back as ``None`` so the caller can report it.
"""

from __future__ import annotations

import re
from functools import lru_cache

CN_DIGITS: dict[str, int] = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_SMALL_UNITS: dict[str, int] = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS: tuple[tuple[str, float], ...] = (("亿", 1e8), ("万", 1e4))
_DECIMAL_POINTS = ".点"

# 五六十 / 三四千: two neighbouring digits before a unit mean a range (50–60, 3000–4000).
_RANGE_PAIR = re.compile(r"([一二两三四五六七八九])([二三四五六七八九])(?=[十百千万亿])")
_PLAIN_DECIMAL = re.compile(r"\d+(?:\.\d+)?")

VAGUE_MARKER = "几"
_SIMPLE = re.compile(r"([0-9]+(?:\.[0-9]+)?)(千万|[十百千万亿k]?)")
_SIMPLE_MULT = {"": 1.0, "十": 10.0, "百": 100.0, "千": 1e3, "万": 1e4, "亿": 1e8, "千万": 1e7}
_SIMPLE_MULT["k"] = 1e3  # 3k: English shorthand for thousands


def _digit(ch: str) -> int | None:
    if "0" <= ch <= "9":
        return ord(ch) - 48
    return CN_DIGITS.get(ch)


def _parse_decimal(s: str) -> float | None:
    """Read 1.5 or 一点五 (digits after the point are read one by one)."""
    if _PLAIN_DECIMAL.fullmatch(s):
        return float(s)
    for point in _DECIMAL_POINTS:
        if point in s:
            head, _, tail = s.partition(point)
            if not head or not tail:
                return None
            whole = _parse_integer(head)
            if whole is None:
                return None
            frac = 0.0
            scale = 0.1
            for ch in tail:
                d = _digit(ch)
                if d is None:
                    return None
                frac += d * scale
                scale /= 10
            return whole + frac
    return _parse_integer(s)


def _parse_integer(s: str) -> float | None:
    """Read a numeral below 万: 3000, 三千五, 两百, 十五, 一千零五, 3千5, 二〇二五."""
    if s.isascii() and s.isdigit():
        return float(s)
    if all(ch in CN_DIGITS for ch in s):
        # A bare run of Chinese digits (二〇二五) is read digit by digit.
        value = 0
        for ch in s:
            value = value * 10 + CN_DIGITS[ch]
        return float(value)
    total = 0.0
    current: float | None = None
    last_unit: int | None = None
    zero_seen = False
    i = 0
    n = len(s)
    while i < n:
        ch = s[i]
        if "0" <= ch <= "9":
            j = i
            while j < n and "0" <= s[j] <= "9":
                j += 1
            if current is not None:
                return None
            current = float(s[i:j])
            i = j
            continue
        if ch in CN_DIGITS:
            if current is not None:
                return None
            d = CN_DIGITS[ch]
            if d == 0:
                zero_seen = True
            else:
                current = float(d)
        elif ch in _SMALL_UNITS:
            unit = _SMALL_UNITS[ch]
            if last_unit is not None and unit >= last_unit:
                return None
            if current is None:
                # 十五 = 15; a bare 百 or 千 is not a number people write.
                if unit != 10 or total:
                    return None
                current = 1.0
            total += current * unit
            current = None
            last_unit = unit
        else:
            return None
        i += 1
    if current is not None:
        if last_unit is not None and last_unit >= 100 and not zero_seen and current < 10:
            # 三千五 = 3500, 两百五 = 250: a trailing digit counts in the next lower unit.
            total += current * last_unit / 10
        else:
            total += current
    elif last_unit is None:
        return None if not zero_seen else 0.0
    return total


def _parse_with_small_unit(s: str) -> float | None:
    """Read 1.5千 / 一点五千 (a decimal in front of one small unit) or fall back."""
    has_point = "." in s or "点" in s
    if has_point and len(s) > 1 and s[-1] in _SMALL_UNITS:
        value = _parse_decimal(s[:-1])
        return None if value is None else value * _SMALL_UNITS[s[-1]]
    if has_point:
        return _parse_decimal(s)
    return _parse_integer(s)


def _parse_big(s: str) -> float | None:
    for unit_char, mult in _BIG_UNITS:
        if unit_char in s:
            head, _, tail = s.partition(unit_char)
            if not head:
                return None
            high = _parse_big(head)
            if high is None:
                return None
            if not tail:
                return high * mult
            if len(tail) == 1:
                d = _digit(tail)
                if d is None:
                    return None
                # 1万5 = 15000, 一亿五 = 1.5亿: a lone digit after 万/亿 is the next lower unit.
                return high * mult + d * mult / 10
            low = _parse_big(tail)
            if low is None or low >= mult:
                return None
            return high * mult + low
    return _parse_with_small_unit(s)


# A pure function of a short numeral; the same few (三千, 五十, 1万5) recur in most messages.
@lru_cache(maxsize=4096)
def parse_number(text: str) -> tuple[float, float] | None:
    """Read a numeral such as ``三百万``, ``1万5``, ``一点五亿`` or ``五六十``.

    Returns ``(low, high)``; both are equal unless the numeral is a range like 五六十
    (50, 60). Returns ``None`` for anything it cannot read, including vague numerals with 几.
    """
    simple = _SIMPLE.fullmatch(text)
    if simple:
        # The common cases, "5000", "1.5万", "3000万", read without the general walk.
        value = float(simple.group(1)) * _SIMPLE_MULT[simple.group(2)]
        return value, value
    s = text.replace(",", "").replace(" ", "")
    if not s or VAGUE_MARKER in s:
        return None
    pair = _RANGE_PAIR.search(s)
    if pair and (
        CN_DIGITS[pair.group(2)] == CN_DIGITS[pair.group(1)] + 1
        or pair.group() == "三五"  # 三五千: three to five thousand
    ):
        low = _parse_big(s[: pair.start()] + pair.group(1) + s[pair.end() :])
        high = _parse_big(s[: pair.start()] + pair.group(2) + s[pair.end() :])
        if low is None or high is None:
            return None
        return low, high
    if len(s) == 2 and s[0] in CN_DIGITS and s[1] in CN_DIGITS:
        # 两三 / 三五 (个人): two digits said together are a rough range, not 23 or 35.
        low_d, high_d = CN_DIGITS[s[0]], CN_DIGITS[s[1]]
        if 0 < low_d < high_d:
            return float(low_d), float(high_d)
    big = _parse_big(s)
    if big is None:
        return None
    return big, big


def digits_to_int(text: str) -> int | None:
    """Read a short count (3, 三, 十二, 两) as an int; None when it is not one."""
    parsed = parse_number(text)
    if parsed is None or parsed[0] != parsed[1] or parsed[0] != int(parsed[0]):
        return None
    return int(parsed[0])
