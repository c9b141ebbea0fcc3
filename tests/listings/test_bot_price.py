"""The bot answers rent and price questions from the inventory (app/listings/answers.py),
through the WeChat callback, and falls back to the admin's FAQ when nothing fits."""

from __future__ import annotations

from app.core.db import db
from app.devtools.simulator import build_text_xml
from app.listings import service as listings
from tests.wechat.test_callback import OPENID, post, text_of


def say(client, message: str) -> str:
    return text_of(post(client, build_text_xml(OPENID, message)))


def listing(**fields):
    data = {"kind": "factory", "deals": ["rent"], "title": "标准厂房", "area_m2": 5000,
            "district": "芦淞区", "published": True, **fields}  # fmt: skip
    return listings.create_listing(data, by=None)


def test_a_rent_question_counts_the_fitting_listings_and_gives_their_rent_range(client):
    listing(rent_yuan_m2_month=16)
    listing(rent_yuan_m2_month=22)
    listing(rent_yuan_m2_month=99, district="天元区")  # another district
    listing(rent_yuan_m2_month=5, published=False)  # not on the public side
    db.session.commit()
    reply = say(client, "芦淞区厂房租金多少钱一平？")
    assert "现有 2 处" in reply
    assert "16–22 元/㎡/月" in reply


def test_an_english_land_price_question_gets_the_price_per_mu_in_english(client):
    listing(kind="land", deals=["sale"], title="工业用地", area_m2=40000, land_price_wan_per_mu=25)
    db.session.commit()
    reply = say(client, "How much is industrial land per mu?")
    assert "1 industrial plot(s)" in reply
    assert "25 10k yuan per mu" in reply


def test_with_nothing_that_fits_the_bot_gives_the_faq_answer(client):
    listing(kind="office", rent_yuan_m2_month=40)
    db.session.commit()
    reply = say(client, "厂房租金多少钱一平？")
    assert "现有" not in reply or "处合适的载体" not in reply
    assert "元/㎡" in reply  # the admin's price answer
