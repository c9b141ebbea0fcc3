"""Replayed WeChat deliveries (docs/security.md): a signed URL is good for a few minutes only,
a stored reply is its sender's alone, safe mode accepts only encrypted deliveries, and odd
signatures are a 403, never a 500. All through POST /wechat/callback as an attacker would."""

from __future__ import annotations

import base64
import time

import pytest
from sqlalchemy import func, select

from app.core.db import db
from app.devtools.simulator import build_text_xml, decrypt_reply, reply_text, sign, sign_delivery
from app.wechat.models import InboundMessage

URL = "/wechat/callback"
TOKEN = "testtoken"  # config/testing.py
APPID = "wx0000000000000000"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")


def post(client, xml: str, *, openid: str, timestamp: int | None = None, aes: bool = False,
         **params: str):  # fmt: skip
    signed = sign_delivery(
        xml,
        token=TOKEN,
        openid=openid,
        aes_key=AES_KEY if aes else None,
        appid=APPID,
        timestamp=str(timestamp) if timestamp is not None else None,
    )
    return client.post(
        URL, query_string={**signed.params, **params}, data=signed.body.encode(),
        content_type="text/xml",
    )  # fmt: skip


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(InboundMessage))


@pytest.mark.parametrize("age", [301, -301, 86_400 * 30])
def test_a_signed_request_outside_the_window_is_refused(client, age):
    xml = build_text_xml("o-a", "想租厂房 13812345678")
    response = post(client, xml, openid="o-a", timestamp=int(time.time()) - age)
    assert response.status_code == 403
    assert "timestamp" in response.get_json()["error"]["message"]
    assert stored() == 0


def test_a_request_inside_the_window_is_accepted(client):
    xml = build_text_xml("o-a", "你好")
    assert post(client, xml, openid="o-a", timestamp=int(time.time()) - 120).status_code == 200


def test_the_url_check_is_refused_outside_the_window_too(client):
    timestamp, nonce = str(int(time.time()) - 3600), "1"
    query = {"signature": sign(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
    response = client.get(URL, query_string={**query, "echostr": "42"})
    assert response.status_code == 403


def test_the_window_is_a_setting(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_TIMESTAMP_TOLERANCE_SECONDS", 7200)
    xml = build_text_xml("o-a", "你好")
    assert post(client, xml, openid="o-a", timestamp=int(time.time()) - 3600).status_code == 200


def test_an_encrypted_request_outside_the_window_is_refused(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_ENCODING_AES_KEY", AES_KEY)
    xml = build_text_xml("o-a", "你好")
    response = post(client, xml, openid="o-a", timestamp=int(time.time()) - 900, aes=True)
    assert response.status_code == 403


def test_a_msgid_replayed_from_another_openid_never_gets_the_victims_reply(client):
    victim = post(client, build_text_xml("o-victim", "想租厂房 13812345678", msg_id=555),
                  openid="o-victim")  # fmt: skip
    victim_reply = reply_text(victim.get_data(as_text=True))[1]
    assert "PL-" in victim_reply
    reference = victim_reply[victim_reply.index("PL-") :][:16]
    attacker = post(client, build_text_xml("o-attacker", "你好", msg_id=555), openid="o-attacker")
    assert attacker.status_code == 200
    body = attacker.get_data(as_text=True)
    assert reference not in body
    assert "o-victim" not in body
    assert stored() == 2  # two deliveries, each handled for its own sender


def test_safe_mode_refuses_plain_deliveries(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_ENCODING_AES_KEY", AES_KEY)
    response = post(client, build_text_xml("o-a", "你好"), openid="o-a")
    assert response.status_code == 403
    assert "safe mode" in response.get_json()["error"]["message"]
    assert stored() == 0
    encrypted = post(client, build_text_xml("o-a", "你好"), openid="o-a", aes=True)
    assert encrypted.status_code == 200
    plain = decrypt_reply(encrypted.get_data(as_text=True), token=TOKEN, aes_key=AES_KEY,
                          appid=APPID)  # fmt: skip
    assert reply_text(plain)[1]


def test_compatible_mode_setting_accepts_plain_deliveries(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_ENCODING_AES_KEY", AES_KEY)
    monkeypatch.setitem(app.config, "WECHAT_MESSAGE_MODE", "compatible")
    assert post(client, build_text_xml("o-a", "你好"), openid="o-a").status_code == 200


@pytest.mark.parametrize("signature", ["签名" * 20, "\u00e9" * 40, "%ff"])
def test_a_non_ascii_signature_is_a_403_not_a_500(client, signature):
    response = post(client, build_text_xml("o-a", "你好"), openid="o-a", signature=signature)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "invalid_signature"


def test_a_non_ascii_msg_signature_is_a_403_not_a_500(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_ENCODING_AES_KEY", AES_KEY)
    response = post(client, build_text_xml("o-a", "你好"), openid="o-a", aes=True,
                    msg_signature="签名" * 20)  # fmt: skip
    assert response.status_code == 403
