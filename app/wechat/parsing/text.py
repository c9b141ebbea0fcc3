"""Text folding: one character in, one character out, so offsets survive (docs/parser.md).

Full-width → ASCII, traditional → simplified (data/trad_simp.txt), upper → lower case. Every
offset in the folded text is an offset in the input, so every field's ``source`` is an exact
substring of the original message.
"""

from __future__ import annotations

import re
from importlib import resources

from app.wechat.parsing.data import read_words
from app.wechat.parsing.numerals import CN_DIGITS


def _opencc_characters() -> dict[str, str]:
    """OpenCC's traditional → simplified characters that have exactly one simplified form.

    Read from the data opencc-purepy ships; characters with several candidates (乾 → 干/乾)
    are left alone, since only a phrase decides them. Empty when the data cannot be read.
    """
    table: dict[str, str] = {}
    try:
        raw = (
            resources.files("opencc_purepy")
            .joinpath("dicts", "TSCharacters.txt")
            .read_text(encoding="utf-8")
        )
    except (ModuleNotFoundError, OSError):
        return table
    for line in raw.splitlines():
        trad, _, simp = line.partition("\t")
        if len(trad) == 1 and len(simp) == 1 and trad != simp:
            table[trad] = simp
    return table


# Our own pairs (data/trad_simp.txt) win over OpenCC's; the financial numerals that are also
# surnames (伍, 陆) are read as digits only in phone numbers (app/wechat/parsing/phones.py).
_FINANCIAL = dict(zip("壹贰貳叁肆柒捌玖拾佰仟", "一二二三四七八九十百千", strict=True))
_TRAD_SIMP: dict[str, str] = {
    **_opencc_characters(),
    **{pair[0]: pair[1] for pair in read_words("trad_simp.txt")},
    **_FINANCIAL,
}


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0xFF01, 0xFF5F):  # full-width ASCII
        table[cp] = chr(cp - 0xFEE0).lower()
    for cp in range(ord("A"), ord("Z") + 1):
        table[cp] = chr(cp).lower()
    for ch in "—–‐‑‒―−":
        table[ord(ch)] = "-"
    table[ord("〜")] = "~"
    for ch in "\u3000\u00a0\t\r\u2002\u2003\u2009":
        table[ord(ch)] = " "
    for trad, simp in _TRAD_SIMP.items():
        table[ord(trad)] = simp
    return table


_FOLD = _build_fold_table()
# The same fold without lower-casing, for values shown to people (LED照明, Acme Co., Ltd.).
# Full-width brackets stay as written: 深圳华锐（香港）有限公司 is the company's own name.
# Financial numerals stay as written too (拾光工作室 is a name, not 十光); 貳 becomes 贰.
_FOLD_KEEP_CASE = {
    cp: (chr(cp - 0xFEE0) if 0xFF01 <= cp <= 0xFF5E else repl)
    for cp, repl in _FOLD.items()
    if not ord("A") <= cp <= ord("Z") and chr(cp) not in "（）" and chr(cp) not in _FINANCIAL
}
_FOLD_KEEP_CASE[ord("貳")] = "贰"


def _as_sequence(table: dict[int, str]) -> list[int | str]:
    """The same table as a list indexed by code point (Basic Multilingual Plane).

    str.translate looks a list up faster than a dict (about half the time of the whole fold,
    the first step of every parse); a character past the list's end raises IndexError, which
    translate reads as "keep the character" (docs/parser.md, speed)."""
    seq: list[int | str] = list(range(0x10000))
    for cp, repl in table.items():
        if cp < 0x10000:
            seq[cp] = repl
    return seq


_FOLD_SEQ = _as_sequence(_FOLD)
_FOLD_KEEP_CASE_SEQ = _as_sequence(_FOLD_KEEP_CASE)
# Traditional characters outside the BMP (rare): read through the dict tables.
_ASTRAL_FOLD = any(cp >= 0x10000 for cp in _FOLD)
_HAS_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

# Phone digits read aloud: 幺 is how 1 is said in phone numbers.
_PHONE_DIGITS = {ord(ch): str(d) for ch, d in CN_DIGITS.items() if ch != "两"}
_PHONE_DIGITS[ord("幺")] = "1"
_PHONE_DIGITS[ord("伍")] = "5"
_PHONE_DIGITS[ord("陆")] = "6"

_MASK = "\x00"
_HAS_DIGIT = re.compile(r"[0-9]")
_HAS_UPPER = re.compile(r"[A-Z]")
_HAS_LATIN = re.compile(r"[a-z]")
_CN_DIGIT_RUN = re.compile(
    r"[〇零一二三四五六七八九幺伍陆两洞拐0-9][ \-]?[〇零一二三四五六七八九幺伍陆两洞拐]{3}"
)
# 两 (2), 洞 (0) and 拐 (7, as radio operators say them) are digits only among digits: 两千 is an
# amount, 山洞 a cave, 拐弯 a turn. Applied to the digit copy of the text after `_PHONE_DIGITS`.
_PHONE_DIGIT_AMONG = re.compile(r"(?<=[0-9])[两洞拐]|[两洞拐](?=[0-9])")
_SPOKEN_DIGIT = {"两": "2", "洞": "0", "拐": "7"}


_SPOKEN_PLUS = re.compile(r"加(?=\s*[0-9]{2})")


def phone_digits(text: str) -> str:
    """The text with phone digits read aloud as digits (幺三八… → 138…), same length."""
    digits = text.translate(_PHONE_DIGITS)
    if "加" in digits:  # "加八四 九零三…" read out: the plus of a country code
        digits = _SPOKEN_PLUS.sub("+", digits)
    for _ in range(3):  # again: "二洞洞一" has a 洞 beside another 洞
        if "两" not in digits and "洞" not in digits and "拐" not in digits:
            break
        digits = _PHONE_DIGIT_AMONG.sub(lambda m: _SPOKEN_DIGIT[m.group()], digits)
    return digits


_HAS_NUMERAL = re.compile(r"[0-9零〇一二两三四五六七八九十几]|百(?=[来多余])")


# 伍 and 陆 are surnames too; beside a numeral unit they are the financial digits 5 and 6.
_FINANCIAL_SURNAME_DIGIT = re.compile(
    r"[伍陆](?=[拾十佰百仟千万亿])|(?<=[拾十佰百仟千万亿零])[伍陆]"
)


def fold(text: str) -> str:
    """Full-width → ASCII, traditional → simplified, lower case; same length as the input."""
    if _ASTRAL_FOLD and _HAS_ASTRAL.search(text):
        folded = text.translate(_FOLD)
    else:
        folded = text.translate(_FOLD_SEQ)
    if "伍" in folded or "陆" in folded:
        folded = _FINANCIAL_SURNAME_DIGIT.sub(lambda m: "五" if m.group() == "伍" else "六", folded)
    return folded


def _display(text: str) -> str:
    """A value for people: folded like the matching text but keeping the prospect's case."""
    if _ASTRAL_FOLD and _HAS_ASTRAL.search(text):
        return text.translate(_FOLD_KEEP_CASE)
    return text.translate(_FOLD_KEEP_CASE_SEQ)


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _trie_pattern(words: list[str], guards: dict[str, str] | None = None) -> str:
    """One regex alternation for many literal words, factored as a trie.

    Python's regex engine tries alternatives one by one; with a few hundred keywords that is
    most of the parser's time. Factored by common prefix, each position costs a few steps, and
    trying the longer branch first keeps leftmost-longest matching (厂房 before 厂). ``guards``
    maps a word to a lookahead that must hold where that word ends (平 but not 平台).
    """
    guards = guards or {}
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {"": guards.get(word, "")}

    def build(node: dict[str, dict]) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if "" in node:
            alts.append(node[""][""])  # the word may end here (an empty or lookahead branch)
        if len(alts) == 1:
            return alts[0]
        return "(?:" + "|".join(alts) + ")"

    return build(trie)
