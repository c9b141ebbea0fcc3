"""Need type, deal and EIA from keywords (data/needs.txt)."""

from __future__ import annotations

import re

from app.wechat.parsing.data import read_sections
from app.wechat.parsing.result import _State
from app.wechat.parsing.text import _trie_pattern


def _keyword_res(words: list[str]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(Chinese keywords, Latin keywords bounded by non-letters); run the second only on Latin."""
    cjk = [w for w in words if not w.isascii()]
    latin = [w for w in words if w.isascii()]
    return (
        re.compile(_trie_pattern(cjk)),
        re.compile(rf"(?<![a-z])(?:{_trie_pattern(latin)})(?![a-z])"),
    )


# keyword → (need type, deal). A keyword with neither is a longer phrase that must not count
# as its shorter parts: 建厂房 is not a wish to rent a factory, 注册资本 not a registration.
_KEYWORDS: dict[str, tuple[str | None, str | None]] = {}
for _section, _words in read_sections("needs.txt").items():
    _need, _deal = (None if part == "-" else part for part in _section.split())
    for _word in _words:
        _KEYWORDS[_word.replace("_", " ")] = (_need, _deal)
_KEYWORD_RE, _KEYWORD_LATIN_RE = _keyword_res(list(_KEYWORDS))
# Buying said around other words: 拿30亩地, 厂房卖吗, 有没有现成的厂房卖.
_BUY_PHRASE = re.compile(
    r"(?:拿|买|购)[^,，。;；!！?？\x00]{1,8}?(?:亩地|块地|地块|土地|用地)|[房地库楼]卖"
)
_BUY_HINT = re.compile(r"[拿买购卖]")
# 不 right before the word negates it too: 不租了，买 (a buyer), 不买 (a tenant).
_NEGATED = re.compile(
    r"(?:不需要|不用|无需|不要|(?<!有)没有|不需|(?<!是)不是|不涉及)[\u4e00-\u9fff]{0,2}$|(?<![要管论])不$"
    r"|(?<![a-z])(?:not|no|don't|without)\s+$"  # "to lease (not buy)", "without renting"
    # "We not need land now", "No need office", "instead of purchase"; 先不谈用地
    r"|(?<![a-z])(?:not|no|don't|do not|doesn't)\s+(?:need|want|require|looking for)\s+"
    r"(?:any\s+|a\s+|an\s+)?$"
    r"|(?<![a-z])instead\s+of\s+$|不谈|不考虑|暂不考虑"
)
# A place to work in beats a company address, which beats "we want to invest". Among places,
# office and desk space usually come with the main need (厂房带办公), so they rank below it.
_PRIMARY_NEEDS = ("land", "factory", "warehouse")
_PLACES = (*_PRIMARY_NEEDS, "office", "incubator")
_NEED_RANKS = (
    _PRIMARY_NEEDS,
    ("office", "incubator"),
    ("registration",),
    ("investment",),
    ("other",),
)


_EIA = re.compile(
    r"环评|环境影响评价|环保审批|环保手续|eia(?![a-z])|environmental\s+(?:impact|approval|permit|"
    r"assessment|clearance)"
)
_EIA_NEG_BEFORE = re.compile(
    r"(?:不需要|不用|无需|(?<!有)没有|不要|不需|不涉及|不做|免|no)\s*(?:做|办|过|办理|的|什么)?\s*$"
)
_EIA_NEG_AFTER = re.compile(r"\s*(?:要求)?\s*(?:不需要|不用|没有要求|不要|不需|无要求)")


def _extract_need_and_deal(st: _State) -> None:
    needs: list[tuple[str, int, int]] = []
    deals: list[tuple[int, int, str]] = []
    text = st.work
    matches = list(_KEYWORD_RE.finditer(text))
    if st.has_latin:
        matches.extend(_KEYWORD_LATIN_RE.finditer(text))
        matches.sort(key=lambda m: m.start())
    may_negate = (
        "不" in text
        or "无" in text
        or "没" in text
        or (st.has_latin and ("no" in text or "without" in text))
    )
    width = 20 if st.has_latin else 6  # "without renting": English negation is words away
    for m in matches:
        need, deal = _KEYWORDS[m.group()]
        if may_negate and _NEGATED.search(text, max(0, m.start() - width), m.start()):
            continue  # 不需要实际办公
        if need == "land" and _UNDECIDED_AFTER.match(text, m.end()):
            need = None  # 用地规模暂未确定: land not asked for yet (an investment first)
        if need is not None and _WITH_BEFORE.search(text, max(0, m.start() - 24), m.start()):
            need = None  # "10000 sqm, with an office block", 厂房带办公楼: a feature, not a need
        if need is not None:
            needs.append((need, m.start(), m.end()))
        if deal is not None:
            deals.append((m.start(), m.end(), deal))
    if _BUY_HINT.search(text):
        deals.extend((m.start(), m.end(), "buy") for m in _BUY_PHRASE.finditer(text))
        deals.sort()
    if len(needs) > 1 and "工厂" in text:
        # "我们是生产户外家具的外贸工厂，需要仓库": the firm describing itself is no need.
        kept = [
            n
            for n in needs
            if not (
                text[n[1] : n[2]] == "工厂" and _SELF.search(text, _clause_start(text, n[1]), n[1])
            )
        ]
        if kept:
            needs = kept
    if len(needs) > 1 and ("不要" in text or "不需要" in text or "不用" in text):
        # "仓库不要了，改成厂房": a need taken back is not the need.
        # (every mention of a need taken back: 还要个仓库 哦 仓库先不要 就办公室)
        dropped = {n[0] for n in needs if _TAKEN_BACK_AFTER.match(text, n[2])}
        kept = [n for n in needs if n[0] not in dropped]
        if kept:
            needs = kept
    chosen = _choose_need(needs)
    land = st.land_area
    custom_built = land_said = False
    if land is not None:
        custom_built = any(kind == "build_to_suit" for _, _, kind in deals)
        land_said = any(need == "land" for need, _, _ in needs)
    if land is not None and (
        chosen is None
        or chosen[0] not in _PLACES
        or chosen[0] == "land"
        or custom_built
        or (land_said and st.area_in_mu)  # "a plant for valves, 40 mu of land": a plot
    ):
        # An area in 亩 and no word for a building: land is what is measured in 亩, and a
        # project that needs land is a land enquiry first (投资建厂,占地100亩); 定制代建 on a
        # plot of 亩 is land built to suit. The plot is the area, not the building's 建筑面积.
        _use_land_area(st, land)
        said = next((n for n in needs if n[0] == "land"), None)
        if said is not None:
            st.put("need_type", *said)
        elif not custom_built:
            st.inferred.add("need_type")  # land guessed from 亩
        st.put("need_type", "land", land[2], land[3])
    elif chosen is not None:
        st.put("need_type", *chosen)
        if chosen[0] not in _PLACES:
            st.inferred.add("need_type")  # 投资/注册 beside a place already asked for
    if deals:
        _choose_deal(st, deals)
    need_field = st.fields.get("need_type")
    if need_field is not None and need_field.value == "land" and "deal" not in st.fields:
        # Industrial land is bought (出让) unless renting is said (docs/parser.md, deals).
        start = st.original.find(need_field.source)
        st.put("deal", "buy", start, start + len(need_field.source))
        st.inferred.add("deal")


_UNDECIDED_AFTER = re.compile(
    r"(?:及[\u4e00-\u9fff]{0,6}?)?(?:规模|面积|需求|大小)?\s*(?:的事)?\s*(?:具体)?\s*"
    r"(?:暂未|尚未|还没|还未|没|未|待定|待|暂不|不涉及|没有确定)"
)
_WITH_BEFORE = re.compile(
    r"(?<![a-z])(?:with|plus|including|incl\.?)\s+(?:(?:an?|the|some|its|our|own|separate|"
    r"attached|adjoining|adjacent|small|little|supporting|ancillary)\s+)*\Z"
    r"|(?:带|含|配|配套|附带|自带)\s*(?:一个|一栋|一间|独立的?|小)?\Z"
)
_PREFER_BEFORE = re.compile(r"(?:还是先?|改成|改为|决定|prefers?|preferred|rather|decided to)\s*\Z")
_TAKEN_BACK_AFTER = re.compile(r"\s*(?:暂时|就|也|先)?(?:不要了?|不需要了?|不用了?)")
_SELF = re.compile(r"我们是|我们为|我司是|我司为|本公司是|本公司为|是一家")
_CLAUSE_END = re.compile(r"[,;。，；!?！？\n]")


def _clause_start(text: str, end: int) -> int:
    """Where the clause holding text[end] begins."""
    last = 0
    for m in _CLAUSE_END.finditer(text, 0, end):
        last = m.end()
    return last


def _use_land_area(st: _State, land: tuple[float | None, float | None, int, int]) -> None:
    low, high, start, end = land
    source = st.original[start:end]
    current = st.fields.get("area_min_m2") or st.fields.get("area_max_m2")
    if current is not None and current.source == source:
        return
    if current is not None:
        st.notes.append(f"building area, not the plot: {current.source}")
    st.fields.pop("area_min_m2", None)
    st.fields.pop("area_max_m2", None)
    if low is not None:
        st.put("area_min_m2", round(low, 2), start, end)
    if high is not None:
        st.put("area_max_m2", round(high, 2), start, end)
    st.area_in_mu = True


def _choose_need(needs: list[tuple[str, int, int]]) -> tuple[str, int, int] | None:
    if len(needs) < 2:
        return needs[0] if needs else None
    for rank in _NEED_RANKS:
        for need in needs:
            if need[0] in rank:
                return need
    return None


def _choose_deal(st: _State, deals: list[tuple[int, int, str]]) -> None:
    """deals: (start, end, kind) in text order."""
    if len(deals) == 1:
        start, end, kind = deals[0]
        st.put("deal", kind, start, end)
        return
    for wanted in ("build_to_suit", "any"):
        for start, end, kind in deals:
            if kind == wanted:
                st.put("deal", kind, start, end)
                return
    kinds = {kind for _, _, kind in deals}
    if "rent" in kinds and "buy" in kinds:
        for start, end, kind in reversed(deals):
            if _PREFER_BEFORE.search(st.work, max(0, start - 14), start):
                # "准备买…还是先租吧", "prefers lease instead of purchase": the choice made
                st.put("deal", kind, start, end)
                return
        # 租或者买都可以 / 先租后买: both were asked for.
        st.put("deal", "any", deals[0][0], max(end for _, end, _ in deals))
        return
    start, end, kind = deals[0]
    st.put("deal", kind, start, end)


def _extract_eia(st: _State) -> None:
    m = _EIA.search(st.work)
    while (
        m is not None and m.group() == "eia" and m.start() and "a" <= st.work[m.start() - 1] <= "z"
    ):
        m = _EIA.search(st.work, m.end())
    if m is None:
        return
    start, end = m.start(), m.end()
    neg = _EIA_NEG_BEFORE.search(st.work, max(0, start - 8), start)
    after = _EIA_NEG_AFTER.match(st.work, end)
    if neg:
        start = neg.start()
    if after:
        end = after.end()
    st.put("eia_required", not (neg or after), start, end)
