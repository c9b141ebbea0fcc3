"""Read lead fields out of a free-text Chinese enquiry (docs/parser.md).

``parse_enquiry("你好,想在芦淞区租5000平厂房,王先生13812345678")`` gives need type, deal, area,
district, contact, phone and the rest of the lead fields it can find, each with the exact piece
of the message it came from, plus notes on what looked like data but could not be read.

How it works: the text is folded character by character (full-width → ASCII, traditional →
simplified, upper → lower case) so every offset in the folded text is also an offset in the
input: every ``source`` is therefore an exact substring of the *original* input. Extractors then
run in an order that lets earlier ones claim text: phone numbers first (their digits must never
become an area), then time phrases, company and contact names, then one pass over every
"number + unit" quantity, then districts, industry, need type, deal and EIA keywords. Claimed
text is masked so later extractors cannot read it twice.

Conventions (the labelled set in tests/wechat/enquiries.jsonl follows them):
- areas in m²; 1 亩 = 666.67 m²; 左右/约 → min = max; 以上/多/余/至少 → min only;
  以内/以下/不超过 → max only; 五六十亩 and 3000-5000平 → min and max.
- amounts in 万元; for a range of tax or investment the lower bound (what was promised).
- requirements (height, floor load, employees) take the lower bound of a range; crane and
  power take the largest figure mentioned; kW is taken as kVA.
- ``timeline`` is normalised: 三个月之内 → "3个月内", 年底之前 → "年底前", 急/马上 → "尽快".
- ``industry`` and ``company`` are kept as the prospect wrote them (simplified script).

No word segmentation on the hot path: jieba.lcut alone takes ~110 µs on a typical enquiry here,
twice the parser's whole budget, and keyword tries find what the fields need. Numerals are
read by :mod:`app.wechat.numbers` (cn2an reads neither ranges nor shorthand); phone numbers
are checked against phonenumbers' own metadata for China.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from app.wechat.parsing.amounts import _extract_quantities
from app.wechat.parsing.district_set import DistrictSet
from app.wechat.parsing.form import _extract_form
from app.wechat.parsing.industry import _extract_industry
from app.wechat.parsing.names import _extract_company, _extract_contact
from app.wechat.parsing.needs import _extract_eia, _extract_need_and_deal
from app.wechat.parsing.phones import _extract_phones, _extract_wechat_id
from app.wechat.parsing.places import DistrictListError, _extract_district, load_districts
from app.wechat.parsing.questions import says_no_longer_looking
from app.wechat.parsing.result import (
    FIELD_NAMES,
    MAX_CHARS,
    ParsedField,
    ParseResult,
    _State,
)
from app.wechat.parsing.text import fold
from app.wechat.parsing.timeline import _extract_timeline

__all__ = [
    "FIELD_NAMES",
    "MAX_CHARS",
    "DistrictListError",
    "DistrictSet",
    "ParseResult",
    "ParsedField",
    "fold",
    "load_districts",
    "parse_enquiry",
]

log = logging.getLogger(__name__)


def _coerce(text: object) -> str:
    if isinstance(text, str):
        return text
    if isinstance(text, bytes | bytearray):
        return bytes(text).decode("utf-8", errors="replace")
    return "" if text is None else str(text)


def _extract_eia_and_lost(st: _State) -> None:
    _extract_eia(st)
    _drop_need_when_lost(st)  # one step for both: each step costs a call on the hot path


def _drop_need_when_lost(st: _State) -> None:
    """不考虑了 / already found: the prospect is no longer looking, so there is no need."""
    if ("need_type" in st.fields or "deal" in st.fields) and says_no_longer_looking(st.work):
        st.fields.pop("need_type", None)
        st.fields.pop("deal", None)
        st.notes.append("no longer looking")


# In this order: each step masks what it claimed so later steps cannot read it again.
# A correction that opens the message, "不是芦淞，是石峰" / "不对，不要厂房，要仓库" /
# "不在天元,在荷塘": the value taken back is not read. Only at the start: inside a longer
# enquiry 不是/不要/不在 usually qualify what follows (不要求独门独院) rather than take back.
_RETRACTED = re.compile(
    r"^\s*(?:(?:不对|错了|说错了|哦|噢)[,，\s]*)?(?:不是|不要|不在|并非)(?P<old>[^,;!?。，；！？\n、是要在]{1,12})[,，]?\s*(?:而)?(?:是|要|在)"
)


def _mask_retracted(st: _State) -> None:
    m = _RETRACTED.match(st.work) if "不" in st.work or "并非" in st.work else None
    if m:
        st.mask(*m.span("old"))


_STEPS: tuple[tuple[str, Callable[[_State], None]], ...] = (
    ("phone", _extract_phones),
    ("wechat_id", _extract_wechat_id),
    ("retracted", _mask_retracted),
    ("form", _extract_form),
    ("timeline", _extract_timeline),
    ("company", _extract_company),
    ("contact", _extract_contact),
    ("quantity", _extract_quantities),
    ("district", _extract_district),
    ("industry", _extract_industry),
    ("need", _extract_need_and_deal),
    ("eia", _extract_eia_and_lost),
)


def parse_enquiry(text: str, districts: DistrictSet | None = None) -> ParseResult:
    """Read lead fields from a free-text enquiry. Never raises.

    ``districts`` picks the district list (default: the generic suffix recogniser). Each
    field's ``source`` is an exact substring of ``text`` (of its first MAX_CHARS characters).
    """
    try:
        text = _coerce(text)
        truncated = len(text) > MAX_CHARS
        st = _State(text[:MAX_CHARS], districts or load_districts("generic"))
    except Exception:  # str() of an odd object or a broken install; still never raise
        log.exception("enquiry parser could not start")
        return ParseResult(fields={}, unparsed=["internal error: input not readable"])
    if truncated:
        st.notes.append(f"text truncated to {MAX_CHARS} characters")
    for name, step in _STEPS:
        try:
            step(st)
        except Exception:  # a bug in one step must not cost the prospect's other fields
            log.exception("enquiry parser step %s failed", name)
            st.notes.append(f"internal error in {name} step")
    return ParseResult(fields=st.fields, unparsed=st.notes, inferred=frozenset(st.inferred))
