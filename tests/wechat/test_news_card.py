"""A shortlist sent to a prospect: one news card (one article) as a customer-service message,
counted in the same 48-hour window as a text (docs/listings.md "Shortlists")."""

from __future__ import annotations

from flask import Flask

from app.core.db import db
from app.devtools.fake_server import FakeWechatServer
from app.wechat.client import WechatApiClient, send_customer_service_news
from tests.wechat.test_client import (  # noqa: F401 - fixtures
    CUSTOM,
    add_prospect,
    fake,
    hours_ago,
    memory_client,
    window_count,
)

ARTICLE = {
    "title": "为您推荐的 3 个载体",
    "description": "芦淞区标准厂房、天元区单层厂房",
    "url": "https://parklead.example/s/abc",
    "image": "https://parklead.example/listings/photos/ab12.png",
}


def test_one_article_inside_the_window(
    app: Flask,
    fake: FakeWechatServer,  # noqa: F811
    memory_client: WechatApiClient,  # noqa: F811
) -> None:
    add_prospect("o-news", hours_ago(2))
    outcome = send_customer_service_news("o-news", ARTICLE, client=memory_client)
    db.session.commit()
    assert outcome.sent
    (request,) = fake.requests(CUSTOM)
    assert request["json"] == {
        "touser": "o-news",
        "msgtype": "news",
        "news": {
            "articles": [
                {"title": ARTICLE["title"], "description": ARTICLE["description"],
                 "url": ARTICLE["url"], "picurl": ARTICLE["image"]}
            ]
        },
    }  # fmt: skip
    assert window_count("o-news") == 1


def test_outside_the_window_nothing_is_sent(
    app: Flask,
    fake: FakeWechatServer,  # noqa: F811
    memory_client: WechatApiClient,  # noqa: F811
) -> None:
    add_prospect("o-late", hours_ago(49))
    outcome = send_customer_service_news("o-late", ARTICLE, client=memory_client)
    assert not outcome.sent
    assert fake.requests(CUSTOM) == []
