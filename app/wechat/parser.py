"""Read lead fields out of a free-text Chinese enquiry (SPEC §5).

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
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import phonenumbers

from app.wechat.numbers import CN_DIGITS, parse_number

log = logging.getLogger(__name__)

MAX_CHARS = 10_000
SQM_PER_MU = 666.67
_MAX_AREA = 1e8  # 100 km²: anything larger is a misread figure, not a site

FIELD_NAMES = (
    "need_type",
    "deal",
    "area_min_m2",
    "area_max_m2",
    "industry",
    "tax_wan",
    "investment_wan",
    "company",
    "contact_name",
    "phone",
    "district",
    "ceiling_height_m",
    "crane_tonnes",
    "power_kva",
    "floor_load_kg_m2",
    "eia_required",
    "employees",
    "timeline",
)


@dataclass(frozen=True, slots=True)
class ParsedField:
    value: object
    source: str


@dataclass(slots=True)
class ParseResult:
    fields: dict[str, ParsedField] = field(default_factory=dict)
    unparsed: list[str] = field(default_factory=list)

    def get(self, name: str, default: object = None) -> object:
        parsed = self.fields.get(name)
        return default if parsed is None else parsed.value

    def as_dict(self) -> dict[str, object]:
        return {name: parsed.value for name, parsed in self.fields.items()}


# --------------------------------------------------------------------------------------------
# Folding: one character in, one character out, so offsets survive.

# Traditional → simplified for the characters enquiries use. Only unambiguous one-to-one pairs
# are listed; phrase-level conversion (OpenCC) is not needed to find fields, and keeping the
# mapping per character is what lets every source be a substring of the original message.
_TRAD_SIMP_PAIRS = (
    "廠厂 倉仓 庫库 辦办 畝亩 萬万 億亿 聯联 繫系 係系 電电 話话 區区 縣县 環环 評评 稅税 資资 "
    "設设 備备 買买 購购 賣卖 讓让 賃赁 層层 噸吨 車车 變变 壓压 計计 劃划 個个 兩两 間间 號号 "
    "機机 務务 業业 產产 術术 導导 體体 醫医 療疗 藥药 裝装 飾饰 鋼钢 鐵铁 屬属 輛辆 製制 經经 "
    "總总 團团 貨货 運运 輸输 門门 標标 準准 園园 發发 際际 師师 陳陈 張张 劉刘 楊杨 趙赵 黃黄 "
    "吳吴 鄭郑 謝谢 韓韩 馮冯 鄧邓 蕭萧 葉叶 蘇苏 盧卢 蔣蒋 鍾钟 鐘钟 錢钱 孫孙 馬马 羅罗 許许 "
    "龍龙 鄒邹 閻阎 顧顾 賀贺 譚谭 湯汤 嚴严 龔龚 賴赖 溫温 閆闫 聶聂 魯鲁 蘭兰 陸陆 龐庞 藍蓝 "
    "駱骆 喬乔 賈贾 鮑鲍 衛卫 鄔邬 鄺邝 請请 問问 嗎吗 們们 這这 裡里 裏里 為为 與与 從从 來来 "
    "對对 會会 後后 開开 關关 場场 廣广 東东 華华 興兴 達达 韋韦 長长 沒没 麼么 樣样 還还 進进 "
    "遠远 過过 選选 邊边 點点 幾几 參参 項项 預预 額额 頃顷 積积 規规 歲岁 員员 職职 數数 範范 "
    "訊讯 絡络 時时 週周 當当 現现 實实 價价 費费 貸贷 財财 險险 證证 書书 單单 據据 檔档 態态 "
    "勢势 氣气 輕轻 紡纺 織织 絲丝 線线 纜缆 網网 紙纸 膠胶 鍍镀 噴喷 塗涂 銲焊 鑄铸 鍛锻 軸轴 "
    "輪轮 齒齿 軌轨 歐欧 陽阳 鎮镇 鄉乡 莊庄 灣湾 橋桥 雲云 蘆芦 淥渌 雙双 臺台 檯台 載载 負负 "
    "勞劳 動动 蓋盖 訂订 構构 築筑 樓楼 寫写 創创 眾众 衆众 註注 冊册 遷迁 戶户 貿贸 鏈链 鋰锂 "
    "儲储 軟软 質质 檢检 測测 認认 節节 綠绿 傢家 飼饲 農农 糧粮 飲饮 學学 訓训 練练 館馆 飯饭 "
    "談谈 詢询 諮咨 議议 歡欢 讀读 語语 碼码 聽听 說说 講讲 識识 願愿 麵面 頭头 廳厅 幫帮 處处 "
    "給给 將将 應应 該该 擇择 條条 優优 補补 貼贴 獎奖 勵励 減减 廈厦 濟济 權权 獨独 齊齐 審审 "
    "報报 驗验 綫线 滿满 剛刚 歸归 類类 擴扩 轉转 續续 約约 簽签 紅红 閒闲 閑闲 舊旧 廢废 鋁铝 "
    "銅铜 鋅锌 錫锡 鎳镍 鈦钛 礦矿 煉炼 熱热 風风 燈灯 顯显 觸触 傳传 儀仪 錶表 飛飞 櫃柜 鄰邻 "
    "離离 遊游 戲戏 視视 頻频 聲声 專专 隊队 幹干 級级 塊块 內内 並并 闆板 餘余 徵征 復复 複复 "
    "隻只 歷历 曆历 匯汇 沖冲 衝冲 佔占 夥伙 尋寻 獲获 啟启 啓启 納纳 繳缴 隨随 盡尽 儘尽 淨净 "
    "簷檐 營营 銷销 藝艺 煙烟 圍围 題题 煩烦 爐炉 鍋锅 掛挂 擔担 釐厘 鬆松 髮发 寬宽 樂乐 "
    "無无 須须 確确 夠够 覺觉 囉啰 謂谓 屆届"
)
_TRAD_SIMP: dict[str, str] = {pair[0]: pair[1] for pair in _TRAD_SIMP_PAIRS.split()}


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
_FOLD_KEEP_CASE = {
    cp: (chr(cp - 0xFEE0) if 0xFF01 <= cp <= 0xFF5E else repl)
    for cp, repl in _FOLD.items()
    if not ord("A") <= cp <= ord("Z")
}
# Phone digits read aloud: 幺 is how 1 is said in phone numbers.
_PHONE_DIGITS = {ord(ch): str(d) for ch, d in CN_DIGITS.items() if ch != "两"}
_PHONE_DIGITS[ord("幺")] = "1"

_MASK = "\x00"
_HAS_DIGIT = re.compile(r"[0-9]")
_HAS_UPPER = re.compile(r"[A-Z]")
_HAS_LATIN = re.compile(r"[a-z]")
_CN_DIGIT_RUN = re.compile(r"[〇零一二三四五六七八九幺0-9][ \-]?[〇零一二三四五六七八九幺]{3}")
_HAS_NUMERAL = re.compile(r"[0-9零〇一二两三四五六七八九十几]")


def fold(text: str) -> str:
    """Full-width → ASCII, traditional → simplified, lower case; same length as the input."""
    return text.translate(_FOLD)


def _display(text: str) -> str:
    """A value for people: folded like the matching text but keeping the prospect's case."""
    return text.translate(_FOLD_KEEP_CASE)


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
        node[""] = {"": guards.get(word, "")}  # type: ignore[dict-item]

    def build(node: dict[str, dict]) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if "" in node:
            alts.append(node[""][""])  # the word may end here (an empty or lookahead branch)
        if len(alts) == 1:
            return alts[0]
        return "(?:" + "|".join(alts) + ")"

    return build(trie)


# --------------------------------------------------------------------------------------------
# Districts


class DistrictListError(ValueError):
    """A district list name or file that cannot be read."""


@dataclass(eq=False, slots=True)
class DistrictSet:
    """A configured set of districts: aliases mapped to canonical names, and/or suffix rules."""

    name: str
    aliases: dict[str, str]
    suffixes: tuple[str, ...] = ()
    ignore: frozenset[str] = frozenset()
    bare: frozenset[str] = frozenset()
    area_code: str | None = None
    _alias_re: re.Pattern[str] | None = field(default=None, init=False, repr=False)
    _suffix_re: re.Pattern[str] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.aliases:
            ordered = sorted(self.aliases, key=len, reverse=True)
            self._alias_re = re.compile("|".join(re.escape(a) for a in ordered))
        if self.suffixes:
            ordered = sorted(self.suffixes, key=len, reverse=True)
            self._suffix_re = re.compile("|".join(re.escape(s) for s in ordered))

    def find(self, folded: str) -> tuple[str, int, int] | None:
        """The first district named in folded text: (canonical, start, end)."""
        if self._alias_re is not None:
            m = self._alias_re.search(folded)
            if m:
                return self.aliases[m.group()], m.start(), m.end()
        if self._suffix_re is not None:
            return self._find_by_suffix(folded)
        return None

    def _find_by_suffix(self, text: str) -> tuple[str, int, int] | None:
        found: tuple[str, int, int] | None = None
        for m in self._suffix_re.finditer(text):  # type: ignore[union-attr]
            start = self._name_start(text, m.start(), m.group())
            token = text[start : m.end()]
            name = text[start : m.start()]
            if not self._acceptable(token, name, m.group()):
                continue
            if found is not None:
                # 株洲市天元区: a district right after another one is the more specific name.
                if start == found[2]:
                    found = (token, start, m.end())
                    continue
                break
            found = (token, start, m.end())
        return found

    @staticmethod
    def _name_start(text: str, end: int, suffix: str) -> int:
        limit = 4 if len(suffix) > 1 else 3
        start = end
        while start > 0 and end - start < limit:
            ch = text[start - 1]
            if not _is_cjk(ch) or ch in _DISTRICT_STOP:
                break
            start -= 1
        return start

    def _acceptable(self, token: str, name: str, suffix: str) -> bool:
        if not name:
            return suffix in self.bare
        # 攸县, 沛县: one-character county names are common; one-character 区/市 names are not.
        if len(name) < (1 if suffix == "县" else 2) or name in self.ignore or token in self.ignore:
            return False
        # 大超市 / 准备上市: the candidate ends with a longer non-district word.
        return not any(len(word) > len(suffix) and token.endswith(word) for word in self.ignore)


# Characters that end a district name when walking back from its suffix (verbs and particles
# that precede a place: 想在/落户/位于/选址/靠近 ...).
_DISTRICT_STOP = frozenset("在到于去想要找租买是的或和及近靠边好先望向户址虑搬省市县个家们")


def _parse_district_file(path: Path, seen: frozenset[Path] = frozenset()) -> DistrictSet:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DistrictListError(f"cannot read district list {path}: {exc}") from exc
    aliases: dict[str, str] = {}
    suffixes: list[str] = []
    ignore: set[str] = set()
    bare: set[str] = set()
    area_code: str | None = None
    for lineno, line in enumerate(raw.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("@"):
            directive, _, rest = line.partition(" ")
            words = [fold(w) for w in rest.split()]
            if directive == "@suffix":
                suffixes.extend(words)
            elif directive == "@ignore":
                ignore.update(words)
            elif directive == "@bare":
                bare.update(words)
            elif directive == "@area_code" and len(words) == 1 and words[0].isdigit():
                area_code = words[0]
            elif directive == "@include" and len(words) == 1:
                other_path = _district_path(rest.strip())
                if other_path in seen:
                    raise DistrictListError(f"{path}:{lineno}: include loop")
                other = _parse_district_file(other_path, seen | {path})
                aliases.update(other.aliases)
                suffixes.extend(other.suffixes)
                ignore.update(other.ignore)
                bare.update(other.bare)
                area_code = area_code or other.area_code
            else:
                raise DistrictListError(f"{path}:{lineno}: unknown directive {line!r}")
            continue
        canonical, sep, rest = line.partition(":")
        canonical = canonical.strip()
        if not sep or not canonical:
            raise DistrictListError(f"{path}:{lineno}: expected 'canonical: alias, alias'")
        aliases[fold(canonical)] = canonical
        for alias in re.split(r"[,，、]", rest):
            alias = alias.strip()
            if alias:
                aliases[fold(alias)] = canonical
    return DistrictSet(
        name=path.stem,
        aliases=aliases,
        suffixes=tuple(dict.fromkeys(suffixes)),
        ignore=frozenset(ignore),
        bare=frozenset(bare),
        area_code=area_code,
    )


_DISTRICT_DIR = Path(__file__).with_name("districts")


def _district_path(name_or_path: str) -> Path:
    """A bare name ("zhuzhou") is a shipped list; anything else is a file path."""
    if re.fullmatch(r"[A-Za-z0-9_\-]+", name_or_path):
        return _DISTRICT_DIR / f"{name_or_path.lower()}.txt"
    return Path(name_or_path)


@lru_cache(maxsize=32)
def load_districts(name_or_path: str) -> DistrictSet:
    """Load a district list by name ("zhuzhou", "generic") or from a file path (cached).

    Raises DistrictListError for a missing or malformed list: that is a settings mistake and
    should surface when the app starts, not while parsing messages.
    """
    return _parse_district_file(_district_path(name_or_path))


# --------------------------------------------------------------------------------------------
# Phones

_CN_METADATA = phonenumbers.PhoneMetadata.metadata_for_region("CN")
# phonenumbers' own patterns for China, matched directly: building a PhoneNumber and calling
# is_valid_number costs ~10 µs, a fifth of the whole parse budget.
_CN_MOBILE = re.compile(_CN_METADATA.mobile.national_number_pattern)
_CN_OTHER = re.compile(
    "|".join(
        f"(?:{desc.national_number_pattern})"
        for desc in (
            _CN_METADATA.fixed_line,
            _CN_METADATA.toll_free,
            _CN_METADATA.shared_cost,
            _CN_METADATA.uan,
            _CN_METADATA.voip,
            _CN_METADATA.premium_rate,
        )
        if desc is not None and desc.national_number_pattern
    )
)
# Starts on a class (not an optional "+" or a lookbehind) so the engine can skip ahead fast.
_PHONE_RUN = re.compile(r"[+(0-9][ \-.()]{0,2}[0-9](?:[ \-.()]{0,2}[0-9]){5,}")
_PHONE_GROUP = re.compile(r"[0-9]+")
_DATE_LIKE = re.compile(r"(?:19|20)\d\d[-./]\d{1,2}(?:[-./]\d{1,2})?")
# After a digit run, these mean "this is a quantity, not a phone number".
_QUANTITY_AFTER = re.compile(
    r"\s*(?:[平亩方万亿元吨米㎡坪人个块千百%年月日号]|m2|m²|kv|kw|w(?![a-z])|t(?![a-z])|sq)"
)
_NOT_PHONE_BEFORE = re.compile(r"(?:qq|微信|vx|wx|wechat|邮编|身份证|账号|卡号|订单|编号)[:\s号]*$")
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


# --------------------------------------------------------------------------------------------
# Quantities: one pass finds every "number (range) unit".

_NUM = (
    r"[0-9零〇一二两三四五六七八九十几]"
    r"(?:[0-9零〇一二两三四五六七八九十百万亿几]|千(?![伏瓦克米])|,(?=[0-9]{3}(?![0-9])))*"
    r"(?:[.点][0-9零〇一二三四五六七八九]+[十百千万亿]*)?"
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
    "square meters": (_AREA, 1.0),
    "square metres": (_AREA, 1.0),
    "square meter": (_AREA, 1.0),
    "square metre": (_AREA, 1.0),
    "sqft": (_AREA, 0.092903),
    "sq ft": (_AREA, 0.092903),
    "square feet": (_AREA, 0.092903),
    "亩": (_AREA, SQM_PER_MU),
    "mu": (_AREA, SQM_PER_MU),
    "公顷": (_AREA, 10000.0),
    "hectares": (_AREA, 10000.0),
    "hectare": (_AREA, 10000.0),
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
    "million": (_MONEY, 1e6),
    "billion": (_MONEY, 1e9),
    "米": (_LENGTH, 1.0),
    "公尺": (_LENGTH, 1.0),
    "m": (_LENGTH, 1.0),
    "meters": (_LENGTH, 1.0),
    "metres": (_LENGTH, 1.0),
    "吨": (_WEIGHT, 1000.0),
    "t": (_WEIGHT, 1000.0),
    "tons": (_WEIGHT, 1000.0),
    "ton": (_WEIGHT, 1000.0),
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
}
# Why each lookahead: 平台/平整 are not areas, 一方面/方便 not 方, m2 ≠ m, 8m ≠ 8mm, 5t ≠ 5tons...
_UNIT_GUARDS = {
    "平": r"(?![台整稳均衡安时常面层板价顶])",
    "方": r"(?![面便式案向法位针圆])",
    "m": r"(?![a-z0-9²])",
    "mu": r"(?![a-z])",
    "t": r"(?![a-z])",
    "w": r"(?![a-z])",
    "ton": r"(?![a-z])",
    "kw": r"(?![a-z])",
    "mw": r"(?![a-z])",
    "名": r"(?![字称额单次片义牌])",
    "人": r"(?![民员才工])",
}
_UNIT_RE = _trie_pattern(list(_UNITS), _UNIT_GUARDS)
_PER_AREA = r"(?:/|每|一|每一)\s*(?:平方米|平方|平米|平|㎡|m2|m²|方|亩)"
_PER_TIME = r"(?:/|每|一|每个?)\s*(?:月|年|天|日)"
_QTY = re.compile(
    rf"(?P<a>{_NUM})\s*(?P<qa>多|余|来)?\s*(?:-(?=[a-z]))?(?P<ua>{_UNIT_RE})?"
    rf"(?:\s*(?P<sep>-|~|到|至)\s*(?P<b>{_NUM})\s*(?P<qb>多|余)?\s*(?P<u>{_UNIT_RE})?)?"
    rf"(?P<per>\s*(?:{_PER_AREA}|{_PER_TIME})(?:\s*(?:/|每)\s*(?:月|年|天))?)?"
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


_TRAIL_MULT = re.compile(r"[百千万亿]+$")
_PER_AREA_CHARS = re.compile(r"平|㎡|m2|m²|方|亩")
_PER_SHORT_TIME = re.compile(r"[月天日]")


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
        a, b, ua, u, qa, qb, per = m.group("a", "b", "ua", "u", "qa", "qb", "per")
        use_range = b is not None
        if use_range and (
            (ua and u and _UNITS[ua][0] != _UNITS[u][0])  # "5000平-8米": two quantities
            or not (ua or u or _has_mult(a) or _has_mult(b))  # "3-5" with no unit at all
        ):
            use_range = False
            pos = m.start("b")
            per = None
        if use_range:
            unit = u or ua
            end = m.end("u") if u else (m.end("qb") if qb else m.end("b"))
        else:
            unit = ua
            end = m.end("ua") if ua else (m.end("qa") if qa else m.end("a"))
        if per:
            end = m.end("per")
        if (
            unit is None
            and not _has_mult(a)
            and not (use_range and _has_mult(b))
            and not _AREA_NOUN_AFTER.match(text, end)
            and not _AREA_WORD_BEFORE.search(text, max(0, start - 8), start)
        ):
            continue  # a bare numeral (一个, 第三, 5年) is a quantity only as "5000左右的厂房"
        if "几" in a or (use_range and "几" in b):
            if unit or _has_mult(a):
                notes.append(f"vague quantity: {original[start:end]}")
            continue
        first = parse_number(a)
        second = parse_number(b) if use_range else first
        if first is None or second is None:
            if unit:
                notes.append(f"unreadable number: {original[start:end]}")
            continue
        low, high = first[0], second[1]
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
        out.append(
            _Qty(
                start,
                end,
                low * factor,
                high * factor,
                category,
                unit,
                low != high,
                bool(qa or (use_range and qb)),
                per_kind,
                _has_mult(a) or bool(use_range and _has_mult(b)),
            )
        )
    return out


def _has_mult(numeral: str) -> bool:
    return "万" in numeral or "亿" in numeral


# The tail of a window that follows its last sentence or clause break.
_SENTENCE_TAIL = re.compile(r"[^;!?。；！？\n]*\Z")
_CLAUSE_TAIL = re.compile(r"[^,;!?。，；！？\n、]*\Z")


def _sentence_before(text: str, start: int, width: int = 16) -> str:
    """Up to ``width`` characters before ``start``, within the same sentence."""
    m = _SENTENCE_TAIL.search(text, max(0, start - width), start)
    return m.group() if m else ""


def _clause_before(text: str, start: int, width: int = 16) -> str:
    """Up to ``width`` characters before ``start``, within the same clause."""
    m = _CLAUSE_TAIL.search(text, max(0, start - width), start)
    return m.group() if m else ""


_BOUND_BEFORE = re.compile(
    r"(?:(?P<min>至少|不少于|不低于|不小于|最少|起码|最低|(?<!不)大于|(?<!不)超过|(?<!不)多于|>|≥)"
    r"|(?P<max>不超过|不大于|最多|最大|(?<!不)小于|(?<!不)少于|不到|<|≤))\s*$"
)
_BOUND_AFTER = re.compile(
    r"\s*(?:(?P<min>以上|之上|往上|起步|起|\+|多)|(?P<max>以内|以下|之内|之下|内)|(?P<approx>左右|上下))"
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
    m = _BOUND_BEFORE.search(text, max(0, q.start - 4), q.start)
    if m:
        return (q.low, None, end) if m.group("min") else (None, q.high, end)
    return q.low, q.high, end


# --------------------------------------------------------------------------------------------
# Keywords


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


def _add(need: str | None, deal: str | None, words: str) -> None:
    for w in words.split():
        _KEYWORDS[w.replace("_", " ")] = (need, deal)


_add(
    "land",
    None,
    "土地 用地 工业用地 工业地 地块 宗地 净地 熟地 地皮 要地 征地 一块地 块地 亩地 land",
)
_add("land", "buy", "买地 拿地 购地 买块地 拿块地 土地出让 摘牌")
_add("land", "rent", "租地 租块地")
_add("factory", None, "厂房 场房 厂防 标准厂房 标厂 车间 工厂 钢构厂房 生产车间 factory workshop")
_add("warehouse", None, "仓库 库房 冷库 仓储 物流园 物流仓 堆场 仓 warehouse storage")
_add("office", None, "办公楼 办公室 写字楼 办公 办公场地 研发楼 office")
_add(
    "incubator",
    None,
    "工位 孵化器 孵化 众创空间 众创 联合办公 共享办公 创业园 双创 coworking co-working incubator",
)
_add(
    "registration",
    None,
    "注册公司 公司注册 注册地址 注册 总部落户 落户 地址挂靠 挂靠 税务登记 迁入 register "
    "registration",
)
_add(
    "investment",
    None,
    "投资 项目合作 招商合作 投资合作 合作项目 战略合作 项目落地 项目落户 引进项目 产业基金 "
    "invest investment investing",
)
_add("other", None, "商铺 门面 店面 铺面 门店 公寓 展厅 shop")
_add(
    None,
    "rent",
    "租 出租 租赁 租凭 承租 租用 租金 月租 求租 急租 rent rental renting lease leasing",
)
_add(
    None,
    "buy",
    "买 购买 购置 出让 出售 产权 买断 挂牌 独立产权 buy buying purchase for_sale",
)
_add(None, "buy", "求购 卖吗 卖不卖")
_add(None, "build_to_suit", "定制 代建 定建 量身定制 按需定制 build-to-suit build_to_suit bts")
_add(None, "any", "租售 租买 买租 租或买 买或租 租或者买 买或者租 租购 租售均可 租或购 rent_or_buy")
_add(
    None,
    None,
    "建厂房 盖厂房 建厂 自建厂房 注册资本 注册资金 租户 采购 卖家 买家 合作愉快 期待合作 "
    "仓位 办公用品 仓储物流 冷链物流 不需要场地 无需场地",
)
_KEYWORD_RE, _KEYWORD_LATIN_RE = _keyword_res(list(_KEYWORDS))
# Buying said around other words: 拿30亩地, 厂房卖吗, 有没有现成的厂房卖.
_BUY_PHRASE = re.compile(
    r"(?:拿|买|购)[^,，。;；!！?？\x00]{1,8}?(?:亩地|块地|地块|土地|用地)|[房地库楼]卖"
)
_BUY_HINT = re.compile(r"[拿买购卖]")
_NEGATED = re.compile(r"(?:不需要|不用|无需|不要|(?<!有)没有|不需)[\u4e00-\u9fff]{0,2}$")
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


# --------------------------------------------------------------------------------------------
# Time phrases

_CN_SMALL = r"[0-9一二两三四五六七八九十半]{1,3}"
_TIMELINE = re.compile(
    # The leading class lets the engine skip to characters that can start a time phrase.
    r"(?=[0-9一二两三四五六七八九十半越尽马立急很比着今明年上下春国节月本近aw])"
    rf"(?:(?P<dur>(?P<n>{_CN_SMALL})\s*(?P<unit>个月|个星期|个礼拜|月|周|星期|天|年))"
    r"(?P<within>之内|以内|内)"
    r"|(?P<urgent>越快越好|尽快|尽早|马上|立即|立刻|急需|急用|急租|急找|急购|急求|很急|比较急|着急|"
    r"急(?=\s*[!！])|asap)"
    r"|(?P<phrase>(?:今年|明年|年)(?:上半年|下半年|底|内|中|初)|上半年|下半年|明年|春节|国庆|年后|"
    r"节后|月底|下个?月|下周|本月|近期)(?P<before>之前|以前|前)?"
    r"|(?P<month>(?:20\d\d年)?(?:1[0-2]|[1-9]|十[一二]?|[一二三四五六七八九])月)"
    r"(?:(?P<part>份|底|初|中)?(?P<mbefore>之前|以前|前)|(?P<end>底))"
    r"|within\s+(?P<en>\d{1,2})\s+(?P<enunit>months?|weeks?|days?|years?))"
)
_EN_UNITS = {"month": "个月", "week": "周", "day": "天", "year": "年"}
# Every time phrase holds one of these; most messages hold none, and skip the big pattern.
_TIMELINE_HINT = re.compile(r"[内前底急尽早马立刻春国节近]|明年|半年|下个?月|下周|本月|asap|within")


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
        return m.group("phrase") + ("前" if m.group("before") else "")
    if m.group("month"):
        if m.group("end"):
            return m.group("month") + "底"
        return m.group("month") + (m.group("part") or "") + "前"
    if m.group("en"):
        unit = m.group("enunit").rstrip("s")
        return f"{int(m.group('en'))}{_EN_UNITS[unit]}内"
    return None


# --------------------------------------------------------------------------------------------
# Company and contact names

_COMPANY_SUFFIX = re.compile(
    r"集团股份有限公司|股份有限公司|有限责任公司|集团有限公司|有限公司|"
    r"集团(?!有限|股份|公司)|科技(?![园城企型含]|有限|股份|公司)|公司|"
    r"厂(?![房区址家长商里内子矿方])|商行|工作室|研究院|研究所|合作社"
)
# Leading words that are not part of a company name (我们是 / 来自 / 公司名 ...).
_COMPANY_LEAD = re.compile(
    r".*(?:我是|我们是|我们|我司|本公司|这边是|这里是|这边|来自|代表|公司名称|公司名|"
    r"企业名称|单位名称|名称|单位|你好|您好|是|在|的|叫)"
)
_PLAIN_SUFFIXES = frozenset({"公司", "厂", "科技", "集团", "商行", "合作社"})
_GENERIC_LEAD = re.compile(
    r"(?:一家|一个|这家|那家|该|本|贵|小型|中型|大型|新|老|某|我们|我|你们|咱们|他们|初创|创业|本地|"
    r"外资|民营|国有|上市|科技型|高新技术|小|大)+"
)
# A name holding one of these is a sentence, not a company ("想建个新厂", "注册公司").
_NOT_IN_NAME = re.compile(r"[想要建租买找个在需请问能可吗呢吧啊了和或开设]|注册|成立")
# "深圳一家跨境电商公司": whatever precedes 一家 is where the company is, not its name.
_ONE_OF = re.compile(r".*(?:一家|一个|这家|那家)")
_COMPANY_COLON = re.compile(
    r"(?:公司名称|公司名|企业名称|单位名称|公司|单位|company)\s*[:]\s*"
    r"(?P<name>[^\s,;。，；!?！？:]{2,30})"
)
_EN_COMPANY = re.compile(
    r"(?:[A-Z][\w&\-]*\.?\s+){1,5}(?:Co\.?,?\s*Ltd\.?|Ltd\.?|Inc\.?|Corp\.?|Corporation|GmbH|LLC|"
    r"Limited|Group)"
)

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖萧田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕季裴霍涂苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲滕屈饶"
    "解牟艾尤阳穆卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂佟臧闵苟邬卞姬"
    "栾隋刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝谈匡鞠惠荆冀郁胥储栗燕楚鄢谌奚皮粟冼蔺"
    "付赖"
)
_COMPOUND_SURNAMES = "欧阳|司马|诸葛|上官|东方|皇甫|尉迟|公孙|慕容|司徒|令狐|夏侯"
_SURNAME = rf"(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])"
_TITLES = (
    r"先生|女士|小姐|总经理|总监|总裁|董事长|工程师|经理|老板|主任|老师|部长|主管|厂长|秘书|助理|"
    r"师傅|总(?![部价额量计共体投面建产值包装规占成数和结算公厂资收])|"
    r"工(?![厂作业程位人资艺期地具商会种序况时伤龄号段])|董(?!家|事会)|姐(?!妹)"
)
# Titles are rarer than surname characters, so they are found first and the surname checked
# behind them (a regex starting with ~400 possible surnames is slow to scan).
_TITLE = re.compile(_TITLES)
_SURNAME_SET = frozenset(_SURNAMES)
_COMPOUND_SET = frozenset(_COMPOUND_SURNAMES.split("|"))
# Words that look like surname + title but are not a person (施工 is building work).
_NOT_NAMES = frozenset({"施工", "车工", "童工", "包工", "农工", "石工", "商工", "钟工", "万工"})
_NAME_MARKER = re.compile(
    r"(?:联系人是|联系人|姓名|称呼|对接人|我叫|本人|我是)\s*[:]?\s*"
    rf"(?P<name>[小老][{_SURNAMES}](?![\u4e00-\u9fff])|{_SURNAME}[\u4e00-\u9fff]{{1,2}}?"
    r"(?=[^\u4e00-\u9fff]|$|电话|手机|联系|微信|先生|女士|小姐|总|经理|号码|tel))"
)
_SURNAME_ONLY = re.compile(rf"(?:免贵姓|贵姓|我姓|姓)(?P<name>{_SURNAME})(?![\u4e00-\u9fff]{{2}})")
# 小刘 / 老王: how colleagues and regulars sign off.
_FAMILIAR_NAME = re.compile(rf"(?P<name>[小老][{_SURNAMES}])(?![\u4e00-\u9fff])")
_EN_CONTACT = re.compile(r"(?<![a-z])(?:mr|mrs|ms|miss)\.?\s+[a-z]{2,20}")

# --------------------------------------------------------------------------------------------
# Industry

# Terms that name an industry on their own; found anywhere in the text.
_INDUSTRY_TERMS = (
    "新能源汽车 新能源 锂电池 锂电 动力电池 储能 电池 光伏 新材料 硬质合金 陶瓷 电瓷 烟花 鞭炮 "
    "服饰 服装 纺织 制衣 鞋业 箱包 家具 家居 建材 五金 机械加工 机加工 机械 精密加工 数控 模具 "
    "注塑 冲压 钣金 铸造 锻造 热处理 喷涂 电镀 汽车零部件 汽车配件 汽配 汽车 零部件 轨道交通 "
    "轨交 机车 航空 通航 无人机 电子信息 电子元器件 电子 半导体 芯片 集成电路 pcb 线路板 "
    "电路板 显示屏 led 光电 通信 软件 信息技术 互联网 人工智能 大数据 云计算 电子商务 跨境电商 "
    "电商 直播 冷链 快递 供应链 食品加工 食品 饮料 酒业 农产品 生鲜 预制菜 生物医药 医药 "
    "医疗器械 医疗 制药 中药 精细化工 化工 涂料 塑料 橡胶 包装 印刷 纸品 节能环保 钢结构 钢材 "
    "金属 不锈钢 有色金属 再生资源 废旧回收 智能制造 智能装备 装备制造 高端装备 工业机器人 "
    "机器人 自动化 电机 电气 电力设备 电线电缆 电缆 线缆 照明 灯具 家电 玩具 文创 工艺品 "
    "体育用品 教育培训 检测 广告 传媒 金融 建筑 装修 装饰 门窗 玻璃 石材 水泥 混凝土 装配式 "
    "木业 竹木 茶叶 粮油 饲料 化妆品 日化 母婴 宠物 服务器 数据中心 算力 仓储物流 冷链物流 "
    "液压件 液压 配件 小程序 软件开发 生物科技 生物技术"
)
# Terms that name an industry only after 做/从事/主营 (alone they are usually a need).
_INDUSTRY_WEAK = "物流 仓储 研发 设计 贸易 环保 文化 教育 服务 加工 生产 制造 销售 批发 零售"
_INDUSTRY_SUFFIX = (
    "加工|制造|生产|研发|设备|材料|科技|产品|配件|零部件|贸易|服务|包装|印刷|技术|工程|器件|"
    "元件|用品|器材|装备|仪器|制品|开发|组装|回收|配送|设计|销售"
)
# In a bare mention, 生产 and 制造 after a term are usually "生产线"/"制造基地", not the trade.
_SCAN_SUFFIX = _INDUSTRY_SUFFIX.replace("生产|", "")
_STRONG = sorted(_INDUSTRY_TERMS.split(), key=len, reverse=True)
_WEAK = sorted(_INDUSTRY_WEAK.split(), key=len, reverse=True)
_INDUSTRY_SCAN = re.compile(
    # "T(?:T)*" rather than "(?:T)+": the engine can then skip ahead on the first character.
    f"{_trie_pattern(_STRONG)}(?:{_trie_pattern(_STRONG)})*"
    f"(?:{_trie_pattern(_SCAN_SUFFIX.split('|'))})?"
)
# A term right before these is part of a place's name (服饰产业园, 汽车站), not an industry.
_INDUSTRY_NOT_AFTER = re.compile(r"园|区|站|城|楼|仓库|方便|配套|通道|手续|产业园|市场")
_INDUSTRY_KNOWN = re.compile(_trie_pattern(_STRONG + _WEAK + _INDUSTRY_SUFFIX.split("|")))
_INDUSTRY_TRIGGER = re.compile(
    r"(?P<verb>主要做|专业做|主要从事|从事|主营|经营|做|搞|生产|行业是|行业为|行业|产业是|产业|项目是|"
    r"产品是|主要产品|属于|industry)\s*[:]?\s*"
    r"(?P<ind>[^\s,.;!?。，、；！？:()\x00\d]{2,12}?)"
    r"(?=的|行业|企业|公司|厂|项目|生意|领域|方面|想|要|需|找|在|准备|打算|计划|目前|现在|"
    r"有|租|买|扩|来|到|落户|,|[\s.;!?。，、；！？:()\x00\d]|$)"
)
_INDUSTRY_JUNK_START = re.compile(r"(?:一些|一下|什么|这个|那个|这些|点|些|的是|的|个)")
_NOT_INDUSTRY = re.compile(r"[来去了过好完成不没得出]|什么|怎么|事情|生意")
# "做研发中心" / "做仓库用" say what the space is for, not the prospect's industry.
_SPACE_USE = re.compile(r"中心|基地|总部|办公|仓库|厂房|车间|用$")

# --------------------------------------------------------------------------------------------
# Technical requirements and EIA

_HEIGHT_BEFORE = re.compile(
    r"(?:层高|净高|檐高|高度|挑高|限高|檐口|梁下|滴水|ceiling|height)"
    r"|(?<!速)高(?:要求|需要|达到|要|约|为|是|不低于|至少|:)?\s*(?:要求|需要|在)?\s*$"
)
_HEIGHT_AFTER = re.compile(r"\s*(?:以上|左右)?\s*的?\s*(?:层高|净高|高|挑高|ceiling|height)")
_CRANE_WORDS = r"行车|天车|航车|吊车|桥吊|龙门吊|起重机|吊机|行吊|crane"
_CRANE_BEFORE = re.compile(_CRANE_WORDS)
_CRANE_AFTER = re.compile(rf"\s*(?:的|以上的?)?\s*(?:{_CRANE_WORDS})")
_LOAD_BEFORE = re.compile(r"承重|荷载|载荷|承载|成重|floor load|load")
_PEOPLE_BEFORE = re.compile(
    r"员工|工人|职工|用工|就业|人员|雇员|团队|人数|招工|规模|招聘|staff|employees|workers"
)
# "我们3个人": a head count right after the speaker's "we".
_PEOPLE_WE = re.compile(r"(?:我们|团队|公司)(?:有|共|一共|总共|大概|大约|约)?\s*$")
_PEOPLE_AFTER = re.compile(
    r"\s*(?:左右|以上|多)?\s*(?:的[\u4e00-\u9fff]{0,4}?)?(?:员工|工人|职工|人员|团队|规模|就业)"
)
# The word nearest before an amount says what it is; at equal distance a word that is not a
# lead field wins (注册资金 is not an investment).
_AMOUNT_WORD = re.compile(
    r"(?P<other>"
    r"产值|营收|营业额|销售额|销售|年产|注册资本|注册资金|预算|租金|价格|单价|售价|总价|价|贷款|"
    r"补贴|奖励|工资|月租|年租|押金|revenue|budget"
    r")|(?P<investment>投资|投入|总投|固投|资金|invest)|(?P<tax>税)"
)
_PER_MU_WORD = re.compile(r"亩均|每亩")
_AMOUNT_WORD_AFTER = re.compile(
    r"\s*(?:左右|以上|多)?\s*的?\s*(?:(?P<tax>年?税收|纳税|税)|(?P<investment>投资|投入))"
)
_AREA_NOUN_AFTER = re.compile(
    r"\s*(?:左右|以上|以内|上下)?\s*的?\s*(?:标准)?(?:厂房|仓库|车间|库房|办公|写字楼|场地|空间)"
)
_AREA_WORD_BEFORE = re.compile(r"面积\s*(?:是|为|:|约|大约|大概|需要|要|在)?\s*$")
# Earlier in the same clause, these make an area something other than the need.
_AREA_SKIP_BEFORE = re.compile(
    r"(?:(?P<per_mu>亩均|每亩)|(?P<existing>现有|目前有|原有|已有|现在有|现在的|目前的|现在租|目前租))"
    r"[^,;!?。，；！？\n、]*\Z"
)
_EIA = re.compile(r"环评|环境影响评价|环保审批|环保手续|eia(?![a-z])")
_EIA_NEG_BEFORE = re.compile(
    r"(?:不需要|不用|无需|(?<!有)没有|不要|不需|不涉及|不做|免|no)\s*(?:做|办|过|办理|的|什么)?\s*$"
)
_EIA_NEG_AFTER = re.compile(r"\s*(?:要求)?\s*(?:不需要|不用|没有要求|不要|不需|无要求)")


# --------------------------------------------------------------------------------------------
# The parser


class _State:
    """Working text for one parse: the folded text with claimed spans masked."""

    __slots__ = ("area_in_mu", "district_set", "fields", "has_latin", "notes", "original", "work")

    def __init__(self, original: str, district_set: DistrictSet) -> None:
        self.original = original
        self.work = fold(original)
        self.fields: dict[str, ParsedField] = {}
        self.notes: list[str] = []
        self.district_set = district_set
        self.area_in_mu = False  # the area was given in 亩 (land is measured in 亩)
        self.has_latin = _HAS_LATIN.search(self.work) is not None  # English keywords to look for

    def put(self, name: str, value: object, start: int, end: int) -> None:
        if name not in self.fields:
            self.fields[name] = ParsedField(value, self.original[start:end])

    def value(self, start: int, end: int) -> str:
        return _display(self.original[start:end])

    def mask(self, start: int, end: int) -> None:
        self.work = self.work[:start] + _MASK * (end - start) + self.work[end:]


def _extract_phones(st: _State) -> None:
    text = st.work
    # Phone numbers said in Chinese digits need a digit copy of the text; most messages have none.
    phone_text = text.translate(_PHONE_DIGITS) if _CN_DIGIT_RUN.search(text) else text
    if not _HAS_DIGIT.search(phone_text):
        return
    found: list[str] = []
    for m in _PHONE_RUN.finditer(phone_text):
        run_start = m.start()
        run = m.group()
        if len(run) == 11 and run.isdigit() and _CN_MOBILE.fullmatch(run):
            # The common case, a mobile written plainly; no figure is shaped like one.
            _record_phone(st, "+86" + run, run_start, m.end(), found)
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
            j = _longest_phone(st, phone_text, groups, i, plus and i == 0, area_code, found)
            if j is None:
                unread.append(groups[i])
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


def _record_phone(st: _State, e164: str, start: int, end: int, found: list[str]) -> None:
    """The first phone is the lead's; later different ones are reported, not dropped."""
    if e164 not in found:
        found.append(e164)
        if len(found) == 1:
            st.put("phone", e164, start, end)
        else:
            st.notes.append(f"additional phone: {st.original[start:end]}")
    st.mask(start, end)


def _extract_timeline(st: _State) -> None:
    # Not masked: 急租 is also a deal word, and time phrases hold no figures other steps need.
    text = st.work
    if not _TIMELINE_HINT.search(text):
        return
    for m in _TIMELINE.finditer(text):
        if m.start() and "0" <= text[m.start() - 1] <= "9":
            continue  # the tail of a longer figure (2025年内 is not "25年内")
        value = _timeline_value(m)
        if value:
            st.put("timeline", value, m.start(), m.end())
            return


def _industry_residue(name: str) -> str:
    """What is left of a name once industry words are taken out ("宏达机械" → "宏达")."""
    return _INDUSTRY_KNOWN.sub("", name)


def _extract_company(st: _State) -> None:
    text = st.work
    for m in _COMPANY_SUFFIX.finditer(text):
        start = m.start()
        while start > 0 and m.start() - start < 25:
            ch = text[start - 1]
            if not (_is_cjk(ch) or ch in "()·&" or "a" <= ch <= "z"):
                break
            start -= 1
        lead = _COMPANY_LEAD.match(text, start, m.start())
        if lead:
            start = lead.end()
        if _ONE_OF.match(text, start, m.start()):
            continue  # "长沙一家生物科技有限公司" describes the prospect; it names no company
        generic = _GENERIC_LEAD.match(text, start, m.start())
        name_start = generic.end() if generic else start
        name = text[name_start : m.start()]
        if len(name) < 2:
            continue
        if m.group() in _PLAIN_SUFFIXES and (
            len(_industry_residue(name)) < 2 or _NOT_IN_NAME.search(name)
        ):
            # "一家电池厂" / "我们电商公司" describe the prospect, they do not name it.
            continue
        st.put("company", st.value(name_start, m.end()), name_start, m.end())
        st.mask(name_start, m.end())
        return
    m = _COMPANY_COLON.search(text)
    if m:
        st.put("company", st.value(m.start("name"), m.end("name")), m.start("name"), m.end("name"))
        st.mask(m.start("name"), m.end("name"))
        return
    if _HAS_UPPER.search(st.original):
        m = _EN_COMPANY.search(st.original)
        if m and _MASK not in st.work[m.start() : m.end()]:
            st.put("company", " ".join(m.group().split()), m.start(), m.end())
            st.mask(m.start(), m.end())


def _extract_contact(st: _State) -> None:
    text = st.work
    m = _NAME_MARKER.search(text)
    if m:
        st.put("contact_name", st.value(*m.span("name")), *m.span("name"))
        st.mask(*m.span("name"))
        return
    for m in _TITLE.finditer(text):
        start = m.start()
        if start >= 2 and text[start - 2 : start] in _COMPOUND_SET:
            start -= 2
        elif start >= 1 and text[start - 1] in _SURNAME_SET:
            start -= 1
        else:
            continue
        if text[start : m.end()] in _NOT_NAMES:
            continue
        st.put("contact_name", st.value(start, m.end()), start, m.end())
        st.mask(start, m.end())
        return
    m = _SURNAME_ONLY.search(text) if "姓" in text else None
    if m is None and ("小" in text or "老" in text):
        # 小刘 / 老王 standing alone, not the end of a longer word (大小王).
        m = next(
            (
                f
                for f in _FAMILIAR_NAME.finditer(text)
                if not f.start() or not _is_cjk(text[f.start() - 1])
            ),
            None,
        )
    if m:
        st.put("contact_name", st.value(*m.span("name")), *m.span("name"))
        st.mask(*m.span("name"))
        return
    m = _EN_CONTACT.search(text) if st.has_latin else None
    if m:
        value = " ".join(st.original[m.start() : m.end()].split())
        st.put("contact_name", value, m.start(), m.end())
        st.mask(m.start(), m.end())


def _extract_quantities(st: _State) -> None:
    """Area, amounts and technical figures."""
    text = st.work
    if not _HAS_NUMERAL.search(text):
        return
    areas: list[tuple[_Qty, float | None, float | None, int]] = []
    crane: tuple[float, int, int] | None = None
    power: tuple[float, int, int] | None = None
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
            skip = _AREA_SKIP_BEFORE.search(text, max(0, q.start - 16), q.start)
            if skip is not None:
                if skip.lastgroup == "existing":
                    st.notes.append(f"existing area, not the need: {st.original[q.start : q.end]}")
                continue
            low, high, end = _bounds(text, q)
            if 5 <= max(low or 0, high or 0) <= _MAX_AREA:
                areas.append((q, low, high, end))
        elif cat == _MONEY or cat is None:
            if not q.per:  # a price (元/平, 万/月) is not an amount
                _assign_money(st, q, _sentence_before(text, q.start, 24))
        elif cat == _POWER:
            if power is None or q.high > power[0]:
                power = (q.high, q.start, q.end)
        elif cat == _LENGTH:
            if 2 <= q.low <= 60 and (
                _HEIGHT_BEFORE.search(_clause_before(text, q.start))
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
            if (
                q.unit in ("employees", "staff", "workers")
                or _PEOPLE_BEFORE.search(clause)
                or _PEOPLE_WE.search(clause)
                or _PEOPLE_AFTER.match(text, q.end)
            ):
                st.put("employees", int(q.low), q.start, q.end)
    if crane:
        st.put("crane_tonnes", crane[0], crane[1], crane[2])
    if power:
        st.put("power_kva", power[0], power[1], power[2])
    if not areas:
        return
    q, low, high, end = areas[0]
    if low is not None:
        st.put("area_min_m2", round(low, 2), q.start, end)
    if high is not None:
        st.put("area_max_m2", round(high, 2), q.start, end)
    for other, *_ in areas[1:]:
        st.notes.append(f"other area: {st.original[other.start : other.end]}")
    st.area_in_mu = q.unit in ("亩", "mu")


def _assign_money(st: _State, q: _Qty, before: str) -> None:
    """Decide whether an amount is tax, investment or neither, from the words next to it."""
    wan = q.low / 1e4
    source = st.original[q.start : q.end]
    m = _AMOUNT_WORD_AFTER.match(st.work, q.end)
    kind = m.lastgroup if m else None
    if kind is None:
        for m in _AMOUNT_WORD.finditer(before):
            kind = m.lastgroup  # the last one found is the nearest
    if kind == "tax" and _PER_MU_WORD.search(before):
        st.notes.append(f"per-mu tax, not an annual total: {source}")
    elif kind == "tax" and wan > 0:
        st.put("tax_wan", round(wan, 4), q.start, q.end)
    elif kind == "investment" and wan > 0:
        st.put("investment_wan", round(wan, 4), q.start, q.end)
    elif kind is None:
        st.notes.append(f"amount without context: {source}")


def _extract_district(st: _State) -> None:
    found = st.district_set.find(st.work)
    if found:
        canonical, start, end = found
        st.put("district", canonical, start, end)
        st.mask(start, end)


def _extract_industry(st: _State) -> None:
    text = st.work
    for m in _INDUSTRY_TRIGGER.finditer(text):
        ind = m.group("ind")
        if _INDUSTRY_JUNK_START.match(ind):
            continue
        if _SPACE_USE.search(ind):
            continue
        start, end = m.span("ind")
        # "做X的" names a line of business even when X is not in the term list (做手工皂的).
        said_as_business = (
            m.group("verb") in ("做", "主要做", "专业做", "搞")
            and text.startswith("的", end)
            and len(ind) <= 6
            and not _NOT_INDUSTRY.search(ind)
        )
        if said_as_business or _INDUSTRY_KNOWN.search(ind):
            st.put("industry", st.value(start, end), start, end)
            st.mask(start, end)
            return
    for m in _INDUSTRY_SCAN.finditer(text):
        if _INDUSTRY_NOT_AFTER.match(text, m.end()):
            continue
        st.put("industry", st.value(*m.span()), *m.span())
        st.mask(*m.span())
        return


def _extract_need_and_deal(st: _State) -> None:
    needs: list[tuple[str, int, int]] = []
    deals: list[tuple[int, int, str]] = []
    text = st.work
    matches = list(_KEYWORD_RE.finditer(text))
    if st.has_latin:
        matches.extend(_KEYWORD_LATIN_RE.finditer(text))
        matches.sort(key=lambda m: m.start())
    may_negate = "不" in text or "无" in text or "没" in text
    for m in matches:
        need, deal = _KEYWORDS[m.group()]
        if may_negate and _NEGATED.search(text, max(0, m.start() - 6), m.start()):
            continue  # 不需要实际办公
        if need is not None:
            needs.append((need, m.start(), m.end()))
        if deal is not None:
            deals.append((m.start(), m.end(), deal))
    if _BUY_HINT.search(text):
        deals.extend((m.start(), m.end(), "buy") for m in _BUY_PHRASE.finditer(text))
        deals.sort()
    chosen = _choose_need(needs)
    area = st.fields.get("area_min_m2") or st.fields.get("area_max_m2")
    if st.area_in_mu and area is not None and (chosen is None or chosen[0] not in _PLACES):
        # An area in 亩 and no word for a building: land is what is measured in 亩, and a
        # project that needs land is a land enquiry first (投资建厂,占地100亩).
        start = st.original.find(area.source)
        st.put("need_type", "land", start, start + len(area.source))
    elif chosen is not None:
        st.put("need_type", *chosen)
    if deals:
        _choose_deal(st, deals)


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


def _coerce(text: object) -> str:
    if isinstance(text, str):
        return text
    if isinstance(text, bytes | bytearray):
        return bytes(text).decode("utf-8", errors="replace")
    return "" if text is None else str(text)


# In this order: each step masks what it claimed so later steps cannot read it again.
_STEPS: tuple[tuple[str, Callable[[_State], None]], ...] = (
    ("phone", _extract_phones),
    ("timeline", _extract_timeline),
    ("company", _extract_company),
    ("contact", _extract_contact),
    ("quantity", _extract_quantities),
    ("district", _extract_district),
    ("industry", _extract_industry),
    ("need", _extract_need_and_deal),
    ("eia", _extract_eia),
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
    return ParseResult(fields=st.fields, unparsed=st.notes)
