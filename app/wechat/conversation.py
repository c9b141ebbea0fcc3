"""The WeChat bot's side of a conversation (docs/wechat-bot.md), as pure functions: no
database, no clock.

`step(state, incoming)` takes the stored state and one message the parser has already read,
and returns a `Turn`: the new state, what to do with the lead, and the reply. The reply may
need the lead's reference, which exists only after `app.wechat.service` has saved the lead,
so the text is produced afterwards by `render_reply(turn.reply, lead)`.

How the bot talks:
- On follow (subscribe) or a QR scan it greets and offers numbered choices (`CHOICES`); the
  prospect answers with 1-5, the words, or a whole sentence.
- Every text fills a draft: fields the parser found win over what the draft had, so
  "不对,是8000平" corrects the area. A bare answer to the question just asked is taken as its
  answer ("5000" → m², or 亩 for land; "湘能科技" → company).
- It asks for the most important missing field next (`QUESTION_ORDER`: need → area → phone
  → company → contact), exactly one question per reply. "跳过" skips area, company or contact.
- When need and phone are known (or the prospect declined a phone and nothing is left to
  ask) the lead is saved and the reply gives its reference; later messages update that lead.
- "人工" / "转人工" (or the menu's CONTACT_AGENT) hands over: the lead is saved with what we
  have, the prospect is told an agent will reply, and from then on the bot stays silent and
  only records messages on the lead.
- A question nothing answers goes to an agent too (the lead saved, the agent told), but the bot
  goes on collecting the enquiry (`State.question_open`): what it reads it acknowledges, the
  rest it leaves to the agent without a reply.

Menu keys (CLICK events of the account's custom menu):
    NEED_FACTORY 厂房 · NEED_LAND 土地 · NEED_WAREHOUSE 仓库 · NEED_OFFICE 办公 ·
    NEED_INCUBATOR 孵化器/工位 · NEED_REGISTRATION 注册落户 · NEED_INVESTMENT 投资合作 ·
    CONTACT_AGENT 转人工 · START 开始咨询 (greeting and the choices again).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import phonenumbers

from app.core.units import M2_PER_MU, m2_to_mu
from app.leads.models import Deal, NeedType
from app.wechat.answers import Knowledge
from app.wechat.parsing import ParseResult, parse_enquiry
from app.wechat.parsing.names import (
    ROLES,
    ROLES_AFTER_NAME,
    standalone_latin_name,
    standalone_name,
)
from app.wechat.parsing.numerals import parse_number
from app.wechat.parsing.questions import question_topic

# --- what the bot offers ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Choice:
    number: int
    label: str
    need_type: NeedType
    deal: Deal | None
    words: tuple[str, ...]


CHOICES: tuple[Choice, ...] = (
    Choice(1, "租厂房", NeedType.FACTORY, Deal.RENT, ("租厂房", "厂房")),
    Choice(2, "买地", NeedType.LAND, Deal.BUY, ("买地", "拿地", "土地", "工业用地")),
    Choice(3, "仓库", NeedType.WAREHOUSE, None, ("仓库", "仓储", "物流")),
    Choice(4, "办公", NeedType.OFFICE, None, ("办公", "写字楼", "办公室")),
    Choice(5, "投资合作", NeedType.INVESTMENT, None, ("投资合作", "投资", "合作", "项目合作")),
)

MENU_NEEDS: dict[str, tuple[NeedType, Deal | None]] = {
    "NEED_FACTORY": (NeedType.FACTORY, None),
    "NEED_LAND": (NeedType.LAND, Deal.BUY),
    "NEED_WAREHOUSE": (NeedType.WAREHOUSE, None),
    "NEED_OFFICE": (NeedType.OFFICE, None),
    "NEED_INCUBATOR": (NeedType.INCUBATOR, None),
    "NEED_REGISTRATION": (NeedType.REGISTRATION, None),
    "NEED_INVESTMENT": (NeedType.INVESTMENT, None),
}
MENU_HANDOVER = "CONTACT_AGENT"
MENU_START = "START"

# Question keys in the order they are asked, and the draft fields each one fills.
QUESTION_ORDER = ("need", "area", "phone", "company", "contact")
QUESTION_FIELDS: dict[str, tuple[str, ...]] = {
    "need": ("need_type",),
    "area": ("area_min_m2", "area_max_m2"),
    "phone": ("phone",),
    "company": ("company",),
    "contact": ("contact_name",),
}
SKIPPABLE = frozenset({"area", "phone", "company", "contact"})
# Needs without a space to rent or buy: no area question.
NO_AREA_NEEDS = frozenset({NeedType.REGISTRATION.value, NeedType.INVESTMENT.value})

GREETING = "您好，欢迎关注！我是园区招商小助手，帮您对接厂房、土地、仓库和办公空间。"
ABOUT_US = (
    "这里是园区招商服务号：您说明需求（用途、面积、区域、税收等），我们为您匹配合适的厂房、"
    "土地、仓库和办公空间，并安排招商专员对接。"
)
OFFICE_HOURS = (
    "招商专员的上班时间是工作日 {hours}（周末和法定节假日休息，调休照常上班）。"
    "您随时留言，上班后会尽快联系您。"
)
WELCOME_BACK = "您好，欢迎回来！"
CHOICES_TEXT = "请问您需要哪一类？回复数字即可：\n" + "\n".join(
    f"{c.number} {c.label}" for c in CHOICES
)
EXAMPLE = (
    "也可以直接一句话说需求，比如：想租5000平厂房，电话13812345678\n"
    "You are welcome to write in English."
)
QUESTIONS = {
    "need": CHOICES_TEXT,
    "area": "大概需要多大面积？比如“5000平”或“3000-5000平”。",
    "area_land": "大概需要多少亩地？比如“30亩”。",
    "area_incubator": "需要几个工位，或者大概多大面积？比如“5个工位”或“100平”。",
    "phone": "方便留个手机号吗？招商专员会直接和您联系。",
    "company": "请问贵公司名称是？（不方便可回复“跳过”）",
    "contact": "怎么称呼您？比如“王先生”。",
}
NOT_UNDERSTOOD = "不好意思，这句我没看明白。"
BAD_PHONE = "这个号码好像不对，请发11位手机号，或带区号的座机（如0731-28881234）。"
VOICE_UNHEARD = "抱歉，语音我暂时听不清，麻烦打字告诉我～"
MEDIA_TEXT = {
    "image": "收到图片，已转给招商专员。",
    "video": "收到视频，已转给招商专员。",
    "link": "收到链接，已转给招商专员。",
    "location": "收到您的位置。",
}
OTHER_MESSAGE = "收到～目前我只能看懂文字，麻烦打字告诉我您的需求。"
ALL_SET = "信息已齐，招商专员会尽快联系您。还有补充直接发给我；需要人工请回复“人工”。"

# Questions, lost leads and the prospect's language (docs/wechat-bot.md).
HANDOVER_QUESTION = "这个问题我请招商专员来回答您。"
QUESTION_NEEDS_PHONE = "这个问题需要招商专员来回答您，留下需求和手机号，专员会联系您解答。"
LOST_CONFIRM = "明白了。确认不再需要了吗？回复“是”，我们就不再打扰；还有需要请直接告诉我。"
LOST_DONE = "好的，已记下，不再打扰您。祝一切顺利！以后有需要随时发消息给我。"
LOST_KEPT = "好的，我们继续。"
THANKS = "不客气～"
ALREADY_NOTED = "好的，这些都已记下。"
NO_PHONE = "好的，不留电话也没关系，招商专员可以在这里回复您。"
PHONE_LATER = "好的，您方便时发给我就行。"

EN = {
    "greeting": "Hello and welcome! I am the park's investment assistant: factories, land, "
    "warehouses and offices.",
    "welcome_back": "Welcome back!",
    "about_us": "This is the park's investment promotion account: tell us what you need (use, "
    "area, district, tax) and we match you with factories, land, warehouses and offices, and "
    "an investment officer follows up.",
    "office_hours": "Our investment officers work {hours} (China time) on working days, not "
    "on weekends or public holidays. Leave a message any time: we reply as soon as we are in.",
    "hello": "Hello!",
    "choices": "Which do you need? Reply with a number:\n1 rent a factory\n2 buy land\n"
    "3 warehouse\n4 office\n5 investment cooperation",
    "example": 'Or tell me in one sentence, e.g. "we need a 5,000 sqm factory to rent, phone '
    '+86 138 1234 5678".',
    "area": 'About how much space do you need? E.g. "5000 sqm" or "3000-5000 sqm".',
    "area_land": 'About how much land do you need? E.g. "30 mu" or "2 hectares".',
    "area_incubator": 'How many desks, or about how much space? E.g. "5 desks" or "100 sqm".',
    "phone": "Could you leave a phone number (with its country code if outside China)? An "
    "investment officer will call you.",
    "company": 'What is your company\'s name? (Reply "skip" if you prefer not to say.)',
    "contact": 'How should we address you? E.g. "Ms. Weber".',
    "not_understood": "Sorry, I did not understand that.",
    "bad_phone": "That number does not look right: please send a mobile or landline number, "
    "with its country code if it is outside mainland China.",
    "voice_unheard": "Sorry, I could not hear the voice message; please type it.",
    "other_message": "Got it. I can only read text for now; please tell me what you need.",
    "all_set": "We have everything we need; an investment officer will contact you soon. "
    'Send anything you want to add, or "agent" to talk to a person.',
    "ok": "OK.",
    "handover_question": "I will ask an investment officer to answer this.",
    "question_needs_phone": "An investment officer will answer that: leave your need and a "
    "phone number and they will get back to you.",
    "lost_confirm": 'Understood. Shall we close your enquiry? Reply "yes" and we will not '
    "bother you again; or just tell me what you still need.",
    "lost_done": "Done, we will not bother you again. All the best, and write to us any time.",
    "lost_kept": "Fine, let us go on.",
    "thanks": "You are welcome!",
    "already_noted": "Noted, we have that already.",
    "no_phone": "No problem: an investment officer can reply to you here instead.",
    "phone_later": "Sure, send it whenever it suits you.",
    "saved": "Your enquiry is registered as {ref}. An investment officer will contact you soon.",
    "joined": "Your enquiry {ref} is being followed up; we have added this to it.",
    "handover": "An investment officer{ref} will reply to you here shortly.",
    "question_passed": "Your question is with an investment officer{ref}, who will reply here.",
    "also": "One more thing: ",
    "noted": "Noted: ",
    "corrected": "Corrected: ",
    "image": "Thank you, the picture is passed on to an investment officer.",
    "video": "Thank you, the video is passed on to an investment officer.",
    "link": "Thank you, the link is passed on to an investment officer.",
    "location": "Thank you for your location.",
}
NEED_LABELS_EN = {
    "factory": "factory", "land": "land", "warehouse": "warehouse", "office": "office",
    "incubator": "incubator desks", "registration": "company registration",
    "investment": "investment cooperation", "other": "other",
}  # fmt: skip
DEAL_LABELS_EN = {"rent": "to rent", "buy": "to buy", "build_to_suit": "built to suit",
                  "any": "to rent or buy"}  # fmt: skip

NEED_LABELS = {
    NeedType.FACTORY.value: "厂房",
    NeedType.LAND.value: "土地",
    NeedType.WAREHOUSE.value: "仓库",
    NeedType.OFFICE.value: "办公",
    NeedType.INCUBATOR.value: "孵化器/工位",
    NeedType.REGISTRATION.value: "注册落户",
    NeedType.INVESTMENT.value: "投资合作",
    NeedType.OTHER.value: "其他",
}
DEAL_LABELS = {"rent": "租", "buy": "买", "build_to_suit": "代建", "any": "租售均可"}

_SKIP = re.compile(
    r"^(跳过|略过|不方便|暂不方便|不用了?|没有|保密|不想说|算了|不确定|还不确定|不清楚|不知道|"
    # 不方便说公司 / 公司暂时保密 / 先不透露: declining, with the thing named
    r"(?:暂时|先|还是)?(?:不方便|不便|不想|不愿意?)(?:说|透露|告诉|讲|留)?(?:公司|名字|姓名|名称)?(?:名字|名称)?了?|"
    r"(?:公司)?(?:名字|名称|姓名)?(?:就|暂时|先|还是)?(?:保密|不透露|不说了?|不讲了?|不留了?)|"
    # no firm to name: a private person, a firm not yet registered
    r"个人|个人名义|私人|暂无|无|没有公司|还没有公司|还没有?注册(?:公司)?|公司还没注册|还在注册|"
    r"individual|private|personal|privateperson|selfemployed|freelance|nocompany|notregisteredyet|"
    # "no preference" answers the question as well as a value would
    r"都行|都可以|多大都行|多大都可以|多少都行|不限|面积不限|无所谓|随便|看情况|没要求|没有要求|"
    r"skip|any|anysize|flexible|nopreference|doesntmatter|notsure|dontknow|idontknow|"
    r"(?:id)?prefernottosay|(?:id)?rathernotsay|confidential|na|none|notyet|nocomment)$"
)
# Declining to give a phone, anywhere in a message (on squashed text).
# "电话等会发你" / "I'll send my number later" (on squashed text).
_PHONE_LATER = re.compile(
    r"(?:等会|等一下|待会|稍后|晚点|回头|过会)儿?(?:再)?(?:发|给|告诉|留)|"
    r"(?:send|give|share)\w{0,20}later|later\w{0,12}(?:phone|number)"
)
_NO_PHONE = re.compile(
    r"不(?:方便|想|愿意|用|必)?留(?:电话|手机|号码|联系方式)|"
    r"(?:电话|手机号?|号码|联系方式)(?:就|先|暂时)?(?:不留|不给|不方便|保密)|"
    r"不(?:想|方便)?给(?:你们?)?(?:电话|手机|号码)|"
    r"(?:dont|donot|rathernot|prefernot|wontgive|notgiving|notsharing)\w{0,24}(?:phone|number|mobile)|"
    r"nophone"
)
# An acknowledgement or a "wait", not an answer: the question stands.
_ACK = re.compile(
    r"^(好|好的|好滴|好吧|嗯+|哦+|噢|喔|行|行的|收到|明白|明白了|知道了|了解|稍等|等一下|等下|"
    r"可以|可以的|没问题|我想想|我考虑一下|ok|okay|k|fine|alright|gotit|noted|waitaminute|oneminute|holdon)$"
)
_HANDOVER = re.compile(
    r"^(转|找|要|请|我要|我找|帮我转)?(人工|真人|客服|人工客服|人工服务|招商专员|专员)(服务)?(吧|呢|谢谢)?$"
)
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
# Both on squashed text (no spaces or punctuation).
_YES = re.compile(
    r"^(是|是的|对|对的|确认|确定|嗯|好的?|可以|没错|yes|y|yep|ok|okay|sure|confirm)$"
)
_THANKS = re.compile(
    r"^(好的|好|ok|okay|嗯|行)?(谢谢|谢谢你|谢谢您|谢了|多谢|感谢|thanks|thankyou|thx|okthanks)(啦|了|哈)?$"
)
# "What is this account?" (on squashed text).
_ABOUT_US = re.compile(
    r"^(请问|你好|您好)?(你们|这里|这个号|这个公众号|你们这个号)?(是)?(做什么|干什么|干嘛|做啥|是什么|是谁|什么机构|"
    r"什么单位|做什么的|干什么的|干嘛的)(的|呀|啊|呢)?$|^(你们是谁|你是谁|这是哪里|这是什么号|这是什么公众号)$|"
    r"^(hi|hello)?(whatisthis(account|page)?(about)?|whoareyou|whatdoyoudo|whatdoesthisaccountdo)$"
)
# Words that change a need rather than describe it ("不对，要的是写字楼", "actually an office").
# "哦写错了，是刘亭" / "sorry, typo: it's Lena Fischer": the name given just before, mended.
_NAME_MENDED = re.compile(
    r"^\s*(?:哦|噢|呃|啊|不好意思|抱歉|对不起)?[，,\s]*(?:名字)?(?:写错了|打错了|打错字了|说错了|错了)"
    r"[，,\s]*(?:应该)?是\s*(?P<zh>\S{2,4}?)\s*[。.!！]?\s*$"
    r"|^\s*(?:sorry|oops)[,!.\s]*(?:(?:a\s+)?typo[,:.!\s]*)?"
    r"(?:(?:it'?s|it is|i meant|should be|my name is|(?:my\s+)?full name(?: is)?:?)\s+)?"
    r"(?P<en>[A-Z][^\s,.!]*(?:\s+[A-Z][^\s,.!]*){0,2})\s*[.!]?\s*$",
    re.IGNORECASE,
)
_CHANGE_OF_MIND = re.compile(r"不对|不是|改|换|其实|还是|错|actually|instead|rather|sorry|change")
# "When are you open?" (on squashed text): the office's hours, from the settings.
_OFFICE_HOURS_QUESTION = re.compile(
    r"几点(上班|下班|开门|关门)|(上班|办公|工作|营业)时间|(周末|周六|周日|星期[六天日]|礼拜[六天日]|节假日|"
    r"假期|国庆|春节|晚上|中午)(也)?(上班|有人|办公|营业|休息|能联系|可以联系|能来|可以来|可以看)|"
    r"(office|opening|working|business)hours|(are|is)(you|someone|anyone)?(open|working|in|there)"
    r"(on|at|during)?(the)?(weekends?|saturdays?|sundays?|holidays?|evenings?)|"
    r"whattime(do|does)(you|theoffice)(open|close|start|finish)|whenareyouopen"
)
# ... asked, not told ("我们上班时间比较忙" is not a question).
_ASKING = re.compile(
    r"[?？]|吗|嘛|么|呢|几点|什么时候|什么时间|是多少|是什么|(?i:\b(what|when|are|is)\b)"
)
_PRESENCE = re.compile(
    r"^(您好|你好|hi|hello|hey)?(在吗|在嘛|在么|在不在|有人吗|有人在吗|有人没|anyoneThere|anybodyThere|"
    r"isanyonethere|areyouthere)$",
    re.IGNORECASE,
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_BARE_NUMBER = re.compile(r"^约?(\d+(?:\.\d+)?)\s*(平|平米|平方|平方米|㎡|亩)?(左右)?$")
_MANY_DIGITS = re.compile(r"\d{7,}")
_NAME_PREFIX = re.compile(r"^(我叫|我是|我姓|叫我|免贵姓|姓|联系人是?|联系人[:：]?)")
_COMPANY_PREFIX = re.compile(r"^(我们是|我们公司是|我们公司叫|公司是|公司叫|公司名称?是?[:：]?)")
_CN_CHOICE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_TRANSCRIPT_ITEMS = 30
_TRANSCRIPT_ITEM_CHARS = 500


# --- state and messages ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class State:
    """What the bot remembers (stored as JSON on WechatUser.conversation for 48 hours)."""

    draft: Mapping[str, Any] = field(default_factory=dict)
    asked: str | None = None  # the question key the last reply asked
    skipped: tuple[str, ...] = ()
    handover: bool = False
    # A question the bot could not answer went to an agent: the bot still collects the
    # enquiry, but says nothing to messages that bring no news (they are the agent's).
    question_open: bool = False
    lead_id: int | None = None
    scene: str | None = None
    transcript: tuple[str, ...] = ()  # the prospect's texts, for the lead's message
    lang: str = "zh"  # the prospect's language: "en" once they write English
    pending: str | None = None  # "lost": we asked to confirm the prospect no longer needs us
    lost_reason: str | None = None  # what they said, kept until they confirm

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> State:
        """Read stored state; anything unreadable starts a fresh conversation."""
        if not isinstance(data, Mapping):
            return cls()
        draft = data.get("draft")
        lead_id = data.get("lead_id")
        return cls(
            draft=dict(draft) if isinstance(draft, Mapping) else {},
            asked=data.get("asked") if data.get("asked") in QUESTION_ORDER else None,
            skipped=tuple(s for s in data.get("skipped") or () if s in SKIPPABLE),
            handover=bool(data.get("handover")),
            question_open=bool(data.get("question_open")),
            lead_id=lead_id if isinstance(lead_id, int) else None,
            scene=data.get("scene") if isinstance(data.get("scene"), str) else None,
            transcript=tuple(str(t) for t in data.get("transcript") or ())[-_TRANSCRIPT_ITEMS:],
            lang="en" if data.get("lang") == "en" else "zh",
            pending="lost" if data.get("pending") == "lost" else None,
            lost_reason=str(data["lost_reason"])[:200] if data.get("lost_reason") else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "draft": dict(self.draft),
            "asked": self.asked,
            "skipped": list(self.skipped),
            "handover": self.handover,
            "question_open": self.question_open,
            "lead_id": self.lead_id,
            "scene": self.scene,
            "transcript": list(self.transcript),
            "lang": self.lang,
            "pending": self.pending,
            "lost_reason": self.lost_reason,
        }


class Kind(enum.StrEnum):
    TEXT = "text"  # also a voice message WeChat transcribed (Recognition)
    VOICE = "voice"  # a voice message without a transcription
    MEDIA = "media"  # image, video, short video, file
    LOCATION = "location"
    LINK = "link"
    SUBSCRIBE = "subscribe"
    SCAN = "scan"
    CLICK = "click"
    UNSUBSCRIBE = "unsubscribe"
    OTHER_MESSAGE = "other_message"  # a message type we do not read
    OTHER_EVENT = "other_event"  # VIEW, TEMPLATESENDJOBFINISH, LOCATION reports, ...


@dataclass(frozen=True, slots=True)
class Incoming:
    kind: Kind
    text: str = ""  # text, transcription, location label or link title
    parsed: ParseResult | None = None  # parse_enquiry(text), for text and location
    key: str | None = None  # menu key (CLICK) or QR scene (subscribe, SCAN)
    media: str | None = None  # "image", "video", "link", "location": what to acknowledge
    detail: Mapping[str, Any] = field(default_factory=dict)  # recorded on the lead


class LeadAction(enum.StrEnum):
    NONE = "none"
    SAVE = "save"  # create the lead, or attach to the prospect's open one
    HANDOVER = "handover"  # save with what we have, and hand over to an agent
    LOST = "lost"  # the prospect confirmed they no longer need us: mark their lead lost


class Announce(enum.StrEnum):
    SAVED = "saved"
    HANDOVER = "handover"
    QUESTION = "question"  # a question passed to an agent; the bot carries on


@dataclass(frozen=True, slots=True)
class Reply:
    ack: str = ""  # what we understood, or a reaction
    announce: Announce | None = None  # a line with the lead's reference
    question: str | None = None  # at most one question per reply
    closing: str = ""
    privacy: bool = False  # a greeting: the consent notice goes last (docs/security.md)
    answer: str = ""  # the answer to the prospect's question, before our next question
    lang: str = "zh"


@dataclass(frozen=True, slots=True)
class LeadRef:
    reference: str
    created: bool  # False: the enquiry joined the prospect's open lead


@dataclass(frozen=True, slots=True)
class Turn:
    state: State
    reply: Reply | None  # None: answer nothing ("success")
    lead_action: LeadAction = LeadAction.NONE
    changes: Mapping[str, Any] = field(default_factory=dict)  # draft fields set or corrected
    record: Mapping[str, Any] | None = None  # message_in data for the lead, when there is one
    lost_reason: str | None = None  # with LeadAction.LOST


# --- the state machine --------------------------------------------------------------------------


def step(state: State, incoming: Incoming, knowledge: Knowledge | None = None) -> Turn:
    """Advance the conversation by one message; `knowledge` answers questions."""
    if incoming.kind is Kind.OTHER_EVENT:
        return Turn(state, None)
    if incoming.kind is Kind.UNSUBSCRIBE:
        return Turn(state, None, record={"event": "unsubscribe"})
    if state.handover:
        return _while_handed_over(state, incoming)

    if incoming.kind in (Kind.SUBSCRIBE, Kind.SCAN):
        return _greet(state, incoming)
    if incoming.kind is Kind.CLICK:
        return _click(state, incoming)
    if incoming.kind is Kind.TEXT:
        state = replace(state, lang=detect_language(incoming.text) or state.lang)
        if is_handover_request(incoming.text):
            return _hand_over(_remember(state, incoming.text), incoming)
        return _text(state, incoming, knowledge or Knowledge())
    lang = state.lang
    if incoming.kind is Kind.VOICE:
        ack = _t(lang, "voice_unheard", VOICE_UNHEARD)
        return _ask_next(state, {}, ack=ack, record={"type": "voice", **incoming.detail})
    if incoming.kind in (Kind.MEDIA, Kind.LINK, Kind.LOCATION):
        changes = {}
        if incoming.kind is Kind.LOCATION and incoming.parsed is not None:
            # Only the district of a location label is trusted; its numbers are not an enquiry.
            district = incoming.parsed.get("district")
            if district and district != state.draft.get("district"):
                changes["district"] = district
        media = incoming.media if incoming.media in MEDIA_TEXT else "image"
        ack = _t(lang, media, MEDIA_TEXT[media])
        if changes:
            ack = (
                f"Thank you for your location: {changes['district']}."
                if lang == "en"
                else f"收到您的位置：{changes['district']}。"
            )
        record = {"type": incoming.media or incoming.kind.value, **incoming.detail}
        return _ask_next(state, changes, ack=ack, record=record)
    ack = _t(lang, "other_message", OTHER_MESSAGE)
    return _ask_next(state, {}, ack=ack, record={"type": "other", **incoming.detail})


def _t(lang: str, key: str, chinese: str) -> str:
    """A reply text in the prospect's language."""
    return EN[key] if lang == "en" else chinese


def detect_language(text: str) -> str | None:
    """ "en" for a message in English, "zh" for one in Chinese, None when it says neither
    (digits, a phone number, "ok"): the conversation keeps its language then."""
    if _CJK.search(text):
        return "zh"
    if len(_LATIN_WORD.findall(text)) >= 2 or re.fullmatch(r"\s*[A-Za-z]{3,}\W*", text):
        return "en"
    return None


def _greet(state: State, incoming: Incoming) -> Turn:
    scene = incoming.key or state.scene
    state = replace(state, scene=scene)
    record = {"event": incoming.kind.value, "scene": incoming.key} if incoming.key else None
    lang = state.lang
    if not state.draft.get("need_type"):
        if incoming.kind is Kind.SUBSCRIBE:
            intro = _t(lang, "greeting", GREETING)
        else:
            intro = _t(lang, "welcome_back", WELCOME_BACK)
        return Turn(
            replace(state, asked="need"),
            Reply(
                ack=intro,
                question=_t(lang, "choices", CHOICES_TEXT),
                closing=_t(lang, "example", EXAMPLE),
                lang=lang,
                privacy=True,
            ),
            record=record,
        )
    return _ask_next(state, {}, ack=_t(lang, "welcome_back", WELCOME_BACK), record=record)


def _click(state: State, incoming: Incoming) -> Turn:
    key = (incoming.key or "").strip()
    if key == MENU_HANDOVER:
        return _hand_over(state, incoming)
    if key in MENU_NEEDS:
        need, deal = MENU_NEEDS[key]
        changes: dict[str, Any] = {"need_type": need.value}
        if deal is not None:
            changes["deal"] = deal.value
        return _ask_next(state, _diff(state.draft, changes), record={"event": "click", "key": key})
    # START or a key this version does not know: offer the choices again.
    lang = state.lang
    return Turn(
        replace(state, asked="need"),
        Reply(
            ack=_t(lang, "greeting", GREETING),
            question=_t(lang, "choices", CHOICES_TEXT),
            lang=lang,
        ),
    )


def _text(state: State, incoming: Incoming, knowledge: Knowledge) -> Turn:
    text = incoming.text.strip()
    state = _remember(state, text)
    record: dict[str, Any] = {"text": text}
    asked = state.asked
    lang = state.lang
    squashed = _squash(text)

    if state.pending == "lost":
        state = replace(state, pending=None)
        if _YES.match(squashed):
            reason = state.lost_reason or text
            return Turn(
                replace(state, lost_reason=None, asked=None),
                Reply(ack=_t(lang, "lost_done", LOST_DONE), lang=lang),
                lead_action=LeadAction.LOST,
                record=record,
                lost_reason=reason,
            )
        state = replace(state, lost_reason=None)
    if _ABOUT_US.search(squashed) and not (incoming.parsed and incoming.parsed.fields):
        # "你们是做什么的？": the bot knows that one.
        return _ask_next(state, {}, ack=_t(lang, "about_us", ABOUT_US), record=record)
    if (
        _OFFICE_HOURS_QUESTION.search(squashed)
        and _ASKING.search(text)
        and not (incoming.parsed and incoming.parsed.fields)
        and knowledge.match(text) is None  # an admin's own answer comes first
    ):
        # "周末上班吗？": the office's hours, from the settings.
        hours = ("、" if lang == "zh" else ", ").join(
            f"{start}-{end}" for start, end in knowledge.office_hours
        )
        ack = _t(lang, "office_hours", OFFICE_HOURS).format(hours=hours)
        return _ask_next(state, {}, ack=ack, record=record)
    # "在吗？" asks whether anyone is there, not a question for an agent: a greeting.
    # Nor is "any size" after the area question: it answers it.
    answers_skip = asked in SKIPPABLE and _SKIP.match(squashed) is not None
    topic = None if _PRESENCE.match(squashed) or answers_skip else question_topic(text)
    if topic == "lost":
        return Turn(
            replace(state, pending="lost", lost_reason=text[:200]),
            Reply(ack=_t(lang, "lost_confirm", LOST_CONFIRM), lang=lang),
            record=record,
        )

    proposed = from_parse(state.draft, incoming.parsed)
    # The menu's numbers are a need when we asked for one, and as a new prospect's first
    # message (the account's greeting lists them; a conversation that expired forgot it).
    fresh = asked is None and not state.draft and state.lead_id is None
    if (asked == "need" or fresh) and "need_type" not in proposed:
        choice = match_choice(text)
        if choice is not None:
            proposed["need_type"] = choice.need_type.value
            if choice.deal is not None and not state.draft.get("deal"):
                proposed["deal"] = choice.deal.value

    if topic == "availability" and not any(
        proposed.get(name) for name in ("need_type", "area_min_m2", "area_max_m2")
    ):
        topic = "other"  # "is there a canteen?": not a question about space to rent or buy
    asks = topic is not None
    answer = None
    if asks or not proposed:
        answer = knowledge.answer(text, lang, {**state.draft, **proposed}, topic=topic)
    if answer is not None:
        changes = _diff(state.draft, proposed)
        return _ask_next(state, changes, record=record, answer=answer[1])
    if asks and not _diff(state.draft, proposed):
        # A question nothing here answers (and nothing new besides, "what is the rent per
        # month?" after "lease"): an agent answers it (docs/wechat-bot.md).
        if state.question_open:
            return _for_agent(state, record)
        return _ask_agent(state, record)

    if not proposed and (_THANKS.match(squashed) or _ACK.match(squashed)):
        if state.question_open:
            return _for_agent(state, record)  # most likely said to the agent
        if _THANKS.match(squashed):
            return _ask_next(state, {}, ack=_t(lang, "thanks", THANKS), record=record)
        return _ask_next(state, {}, ack=_t(lang, "ok", "好的。"), record=record)

    if not proposed and asked in SKIPPABLE and _SKIP.match(squashed):
        state = replace(state, skipped=(*state.skipped, asked))
        return _ask_next(state, {}, ack=_t(lang, "ok", "好的。"), record=record)

    if (
        not state.draft.get("phone")
        and "phone" not in proposed
        and "phone" not in state.skipped
        and _NO_PHONE.search(squashed)
    ):
        # "不留电话了，有合适的发我": the enquiry goes on without one; an agent replies here.
        state = replace(state, skipped=(*state.skipped, "phone"))
        if not proposed:
            return _ask_next(state, {}, ack=_t(lang, "no_phone", NO_PHONE), record=record)

    if not proposed and asked == "phone" and _PHONE_LATER.search(squashed):
        # "电话等会发你": nothing to note yet, and nothing misunderstood either.
        return _ask_next(state, {}, ack=_t(lang, "phone_later", PHONE_LATER), record=record)

    if asked == "company" and proposed and proposed.keys() <= {"industry"}:
        # "株洲华锐机械" answering the company question: a firm's name that holds its trade,
        # not a sentence about what the firm does (做机械的) or a correction (改成…).
        named = None if _SAYS_SOMETHING.search(text) else _bare_answer(asked, text, state.draft)
        if named and "company" in named:
            proposed.update(named)

    if (
        not state.draft.get("contact_name")
        and "contact_name" not in proposed
        and proposed.keys() <= {"company", "industry"}
    ):
        # "Ravi Menon, founder of Lumisight Labs", "Brightway Logistics Ltd — Tom Reilly"
        signed = _signature(text, str(proposed.get("company") or ""))
        if signed:
            proposed["contact_name"] = signed["contact_name"]
            if "company" in signed and not state.draft.get("company"):
                proposed.setdefault("company", signed["company"])
    if not proposed and state.draft.get("contact_name"):
        mended = _NAME_MENDED.match(text)
        name = mended and (mended.group("zh") or mended.group("en"))
        if not name and _ABOUT_A_PERSON.search(text):
            # "哦不好意思，联系人写我们负责人吧，罗晓峰": another contact, named at the end
            name = _CLAUSES.split(text.strip(" 。.!！"))[-1].strip()
        if name and (standalone_name(name) or standalone_latin_name(name)):
            proposed["contact_name"] = name
    if not proposed and asked is not None:
        answer_fields = _bare_answer(asked, text, state.draft)
        if answer_fields is None and asked == "phone" and _MANY_DIGITS.search(squashed):
            # The message is itself the question again: one question per reply.
            return Turn(
                state, Reply(ack=_t(lang, "bad_phone", BAD_PHONE), lang=lang), record=record
            )
        proposed.update(answer_fields or {})
    if (
        {**state.draft, **proposed}.get("need_type") == NeedType.INCUBATOR.value
        and not (proposed.keys() & {"area_min_m2", "area_max_m2"})
        and (seats := _seats(squashed))
    ):
        proposed["seats"] = seats  # "5个工位" / "10 desks": how big an incubator need is
    elif asked == "area" and not (proposed.keys() & {"area_min_m2", "area_max_m2"}):
        proposed.update(_area_without_unit(text, {**state.draft, **proposed}))
    elif (
        (state.draft.get("area_min_m2") or state.draft.get("area_max_m2"))
        and not (proposed.keys() & {"area_min_m2", "area_max_m2"})
        and _CHANGE_OF_MIND.search(squashed)
    ):
        proposed.update(_area_corrected(text, {**state.draft, **proposed}))
    if (proposed.get("eia_required") or state.draft.get("eia_required")) and not state.draft.get(
        "eia_category"
    ):
        industry = str({**state.draft, **proposed}.get("industry") or "")
        category = eia_category(text) or eia_category(industry)  # 化工项目 … 需要环评
        if category:
            proposed["eia_category"] = category
    if not state.draft.get("contact_name") and "contact_name" not in proposed:
        proposed.update(_name_beside(text, proposed))
    elif len(str(proposed.get("contact_name") or "")) == 1:
        # "我姓王 王小明": the surname, then the whole name.
        whole = [w for w in _PARTS.split(text) if w.startswith(proposed["contact_name"])]
        if len(whole) == 1 and standalone_name(whole[0]):
            proposed["contact_name"] = whole[0]

    if (
        state.lead_id is not None
        and proposed.get("need_type")
        and state.draft.get("need_type") not in (None, proposed["need_type"])
        and _ANOTHER_NEED.search(squashed)
    ):
        # "另外我们还需要一个仓库，1000平": a second need beside the first, not a correction.
        # The lead keeps its need; the new one goes to the agent on the record.
        other = {k: proposed.pop(k) for k in _NEED_KEYS if k in proposed}
        summary = ("; " if lang == "en" else "，").join(describe(other, lang=lang))
        record = {**record, "another_need": other}
        if not _diff(state.draft, proposed):
            ack = (
                f"Noted: you also need {summary}; an investment officer will follow it up."
                if lang == "en"
                else f"好的，您另外需要的{summary}已补充给招商专员。"
            )
            return _ask_next(state, {}, ack=ack, record=record)

    if (
        state.draft.get("need_type") == NeedType.INCUBATOR.value
        and proposed.get("need_type") == NeedType.OFFICE.value
        and not _CHANGE_OF_MIND.search(squashed)
    ):
        # "六十平左右的独立办公间": an office room is what an incubator lets; still that need.
        del proposed["need_type"]
    changes = _diff(state.draft, proposed)
    if not changes and state.question_open:
        return _for_agent(state, record)  # no news for the bot: the agent reads it
    if not changes and proposed:
        # Said again what we already have: no news, but nothing misunderstood either.
        return _ask_next(state, {}, ack=_t(lang, "already_noted", ALREADY_NOTED), record=record)
    if not changes:
        if not state.draft and state.lead_id is None:
            return Turn(
                replace(state, asked="need"),
                Reply(
                    ack=_t(lang, "hello", "您好！"),
                    question=_t(lang, "choices", CHOICES_TEXT),
                    closing=_t(lang, "example", EXAMPLE),
                    lang=lang,
                ),
                record=record,
            )
        return _ask_next(state, {}, ack=_t(lang, "not_understood", NOT_UNDERSTOOD), record=record)
    return _ask_next(state, changes, record=record)


def _hand_over(state: State, incoming: Incoming, *, ack: str = "") -> Turn:
    # "转人工，电话13812345678": what else the message says still goes to the agent.
    changes = _diff(state.draft, from_parse(state.draft, incoming.parsed))
    record = {"handover": True, "text": incoming.text or None, "key": incoming.key}
    return Turn(
        replace(state, draft={**state.draft, **changes}, handover=True, asked=None),
        Reply(ack=ack, announce=Announce.HANDOVER, lang=state.lang),
        lead_action=LeadAction.HANDOVER,
        changes=changes,
        record={k: v for k, v in record.items() if v is not None},
    )


def _ask_agent(state: State, record: Mapping[str, Any]) -> Turn:
    """A question nothing answers: saved with what we have for an agent to answer, and the
    bot goes on asking what the enquiry still lacks (the agent answers the question).

    Before a lead exists and without a phone, nothing is saved (a lead is need + phone, spec
    §6): the prospect is told an agent answers once they leave a phone, and the question
    stays in the conversation's transcript, which the lead records when it is saved."""
    lang = state.lang
    if state.lead_id is None and not state.draft.get("phone"):
        return _ask_next(
            state,
            {},
            ack=_t(lang, "question_needs_phone", QUESTION_NEEDS_PHONE),
            record={**record, "question": True},
        )
    turn = _ask_next(
        replace(state, question_open=True),
        {},
        ack=_t(lang, "handover_question", HANDOVER_QUESTION),
        record={**record, "handover": True, "question": True},
    )
    assert turn.reply is not None
    return replace(
        turn,
        reply=replace(turn.reply, announce=Announce.QUESTION, closing=""),
        lead_action=LeadAction.HANDOVER if state.lead_id is None else LeadAction.NONE,
    )


def _for_agent(state: State, record: Mapping[str, Any]) -> Turn:
    """Said nothing the bot reads while an agent owes an answer: recorded, no reply."""
    return Turn(state, None, record=record)


def _while_handed_over(state: State, incoming: Incoming) -> Turn:
    """The agent has the conversation: record everything, fill the lead silently, say nothing."""
    changes: dict[str, Any] = {}
    if incoming.kind is Kind.TEXT:
        state = _remember(state, incoming.text)
        changes = _diff(state.draft, from_parse(state.draft, incoming.parsed))
    if incoming.kind in (Kind.SUBSCRIBE, Kind.SCAN) and incoming.key:
        state = replace(state, scene=incoming.key)
    state = replace(state, draft={**state.draft, **changes})
    record: dict[str, Any] = {"type": incoming.kind.value, **incoming.detail}
    if incoming.text:
        record["text"] = incoming.text
    if incoming.key:
        record["key"] = incoming.key
    return Turn(state, None, changes=changes, record=record)


def _ask_next(
    state: State,
    changes: Mapping[str, Any],
    *,
    ack: str | None = None,
    record: Mapping[str, Any] | None = None,
    answer: str = "",
) -> Turn:
    """Apply `changes`, decide whether the lead is ready, and ask the next question."""
    before = state.draft
    draft = {**before, **changes}
    state = replace(state, draft=draft)
    lang = state.lang
    question_key = next_question(draft, state.skipped)
    ready = bool(draft.get("need_type")) and (
        bool(draft.get("phone")) or ("phone" in state.skipped and question_key is None)
    )
    action = LeadAction.SAVE if ready and state.lead_id is None else LeadAction.NONE
    closing = ""
    if question_key is None and action is LeadAction.NONE and state.lead_id is not None:
        closing = "" if answer else _t(lang, "all_set", ALL_SET)
    reply = Reply(
        ack=acknowledge(before, changes, lang) if ack is None else ack,
        announce=Announce.SAVED if action is LeadAction.SAVE else None,
        question=question_text(question_key, draft, lang),
        closing=closing,
        answer=answer,
        lang=lang,
    )
    return Turn(
        replace(state, asked=question_key),
        reply,
        lead_action=action,
        changes=dict(changes),
        record=record,
    )


def next_question(draft: Mapping[str, Any], skipped: tuple[str, ...] = ()) -> str | None:
    """The most important thing still missing (QUESTION_ORDER), or None."""
    for key in QUESTION_ORDER:
        if key in skipped:
            continue
        if key == "area" and draft.get("need_type") in NO_AREA_NEEDS:
            continue
        if key == "area" and draft.get("seats"):
            continue  # "5个工位": an incubator's size is its desks
        if not any(draft.get(name) for name in QUESTION_FIELDS[key]):
            return key
    return None


def question_text(key: str | None, draft: Mapping[str, Any], lang: str = "zh") -> str | None:
    if key is None:
        return None
    if key == "area" and draft.get("need_type") == NeedType.LAND.value:
        key = "area_land"
    elif key == "area" and draft.get("need_type") == NeedType.INCUBATOR.value:
        key = "area_incubator"
    if key == "need":
        return _t(lang, "choices", CHOICES_TEXT)
    return _t(lang, key, QUESTIONS[key])


# --- reading answers ----------------------------------------------------------------------------


def is_handover_request(text: str) -> bool:
    """ "人工", "转人工", "人工客服", "找专员" ... as the whole message, or "转人工" anywhere."""
    squashed = _squash(text)
    return bool(_HANDOVER.match(squashed)) or "转人工" in squashed


def match_choice(text: str) -> Choice | None:
    """A numbered choice: "1", "１", "选2", "第三个", or its words ("买地")."""
    squashed = _squash(text)
    digits = re.fullmatch(r"(?:选|第)?([1-5一二三四五])(?:个|项|号)?", squashed)
    if digits:
        raw = digits.group(1)
        number = int(raw) if raw.isdigit() else _CN_CHOICE_DIGITS[raw]
        return CHOICES[number - 1]
    for choice in CHOICES:
        if squashed in choice.words or squashed == choice.label:
            return choice
    return None


def _squash(text: str) -> str:
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text)).lower()


def from_parse(draft: Mapping[str, Any], parsed: ParseResult | None) -> dict[str, Any]:
    """The parser's fields as draft values; newer values win (that is what makes corrections)."""
    if parsed is None:
        return {}
    values: dict[str, Any] = {}
    for name, item in parsed.fields.items():
        values[name] = _plain(item.value)
    area_source = {
        parsed.fields[n].source for n in ("area_min_m2", "area_max_m2") if n in parsed.fields
    }
    if area_source:
        # An area replaces the old one as a whole: "不对,是8000平" must not keep a range's max.
        values.setdefault("area_min_m2", None)
        values.setdefault("area_max_m2", None)
    currency = values.pop("investment_currency", None)
    if currency and "investment_wan" in values:
        # The lead's amounts are 万元 RMB: a foreign amount stays as said, on the record only
        # (docs/parser.md, money).
        values["investment_foreign"] = f"{currency} {_number(values.pop('investment_wan'))}万"
    for name in parsed.inferred:
        # A default or a guess (land bought unless 租 is said, land from 亩, 投资 said about a
        # project) never replaces what the prospect stated (docs/parser.md, conversations).
        if name in values and draft.get(name) not in (None, ""):
            del values[name]
    return values


# A second need said beside the first (on squashed text).
_ANOTHER_NEED = re.compile(
    r"另外|此外|还需要|还要|还想|也需要|也要|也想|同时|再要|再租|再买|再找|"
    r"also|additionally|aswell|another"
)
_NEED_KEYS = ("need_type", "deal", "area_min_m2", "area_max_m2")
_EN_INTRO = re.compile(r"(?:it'?s|it is|i'?m|i am|this is|my name is|name\s*:?|call me)\s+", re.I)
# Words of a sentence, which a bare name does not hold.
_SAYS_SOMETHING = re.compile(r"我|做|是|想|要|需|的|在|从事|生产|主营|改|换|错|更正|\s\S+\s")
# What a company's or a person's name never holds: particles that end a spoken sentence,
# pronouns and question words.
_NOT_A_NAME = re.compile(r"[吗呢吧嘛啊呀哈?？]\W*$|这个|那个|什么|怎么|为什么|哪个|你们|不是|没有")


# Desks or people at an incubator (on squashed text): "5个工位", "十来个人", "8 desks".
_SEATS = re.compile(
    r"(?P<n>[0-9]{1,4}|[一二两三四五六七八九十几百]{1,4})(?:个|张|来个|多个|名)?"
    r"(?:工位|座位|卡位|办公位|位子|人|员工|desks?|seats?|workstations?|people|persons|staff)"
)


def _seats(squashed: str) -> int | None:
    match = _SEATS.search(squashed)
    if match is None:
        return None
    number = match.group("n")
    if number.isdigit():
        seats = int(number)
    else:
        read = parse_number(number)
        seats = int(read[1]) if read else 0
    return seats if 0 < seats <= 5000 else None


def _bare_answer(asked: str, text: str, draft: Mapping[str, Any]) -> dict[str, Any] | None:
    """Read a short answer to the question we asked that the parser alone would not take."""
    squashed = unicodedata.normalize("NFKC", text).strip()
    if asked == "area":
        match = _BARE_NUMBER.match(squashed.replace(",", ""))
        if not match:
            return None
        value = Decimal(match.group(1))
        unit = match.group(2)
        if unit == "亩" or (unit is None and draft.get("need_type") == NeedType.LAND.value):
            value *= M2_PER_MU
        if value <= 0:
            return None
        area = _plain(value)
        return {"area_min_m2": area, "area_max_m2": area}
    if _NOT_A_NAME.search(squashed):
        return None  # talk (啊这个嘛, 你们是哪个园区), not a name
    intro = _EN_INTRO.match(squashed)
    if intro and asked in ("company", "contact") and not draft.get("contact_name"):
        # "It's Karen" / "I'm Tom Baker": a person introducing themselves, whatever was asked.
        name = squashed[intro.end() :].strip(" .!,")
        if standalone_latin_name(name) or re.fullmatch(r"[A-Z][a-z]{1,20}", name):
            return {"contact_name": name}
    if asked == "company" and _ABOUT_A_PERSON.search(squashed):
        return None  # "联系人写刘佳": the person, said as such, not the firm
    if asked == "company":
        name = _COMPANY_PREFIX.sub("", squashed).strip(" 。.,，!！")
        if (standalone_name(name) or standalone_latin_name(name)) and not draft.get("contact_name"):
            return {"contact_name": name}  # 王建国 / Anna Kowalski: the person, not the firm
        if 2 <= len(name) <= 50 and not _MANY_DIGITS.search(name):
            return {"company": name}
    if asked == "contact":
        name = _NAME_PREFIX.sub("", squashed).strip(" 。.,，!！")
        said = _name_among_words(name)
        if said:
            return {"contact_name": said}
        last = _CLAUSES.split(name)[-1].strip()
        if last != name and (standalone_name(last) or standalone_latin_name(last)):
            return {
                "contact_name": last
            }  # "哦不好意思，写我们负责人吧，罗晓峰": the name at the end
        if 1 <= len(name) <= 20 and not re.search(r"\d", name) and not _CLAUSES.search(name):
            return {"contact_name": name}
    return None


# The kinds of work an environmental assessment (环评) is granted for, as listings record them
# (eia_categories), and the words prospects use for them.
_EIA_CATEGORIES = (
    ("电镀", "电镀"), ("喷涂", "喷涂"), ("喷漆", "喷涂"), ("涂装", "喷涂"), ("化工", "化工"),
    ("酸洗", "酸洗"), ("磷化", "磷化"), ("铸造", "铸造"), ("印染", "印染"), ("制药", "制药"),
    ("冶炼", "冶炼"), ("electroplating", "电镀"), ("plating", "电镀"), ("spray painting", "喷涂"),
    ("painting", "喷涂"), ("coating", "喷涂"), ("chemical", "化工"), ("casting", "铸造"),
    ("foundry", "铸造"), ("pharmaceutical", "制药"),
)  # fmt: skip


def eia_category(text: str) -> str | None:
    """The kind of work a prospect who needs an environmental assessment names (我们有喷涂工序,
    "electroplating line"), in the words listings record it (喷涂, 电镀, 化工, …)."""
    folded = text.lower()
    return next((category for word, category in _EIA_CATEGORIES if word in folded), None)


_PARTS = re.compile(r"[\s,，、;；/]+")
# Around a name given as the answer to the contact question: greetings, thanks, a role.
_COURTESY = re.compile(r"您好|你好|谢谢(?:你|您)?|好的|嗯+|就我|是我|我|hi|hello|thanks")
_LATIN_WORD = re.compile(r"[A-Za-z]{2}")
_EN_COURTESY = re.compile(r"(?:many )?thanks(?: a lot)?|thank you|cheers|regards|best|hi|hello|ok")
_EN_ROLE_BEFORE = re.compile(
    r"^(?:(?:general|purchasing|sales|project|operations|plant|hr|finance|marketing|"
    r"business development)\s+)?(?:manager|director|officer|engineer|assistant|ceo|cfo|coo|"
    r"president|owner|founder|head)\s+(?:is\s+)?",
    re.IGNORECASE,
)
_ROLE_AROUND = re.compile(rf"^(?:{'|'.join(ROLES)})|(?:{'|'.join(ROLES_AFTER_NAME)})$")


def _name_among_words(answer: str) -> str | None:
    """The full name in an answer that says a little more: 黄志强，谢谢 / 您好，黄志强 /
    总经理黄志强 / 黄志强（总经理） / 黄 志强. None when no single full name stands out."""
    text = re.sub(r"[(（][^)）]*[)）]", " ", answer)
    if _LATIN_WORD.search(text):
        # "Anna, thanks" / "Anna Schmidt (Purchasing)" / "Purchasing manager Anna Schmidt"
        pieces = [_EN_ROLE_BEFORE.sub("", p).strip(" .!") for p in re.split(r"[,;，；]+", text)]
        pieces = [p for p in pieces if p and not _EN_COURTESY.fullmatch(p.lower())]
        if len(pieces) == 1 and pieces[0] != answer.strip():
            name = pieces[0]
            if standalone_latin_name(name) or re.fullmatch(r"[A-Z][a-z]{1,20}", name):
                return name
        return None
    parts = []
    for part in _PARTS.split(text):
        part = part.strip(" 。.!！~")
        if part and not _COURTESY.fullmatch(part.lower()):
            bare = _ROLE_AROUND.sub("", part)
            if bare:  # a role alone (黄志强 总经理) is no part of the name
                parts.append(bare if standalone_name(bare) else part)
    if len(parts) == 2 and len(parts[0]) == 1 and len(parts[1]) <= 2:
        parts = [parts[0] + parts[1]]  # 黄 志强: the surname, a space, the given name
    if len(parts) == 1 and parts[0] != answer and standalone_name(parts[0]):
        return parts[0]
    return None


# A numeral (or a range of two) said without its unit: 两千左右, 一千五, 3000到4000.
_NUMERAL = r"[0-9零〇一二两三四五六七八九十百千万.点]+"
_UNITLESS = re.compile(
    rf"{_NUMERAL}(?:\s*(?:到|至|-|~|～|—|to)\s*{_NUMERAL})?(?![0-9个家间年月号层米元块次天])"
)


_A_DIGIT = re.compile(r"[0-9零〇一二两三四五六七八九十百千万]")
_THOUSANDS = re.compile(r"(\d),(\d{3})(?!\d)")
# Ten digits or more, spaced or not, or a mobile: a phone number, whose groups are no figures.
# (A range of figures, 3000-5000, is none.)
_PHONE_LIKE = re.compile(r"\+?\d(?:[\s()]*\d){9,}|1[3-9]\d(?:[\s\-]*\d){8}")
# The figure taken back in a correction: "不是五千", "not 800", "not 'or more'".
_AREA_TAKEN_BACK = re.compile(
    r"(?:不是|不要|并非|not|instead\s+of|rather\s+than)\s*['\"‘’“”]?\s*"
    r"(?:[0-9一二两三四五六七八九十百千万,.]+\s*(?:平方米|平米|平方|平|㎡|亩|sqm|sq\s?m|m2|mu)?|or\s+more)"
    r"['\"‘’“”]?",
    re.IGNORECASE,
)


def _area_corrected(text: str, draft: Mapping[str, Any]) -> dict[str, Any]:
    """ "sorry, I meant 8,000, not 800" / "不是五千是六千" after an area: the new figure, in the
    unit the area was asked in."""
    return _area_without_unit(_AREA_TAKEN_BACK.sub(" ", text), draft)


def _area_without_unit(text: str, draft: Mapping[str, Any]) -> dict[str, Any]:
    """The area in an answer to the area question that says no unit (两千左右, 租一个一千五的):
    the last numeral that counts nothing else, read as ㎡ (亩 for land) by the parser."""
    unit = "亩" if draft.get("need_type") == NeedType.LAND.value else "平"
    text = _PHONE_LIKE.sub(" ", text)  # "ok thanks. 138 8052 2620": no group of it is an area
    text = _THOUSANDS.sub(r"\1\2", text)  # 20,000
    found = [
        m for m in _UNITLESS.finditer(text)
        if not _MANY_DIGITS.search(m.group())
        and m.group() not in ("一", "两", "二")
        and _A_DIGIT.search(m.group())
    ]  # fmt: skip
    if not found:
        return {}
    last = found[-1]
    parsed = parse_enquiry(text[: last.end()] + unit + text[last.end() :]).as_dict()
    area = {k: v for k, v in parsed.items() if k in ("area_min_m2", "area_max_m2") and v}
    return {k: _plain(Decimal(str(v))) for k, v in area.items()}


_ABOUT_A_PERSON = re.compile(r"联系人|姓名|称呼|我叫|叫我|负责人")
_CLAUSES = re.compile(r"[,，;；。!！?？]")
_LEGAL_FORM_END = re.compile(r"\b(?:Lda|Ltda|Ltd|Inc|Co|Corp|Pvt|Pte|Bhd|Srl|S\.A|B\.V|N\.V)\.\Z")
# A signature's parts: a name, a role, a firm ("Helen Ma, Partner, Greywater Capital",
# "Wei Zhang from Bluepeak Software Co., Ltd.", "Stefan Bauer / Bauer Hydraulik GmbH").
_SIGNATURE_SEP = re.compile(
    r"\s*(?:[,，](?!\s*(?:Ltd|Inc|LLC|Limited|Pvt|Pte|Co)\b)|[;；/|—–]|\s-\s|"
    r"\b(?:from|of|at|with)\b)\s*"
)
_SIGNATURE_LEAD = re.compile(
    r"^(?:thx|thanks|thank you|cheers|ok|okay|sure|regards|best regards|kind regards|best|"
    r"full name|name|i'm|i am|this is|my name is|it's|我是|我叫|叫我|本人)(?![a-z])[!.,:：\s]*",
    re.IGNORECASE,
)
_ROLE_WORDS = re.compile(
    r"\b(?:ceo|cfo|coo|cto|gm|vp|svp|evp|president|founder|co-founder|owner|partner|chairman|"
    r"chairwoman|director|manager|head|engineer|officer|buyer|assistant|secretary|consultant|"
    r"representative|projects?|operations|sales|purchasing|procurement|investment|md)\b",
    re.IGNORECASE,
)


def _signature(text: str, firm_found: str) -> dict[str, str]:
    """A message that only signs: a Latin full name, maybe a role, maybe the firm. Empty
    when anything else is said, so a sentence is never read as one."""
    text = text.strip()
    if "\n" in text or len(text) > 120 or _MANY_DIGITS.search(text) or not _LATIN_WORD.search(text):
        return {}
    name = firm = None
    firm_found = firm_found.rstrip(".")
    for part in _SIGNATURE_SEP.split(_SIGNATURE_LEAD.sub("", text)):
        part = _SIGNATURE_LEAD.sub("", part.strip(" !。！")).strip()
        if part.endswith(".") and not _LEGAL_FORM_END.search(part):
            part = part[:-1]  # the full stop, not an abbreviation's (Porto Tiles Lda.)
        if not part or (firm_found and (part.rstrip(".") in firm_found or firm_found in part)):
            continue
        if name is None and standalone_latin_name(part):
            name = part
        elif _ROLE_WORDS.search(part):
            continue
        elif firm is None and not firm_found and part[0].isupper() and len(part) >= 3:
            firm = part
        else:
            return {}  # something else is said: not a signature
    if name is None:
        return {}
    return {"contact_name": name, **({"company": firm} if firm else {})}


def _name_beside(text: str, proposed: Mapping[str, Any]) -> dict[str, Any]:
    """A contact the parser leaves alone because nothing marks it as one: a message that is
    only a full name (王建国, whatever we asked), a name beside the phone (王建国13812345678,
    Hans Mueller +49 …, 嗯 我叫那个 周 周建华 电话是…) or beside the company the parser found
    (赵敏 湖南顺达物流有限公司). A two-character word alone is too often something else (方便,
    石峰) to be taken unasked: that needs the contact question (`_bare_answer`)."""
    parts = [p.strip(" 。.!！") for p in _PARTS.split(unicodedata.normalize("NFKC", text))]
    parts = [p for p in parts if p]
    company = str(proposed.get("company") or "")
    if proposed.get("phone"):
        bare = text.replace(company, " ") if company else text
        name = _name_left_beside_phone(bare)
        if name is None and _CLAUSE_BREAK.search(bare):
            # "求租仓库，1万平，王建华 15123742436": the name in the phone's own clause
            clause = next((c for c in _CLAUSE_BREAK.split(bare) if _MANY_DIGITS.search(c)), "")
            name = _name_left_beside_phone(clause) if clause else None
        if name:
            return {"contact_name": name}
    if company:
        rest = [p for p in parts if p not in company]
        if len(rest) == 1 and len(rest) < len(parts) and standalone_name(rest[0]):
            return {"contact_name": rest[0]}
        # "Lee Min-ho, Hanbit Electronics"
        others = [
            p.strip(" .")
            for p in re.split(r"[,;，；]+", text.replace(company, ";"))
            if p.strip(" .")
        ]
        if len(others) == 1 and standalone_latin_name(others[0]):
            return {"contact_name": others[0]}
        return {}
    if not proposed and len(parts) == 1 and len(parts[0]) >= 3 and standalone_name(parts[0]):
        return {"contact_name": parts[0]}
    return {}


_CLAUSE_BREAK = re.compile(r"[，,；;。！!？?\n]")
# What a message that gives a phone says around it besides a name: the digits (spoken too),
# the words that introduce the name or the number, fillers.
_BESIDE_PHONE = re.compile(
    r"[+(]?\d[\d\s()\-]{5,}\d|[幺一二三四五六七八九零〇两\s]{7,}|"
    r"我叫|我是|叫我|我姓|免贵姓|联系人|姓名|称呼|电话号?码?是?|手机号?码?是?|联系方式是?|号码是?|"
    r"嗯+|那个|就是|呃|啊|吧|"
    # English words whole, never inside a name (Chris Davis, Marcella Telford).
    r"\b(?:my name'?s|my name is|name|i'm|i am|this is|phone|mobile|tel|cell|call me(?: on| at)?|"
    r"you can|reach me(?: on| at)?|my|our|and|number|is|from|of|at|with|here|speaking)\b|:|：|"
    # what is left of "湖南星辰科技有限公司的刘洋" once the company is taken out
    r"(?<![\u4e00-\u9fff])的",
    re.IGNORECASE,
)


def _name_left_beside_phone(text: str) -> str | None:
    pieces = _BESIDE_PHONE.split(unicodedata.normalize("NFKC", text))
    rest = [p.strip(" .,，;；!！") for p in pieces]
    words = " ".join(p for p in rest if p).split()
    if not words:
        return None
    if all(_CJK.search(w) for w in words):
        full = [w for w in words if standalone_name(w)]
        # "周 周建华": the surname said first, then the whole name.
        if len(full) == 1 and all(w == full[0] or full[0].startswith(w) for w in words):
            return full[0]
        return None
    return standalone_latin_name(" ".join(words))


def _plain(value: Any) -> Any:
    """A JSON-friendly draft value: enums by value, numbers rounded to cents."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        try:
            rounded = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        except InvalidOperation:
            return None
        return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)
    return str(value)


def _diff(draft: Mapping[str, Any], proposed: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in proposed.items() if draft.get(k) != v}


def _remember(state: State, text: str) -> State:
    text = text.strip()[:_TRANSCRIPT_ITEM_CHARS]
    if not text:
        return state
    return replace(state, transcript=(*state.transcript, text)[-_TRANSCRIPT_ITEMS:])


# --- what the bot says --------------------------------------------------------------------------


def acknowledge(before: Mapping[str, Any], changes: Mapping[str, Any], lang: str = "zh") -> str:
    """ "好的，记下了：租厂房，约5000㎡，芦淞区。" for the fields this message set."""
    parts = describe(changes, context={**before, **changes}, lang=lang)
    if not parts:
        return ""
    corrected = any(before.get(name) not in (None, "") for name in changes)
    if lang == "en":
        said = "; ".join(parts)
        return (
            (EN["corrected"] if corrected else EN["noted"])
            + said
            + ("" if said.endswith(".") else ".")
        )
    return ("好的，已更正：" if corrected else "好的，记下了：") + "，".join(parts) + "。"


_SIMPLE_ZH = (
    ("district", "{}"),
    ("industry", "行业：{}"),
    ("tax_wan", "年税收约{}"),
    ("investment_wan", "投资约{}"),
    ("ceiling_height_m", "层高{}米"),
    ("crane_tonnes", "行车{}吨"),
    ("power_kva", "用电{}kVA"),
    ("floor_load_kg_m2", "承重{}kg/㎡"),
    ("budget_rent_yuan_m2_month", "租金预算{}元/㎡/月以内"),
    ("budget_land_wan_per_mu", "地价预算{}万/亩以内"),
    ("seats", "{}个工位"),
    ("employees", "用工{}人"),
    ("timeline", "时间：{}"),
    ("company", "公司：{}"),
    ("contact_name", "联系人：{}"),
    ("wechat_id", "微信号：{}"),
)
_WAN_FIELDS = frozenset({"tax_wan", "investment_wan", "budget_land_wan_per_mu"})
_SIMPLE_EN = (
    ("district", "{}"),
    ("industry", "industry: {}"),
    ("tax_wan", "annual tax about RMB {}"),
    ("investment_wan", "investment about RMB {}"),
    ("ceiling_height_m", "ceiling height {} m"),
    ("crane_tonnes", "crane {} t"),
    ("power_kva", "power {} kVA"),
    ("floor_load_kg_m2", "floor load {} kg/m²"),
    ("budget_rent_yuan_m2_month", "rent up to RMB {}/m²/month"),
    ("budget_land_wan_per_mu", "land up to RMB {}/mu"),
    ("seats", "{} desks"),
    ("employees", "{} employees"),
    ("timeline", "timing: {}"),
    ("company", "company: {}"),
    ("contact_name", "contact: {}"),
    ("wechat_id", "WeChat ID: {}"),
)


def describe(
    values: Mapping[str, Any], context: Mapping[str, Any] | None = None, lang: str = "zh"
) -> list[str]:
    """Short phrases for draft values, in a stable order."""
    context = context or values
    parts: list[str] = []
    need, deal = values.get("need_type"), values.get("deal")
    en = lang == "en"
    if need or deal:
        if en:
            need_label = NEED_LABELS_EN.get(context.get("need_type") or "", "")
            deal_label = DEAL_LABELS_EN.get(context.get("deal") or "", "")
            parts.append(" ".join(p for p in (need_label, deal_label) if p) or "need")
        else:
            need_label = NEED_LABELS.get(context.get("need_type") or "", "")
            parts.append(DEAL_LABELS.get(context.get("deal") or "", "") + need_label or "需求")
    if "area_min_m2" in values or "area_max_m2" in values:
        area = area_text(context.get("area_min_m2"), context.get("area_max_m2"), context, lang)
        if area:
            parts.append(area)
    for name, template in _SIMPLE_EN if en else _SIMPLE_ZH:
        value = values.get(name)
        if value in (None, ""):
            continue
        if en and name in _WAN_FIELDS:
            parts.append(template.format(f"{Decimal(str(value)) * 10000:,.0f}"))  # 万 → yuan
        elif name in ("tax_wan", "investment_wan"):
            parts.append(template.format(_wan_text(value)))
        else:
            parts.append(template.format(_number(value)))
    if values.get("eia_required"):
        parts.append("EIA needed" if en else "需环评")
    if values.get("phone"):
        parts.append(("phone " if en else "电话 ") + mask_phone(values["phone"]))
    return parts


def area_text(low: Any, high: Any, context: Mapping[str, Any], lang: str = "zh") -> str:
    in_mu = context.get("need_type") == NeedType.LAND.value
    en = lang == "en"

    def show(value: Any) -> str:
        if in_mu:
            mu = m2_to_mu(value)
            return _number(mu.quantize(Decimal("0.1"))) + (" mu" if en else "亩")
        return _number(value) + (" m²" if en else "㎡")

    if en:
        if low and high:
            return f"about {show(low)}" if low == high else f"{show(low)}-{show(high)}"
        if low:
            return f"at least {show(low)}"
        if high:
            return f"at most {show(high)}"
        return ""
    if low and high:
        return f"约{show(low)}" if low == high else f"{show(low)}-{show(high)}"
    if low:
        return f"{show(low)}以上"
    if high:
        return f"{show(high)}以内"
    return ""


def _wan_text(value: Any) -> str:
    """An amount in 万元 as a Chinese reader says it: 3000万, 1.5亿 (from 10,000 万 up)."""
    wan = Decimal(str(value))
    if wan >= 10000:
        return _number(wan / 10000) + "亿"
    return _number(wan) + "万"


def _number(value: Any) -> str:
    if isinstance(value, float | Decimal | int) and not isinstance(value, bool):
        text = format(Decimal(str(value)).normalize(), "f")
        return text
    return str(value)


def mask_phone(phone: str) -> str:
    """+8613812345678 → 138****5678 (docs/security.md: phones masked where shown back)."""
    if not phone.startswith("+86"):
        # Abroad: the country code stays readable (+886 ****5678).
        try:
            code = str(phonenumbers.parse(phone, None).country_code)
        except phonenumbers.NumberParseException:
            code = ""
        rest = phone.removeprefix("+" + code)
        if code and len(rest) >= 6:
            return f"+{code} ****{rest[-4:]}"
    digits = phone.removeprefix("+86")
    if len(digits) >= 7:
        return digits[:3] + "****" + digits[-4:]
    return digits


# What the prospect is told when an agent takes over, or takes a question: EN key, Chinese.
_PASSED_ON = {
    Announce.HANDOVER: (
        "handover",
        "好的，已为您转接招商专员{ref}，专员会在这里直接回复您，请稍候。",
    ),
    Announce.QUESTION: ("question_passed", "您的问题已转给招商专员{ref}，专员会在这里回复您。"),
}


def render_reply(
    reply: Reply | None, lead: LeadRef | None, privacy_notice: str | None = None
) -> str | None:
    """The reply's text, with the lead's reference when it announces one, and on a greeting
    the consent notice the admin set."""
    if reply is None:
        return None
    en = reply.lang == "en"
    lines = [reply.ack] if reply.ack else []
    if reply.answer:
        lines.append(reply.answer)
    if reply.announce is Announce.SAVED and lead is not None:
        if en:
            lines.append(EN["saved" if lead.created else "joined"].format(ref=lead.reference))
        elif lead.created:
            lines.append(f"已为您登记需求，编号 {lead.reference}。招商专员会尽快联系您。")
        else:
            lines.append(f"您的需求 {lead.reference} 已在跟进中，这次的信息已补充给招商专员。")
    elif reply.announce in _PASSED_ON:
        english, chinese = _PASSED_ON[reply.announce]
        if en:
            ref = f" (enquiry {lead.reference})" if lead is not None else ""
            lines.append(EN[english].format(ref=ref))
        else:
            reference = f"（编号 {lead.reference}）" if lead is not None else ""
            lines.append(chinese.format(ref=reference))
    if reply.question:
        also = EN["also"] if en else "还想了解一下："
        lines.append((also if reply.announce or reply.answer else "") + reply.question)
    if reply.closing:
        lines.append(reply.closing)
    if reply.privacy and privacy_notice:
        lines.append(privacy_notice)
    return "\n".join(lines) or None
