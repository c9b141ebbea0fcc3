"""The advert's own form: 需求、用途、税收、公司、联系人、手机号 as labels (docs/parser.md, form).

The office's adverts ask prospects to answer in this shape, and prospects copy it with colons,
commas, semicolons, spaces or line breaks between labels and values. When a message holds at
least three of these labels at word boundaries, each label's value is the text up to the next
label; company, contact and industry are taken from their values as written (no suffix such
as 有限公司 is needed), and claimed so later steps cannot read them again. The need, area and
tax in the values are left to their own steps, which read them as anywhere else.
"""

from __future__ import annotations

import re

from app.wechat.parsing.names import _SURNAME, DEPARTMENT
from app.wechat.parsing.result import _State
from app.wechat.parsing.text import _MASK

# label words (folded) → what the value holds
_LABELS = {
    "需求类型": "need",
    "需求": "need",
    "意向": "need",
    "用途": "industry",
    "行业类别": "industry",
    "所属行业": "industry",
    "行业": "industry",
    "产业": "industry",
    "主营": "industry",
    "税收": "tax",
    "年税收": "tax",
    "纳税": "tax",
    "公司名称": "company",
    "公司名": "company",
    "公司": "company",
    "企业名称": "company",
    "企业": "company",
    "单位名称": "company",
    "单位": "company",
    "联系人": "contact",
    "联络人": "contact",
    "姓名": "contact",
    "称呼": "contact",
    "对接人": "contact",
    "手机号码": "phone",
    "手机号": "phone",
    "手机": "phone",
    "联系电话": "phone",
    "联络电话": "phone",
    "电话": "phone",
    "联系方式": "phone",
    "面积": "area",
    "需求面积": "area",
    "投资": "investment",
    "投资额": "investment",
    "区域": "district",
    "意向区域": "district",
}
# Every label holds one of these; three different ones are needed for a form.
_LABEL_ROOTS = (
    "需求", "意向", "用途", "行业", "产业", "主营", "税", "公司", "企业", "单位", "联系人",
    "联络人", "姓名", "称呼", "对接人", "手机", "电话", "联系方式", "面积", "投资", "区域",
)  # fmt: skip
_SEP = r"[\s,;:=|、。，；：\x00]"
_LABEL = re.compile(
    rf"(?:^|(?<={_SEP}))(?P<label>{'|'.join(sorted(_LABELS, key=len, reverse=True))})"
    # 需求-冷库租赁, 公司-株洲…: a dash between a label and its value too
    rf"(?P<sep>\s*[:：=\-]?\s*[,，;；]?\s*)"
)
# Without separators ("需求租厂房用途汽配公司株洲精工"), a label may follow any character, but not
# as the end of a longer word (有限公司, 总投资, 我公司).
_GLUED = re.compile(rf"(?P<label>{'|'.join(sorted(_LABELS, key=len, reverse=True))})(?P<sep>)")
_NOT_GLUED_AFTER = re.compile(r"[限团份我本贵该子分总的家个请在]$")
_TRIM = " \t\n,;:=|、。，；：\x00/"  # "联系人: 叶工 / 手机号: …": the slash between fields
# "暂无" / "无" / "-": the prospect left the field empty.
# "公司：个人": a person without a firm.
_EMPTY = re.compile(r"^(?:暂无|无|没有|暂时没有|不详|未定|待定|个人|n/?a|none|-+|/)$")
# "需求 仓库 租 3000": a bare number beside a space need is its area in m².
# Not one end of a range ("3000-5000平"): the quantity step reads ranges.
_AREA_UNIT = re.compile(r"[平亩㎡]|米|m2|sqm|sq")  # a need with its area's unit: read as such
_BARE_AREA = re.compile(
    # not a count of desks (工位×10)
    r"(?<![\d.~到至第×x*])(?<!\d-)(\d{2,7})(?![\d.])(?!\s*[万亿千百平亩方米㎡wk个人年月天吨%\-~到至])"
)
# Values that are a sentence, not a name ("公司想租厂房" in free text).
_NOT_A_NAME = re.compile(r"[想租买找需请问吗呢吧啊]|要[租买找]|能否|可以|可否|注册|成立|\d")
_CLAUSE_END = re.compile(r"[,;，；]")
_KEEP = frozenset({"company", "contact", "industry"})


def _extract_form(st: _State) -> None:
    text = st.work
    # A form asks for the need (需求) or the use (用途) first; free text rarely says either.
    if ("需求" not in text and "用途" not in text) or sum(w in text for w in _LABEL_ROOTS) < 3:
        return  # most messages are not a form: three label words at least, anywhere
    labels = [m for m in _LABEL.finditer(text) if m.group("sep") or _fits_without_sep(text, m)]
    if len(_kinds(labels)) < 3 and _LABEL.match(text):
        labels = [
            m
            for m in _GLUED.finditer(text)
            if _LABELS[m.group("label")] not in ("company", "investment")
            or not _NOT_GLUED_AFTER.search(text, max(0, m.start() - 1), m.start())
        ]
    kinds = _kinds(labels)
    if len(kinds) < 3 or not kinds & {"need", "industry", "company", "contact"}:
        return
    for i, m in enumerate(labels):
        kind = _LABELS[m.group("label")]
        end = labels[i + 1].start() if i + 1 < len(labels) else len(text)
        start, end = _trim(text, m.end(), end)
        value = text[start:end]
        if _EMPTY.match(value):
            st.mask(start, end)
            continue
        if kind in ("tax", "investment", "area"):
            _bare_value(st, kind, value, start)
        if kind == "need" and "area_min_m2" not in st.fields and not _AREA_UNIT.search(value):
            bare = _BARE_AREA.search(value)
            if bare:
                area = float(bare.group(1))
                a, b = start + bare.start(1), start + bare.end(1)
                st.put("area_min_m2", area, a, b)
                st.put("area_max_m2", area, a, b)
                st.mask(a, b)
        if kind not in _KEEP:
            continue
        if not value or _MASK in value or len(value) > 40:
            continue
        if kind in ("company", "contact", "industry"):
            cut = _CLAUSE_END.search(value)
            if cut:  # 企业：株洲湘跨电商集团有限公司，主营跨境电商 — the name ends at the comma
                end = start + cut.start()
                value = value[: cut.start()]
            if kind != "industry" and _NOT_A_NAME.search(value):
                continue
        if kind == "contact" and len(value) > 20:
            continue
        if kind == "contact":
            dept = _DEPARTMENT.match(value)
            if dept:
                start += dept.end()  # 投资部邹部长: the person, not their department
        name = {"company": "company", "contact": "contact_name", "industry": "industry"}[kind]
        if name in st.fields:
            continue
        if kind == "industry":
            verb = _USE_VERB.match(value)
            if verb and len(value) - verb.end() >= 2:
                start += verb.end()  # 用途：做仓储物流 — the trade, not the verb
        st.put(name, st.value(start, end), start, end)
        st.mask(start, end)


# A department before a titled person in 联系人 (投资部邹部长, 招商中心的李主任).
_DEPARTMENT = re.compile(
    rf"{DEPARTMENT}\s*(?={_SURNAME}[\u4e00-\u9fff]{{0,2}}"
    r"(?:先生|女士|小姐|总|经理|部长|主任|处长|科长|主管|总监)$)"
)
# A verb before the trade in 用途 (做仓储物流, 从事光伏组件).
_USE_VERB = re.compile(r"(?:主要|专业)?(?:做|搞|从事|经营)")
_BARE_NUMBER = re.compile(r"^(?:约|大约|大概|每年|年)?\s*(\d+(?:\.\d+)?)\s*(?:左右)?$")


def _bare_value(st: _State, kind: str, value: str, start: int) -> None:
    """A form value without its unit: 税收 200 is 200万, 面积 3000 is 3000 m² (the advert
    asks for 万元 and ㎡)."""
    m = _BARE_NUMBER.match(value)
    if m is None:
        return
    number = float(m.group(1))
    a, b = start + m.start(1), start + m.end(1)
    if number <= 0:
        return
    if kind == "area":
        st.put("area_min_m2", number, a, b)
        st.put("area_max_m2", number, a, b)
    else:
        st.put(f"{kind}_wan", number, a, b)
    st.mask(a, b)


def _kinds(labels: list[re.Match[str]]) -> set[str]:
    return {_LABELS[m.group("label")] for m in labels}


def _fits_without_sep(text: str, m: re.Match[str]) -> bool:
    """A label glued to its value ("需求厂房") counts only at the start of the message."""
    return m.start() == 0 and m.end() < len(text)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    # A value runs to the end of its line: a form written one label per line.
    newline = text.find("\n", start, end)
    if newline != -1:
        end = newline
        while end > start and text[end - 1] in _TRIM:
            end -= 1
    return start, end
