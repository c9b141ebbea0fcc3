"""What a prospect's question is about: price, availability, location, policy, lost, other.

``question_topic("厂房租金多少钱一平？")`` → "price". None when the message asks nothing
(an enquiry such as "想租5000平厂房"). "lost" (不考虑了, already found) is reported even
without a question mark. The words are in data/questions.txt; the bot answers each topic
(docs/wechat-bot.md), and the evaluation scores it on one-line questions (docs/parser.md).
"""

from __future__ import annotations

import re

from app.wechat.parsing.data import read_sections
from app.wechat.parsing.text import _trie_pattern, fold

TOPIC_ORDER = ("lost", "policy", "price", "location", "availability")
_ASKS = re.compile(
    r"[?]|吗|么|呢\s*$|没有?\s*[.!。]?\s*$|多少|怎么|如何|哪|什么|啥|几|有没有|能不能|可不可以|是否|请问|"
    r"远不远|贵不贵|多久|多远|多长时间|"
    r"^\s*(?:what|how|where|when|which|who|is|are|do|does|can|could|would|will|any)(?![a-z])"
)
# "有8米的吗" / "有带行车的厂房吗": asking whether something exists.
_HAS_ONE = re.compile(r"有[^,;。，；!?！？]{0,14}(?:吗|么|[?]|没有?\s*$)")


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    cjk = [w for w in words if not w.isascii()]
    latin = [re.escape(w.replace("_", " ")) for w in words if w.isascii()]
    parts = []
    if cjk:
        parts.append(_trie_pattern(cjk))
    if latin:
        parts.append(
            r"(?<![a-z])(?:" + "|".join(sorted(latin, key=len, reverse=True)) + r")(?![a-z])"
        )
    return re.compile("|".join(parts))


_TOPICS = {name: _pattern(words) for name, words in read_sections("questions.txt").items()}
_LOST = _TOPICS["lost"]


# Every "lost" phrase holds one of these; most enquiries hold none and skip the full pattern.
_LOST_HINT = re.compile(
    r"[考弃算]|不需要|已经|找到|不用|found|interest|longer|n't need|not need|no need"
)


_MORE_LOST_HINT = re.compile(
    r"选好|选定|另选|别处|不来|取消|暂缓|不搞|不做了|签了|不用再|别再联系|搁置|不找了|"
    r"another|go with|gone with|looking anymore|on hold|"
    r"cancelled"
)


def says_no_longer_looking(folded: str) -> bool:
    """不考虑了 / 已经找到了 / already found, in folded text."""
    if not (
        "考" in folded
        or "已" in folded
        or "找到" in folded
        or "找好" in folded
        or "好了" in folded
        or "不用" in folded
        or "不需要" in folded
        or "不要了" in folded
        or "弃" in folded
        or "算了" in folded
        or "定下" in folded
        or ("n" in folded and ("found" in folded or "interest" in folded or "need" in folded))
        or "longer" in folded
        or _MORE_LOST_HINT.search(folded) is not None
    ):
        return False  # on the hot path: most enquiries hold none of these
    if _SWITCH.search(folded):
        return False  # "仓库不要了，改成厂房": a change of need, not the end of the enquiry
    return any(not _NO_SPACE_AFTER.match(folded, m.end()) for m in _LOST.finditer(folded))


_SWITCH = re.compile(
    r"改成|换成|改为|改要|换要|改租|改买|instead|switch to|"
    r"(?:不要|不需要|不用)了?[，,\s]*(?:要|需要|想要|想租|想买|换)"  # 厂房不需要了，要个仓库
)
# "暂时不需要场地": a need without space (a registration, a head office moving in), not a
# prospect who stopped looking.
_NO_SPACE_AFTER = re.compile(
    r"\s*(?:场地|办公室|办公场地|厂房|空间|地方|实体|房子|space|an office|premises)"
)


# Location words that ask where something is, not only name a place (near the station, 高铁旁);
# an address that is a registration's (要不要实际办公地址) is no question of where.
_ASKS_WHERE = re.compile(
    r"在哪|哪里|哪儿|哪个位置|位置|(?<!办公)(?<!注册)(?<!实际)(?<!经营)地址|多远|远不远|多久能?到|车程|"
    # 从长沙过去要多久: how long the trip is (not 多久能拿到证)
    r"从[^,;。，；?？]{1,8}多久|(?:过去|过来|开车|坐车|高铁)[^,;。，；]{0,3}多久|公交|班车|地铁站|"
    r"怎么走|怎么过去|怎么去|如何到达|交通|区位|周边|配套|"
    r"(?<![a-z])(?:where|location|located|address|how far|distance|transport)(?![a-z])"
)


def asks_something(text: str) -> bool:
    return _ASKS.search(fold(text)) is not None


def question_topic(text: str) -> str | None:
    """The topic of a question (see the module's docstring); never raises."""
    if not isinstance(text, str) or not text.strip():
        return None
    folded = " ".join(fold(text[:2000]).split())
    if says_no_longer_looking(folded):
        return "lost"
    if not _ASKS.search(folded):
        return None
    for topic in TOPIC_ORDER[1:]:
        if _TOPICS[topic].search(folded):
            if topic == "location" and not _ASKS_WHERE.search(folded):
                continue  # "is there an office near the station?" asks what is free there
            return topic
    if _HAS_ONE.search(folded):
        return "availability"
    return "other"
