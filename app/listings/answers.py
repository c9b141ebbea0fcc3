"""The WeChat bot's answer to "租金多少 / 多少钱一亩 / is there a factory" from the inventory.

Registered with `app.wechat.answers.set_price_lookup` (and the bot's shortlist offer,
`bot_shortlist`, with `set_shortlist_lookup`) when the app starts: the bot asks the
listings domain, which reads its own table, and the conversation stays free of SQL. The
answer counts the published, available listings of the kinds the need can take (in the
district when one is known) and gives the range of their prices; with none it answers None
and the bot falls back to the admin's FAQ answer (docs/wechat-bot.md).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from app.core.db import db
from app.leads.models import Lead
from app.listings import service
from app.listings.matching import ALL_KINDS, KINDS_FOR_NEED
from app.listings.models import Listing, ListingStatus
from app.wechat.answers import PriceQuestion


def _figure(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


def _span(low: Decimal | None, high: Decimal | None) -> str:
    if low is None or high is None:
        return ""
    return _figure(low) if low == high else f"{_figure(low)}–{_figure(high)}"


def price_answer(question: PriceQuestion) -> str | None:
    """An answer from the listings that fit what the prospect asked about, or None."""
    kinds = KINDS_FOR_NEED.get(question.need_type or "", ALL_KINDS)
    conditions = [
        Listing.status == ListingStatus.AVAILABLE,
        Listing.published.is_(True),
        Listing.kind.in_(kinds),
    ]
    if question.district:
        conditions.append(Listing.district == question.district)
    row = db.session.execute(
        select(
            func.count(),
            func.min(Listing.rent_yuan_m2_month),
            func.max(Listing.rent_yuan_m2_month),
            func.min(Listing.land_price_wan_per_mu),
            func.max(Listing.land_price_wan_per_mu),
        ).where(*conditions)
    ).one()
    count, rent_low, rent_high, land_low, land_high = row
    if not count:
        return None
    english = question.lang == "en"
    land = set(kinds) == {"land"}
    where = f" in {question.district}" if english and question.district else ""
    where_zh = f"{question.district}" if question.district else ""
    if land and land_low is not None:
        span = _span(land_low, land_high)
        if english:
            return (
                f"We have {count} industrial plot(s){where} available, at about {span} "
                "10k yuan per mu. Leave your phone and an agent will send you the details."
            )
        return (
            f"{where_zh}现有 {count} 宗可供土地，价格约 {span} 万元/亩。"
            "留下电话，专员会把详情发给您。"
        )
    if rent_low is not None:
        span = _span(rent_low, rent_high)
        if english:
            return (
                f"We have {count} listing(s){where} that fit, with rents of about {span} yuan per "
                "m² per month. Leave your phone and an agent will send you the shortlist."
            )
        return (
            f"{where_zh}现有 {count} 处合适的载体，租金约 {span} 元/㎡/月。"
            "留下电话，专员会把清单发给您。"
        )
    if english:
        return (
            f"We have {count} listing(s){where} that fit; prices depend on the unit. Leave your "
            "phone and an agent will quote you."
        )
    return f"{where_zh}现有 {count} 处合适的载体，价格按具体房源而定。留下电话，专员会给您报价。"


def bot_shortlist(lead: Lead) -> tuple[int, str | None]:
    """How many listings fit `lead`, and the token of a shortlist of its best published ones
    (None when none is published) for the bot's message (docs/listings.md "The WeChat bot")."""
    count, shortlist = service.shortlist_for_bot(lead)
    return count, shortlist.token if shortlist is not None else None
