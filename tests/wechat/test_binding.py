"""Binding an agent's official-account openid by scanning a parameterised QR code: the code
from WeChat's qrcode/create (the fake), the account page, and the subscribe/SCAN event."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from flask import Flask

from app.accounts import service as accounts
from app.accounts.models import Agent
from app.core.db import db
from app.devtools.fake_server import FakeWechatServer
from app.devtools.simulator import build_scan_xml, build_subscribe_xml
from app.wechat import client as wechat
from tests.web.pages import page_client
from tests.wechat.test_callback import post, text_of

OPENID = "oAgentBinding000000000000001"


@pytest.fixture
def fake(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWechatServer]:
    with FakeWechatServer() as server:
        monkeypatch.setitem(app.config, "WECHAT_API_BASE_URL", server.url)
        yield server


@pytest.fixture
def agent(make_agent, default_team) -> Agent:
    return make_agent("qian", team=default_team)


def test_the_scene_names_the_agent_and_fits_wechats_limit(agent):
    scene, seconds = accounts.binding_scene(agent)

    assert scene.startswith(f"bind:{agent.id}:")
    assert len(scene) <= 64
    assert seconds == 600
    assert accounts.agent_for_binding_scene(scene) == agent


def test_a_forged_or_expired_scene_names_nobody(agent, make_agent):
    scene, _ = accounts.binding_scene(agent)
    other = make_agent("sun")
    forged = scene.replace(f"bind:{agent.id}:", f"bind:{other.id}:")
    expired, _ = accounts.binding_scene(agent, now=time.time() - 3600)

    assert accounts.agent_for_binding_scene(forged) is None
    assert accounts.agent_for_binding_scene(expired) is None
    assert accounts.agent_for_binding_scene("bind:garbage") is None


def test_qrcode_create_asks_wechat_for_a_short_lived_string_scene(app, fake, agent):
    scene, seconds = accounts.binding_scene(agent)

    qr = wechat.create_scene_qrcode(scene, seconds)

    (request,) = fake.requests("/cgi-bin/qrcode/create")
    assert request["json"] == {
        "expire_seconds": 600,
        "action_name": "QR_STR_SCENE",
        "action_info": {"scene": {"scene_str": scene}},
    }
    assert qr.expire_seconds == 600
    assert qr.image_url.startswith(fake.url + "showqrcode?ticket=")


def test_the_account_page_shows_the_qr_code(app, fake, agent):
    client = page_client(app, agent.login)

    html = client.get("/account/wechat").get_data(as_text=True)

    assert 'id="binding-qr"' in html
    assert 'id="unbound"' in html
    image = html.split('id="binding-qr" src="')[1].split('"')[0].replace("&amp;", "&")
    picture = requests.get(image, timeout=5)
    assert picture.headers["Content-Type"].startswith("image/svg+xml")
    assert f"bind:{agent.id}:" in picture.text


def test_the_account_page_says_why_when_wechat_fails(app, fake, agent):
    fake.add_fault("errcode", errcode=48001, path="/cgi-bin/qrcode/create")

    html = page_client(app, agent.login).get("/account/wechat").get_data(as_text=True)

    assert "48001" in html
    assert 'id="binding-qr"' not in html


def test_subscribing_through_the_binding_code_binds_the_openid(client, agent):
    scene, _ = accounts.binding_scene(agent)

    reply = text_of(post(client, build_subscribe_xml(OPENID, scene=scene)))

    assert "绑定成功" in reply
    db.session.refresh(agent)
    assert agent.wechat_openid == OPENID


def test_scanning_as_a_follower_binds_and_takes_the_openid_from_another_agent(
    client, agent, make_agent
):
    previous = make_agent("zhou")
    previous.wechat_openid = OPENID
    db.session.commit()
    scene, _ = accounts.binding_scene(agent)

    text_of(post(client, build_scan_xml(OPENID, scene)))

    db.session.refresh(agent)
    db.session.refresh(previous)
    assert agent.wechat_openid == OPENID
    assert previous.wechat_openid is None


def test_an_expired_code_binds_nothing_and_says_so(client, agent):
    scene, _ = accounts.binding_scene(agent, now=time.time() - 3600)

    reply = text_of(post(client, build_scan_xml(OPENID, scene)))

    assert "过期" in reply
    db.session.refresh(agent)
    assert agent.wechat_openid is None
