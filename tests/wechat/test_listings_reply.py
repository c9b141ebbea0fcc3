"""Once need and area are known, the bot answers with how many listings fit and a shortlist
link for the lead (docs/listings.md "The WeChat bot")."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.core.db import db
from app.devtools.simulator import build_text_xml
from app.leads.models import Lead
from app.listings.models import Shortlist
from tests.wechat.test_callback import OPENID, post, text_of

LINK = re.compile(r"http://localhost/s/([A-Za-z0-9_-]+)")


def test_the_reply_counts_the_listings_and_links_a_shortlist(client, make_listing):
    fits = make_listing(title="芦淞区标准厂房", district="芦淞区", area_m2=5000, available_m2=5000,
                        min_split_m2=None, published=True)  # fmt: skip
    make_listing(title="太小的厂房", area_m2=500, available_m2=500, min_split_m2=None,
                 published=True)  # fmt: skip
    reply = text_of(
        post(client, build_text_xml(OPENID, "想在芦淞区租5000平厂房，王先生13812345678"))
    )
    assert "有 1 个载体符合您的需求" in reply
    token = LINK.search(reply)[1]
    shortlist = db.session.scalars(select(Shortlist)).one()
    lead = db.session.scalars(select(Lead).where(Lead.wechat_openid == OPENID)).one()
    assert shortlist.token == token
    assert shortlist.lead_id == lead.id
    assert shortlist.listing_ids == [fits.id]
    assert client.get(f"/s/{token}").status_code == 200
    # a later message that says nothing new about the need makes no new shortlist
    text_of(post(client, build_text_xml(OPENID, "湘能科技")))
    assert len(db.session.scalars(select(Shortlist)).all()) == 1


def test_no_fitting_listing_says_so(client, make_listing):
    make_listing(kind="office", title="写字楼", published=True, min_split_m2=None)
    reply = text_of(post(client, build_text_xml(OPENID, "想租3000平仓库，刘女士13812345679")))
    assert "暂时没有完全符合的载体" in reply
    assert db.session.scalars(select(Shortlist)).all() == []
