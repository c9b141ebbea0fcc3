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
