"""A WeChat prospect states a need through the signed callback, gets the shortlist link in
the reply, opens it; the agent the worker assigned sees the visit on the lead's timeline and
reserves a listing (real HTTP, a real Celery worker, PostgreSQL; docs/listings.md)."""

from __future__ import annotations

import re

import pytest
import requests

from app.accounts import service as accounts
from app.accounts.models import Role
from app.core.db import db
from app.devtools.simulator import build_text_xml, deliver
from app.listings import service as listings
from tests.e2e.conftest import LiveStack, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.redis]

TOKEN = "testtoken"  # config/testing.py
OPENID = "oE2eListingsProspect00000001"
PASSWORD = "e2e-password"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _seed(stack: LiveStack) -> int:
    with stack.app.app_context(), db.transaction():
        team = accounts.ensure_default_team()
        accounts.create_agent(login="lx0", password=PASSWORD, team=team, role=Role.AGENT)
        listing = listings.create_listing(
            {"kind": "factory", "subtype": "standard", "deals": ["rent"],
             "title": "芦淞区标准厂房 B2 栋", "park": "芦淞工业园", "district": "芦淞区",
             "area_m2": 5200, "ceiling_height_m": 8, "rent_yuan_m2_month": 15,
             "published": True},
            by=None,
        )  # fmt: skip
        return listing.id


def _log_in(stack: LiveStack) -> requests.Session:
    session = requests.Session()
    token = CSRF.search(session.get(f"{stack.url}/login", timeout=10).text)[1]
    response = session.post(
        f"{stack.url}/login",
        data={"login": "lx0", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302
    return session


def test_prospect_opens_the_shortlist_and_the_agent_reserves(stack: LiveStack):
    listing_id = _seed(stack)
    stack.start_worker()
    reply = deliver(
        f"{stack.url}/wechat/callback",
        build_text_xml(OPENID, "想在芦淞区租5000平厂房，王先生13812345678"),
        token=TOKEN,
        timeout=10,
    ).text
    assert "有 1 个载体符合您的需求" in reply
    link = re.search(r"(http://\S+/s/[A-Za-z0-9_-]+)", reply)[1]
    assert link.startswith(stack.url)

    opened = requests.get(link, timeout=10)
    assert opened.status_code == 200
    assert "芦淞区标准厂房 B2 栋" in opened.text

    lead_id = wait_until(
        lambda: stack.scalar("SELECT id FROM lead WHERE status = 'assigned'"),
        message="the worker's assignment",
    )
    agent = _log_in(stack)
    page = agent.get(f"{stack.url}/app/leads/{lead_id}", timeout=10)
    assert page.status_code == 200
    assert "客户打开了推荐清单" in page.text
    assert "芦淞区标准厂房 B2 栋" in page.text  # in the 匹配载体 panel

    reserved = agent.post(
        f"{stack.url}/app/leads/{lead_id}/listings/reserve",
        data={"listing_id": listing_id, "csrf_token": CSRF.search(page.text)[1]},
        allow_redirects=False,
        timeout=10,
    )
    assert reserved.status_code == 303
    assert (
        stack.scalar("SELECT reserved_for_lead_id FROM listing WHERE id = :id", id=listing_id)
        == lead_id
    )
    actions = [
        row.action
        for row in stack.rows(
            "SELECT data->>'action' AS action FROM lead_event "
            "WHERE lead_id = :id AND type = 'listing' ORDER BY id",
            id=lead_id,
        )
    ]
    assert actions == ["shortlist_opened", "reserved"]
