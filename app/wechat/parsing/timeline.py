"""Time phrases, normalised (三个月之内 → "3个月内", 年底之前 → "年底前")."""

from __future__ import annotations

import re

from app.wechat.parsing.numerals import parse_number
from app.wechat.parsing.result import _State
from app.wechat.parsing.text import fold

_CN_SMALL = r"[0-9一二两三四五六七八九十半]{1,3}"
_TIMELINE = re.compile(
    # The leading class lets the engine skip to characters that can start a time phrase.
    r"(?=[0-9一二两三四五六七八九十半越尽马立急很比着今明年上下春国节月本近第双元端中这过awnbeiuqmltsfjod])"
    rf"(?:(?P<dur>(?P<n>{_CN_SMALL})\s*(?P<unit>个月|个星期|个礼拜|月|周|星期|天|年))"
    r"(?P<within>之内|以内|内)"
    # 第二季 is a quarter too (Taiwan), 四季 alone is not
    r"|(?P<quarter>(?:今年|明年|20\d\d年)?(?:第?[一二三四1-4]季度|第[一二三四1-4]季))"
    r"(?P<qbefore>之前|以前|前|末|底|内)?"
    r"|(?P<urgent>越快越好|尽快|尽早|马上|立即|立刻|急需|急用|急租|急找|急购|急求|很急|比较急|着急|"
    r"急(?=\s*[!！])|asap)"
    r"|(?P<phrase>(?:今年|明年|20\d\d\s*年|年)(?:上半年|下半年|底|内|中|初)|上半年|下半年|明年|春节|"
    # 五一 is May Day, not the end of 一万五一个月
    r"国庆|双十一|双11|双十二|元旦|过完年|过了年|(?<![0-9一二两三四五六七八九十百千万])五一(?![个0-9一二三四五六七八九十百千万])|"
    r"端午|中秋|年后|"
    r"节后|月底|下个?月|下周|本月|这个月|近期)(?P<before>之前|以前|前)?"
    r"|(?P<month>(?:20\d\d年)?(?:1[0-2]|[1-9]|十[一二]?|[一二三四五六七八九])月)"
    r"(?:(?P<part>份|底|初|中)?(?P<mbefore>之前|以前|前)|(?P<end>底)"
    # 计划2027年3月开工建设: the month a step is planned for
    r"|(?P<on>(?=份?(?:开工|动工|投产|入驻|搬迁|搬入|开业|启动|建成|落地))))"
    r"|(?:within|in\s+the\s+next|in\s+the\s+coming|in)\s+(?:the\s+next\s+)?"
    r"(?P<en>\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a|an)"
    r"\s+(?P<enunit>months?|weeks?|days?|years?)(?![a-z])"
    r"|(?:(?P<q_before>by|before)\s+|in\s+)?(?:the\s+)?q(?P<q>[1-4])(?:\s+(?:of\s+)?(?P<q_year>20\d\d))?"
    r"(?![a-z0-9])"
    r"|(?:(?P<mon_before>by|before)\s+|(?:in|starting|starting\s+in|from)\s+)(?:the\s+end\s+of\s+)?"
    r"(?P<mon>january|february|march|april|"
    r"june|july|august|september|october|november|december)(?:\s+(?P<mon_year>20\d\d))?(?![a-z])"
    # "Aiming for Jan 2027", "spring 2027": a month or season with its year
    r"|(?P<mon2>january|february|march|april|may|june|july|august|september|october|november|"
    r"december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?\s+(?P<mon2_year>20\d\d)(?![0-9])"
    r"|(?P<season>spring|summer|autumn|fall|winter)\s+(?:of\s+)?(?P<season_year>20\d\d)(?![0-9])"
    r"|(?P<en_part>early|mid|end\s+of|the\s+end\s+of|by\s+the\s+end\s+of|late|the\s+first\s+half\s+of|"
    r"the\s+second\s+half\s+of|first\s+half\s+of|second\s+half\s+of)[\s-]+"
    r"(?P<en_year>next\s+year|this\s+year|20\d\d(?![0-9]))"
    r"|(?P<en_urgent>as\s+soon\s+as\s+possible|urgently|urgent)"
    r"|(?P<en_phrase>next\s+month|next\s+week|next\s+year|(?:by\s+)?(?:the\s+)?end\s+of\s+"
    r"(?:the\s+|this\s+)?year|year-end))"
)
_EN_NUMBERS = dict(
    zip(
        ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"),
        range(1, 12),
        strict=True,
    )
) | {"twelve": 12, "a": 1, "an": 1}
_EN_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_EN_PARTS = {
    "early": "初",
    "mid": "中",
    "late": "底",
    "end of": "底",
    "first half of": "上半年",
    "second half of": "下半年",
}
_EN_UNITS = {"month": "个月", "week": "周", "day": "天", "year": "年"}
_EN_PHRASES = {"next month": "下个月", "next week": "下周", "next year": "明年"}
# Every time phrase holds one of these; most messages hold none, and skip the big pattern.
_TIMELINE_HINT = re.compile(
    r"[内前底急尽早马立刻春国节近]|越快|明年|半年|下个?月|下周|本月|这个月|季度|年[初中]|双十|双11|元旦|五一|端午|中秋|"
    r"月份?(?:开工|动工|投产|入驻|搬|开业|启动|建成|落地)|第[一二三四1-4]季|过完年|过了年"
)
# English ones, looked for only in a text with Latin letters.
_TIMELINE_HINT_EN = re.compile(
    r"(?=[awsuneyiqbmlfsjod])"  # first characters, to skip ahead on
    r"(?:asap|within|soon|urgent|next|end of|year-end|q[1-4]|by |before |early|mid|late|first half|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? 20\d\d|"
    r"(?:spring|summer|autumn|fall|winter) (?:of )?20\d\d|"
    r"starting |from |"
    r"in (?:the )?(?:\d|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|an? |"
    r"coming))"
)


_SEASONS = {"spring": "春", "summer": "夏", "autumn": "秋", "fall": "秋", "winter": "冬"}


def _month_number(word: str) -> int:
    """january / jan / sept → its number."""
    return next(i for i, name in enumerate(_EN_MONTHS, 1) if name.startswith(word[:3]))


def _timeline_value(m: re.Match[str]) -> str | None:
    if m.group("dur"):
        n = m.group("n")
        if n == "半":
            count = "半"
        else:
            parsed = parse_number(n)
            if parsed is None or parsed[0] != parsed[1]:
                return None
            count = str(int(parsed[0]))
        unit = m.group("unit")
        if unit in ("月", "个月"):
            unit = "个月" if count != "半" else "月"
            if count == "半":
                return "半个月内"
        elif unit in ("个星期", "个礼拜", "星期"):
            unit = "周"
        return f"{count}{unit}内"
    if m.group("urgent"):
        return "尽快"
    if m.group("phrase"):
        phrase = {"这个月": "本月", "过完年": "年后", "过了年": "年后"}.get(
            m.group("phrase"), m.group("phrase")
        )
        return phrase + ("前" if m.group("before") else "")
    if m.group("quarter"):
        before = m.group("qbefore")
        return m.group("quarter") + ("前" if before in ("之前", "以前", "前") else before or "")
    if m.group("month"):
        if m.group("end"):
            return m.group("month") + "底"
        if m.group("on") is not None:
            return m.group("month")
        return m.group("month") + (m.group("part") or "") + "前"
    if m.group("q"):
        year = f"{m.group('q_year')}年" if m.group("q_year") else ""
        return f"{year}第{m.group('q')}季度" + ("前" if m.group("q_before") else "")
    if m.group("mon"):
        year = f"{m.group('mon_year')}年" if m.group("mon_year") else ""
        month = _EN_MONTHS.index(m.group("mon")) + 1
        return f"{year}{month}月" + ("前" if m.group("mon_before") else "")
    if m.group("mon2"):
        return f"{m.group('mon2_year')}年{_month_number(m.group('mon2'))}月"
    if m.group("season"):
        return f"{m.group('season_year')}年{_SEASONS[m.group('season')]}"
    if m.group("en_part"):
        en_year = m.group("en_year")
        year = (
            f"{en_year}年"
            if en_year[0].isdigit()
            else "明年"
            if en_year.startswith("next")
            else "今年"
        )
        part = " ".join(m.group("en_part").split()).removeprefix("by ").removeprefix("the ")
        return year + _EN_PARTS[part]
    if m.group("en_urgent"):
        return "尽快"
    if m.group("en_phrase"):
        phrase = " ".join(m.group("en_phrase").split())
        return _EN_PHRASES.get(phrase, "年底前")
    if m.group("en"):
        unit = m.group("enunit").rstrip("s")
        n = m.group("en")
        how_many = int(n) if n.isdigit() else _EN_NUMBERS[n]
        return f"{how_many}{_EN_UNITS[unit]}内"
    return None


def normalise_timeline(phrase: str) -> str | None:
    """The normalised form of a time phrase written in its own words (三个月之内 → 3个月内).

    The evaluation uses it to compare a label in the text's own words with the parser's
    normalised value (docs/parser.md, evaluation). None when the phrase holds no time phrase.
    """
    text = fold(phrase)
    for m in _TIMELINE.finditer(text):
        value = _timeline_value(m)
        if value:
            return value
    return None


def _extract_timeline(st: _State) -> None:
    # Not masked: 急租 is also a deal word, and time phrases hold no figures other steps need.
    text = st.work
    if not (_TIMELINE_HINT.search(text) or (st.has_latin and _TIMELINE_HINT_EN.search(text))):
        return
    urgent: re.Match[str] | None = None
    for m in _TIMELINE.finditer(text):
        if m.start() and "0" <= text[m.start() - 1] <= "9":
            continue  # the tail of a longer figure (2025年内 is not "25年内")
        value = _timeline_value(m)
        if value == "尽快" and urgent is None:
            urgent = m  # "尽快吧 一个礼拜之内": a deadline said after it is the more exact
            continue
        if value:
            st.put("timeline", value, m.start(), m.end())
            return
    if urgent is not None:
        st.put("timeline", "尽快", urgent.start(), urgent.end())
