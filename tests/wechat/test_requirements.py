"""What a WeChat prospect says about height, crane, power and floor load is kept on the lead,
for the matching of listings (docs/listings.md)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from app.core.db import db
from app.devtools.simulator import build_text_xml
from app.leads.models import Lead
from tests.wechat.test_callback import OPENID, post, text_of


def test_requirements_from_a_message_are_lead_columns(client):
    message = "想在芦淞区租5000平厂房，层高8米，10吨行车，承重3吨，配电630kVA，王先生13812345678"
    assert text_of(post(client, build_text_xml(OPENID, message)))
    lead = db.session.scalars(select(Lead).where(Lead.wechat_openid == OPENID)).one()
    assert lead.ceiling_height_min_m == Decimal(8)
    assert lead.crane_t == Decimal(10)
    assert lead.power_kva == 630
    assert lead.floor_load_t_m2 == Decimal(3)


def test_the_eia_category_named_beside_the_eia_need_is_the_leads(client):
    message = "想租3000平厂房，我们有喷涂工序，需要能办环评，13812345678"
    assert text_of(post(client, build_text_xml(OPENID, message)))
    lead = db.session.scalars(select(Lead).where(Lead.wechat_openid == OPENID)).one()
    assert lead.eia_category == "喷涂"


def test_a_stated_rent_budget_is_the_leads_and_a_later_message_adds_a_land_one(client):
    message = "想在芦淞区租3000平厂房，租金最好在15元/平/月以内，13812345678"
    reply = text_of(post(client, build_text_xml(OPENID, message)))
    assert "租金预算15元" in reply
    lead = db.session.scalars(select(Lead).where(Lead.wechat_openid == OPENID)).one()
    assert lead.budget_rent_yuan_m2_month == Decimal(15)
    assert lead.budget_land_wan_per_mu is None
    post(client, build_text_xml(OPENID, "也可以考虑买地，地价每亩不超过25万", msg_id=2))
    db.session.refresh(lead)
    assert lead.budget_land_wan_per_mu == Decimal(25)


def test_prices_that_are_not_the_prospects_budget_are_left_alone(client):
    message = "想租3000平厂房，现在租金12元/平，亩均税收50万/亩，物业费2元/平，13812345678"
    assert text_of(post(client, build_text_xml(OPENID, message)))
    lead = db.session.scalars(select(Lead).where(Lead.wechat_openid == OPENID)).one()
    assert lead.budget_rent_yuan_m2_month is None
    assert lead.budget_land_wan_per_mu is None
