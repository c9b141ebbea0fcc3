"""What the WeChat bot can answer, as plain data for the (pure) conversation.

`Knowledge` holds the admin's answers (table `bot_answer`, loaded by app/wechat/knowledge.py)
and the price lookup. The price hook: the listings domain registers a function with
`set_price_lookup(fn)`; ``fn(PriceQuestion)`` returns an answer text in the question's language
from the listings that fit, or None, and then the bot gives the admin's "price" answer (the
FAQ). The shortlist hook (`set_shortlist_lookup`) works the same way. See docs/wechat-bot.md.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.wechat.parsing import fold

if TYPE_CHECKING:
    from app.leads.models import Lead

log = logging.getLogger(__name__)

TOPICS = ("price", "availability", "location", "transport", "policy", "other")


@dataclass(frozen=True, slots=True)
class PriceQuestion:
    """A question about rent or price, with what the conversation knows so far."""

    text: str
    lang: str  # "zh" or "en"
    topic: str  # "price" or "availability"
    need_type: str | None
    deal: str | None
    district: str | None
    area_min_m2: float | None
    area_max_m2: float | None


PriceLookup = Callable[[PriceQuestion], str | None]
_registered: list[PriceLookup] = []


def set_price_lookup(lookup: PriceLookup | None) -> None:
    """Register the function that answers price questions from listings (None: FAQ only)."""
    _registered[:] = [lookup] if lookup is not None else []


def price_lookup() -> PriceLookup | None:
    return _registered[0] if _registered else None


# The shortlist hook: once a lead's need and area are known the bot offers the listings that
# fit. The listings domain registers ``fn(lead)`` with `set_shortlist_lookup`; it returns how
# many listings fit and the token of a shortlist of the best published ones (None: none is
# published). Nothing registered: the bot says nothing about listings.
ShortlistLookup = Callable[["Lead"], tuple[int, str | None]]
_shortlists: list[ShortlistLookup] = []


def set_shortlist_lookup(lookup: ShortlistLookup | None) -> None:
    """Register the function that counts the listings fitting a lead and makes a shortlist."""
    _shortlists[:] = [lookup] if lookup is not None else []


def shortlist_lookup() -> ShortlistLookup | None:
    return _shortlists[0] if _shortlists else None


@dataclass(frozen=True, slots=True)
class Entry:
    topic: str
    keywords: tuple[str, ...]  # folded (simplified, lower case)
    answer_zh: str
    answer_en: str

    def answer(self, lang: str) -> str:
        return (self.answer_en or self.answer_zh) if lang == "en" else self.answer_zh


@dataclass(frozen=True, slots=True)
class Knowledge:
    """The answers the bot may give, as plain data (the conversation stays pure)."""

    entries: tuple[Entry, ...] = ()
    price_lookup: PriceLookup | None = None
    # The office's hours on working days (settings `WORKING_HOURS`), for "周末上班吗？".
    office_hours: tuple[tuple[str, str], ...] = (("09:00", "12:00"), ("13:30", "18:00"))

    def match(self, text: str) -> Entry | None:
        """The entry whose keywords cover most of the text (longest keyword hits), or None."""
        folded = fold(text)
        best: tuple[int, Entry] | None = None
        for entry in self.entries:
            score = sum(len(k) for k in entry.keywords if _hits(k, folded))
            if score and (best is None or score > best[0]):
                best = (score, entry)
        return best[1] if best else None

    def answer(
        self, text: str, lang: str, draft: dict[str, Any], topic: str | None = None
    ) -> tuple[str, str] | None:
        """(topic, answer text) for a question, or None when nothing here answers it.

        An entry whose keywords the text holds answers first; else the first entry of the
        question's topic (app/wechat/parsing/questions.py), if the admin keeps one.
        """
        entry = self.match(text)
        if entry is not None and entry.topic == "availability" and topic != "availability":
            entry = None  # "is there a canteen?" asks about no space to rent or buy
        if entry is None and topic is not None:
            entry = next((e for e in self.entries if e.topic == topic), None)
        if entry is None:
            return None
        if entry.topic in ("price", "availability") and self.price_lookup is not None:
            question = PriceQuestion(
                text=text,
                lang=lang,
                topic=entry.topic,
                need_type=draft.get("need_type"),
                deal=draft.get("deal"),
                district=draft.get("district"),
                area_min_m2=draft.get("area_min_m2"),
                area_max_m2=draft.get("area_max_m2"),
            )
            try:
                from_listings = self.price_lookup(question)
            except Exception:  # a broken hook must not cost the prospect an answer
                log.exception("price lookup failed")
                from_listings = None
            if from_listings:
                return entry.topic, from_listings
        return entry.topic, entry.answer(lang)


def _hits(keyword: str, folded: str) -> bool:
    if keyword.isascii():
        return re.search(rf"(?<![a-z]){re.escape(keyword)}(?![a-z])", folded) is not None
    return keyword in folded


def split_keywords(raw: str) -> tuple[str, ...]:
    words = (fold(w).strip() for w in re.split(r"[,，、;；\n]+", raw))
    return tuple(dict.fromkeys(w for w in words if w))
