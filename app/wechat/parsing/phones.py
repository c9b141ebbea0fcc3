"""Phone numbers: any number phonenumbers validates, in E.164, +86 by default (docs/parser.md)."""

from __future__ import annotations

import re

import phonenumbers

from app.wechat.parsing.result import _State
from app.wechat.parsing.text import _CN_DIGIT_RUN, _HAS_DIGIT, phone_digits


def _cn_patterns() -> tuple[str, str]:
    """phonenumbers' national number patterns for China: mobile, and every other kind."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    mobile = metadata.mobile if metadata is not None else None
    if metadata is None or mobile is None or not mobile.national_number_pattern:
        raise RuntimeError("phonenumbers ships no mobile number pattern for China")
    other = "|".join(
        f"(?:{desc.national_number_pattern})"
        for desc in (
            metadata.fixed_line,
            metadata.toll_free,
            metadata.shared_cost,
            metadata.uan,
            metadata.voip,
            metadata.premium_rate,
        )
        if desc is not None and desc.national_number_pattern
    )
    return mobile.national_number_pattern, other


# phonenumbers' own patterns for China, matched directly: building a PhoneNumber and calling
# is_valid_number costs ~10 µs, a fifth of the whole parse budget.
_CN_MOBILE_PATTERN, _CN_OTHER_PATTERN = _cn_patterns()
_CN_MOBILE = re.compile(_CN_MOBILE_PATTERN)
_CN_OTHER = re.compile(_CN_OTHER_PATTERN)
# Starts on a class (not an optional "+" or a lookbehind) so the engine can skip ahead fast.
_PHONE_RUN = re.compile(r"[+(0-9][ \-.()]{0,2}[0-9](?:[ \-.()]{0,2}[0-9]){5,}")
_PHONE_GROUP = re.compile(r"[0-9]+")
_DATE_LIKE = re.compile(r"(?:19|20)\d\d[-./]\d{1,2}(?:[-./]\d{1,2})?")
# After a digit run, these mean "this is a quantity, not a phone number".
_QUANTITY_AFTER = re.compile(
    r"\s*(?:[平亩方万亿元吨米㎡坪人个块千百%年月日号]|m2|m²|kv|kw|w(?![a-z])|t(?![a-z])|sq)"
)
_NOT_PHONE_BEFORE = re.compile(
    r"(?:qq|扣扣|(?<![a-z])q|微信|vx|wx|wechat|邮编|身份证|账号|卡号|订单|编号)"
    r"(?:号码|号|是|为|:|\s|is\b)*$"
)
# Figures after these words are amounts or areas even when they run to seven digits.
_AMOUNT_BEFORE = re.compile(r"(?:税|投资|面积|产值|资金|预算|营收|资本|租金|价)[^\x00]{0,4}$")
# Only after these words may a bare 7–8 digit number be a local landline (area code implied).
_PHONE_WORD_BEFORE = re.compile(r"(?:电话|手机|座机|固话|联系|号码|tel|phone|call)[^\x00]{0,4}$")


def _e164(digits: str, plus: bool, area_code: str | None) -> tuple[str | None, str]:
    """(E.164 or None, reason) for the digits of a phone number as a prospect wrote it.

    ``area_code`` is used for a 7–8 digit local landline; pass None when the digits are not
    announced as a phone number.
    """
    if digits.startswith("00") and not digits.startswith("0086"):
        plus, digits = True, digits[2:]  # 00 is how an international number is dialled from China
    if plus and not digits.startswith("86"):
        try:
            number = phonenumbers.parse("+" + digits, None)
        except phonenumbers.NumberParseException:
            return None, "not a valid phone number"
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), ""
        return None, "not a valid phone number"
    if plus or (digits.startswith("86") and len(digits) == 13):
        nsn = digits[2:]
        if nsn.startswith("0"):
            nsn = nsn[1:]  # "+86 (0)731 ...": the trunk 0 written after the country code
    elif digits.startswith("0086"):
        nsn = digits[4:]
    elif digits.startswith("0"):
        nsn = digits[1:]  # trunk prefix of a landline with its area code
    elif len(digits) in (7, 8):
        if not area_code:
            return None, "landline without area code"
        nsn = area_code.lstrip("0") + digits
    elif digits[0] != "1" and not digits.startswith(("400", "800")):
        # A Chinese landline is written with its trunk 0 (028-…); nine or more digits
        # without it (other than a 400/800 service number) are a QQ or an account number.
        return None, "a landline without its 0"
    else:
        nsn = digits
    if not nsn or nsn[0] == "0" or not 7 <= len(nsn) <= 12:
        return None, "not a valid phone number"
    if len(nsn) == 11 and nsn[0] == "1":
        # Mobiles are most numbers; the metadata's own pattern avoids a 10 µs validation.
        if _CN_MOBILE.fullmatch(nsn):
            return "+86" + nsn, ""
        return None, "not a valid mobile number"
    if _CN_OTHER.fullmatch(nsn):
        return "+86" + nsn, ""
    return None, "not a valid phone number"


def _extract_phones(st: _State) -> None:
    text = st.work
    # Phone numbers said in Chinese digits need a digit copy of the text; most messages have none.
    phone_text = phone_digits(text) if _CN_DIGIT_RUN.search(text) else text
    if not _HAS_DIGIT.search(phone_text):
        return
    found: list[str] = []
    taiwan = ("台" in text or "tai" in text or "nt$" in text) and _TAIWAN.search(text) is not None
    for m in _PHONE_RUN.finditer(phone_text):
        run_start = m.start()
        run = m.group()
        if len(run) == 11 and run.isdigit() and _CN_MOBILE.fullmatch(run):
            # The common case, a mobile written plainly; no figure is shaped like one.
            _record_phone(st, "+86" + run, run_start, m.end(), found)
            continue
        if taiwan and run[0] in "(0":
            local = _taiwan_landline(run)
            if local:
                # "台北辦公室 (02) 2198-8904": a landline of Taiwan, where the text places it
                _record_phone(st, local, run_start, m.end(), found)
                continue
        if _DATE_LIKE.fullmatch(run) or _AMOUNT_BEFORE.search(
            text, max(0, run_start - 8), run_start
        ):
            continue
        if _NOT_PHONE_BEFORE.search(text, max(0, run_start - 10), run_start):
            st.mask(run_start, m.end())  # a QQ or account number: not a phone, not a figure
            continue
        groups = [(g.start() + run_start, g.end() + run_start) for g in _PHONE_GROUP.finditer(run)]
        plus = run.startswith("+")
        if _QUANTITY_AFTER.match(phone_text, m.end()) and (
            len(groups) > 1 or not _CN_MOBILE.fullmatch(phone_text[groups[0][0] : groups[0][1]])
        ):
            groups.pop()  # "13812345678 5000平": the last group is a quantity
        announced = bool(_PHONE_WORD_BEFORE.search(text, max(0, run_start - 10), run_start))
        area_code = st.district_set.area_code if announced else None
        i = 0
        unread: list[tuple[int, int]] = []  # neighbouring groups no phone number took
        while i < len(groups):
            if plus and i > 0 and not found:
                # "+44 7700 900123" that is not valid: its digits are not a Chinese number.
                unread.extend(groups[i:])
                break
            j = _longest_phone(st, phone_text, groups, i, plus and i == 0, area_code, found)
            if j is None:
                unread.append(groups[i])
                if re.fullmatch(r"0\d{2,3}", phone_text[groups[i][0] : groups[i][1]]):
                    # An area code of its own that made no valid number (0931-88886666):
                    # the digits after it are not a local number of ours.
                    area_code = None
                i += 1
            else:
                _note_unread(st, phone_text, unread, plus, area_code)
                unread = []
                i = j
        _note_unread(st, phone_text, unread, plus, area_code)


def _note_unread(
    st: _State, phone_text: str, unread: list[tuple[int, int]], plus: bool, area_code: str | None
) -> None:
    """Report digit groups long enough to be a phone number that were not one."""
    digits = "".join(phone_text[s:e] for s, e in unread)
    if len(digits) >= 7:
        _, reason = _e164(digits, plus, area_code)
        start, end = unread[0][0], unread[-1][1]
        st.notes.append(f"{reason or 'not a valid phone number'}: {st.original[start:end]}")
        # Masked so the digits cannot be read as an area or an amount either.
        st.mask(start, end)


def _longest_phone(
    st: _State,
    phone_text: str,
    groups: list[tuple[int, int]],
    i: int,
    plus: bool,
    area_code: str | None,
    found: list[str],
) -> int | None:
    """Read the longest run of digit groups from groups[i] that is a valid phone number.

    Returns the index after the last group used, or None when no run starting at i is one.
    """
    for j in range(len(groups), i, -1):
        digits = "".join(phone_text[s:e] for s, e in groups[i:j])
        if not 7 <= len(digits) <= 15:
            continue
        e164, _ = _e164(digits, plus, area_code)
        if e164 is None:
            continue
        start = groups[i][0]
        if plus:
            start = phone_text.rindex("+", 0, start + 1)
        _record_phone(st, e164, start, groups[j - 1][1], found)
        return j
    return None


# Where a text places its writer in Taiwan, a number with a trunk 0 and no country code is
# read as Taiwan's ((02) 2718-5536 in Taipei, 04-2573-3796 in Taichung).
_TAIWAN = re.compile(
    r"台北|台中|台南|高雄|桃园|新竹|台湾|台币|taipei|taichung|kaohsiung|taiwan|nt\$"
)


def _taiwan_landline(run: str) -> str | None:
    digits = "".join(_PHONE_GROUP.findall(run))
    if not 9 <= len(digits) <= 10 or digits.startswith("09"):
        return None  # a mobile of Taiwan is written 09…; the bare form stays Chinese-first
    try:
        number = phonenumbers.parse(digits, "TW")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _record_phone(st: _State, e164: str, start: int, end: int, found: list[str]) -> None:
    """The first phone is the lead's, unless it is a landline and a mobile follows ("电话：
    0731-22886655 手机13907339988": the mobile reaches the person); the others are reported,
    not dropped."""
    if e164 not in found:
        found.append(e164)
        first = st.fields.get("phone")
        if first is None:
            st.put("phone", e164, start, end)
        elif _is_cn_mobile(e164) and not _is_cn_mobile(first.value):
            st.notes.append(f"additional phone: {first.source}")
            del st.fields["phone"]
            st.put("phone", e164, start, end)
        else:
            st.notes.append(f"additional phone: {st.original[start:end]}")
    st.mask(start, end)


def _is_cn_mobile(e164: object) -> bool:
    return isinstance(e164, str) and e164.startswith("+861") and len(e164) == 14


# "微信号 zhangsan_1988" / "wechat: anna-k88": WeChat's own rules for an ID (6-20 characters,
# a letter first, then letters, digits, _ and -). A mobile number said as the WeChat ID is
# the phone already.
_WECHAT_ID = re.compile(
    r"(?:微信号?|威信|v信|vx|wx|wechat(?:\s*id)?)\s*(?:号码|号)?\s*(?:是|为|:|：|也是)?\s*"
    r"(?P<id>[a-z][-_a-z0-9]{5,19})(?![-_a-z0-9])"
)


def _extract_wechat_id(st: _State) -> None:
    text = st.work
    if not ("微信" in text or "威信" in text or "v信" in text or "vx" in text or "wx" in text
            or "wechat" in text):  # fmt: skip
        return
    m = _WECHAT_ID.search(text)
    if m:
        st.put("wechat_id", st.original[m.start("id") : m.end("id")], *m.span("id"))
        st.mask(*m.span("id"))
