"""Areas, money (tax, investment) and technical figures read from the scanned quantities."""

from __future__ import annotations

import re

from app.wechat.parsing.numerals import parse_number
from app.wechat.parsing.result import _MAX_AREA, _clause_before, _sentence_before, _State
from app.wechat.parsing.text import _HAS_NUMERAL
from app.wechat.parsing.units import (
    _AREA,
    _AREA_NOUN_AFTER,
    _AREA_WORD_BEFORE,
    _LENGTH,
    _MONEY,
    _NUM,
    _PEOPLE,
    _POWER,
    _UNITS,
    _WEIGHT,
    _bounds,
    _Qty,
    _scan_quantities,
)

# Technical requirements and EIA

_HEIGHT_BEFORE = re.compile(
    r"(?:层高|净高|檐高|高度|挑高|限高|檐口|梁下|滴水|楼底|ceiling|height)"
    r"|(?<!速)高(?:要求|需要|达到|要|约|为|是|不低于|至少|:)?\s*(?:要求|需要|在)?\s*$"
)
_HEIGHT_AFTER = re.compile(
    # 五米楼底: the ceiling's height, as Hong Kong says it
    r"\s*(?:以上|左右)?\s*的?\s*(?:层高|净高|高|挑高|楼底|(?:clear\s+|free\s+|eaves\s+|internal\s+)?"
    r"(?:ceiling|height|clearance|headroom|high)(?![a-z]))"
)
_BUILDING_HEIGHT = re.compile(r"建筑高度|建筑限高|楼栋高度|building height")
_CRANE_WORDS = r"行车|天车|航车|吊车|桥吊|龙门吊|(?:桥式|门式|单梁|双梁)?起重机|吊机|行吊|crane"
_CRANE_BEFORE = re.compile(_CRANE_WORDS)
_CRANE_AFTER = re.compile(
    # "a 20-ton overhead crane", "two 10-tonne bridge cranes"; "2台50吨及4台20吨桥式起重机":
    # every tonnage of a list before the word
    r"(?:[\s0-9.台吨tT及和与、]|and|ton|tonnes?)*?"
    rf"\s*(?:的|以上的?)?\s*(?:(?:overhead|bridge|gantry|travell?ing|eot|jib|electric)\s+)*"
    rf"(?:{_CRANE_WORDS})"
)
_LOAD_BEFORE = re.compile(r"承重|荷载|载荷|承载|成重|floor load|load")
# Units land is measured in: an area in one of these is a plot of land (docs/parser.md).
LAND_UNITS = frozenset({"亩", "mu", "公顷", "hectare", "hectares", "ha", "acre", "acres"})
# "多少钱一亩" / "一平米多少钱": a price asked per unit, not an area of one unit.
_PRICE_BEFORE = re.compile(r"(?:钱|价|价格|元|块|多少|租金|售价)\s*(?:是|要)?\s*$")
_PRICE_AFTER = re.compile(
    r"\s*(?:要|是|大概|大约|需要)?\s*(?:多少钱|多少|什么价|啥价|几多钱|怎么卖|怎么租|价格)"
)
# Amounts in another currency are kept in the message and a note, never converted (the lead's
# amounts are in 万元 RMB; docs/parser.md, money).
_FOREIGN_HINT = re.compile(r"[美欧港日英台瑞$€£]")
_CURRENCY_BEFORE = re.compile(
    r"(?P<cur>usd|us\$|\$|eur|€|euros?|hkd|hk\$|jpy|gbp|£|chf|twd|nt\$|sgd|美元|美金|欧元|港币|港元|"
    r"日元|英镑|新台币|台币|瑞士法郎)\s*(?:约|大约|约为)?\s*$"
)
_CURRENCY_AFTER = re.compile(
    r"\s*(?P<cur>usd|us\s+dollars?|dollars?|euros?|eur|hkd|chf|jpy|gbp|美元|美金|欧元|港币|港元|"
    r"日元|英镑|台币|新台币|瑞士法郎)"
)
_PEOPLE_BEFORE = re.compile(
    r"员工|工人|职工|用工|就业|人员|雇员|团队|人数|招工|规模|招聘|staff|employees|workers"
)
# "我们3个人": a head count right after the speaker's "we".
_PEOPLE_WE = re.compile(
    r"(?:我们|团队|公司|(?P<now>现在|目前))(?:就|只有|才|有|共|一共|总共|大概|大约|约)?(?:就|只有|才)?\s*$"
)
# "员工一百五十来个": a head count after the word for staff, with 个 and no 人.
_STAFF_COUNT = re.compile(
    # 员工呢 三百五十个左右, 人的话一百来个: a spoken pause between
    rf"(?:员工|工人|职工|用工|人员|就业岗位|就业|岗位|人的话)\s*(?:呢|的话|嘛|啊)?\s*:?\s*"
    rf"(?:大概|大约|约|有|共|总共|一共|规模|达)?\s*"
    rf"(?P<n>{_NUM})\s*"
    r"(?:来|多|余)?\s*个(?!人|月|亿)"
    # 有三百多个工人, 三人新创团队: the count before the word for the people
    rf"|(?P<n2>{_NUM})\s*(?:来|多|余)?\s*(?:(?:个|名)?(?:工人|员工|职工)|人(?:的)?(?:新创|创业|初创)?团队)"
)
# "a staff of 120", "headcount: 80", "workforce of about 300".
_EN_STAFF = re.compile(
    r"(?<![a-z])(?:staff|headcount|workforce|employees|workers|team)\s*(?:of|:|is|will\s+be)?\s*"
    r"(?:about|around|approximately|approx\.?|some|roughly|~)?\s*(?P<n>\d{1,3}(?:,\d{3})*|\d+)"
    r"(?![\d.,]*\s*(?:sqm|sq|m2|m²|square|mu|acres?|hectares?|%|million|billion|k\b|m\b))"
)
_ABOUT_AFTER = re.compile(r"\s*左右")  # 二十个人左右: a head count
_CLAUSE_END_AFTER = re.compile(r"\s*(?:左右)?\s*(?:[\s,;!?。，；！？]|$)")
_PEOPLE_AFTER = re.compile(
    r"\s*(?:左右|以上|多)?\s*(?:的[\u4e00-\u9fff]{0,4}?)?(?:员工|工人|职工|人员|团队|规模|就业)"
)
# The word nearest before an amount says what it is; at equal distance a word that is not a
# lead field wins (注册资金 is not an investment).
_AMOUNT_WORD = re.compile(
    r"(?P<other>"
    r"产值|营收|营业额|营业收入|销售收入|收入|销售额|销售|年产|注册资本|注册资金|预算|租金|价格|单价|售价|总价|价|贷款|"
    r"固定资产投资|设备投资|固投|利税|补贴|奖励|工资|月租|年租|押金|"
    # money a start-up raised is not what it will invest here (已获天使轮投资500万元)
    r"(?:天使轮|种子轮|首轮|[a-d]\+?轮|pre-?a轮?)(?:投资|融资)?|融资|"
    r"(?<!tax )revenue|budget|turnover|sales|output|capital|rent|price"
    r")|(?P<investment>投资预算|投资|投入|总投|资金|斥资|invest(?:ment)?\s+budget|invest|ticket\s+size)"
    r"|(?P<tax>税|tax)"
)
_PER_MU_WORD = re.compile(r"亩均|每亩")
_AMOUNT_WORD_AFTER = re.compile(
    # Within the line: "投资：十五亿元\n税收：每年一亿元" are two fields of a form.
    r"[ \t]*(?:左右|以上|多)?[ \t]*的?[ \t]*"
    r"(?:(?P<tax>年?税收|纳税|税(?!收))|(?P<investment>投资|投入))"
    # "产值5个亿 税收3000万", "十个亿 税收能做到五千万": a word followed by a figure of its own
    # (a few words may come between) names that figure
    r"(?![^0-9零〇一二两三四五六七八九十百千万亿,;!?。，；！？\n]{0,6}[0-9零〇一二两三四五六七八九十])"
)
# Earlier in the same clause, these make an area something other than the need.
_AREA_SKIP_BEFORE = re.compile(
    r"(?:(?P<per_mu>亩均|每亩)|(?P<existing>现有|目前有|原有|已有|现在有|现在的|目前的|现在租|目前租))"
    r"[^,;!?。，；！？\n、]*\Z"
)


def _extract_quantities(st: _State) -> None:
    """Area, amounts and technical figures."""
    text = st.work
    if not _HAS_NUMERAL.search(text):
        return
    areas: list[tuple[_Qty, float | None, float | None, int]] = []
    crane: tuple[float, int, int] | None = None
    power: tuple[float, int, int] | None = None
    foreign: bool | None = None  # the text may hold a foreign currency (checked once)
    spoken: _Qty | None = None  # the first figure with 万 and no unit that named no amount
    spoken_note = 0
    for q in _scan_quantities(text, st.notes, st.original):
        cat = q.category
        if cat is None and (
            not q.multiplier  # bare figures are scanned only before 厂房 or after 面积
            or _AREA_NOUN_AFTER.match(text, q.end)
            or _AREA_WORD_BEFORE.search(text, max(0, q.start - 8), q.start)
        ):
            cat = _AREA  # "想租1万左右的厂房": a figure for a building is in m², as meant
        if cat == _AREA:
            if q.per:
                continue  # 元/平 is a price, 吨/平 a floor load
            if (
                q.unit
                and q.low <= _UNITS[q.unit][1]
                and (
                    _PRICE_BEFORE.search(text, max(0, q.start - 6), q.start)
                    or _PRICE_AFTER.match(text, q.end)
                )
            ):
                st.notes.append(f"price question, not an area: {st.original[q.start : q.end]}")
                continue
            skip = _AREA_SKIP_BEFORE.search(text, max(0, q.start - 16), q.start)
            if skip is not None:
                if skip.lastgroup == "existing":
                    st.notes.append(f"existing area, not the need: {st.original[q.start : q.end]}")
                continue
            low, high, end = _bounds(text, q)
            if 5 <= max(low or 0, high or 0) <= _MAX_AREA:
                areas.append((q, low, high, end))
        elif cat == _MONEY or cat is None:
            if _budget(st, q):
                continue
            if not q.per:  # a price (元/平, 万/月) is not an amount
                if foreign is None:
                    foreign = st.has_latin or _FOREIGN_HINT.search(text) is not None
                # English puts more words between "tax" and its figure ("annual tax
                # contribution is expected to be around RMB 5 million").
                width = 48 if st.has_latin else 24
                read = _assign_money(st, q, _sentence_before(text, q.start, width), foreign)
                if not read and cat is None and spoken is None:
                    spoken = q  # 厂房要大的 一万到一万五: maybe an area said without its unit
                    spoken_note = len(st.notes) - 1
        elif cat == _POWER:
            if power is None or q.high > power[0]:
                power = (q.high, q.start, q.end)
        elif cat == _LENGTH:
            if _BUILDING_HEIGHT.search(_clause_before(text, q.start)):
                continue  # 建筑高度不超过24米: the building's height, not the ceiling
            if 2 <= q.low <= 60 and (
                # English puts more words between ("clear height of at least 10 m")
                _HEIGHT_BEFORE.search(_clause_before(text, q.start, 28 if st.has_latin else 16))
                or _HEIGHT_AFTER.match(text, q.end)
            ):
                st.put("ceiling_height_m", q.low, q.start, q.end)
        elif cat == _WEIGHT:
            clause = _clause_before(text, q.start)
            if q.per == "area" or _LOAD_BEFORE.search(clause):
                st.put("floor_load_kg_m2", q.low, q.start, q.end)
            elif _CRANE_BEFORE.search(clause) or _CRANE_AFTER.match(text, q.end):
                tonnes = q.high / 1000
                if crane is None or tonnes > crane[0]:
                    crane = (tonnes, q.start, q.end)
        elif cat == _PEOPLE and 1 <= q.low < 1e6:
            clause = _clause_before(text, q.start)
            we = _PEOPLE_WE.search(clause)
            if we and we.group("now") and not _CLAUSE_END_AFTER.match(text, q.end):
                we = None  # "现在十五个人，…" is a head count; "现在三个人来看厂房" is not
            if (
                q.unit
                in ("employees", "staff", "workers", "people", "persons", "jobs", "号人", "ppl")
                or (q.unit in ("个人", "人") and _ABOUT_AFTER.match(text, q.end))
                or _PEOPLE_BEFORE.search(clause)
                or we
                or _PEOPLE_AFTER.match(text, q.end)
            ):
                st.put("employees", int(q.low), q.start, q.end)
    if (
        "employees" not in st.fields
        and ("个" in text or "团队" in text or "名" in text)
        and ("员工" in text or "工人" in text or "职工" in text or "用工" in text
             or "人员" in text or "就业" in text or "团队" in text or "人的话" in text)
    ):  # fmt: skip
        m = _STAFF_COUNT.search(text)
        group = ("n" if m.group("n") else "n2") if m else "n"
        number = parse_number(m.group(group)) if m else None
        if m and number is not None and 1 <= number[0] < 1e6:
            st.put("employees", int(number[0]), m.start(group), m.end())
    if "employees" not in st.fields and st.has_latin:
        m = _EN_STAFF.search(text)
        if m:
            st.put("employees", int(m.group("n").replace(",", "")), m.start("n"), m.end("n"))
    if crane:
        st.put("crane_tonnes", crane[0], crane[1], crane[2])
    if power:
        st.put("power_kva", power[0], power[1], power[2])
    if (
        spoken is not None
        and _BUILDING_WORD.search(text)
        and (
            not areas
            or (
                spoken.start >= areas[-1][3]
                and _TAKEN_BACK.search(text, areas[-1][3], spoken.start) is not None
            )
        )
    ):
        # A figure of 万 with no unit and no word for money, in an enquiry for a building,
        # with no other area or taking the last one back: spoken square metres (一万到一万五;
        # 一万平吧 哦不对 是一万五).
        low, high, end = _bounds(text, spoken)
        if 100 <= max(low or 0, high or 0) <= 500_000:
            del st.notes[spoken_note]  # not "amount without context" after all
            areas.append((spoken, low, high, end))
    if not areas:
        return
    chosen = _corrected(text, areas)
    if len(areas) > 1 and _PER_UNIT_BEFORE.search(
        text, max(0, areas[chosen][0].start - 6), areas[chosen][0].start
    ):
        # 每栋三千平 总共六千平 / 每层面积1200平方米，合计4800平方米: the total is the need
        for i in range(chosen + 1, len(areas)):
            if _TOTAL_BEFORE.search(text, max(0, areas[i][0].start - 8), areas[i][0].start):
                chosen = i
                break
    # The plot: the area meant if it is in 亩, else the first in 亩 (a building's area may
    # come first: 建筑面积3万平方米，用地46亩).
    for land in (areas[chosen], *areas):
        if land[0].unit in LAND_UNITS:
            st.land_area = (land[1], land[2], land[0].start, land[3])
            break
    q, low, high, end = areas[chosen]
    if low is not None:
        st.put("area_min_m2", round(low, 2), q.start, end)
    if high is not None:
        st.put("area_max_m2", round(high, 2), q.start, end)
    for i, (other, *_) in enumerate(areas):
        if i != chosen:
            st.notes.append(f"other area: {st.original[other.start : other.end]}")
    st.area_in_mu = q.unit in LAND_UNITS


# Said between two areas, these take the first back: 五千平不对是八千平, 5000平，哦不，8000平,
# 5000平，不是，8000平, 3000 sqm, sorry, 4000 sqm.
_TAKEN_BACK = re.compile(
    # 不是 alone before a figure qualifies it (5000平 不是3000平的那种): only with a pause
    r"不对|不是\s*[，,。;；]|哦不|噢不|呃不|额不|错了|说错|口误|更正|纠正|改成|改为|应该是|"
    r"\bsorry\b|\bi mean\b|\bcorrection\b|\bactually\b"
)


_PER_UNIT_BEFORE = re.compile(
    r"(?:每栋|每层|每间|每个|每套|单栋|每一栋|每一层|each|per\s+(?:floor|unit|building))[^,;。，；]{0,4}\Z"
)
_TOTAL_BEFORE = re.compile(
    r"(?:总共|合计|共计|一共|总计|总面积|共|total(?:ling)?|in\s+total)[^,;。，；]{0,4}\Z"
)


# Right before the new figure, a written correction may follow a longer aside:
# 原计划用地约40亩（补充说明：经测算，实际用地需求调整为约52亩）.
_CHANGED_TO = re.compile(
    r"(?:调整为|调整成|调整到|变更为|更正为|修改为|改成|改为|应为|应该是)\s*(?:约|大约)?\s*\Z"
)


def _corrected(text: str, areas: list[tuple[_Qty, float | None, float | None, int]]) -> int:
    """Which of the areas stated is meant: the first, unless a later one takes it back."""
    chosen = 0
    for i in range(1, len(areas)):
        between = text[areas[chosen][3] : areas[i][0].start]
        same_kind = (areas[i][0].unit in LAND_UNITS) == (areas[chosen][0].unit in LAND_UNITS)
        if same_kind and (
            (len(between) <= 16 and _TAKEN_BACK.search(between))
            or (len(between) <= 40 and _CHANGED_TO.search(between))
        ):
            chosen = i
    return chosen


_CURRENCY_CODES = (
    ("USD", ("usd", "us$", "$", "dollar", "dollars", "us dollar", "us dollars", "美元", "美金")),
    ("EUR", ("eur", "€", "euro", "euros", "欧元")),
    ("HKD", ("hkd", "hk$", "港币", "港元")),
    ("JPY", ("jpy", "日元")),
    ("GBP", ("gbp", "£", "英镑")),
    ("CHF", ("chf", "瑞士法郎")),
    ("TWD", ("twd", "nt$", "台币", "新台币")),
    ("SGD", ("sgd",)),
)


def _currency_code(word: str) -> str:
    word = " ".join(word.split())
    for code, words in _CURRENCY_CODES:
        if word in words:
            return code
    return word.upper()


# A price per area said before its figure (每平米15元, 每亩30万).
_PER_AREA_BEFORE = re.compile(
    r"(?:每|一)\s*(?P<unit>平方米|平方|平米|平|㎡|亩)\s*"
    r"(?:是|要|在|大概|大约|约|不超过|不高于|最多|最好|控制在|低于)*\s*$"
)
# A price the prospect does not mean to pay: the park's levels asked about, what they pay now,
# a per-mu figure of tax or investment (亩均税收 50万/亩, 投资强度 300万/亩), fees.
_NOT_A_BUDGET = re.compile(
    r"税|投资|投入|强度|产值|营收|补贴|奖励|押金|物业|现在|目前|现有|原来|以前|"
    r"tax|invest|currently|current|we pay|paying|at present|deposit|fee"
)
_RENT_WORD = re.compile(r"租|rent|lease")


def _budget(st: _State, q: _Qty) -> bool:
    """A price per ㎡ or per 亩 the prospect states is their budget (its upper end): rent in
    元/㎡/月 (`budget_rent_yuan_m2_month`), land in 万元/亩 (`budget_land_wan_per_mu`).
    True when `q` was such a price (read, or left out with a note)."""
    text = st.work
    before = _clause_before(text, q.start)
    per = text[q.start : q.end] if q.per == "area" else ""
    if not per:
        m = _PER_AREA_BEFORE.search(before)
        if m is None or q.category not in (_MONEY, None) or (q.unit is None and not q.multiplier):
            return False
        per = m.group("unit")
    if _NOT_A_BUDGET.search(_sentence_before(text, q.start, 24)) or _PRICE_AFTER.match(text, q.end):
        return True  # a price, but not what the prospect would pay ("租金15元一平吗" asks)
    source = st.original[q.start : q.end]
    if "亩" in per or "mu" in per:
        wan = q.high / 1e4
        if 0.5 <= wan <= 5000:
            st.put("budget_land_wan_per_mu", round(wan, 2), q.start, q.end)
        return True
    sale = q.high > 300 and "月" not in per and not _RENT_WORD.search(before)
    if sale or not 1 <= q.high <= 300 or q.multiplier:
        st.notes.append(f"price per area, not a monthly rent: {source}")
        return True
    st.put("budget_rent_yuan_m2_month", round(q.high, 2), q.start, q.end)
    return True


_BUILDING_WORD = re.compile(r"厂房|仓库|车间|库房|冷库|写字楼|办公楼|办公室")


def _assign_money(st: _State, q: _Qty, before: str, foreign: bool) -> bool:
    """Decide whether an amount is tax, investment or neither, from the words next to it.
    False when no word around it says what it is."""
    wan = q.low / 1e4
    source = st.original[q.start : q.end]
    currency = None
    if foreign:
        currency = _CURRENCY_BEFORE.search(st.work, max(0, q.start - 8), q.start) or (
            _CURRENCY_AFTER.match(st.work, q.end)
        )
    code = _currency_code(currency.group("cur")) if currency is not None else None
    m = _AMOUNT_WORD_AFTER.match(st.work, q.end)
    kind = m.lastgroup if m else None
    per_mu = False
    if kind is None:
        word = None
        for word in _AMOUNT_WORD.finditer(before):
            kind = word.lastgroup  # the last one found is the nearest
        # 亩均税收 / 每亩投资 / 投资强度 right at the word: "亩均税收30万，一年税收1200万" — only
        # the first is per mu.
        per_mu = word is not None and (
            _PER_MU_WORD.search(before, max(0, word.start() - 4)) is not None
            or before.startswith("强度", word.end())
        )
    if code is not None and kind != "investment":
        st.notes.append(f"amount in {code}, not converted: {source}")
    elif kind in ("tax", "investment") and per_mu:
        st.notes.append(f"per-mu {kind}, not a total: {source}")
    elif kind == "tax" and wan > 0:
        st.put("tax_wan", round(wan, 4), q.start, q.end)
    elif kind == "investment" and wan > 0 and code is not None:
        # Kept in its own currency, never converted (docs/parser.md, money).
        st.put("investment_wan", round(wan, 4), q.start, q.end)
        st.put("investment_currency", code, q.start, q.end)
    elif kind == "investment" and wan > 0:
        st.put("investment_wan", round(wan, 4), q.start, q.end)
    elif kind is None:
        st.notes.append(f"amount without context: {source}")
        return False
    return True
