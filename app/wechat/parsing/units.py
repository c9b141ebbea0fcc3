"""Numbers and units: one pass finds every "number (range) unit" (docs/parser.md)."""

from __future__ import annotations

import re
from typing import NamedTuple

from app.core.units import M2_PER_MU
from app.wechat.parsing.numerals import parse_number
from app.wechat.parsing.text import _trie_pattern

_NUM = (
    r"(?:[0-9零〇一二两三四五六七八九十几]|百(?=[来多余]))"  # 百来亩: the 一 goes unsaid
    r"(?:[0-9零〇一二两三四五六七八九十百万亿几]|千(?![伏瓦克米])|,(?=[0-9]{3}(?![0-9])))*"
    r"(?:[.点][0-9零〇一二三四五六七八九]+[十百千万亿]*)?"
    r"(?:(?<=[0-9])k(?![a-z]))?"  # 3k / 2.5k sqm: thousands, as English writes them in short
)

_AREA_NOUN_AFTER = re.compile(
    r"\s*(?:左右|以上|以内|上下)?\s*的?\s*(?:标准)?(?:厂房|仓库|车间|库房|办公|写字楼|场地|空间|面积)"
)
_AREA_WORD_BEFORE = re.compile(
    r"面积\s*(?:是|为|:|约|大约|大概|需要|要|在|控制在|最好|改成|改为|换成|应该是)*\s*$"
)

_AREA, _MONEY, _LENGTH, _WEIGHT, _POWER, _PEOPLE = (
    "area",
    "money",
    "length",
    "weight",
    "power",
    "people",
)

# unit text → (category, factor to the base unit: m², 元, m, kg, kVA, person)
_UNITS: dict[str, tuple[str, float]] = {
    "平方公里": (_AREA, 1e6),
    "km2": (_AREA, 1e6),
    "km²": (_AREA, 1e6),
    "个平方米": (_AREA, 1.0),
    "个平方": (_AREA, 1.0),
    "个平米": (_AREA, 1.0),
    "平方米": (_AREA, 1.0),
    "平方": (_AREA, 1.0),
    "平米": (_AREA, 1.0),
    "平": (_AREA, 1.0),
    "方": (_AREA, 1.0),
    "㎡": (_AREA, 1.0),
    "m2": (_AREA, 1.0),
    "m²": (_AREA, 1.0),
    "sqm": (_AREA, 1.0),
    "sq m": (_AREA, 1.0),
    "sq.m": (_AREA, 1.0),
    "sq. m": (_AREA, 1.0),
    "sq. m.": (_AREA, 1.0),
    "sq.m.": (_AREA, 1.0),
    "square meters": (_AREA, 1.0),
    "square metres": (_AREA, 1.0),
    "square meter": (_AREA, 1.0),
    "square metre": (_AREA, 1.0),
    "sqft": (_AREA, 0.092903),
    "sq ft": (_AREA, 0.092903),
    "sq. ft.": (_AREA, 0.092903),
    "sq.ft.": (_AREA, 0.092903),
    "sq. ft": (_AREA, 0.092903),
    "square foot": (_AREA, 0.092903),
    "square feet": (_AREA, 0.092903),
    "平方呎": (_AREA, 0.092903),  # Hong Kong counts floor space in square feet (三千呎)
    "方呎": (_AREA, 0.092903),
    "呎": (_AREA, 0.092903),
    "亩": (_AREA, float(M2_PER_MU)),
    "mu": (_AREA, float(M2_PER_MU)),
    "公顷": (_AREA, 10000.0),
    "hectares": (_AREA, 10000.0),
    "hectare": (_AREA, 10000.0),
    "ha": (_AREA, 10000.0),
    "坪": (_AREA, 3.3058),
    "acres": (_AREA, 4046.86),
    "acre": (_AREA, 4046.86),
    "万元": (_MONEY, 1e4),
    "亿元": (_MONEY, 1e8),
    "个多亿": (_MONEY, 1e8),
    "个亿": (_MONEY, 1e8),
    "元": (_MONEY, 1.0),
    "块钱": (_MONEY, 1.0),
    "块": (_MONEY, 1.0),
    "w": (_MONEY, 1e4),
    "yuan": (_MONEY, 1.0),
    "rmb": (_MONEY, 1.0),
    "million": (_MONEY, 1e6),
    "billion": (_MONEY, 1e9),
    "bn": (_MONEY, 1e9),
    "mio": (_MONEY, 1e6),  # EUR 20 Mio., 45 mln EUR
    "mln": (_MONEY, 1e6),
    "米": (_LENGTH, 1.0),
    "公尺": (_LENGTH, 1.0),
    "m": (_LENGTH, 1.0),
    "meters": (_LENGTH, 1.0),
    "metres": (_LENGTH, 1.0),
    "metre": (_LENGTH, 1.0),
    "meter": (_LENGTH, 1.0),
    "吨": (_WEIGHT, 1000.0),
    "t": (_WEIGHT, 1000.0),
    "tons": (_WEIGHT, 1000.0),
    "ton": (_WEIGHT, 1000.0),
    "tonnes": (_WEIGHT, 1000.0),
    "tonne": (_WEIGHT, 1000.0),
    "公斤": (_WEIGHT, 1.0),
    "千克": (_WEIGHT, 1.0),
    "kg": (_WEIGHT, 1.0),
    "千伏安": (_POWER, 1.0),
    "k伏安": (_POWER, 1.0),
    "kv·a": (_POWER, 1.0),
    "kv.a": (_POWER, 1.0),
    "kva": (_POWER, 1.0),
    "千瓦": (_POWER, 1.0),
    "kw": (_POWER, 1.0),
    "兆伏安": (_POWER, 1000.0),
    "mva": (_POWER, 1000.0),
    "兆瓦": (_POWER, 1000.0),
    "mw": (_POWER, 1000.0),
    "个人": (_PEOPLE, 1.0),
    "人": (_PEOPLE, 1.0),
    "名": (_PEOPLE, 1.0),
    "employees": (_PEOPLE, 1.0),
    "staff": (_PEOPLE, 1.0),
    "workers": (_PEOPLE, 1.0),
    "people": (_PEOPLE, 1.0),
    "persons": (_PEOPLE, 1.0),
    "jobs": (_PEOPLE, 1.0),
    "号人": (_PEOPLE, 1.0),
    "ppl": (_PEOPLE, 1.0),
    "位": (_PEOPLE, 1.0),
}
# Why each lookahead: 平台/平整 are not areas, 一方面/方便 not 方, m2 ≠ m, 8m ≠ 8mm, 5t ≠ 5tons...
_UNIT_GUARDS = {
    "平": r"(?![台整稳均衡安时常面层板价顶])",
    "方": r"(?![面便式案向法位针圆])",
    "m": r"(?![a-z0-9²])",
    "mu": r"(?![a-z])",
    "ha": r"(?![a-z])",
    "t": r"(?![a-z])",
    "w": r"(?![a-z])",
    "ton": r"(?![a-z])",
    "tonne": r"(?![a-z])",
    "metre": r"(?![a-z])",
    "meter": r"(?![a-z])",
    "kw": r"(?![a-z])",
    "mw": r"(?![a-z])",
    "名": r"(?![字称额单次片义牌])",
    "人": r"(?![民员才工])",
    "jobs": r"(?![a-z])",
    "ppl": r"(?![a-z])",
    "yuan": r"(?![a-z])",
    "bn": r"(?![a-z])",
    "mio": r"(?![a-z])",
    "mln": r"(?![a-z])",
    "rmb": r"(?![a-z])",
    # 十位员工, 三位工程师: 位 counts people only before the word for them (not 十位数)
    "位": r"(?=\s*(?:员工|工人|职工|人员|同事|工程师|技术人员|研发人员|销售))",
}
_UNIT_RE = _trie_pattern(list(_UNITS), _UNIT_GUARDS)
_PER_AREA = (
    r"(?:(?:/|每|一|每一)\s*(?:平方米|平方|平米|平|㎡|m2|m²|方|亩)"
    # English: "RMB 25/sqm/month", "25 yuan per square metre per month"
    r"|(?:/|per|a)\s*(?:sqm|sq\.?\s?m(?![a-z])|m2|m²|square\s+met(?:re|er)s?|mu(?![a-z])))"
)
_PER_TIME = r"(?:(?:/|每|一|每个?)\s*(?:月|年|天|日)|(?:/|per|a)\s*(?:month|year|day)(?![a-z]))"
_QTY = re.compile(
    rf"(?P<a>{_NUM})\s*(?:(?P<qa>多|余|来)(?P<qm>[十百千万亿])?)?\s*(?:-(?=[a-z]))?(?P<ua>{_UNIT_RE})?"
    rf"(?:\s*(?P<sep>-|~|到|至|to(?=\s)|and(?=\s))\s*(?P<b>{_NUM})\s*(?P<qb>多|余)?\s*(?P<u>{_UNIT_RE})?)?"
    rf"(?P<per>\s*(?:{_PER_AREA}|{_PER_TIME})(?:\s*(?:/|每|per|a)\s*(?:月|年|天|month|year|day))?)?"
)


class _Qty(NamedTuple):  # a tuple: built for every figure, so it must be cheap to make
    start: int
    end: int
    low: float
    high: float
    category: str | None
    unit: str | None
    has_range: bool
    more: bool  # 多/余: "more than"
    per: str  # "area" for 元/平 or 吨/平, "month" for 元/月 and the like, else ""
    multiplier: bool  # the numeral itself carries 万/亿


_BETWEEN = re.compile(r"between\s*$")
_CJK_UNIT = re.compile(r"[\u4e00-\u9fff]")
_DOT_THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+")
_YUAN_BEFORE = re.compile(r"(?:rmb|cny|¥|yuan)\s*$")
# "USD 40M", "RMB 300m", "€18M": after a currency, m is a million, not metres.
_MONEY_BEFORE = re.compile(r"(?:rmb|cny|¥|yuan|usd|us\$|\$|eur|€|hkd|hk\$|twd|nt\$|gbp|£|sgd)\s*$")
_LONE_DIGITS = frozenset("零〇一二两三四五六七八九")
_SIMPLE_MULTIPLIERS = {"十": 10.0, "百": 100.0, "千": 1e3, "万": 1e4, "亿": 1e8}
_TRAIL_MULT = re.compile(r"[百千万亿]+$")
_PER_AREA_CHARS = re.compile(r"平|㎡|m2|m²|方|亩|sq|square|mu")
_PER_SHORT_TIME = re.compile(r"[月天日]|month|day")


def _scan_quantities(text: str, notes: list[str], original: str) -> list[_Qty]:
    """Every "numeral (range) unit" in the text, with units applied (m², 元, m, kg, kVA)."""
    out: list[_Qty] = []
    pos = 0
    search = _QTY.search
    while (m := search(text, pos)) is not None:
        start = m.start()
        pos = m.end()
        if start and text[start - 1] in "0123456789.":
            continue  # the tail of a figure already read (or of a version like v1.2)
        if pos - start == 1 and text[start] in _LONE_DIGITS:
            continue  # 一下 / 一起 / 三楼: a lone Chinese digit is no quantity
        a, b, ua, u, qa, qb, per, qm = m.group("a", "b", "ua", "u", "qa", "qb", "per", "qm")
        if a == "百":
            a = "一百"  # 百来亩 / 百多平: the 一 before 百 goes unsaid
        use_range = b is not None
        if (
            use_range
            and m.group("sep") == "and"
            and not _BETWEEN.search(text, max(0, start - 12), start)
        ):
            use_range, pos, per = False, m.start("b"), None  # "2000 sqm and 30 staff": two figures
        if use_range and (
            (ua and u and _UNITS[ua][0] != _UNITS[u][0])  # "5000平-8米": two quantities
            or not (
                ua
                or u
                or _has_mult(a)
                or _has_mult(b)
                # "面积2000到3000": the word for area stands for the unit
                or _AREA_WORD_BEFORE.search(text, max(0, start - 8), start)
            )  # "3-5" with no unit at all
        ):
            use_range = False
            pos = m.start("b")
            per = None
        if use_range:
            unit = u or ua
            end = m.end("u") if u else (m.end("qb") if qb else m.end("b"))
        else:
            unit = ua
            if qm and ua and _UNITS[ua][0] == _PEOPLE:
                unit = ua = None  # "投资八千来万 人的话…": tens of millions of people are money
            end = m.end("ua") if ua else (m.end("qm") if qm else m.end("qa") if qa else m.end("a"))
        if per:
            end = m.end("per")
        # "RMB 800k", "CNY 1,200,000": yuan said before a bare figure makes it money
        yuan = unit is None and _YUAN_BEFORE.search(text, max(0, start - 8), start) is not None
        if (
            unit is None
            and not _has_mult(a)
            and not (qm and not use_range)
            and not (use_range and _has_mult(b))
            and not _AREA_NOUN_AFTER.match(text, end)
            and not _AREA_WORD_BEFORE.search(text, max(0, start - 8), start)
            and not yuan
        ):
            continue  # a bare numeral (一个, 第三, 5年) is a quantity only as "5000左右的厂房"
        approx = False
        if "几" in a and not use_range and a[0] != "几" and a.count("几") == 1:
            # 二十几万 / 三百几十平: "twenty-odd" is read as its lower bound, like 20多万.
            a, approx = a.replace("几", ""), True
        if "几" in a or (use_range and "几" in b):
            if unit or _has_mult(a):
                notes.append(f"vague quantity: {original[start:end]}")
            continue
        if (
            unit
            and _DOT_THOUSANDS.fullmatch(a)
            and _UNITS[unit] == (_AREA, 1.0)
            and not _CJK_UNIT.search(unit)
        ):
            a = a.replace(".", "")  # "3.000 m2", "12.500 sqm": a dot between thousands
            if use_range and b and _DOT_THOUSANDS.fullmatch(b):
                b = b.replace(".", "")
        first = parse_number(a)
        second = parse_number(b) if use_range else first
        if first is None or second is None:
            if unit:
                notes.append(f"unreadable number: {original[start:end]}")
            continue
        low, high = first[0], second[1]
        if unit and not use_range and not per and text.startswith("半", end) and low == high < 100:
            low = high = low + 0.5  # 一吨半, 两米半, 三亩半: and a half
            end += 1
        if qm and not use_range:  # 一百来万: about a hundred 万
            low = high = low * _SIMPLE_MULTIPLIERS[qm]
        if use_range:
            tail = _TRAIL_MULT.search(b)
            if tail and tail.start() and not any(c in a for c in "十百千万亿点."):
                # 3到5万 = 3万–5万: the multiplier at the end belongs to both ends.
                lead = parse_number(b[: tail.start()])
                if lead is not None and lead[0] > 0 and low <= lead[0]:
                    low *= second[0] / lead[0]
        per_kind = ""
        if per:
            if _PER_AREA_CHARS.search(per):
                per_kind = "area"
            elif _PER_SHORT_TIME.search(per):
                per_kind = "month"
        category, factor = _UNITS[unit] if unit else (None, 1.0)
        if unit == "m" and _MONEY_BEFORE.search(text, max(0, start - 5), start):
            category, factor = _MONEY, 1e6
        if yuan:
            category = _MONEY
        out.append(
            _Qty(
                start,
                end,
                low * factor,
                high * factor,
                category,
                unit,
                low != high,
                bool((qa and qa != "来") or approx or (use_range and qb)),
                per_kind,
                _has_mult(a) or bool(qm) or bool(use_range and _has_mult(b)),
            )
        )
    return out


def _has_mult(numeral: str) -> bool:
    return "万" in numeral or "亿" in numeral


_BOUND_BEFORE = re.compile(
    r"(?:(?P<min>至少|不少于|不低于|不小于|最少|起码|最低|(?<!不)大于|(?<!不)超过|(?<!不)多于|>|≥)"
    r"|(?P<max>不超过|不大于|最多|最大|(?<!不)小于|(?<!不)少于|不到|<|≤))\s*$"
)
# English bounds, words apart from the figure ("at least 4000 sqm"); looked for after a space.
_BOUND_BEFORE_EN = re.compile(
    r"(?:(?P<min>at\s+least|minimum(?:\s+of)?|min\.?|no\s+less\s+than|not\s+less\s+than|"
    r"more\s+than|over|至少|不少于|不低于)"
    r"|(?P<max>at\s+most|up\s+to|maximum(?:\s+of)?|max\.?|no\s+more\s+than|"
    r"not\s+more\s+than|less\s+than|under|不超过|最多))\s*$"
)
_BOUND_AFTER = re.compile(
    r"\s*(?:(?P<min>以上|之上|往上|起步|起|\+|多|or\s+(?:more|above|larger|bigger)|and\s+above|"
    r"minimum(?![a-z])|min\.?(?![a-z])|at\s+least(?![a-z]))|(?P<max>以内|以下|之内|之下|内)|(?P<approx>左右|上下))"
)


def _bounds(text: str, q: _Qty) -> tuple[float | None, float | None, int]:
    """(min, max, end) of a quantity once 以上/以内/至少/左右 around it are read."""
    if q.has_range:
        return q.low, q.high, q.end
    end = q.end
    m = _BOUND_AFTER.match(text, q.end)
    if m:
        if m.group("min"):
            return q.low, None, m.end()
        if m.group("max"):
            return None, q.high, m.end()
        end = m.end()
    if q.more:
        return q.low, None, end
    # English bounds ("at least 4000 sqm") are words apart from the figure; Chinese ones touch it.
    if q.start and text[q.start - 1] == " ":
        m = _BOUND_BEFORE_EN.search(text, max(0, q.start - 18), q.start)
    else:
        m = _BOUND_BEFORE.search(text, max(0, q.start - 4), q.start)
    if m:
        return (q.low, None, end) if m.group("min") else (None, q.high, end)
    return q.low, q.high, end
