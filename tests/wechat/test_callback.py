"""`GET|POST /wechat/callback`: signatures, plain/compatible/safe mode, hostile XML, every
message and event type, and exactly-once handling of WeChat's retries."""

from __future__ import annotations

import base64
import hashlib
import time
import tracemalloc
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from app.core.db import db
from app.devtools.simulator import (
    build_click_xml,
    build_event_xml,
    build_image_xml,
    build_link_xml,
    build_location_xml,
    build_scan_xml,
    build_subscribe_xml,
    build_text_xml,
    build_voice_xml,
    decrypt_reply,
    encrypt_envelope,
    reply_text,
    sign,
    sign_delivery,
)
from app.leads.models import Channel, Lead
from app.wechat import conversation
from app.wechat.models import InboundMessage, WechatUser

URL = "/wechat/callback"
TOKEN = "testtoken"  # config/testing.py
APPID = "wx0000000000000000"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
OPENID = "oCallbackProspect0000000001"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE xml [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<xml><ToUserName>gh_parklead</ToUserName><FromUserName>oBomb</FromUserName>
<CreateTime>1795559102</CreateTime><MsgType>text</MsgType><Content>&lol9;</Content>
<MsgId>1</MsgId></xml>"""


@pytest.fixture
def safe_mode(app, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "WECHAT_ENCODING_AES_KEY", AES_KEY)


def post(
    client: FlaskClient,
    xml: str | bytes,
    *,
    aes: bool = False,
    appid: str = APPID,
    params: dict[str, str] | None = None,
) -> TestResponse:
    """POST `xml` signed as WeChat would (and encrypted in safe mode)."""
    body = xml if isinstance(xml, str) else xml.decode("utf-8", errors="replace")
    signed = sign_delivery(body, token=TOKEN, openid=OPENID, aes_key=AES_KEY if aes else None,
                           appid=appid)  # fmt: skip
    data = signed.body.encode() if aes or isinstance(xml, str) else xml
    return client.post(
        URL, query_string={**signed.params, **(params or {})}, data=data, content_type="text/xml"
    )


def text_of(response: TestResponse, *, aes: bool = False) -> str:
    """What the prospect reads ("" for "success")."""
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_data(as_text=True)
    if body == "success":
        return ""
    if aes:
        body = decrypt_reply(body, token=TOKEN, aes_key=AES_KEY, appid=APPID)
    return reply_text(body)[1]


def signed_query(**extra: str) -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), "20261124"
    return {"signature": sign(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
            **extra}  # fmt: skip


def error_of(response: TestResponse) -> dict[str, Any]:
    assert response.mimetype == "application/json"
    return response.get_json()["error"]


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- URL check and signatures ------------------------------------------------------------------


def test_url_check_echoes_echostr(client):
    response = client.get(URL, query_string=signed_query(echostr="8391275526"))
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "8391275526"


def test_url_check_with_a_wrong_signature_is_403(client):
    query = {**signed_query(echostr="1"), "signature": "0" * 40}
    response = client.get(URL, query_string=query)
    assert response.status_code == 403
    assert error_of(response)["code"] == "invalid_signature"


def test_post_with_a_wrong_signature_is_403_and_stores_nothing(client):
    response = post(client, build_text_xml(OPENID, "你好"), params={"signature": "f" * 40})
    assert response.status_code == 403
    assert "signature" in error_of(response)["message"]
    assert count(InboundMessage) == 0


@pytest.mark.parametrize("missing", ["signature", "timestamp", "nonce"])
def test_post_without_signature_parts_is_403(client, missing):
    query = signed_query()
    del query[missing]
    response = client.post(URL, query_string=query, data=build_text_xml(OPENID, "你好"))
    assert response.status_code == 403
    assert missing in error_of(response)["message"]


# --- safe (AES) and compatible mode ------------------------------------------------------------


def test_safe_mode_request_gets_an_encrypted_reply(client, safe_mode):
    response = post(client, build_subscribe_xml(OPENID), aes=True)
    body = response.get_data(as_text=True)
    assert "<Encrypt>" in body
    assert "欢迎" not in body  # nothing readable on the wire
    plain = decrypt_reply(body, token=TOKEN, aes_key=AES_KEY, appid=APPID)
    assert f"<ToUserName><![CDATA[{OPENID}]]></ToUserName>" in plain
    assert "1 租厂房" in reply_text(plain)[1]


def test_safe_mode_envelope_for_another_appid_is_403(client, safe_mode):
    response = post(client, build_text_xml(OPENID, "你好"), aes=True, appid="wxSomeoneElse0000")
    assert response.status_code == 403
    assert "AppId" in error_of(response)["message"]
    assert count(InboundMessage) == 0


def test_safe_mode_with_a_wrong_msg_signature_is_403(client, safe_mode):
    response = post(client, build_text_xml(OPENID, "你好"), aes=True,
                    params={"msg_signature": "0" * 40})  # fmt: skip
    assert response.status_code == 403


def test_safe_mode_when_no_aes_key_is_configured_is_403(client):
    response = post(client, build_text_xml(OPENID, "你好"), aes=True)
    assert response.status_code == 403
    assert "WECHAT_ENCODING_AES_KEY" in error_of(response)["message"]


def test_safe_mode_envelope_that_does_not_decrypt_is_400(client, safe_mode):
    timestamp, nonce, garbage = "1795559102", "1", base64.b64encode(b"x" * 40).decode()
    query = {"timestamp": timestamp, "nonce": nonce, "encrypt_type": "aes",
             "msg_signature": sign_parts(TOKEN, timestamp, nonce, garbage)}  # fmt: skip
    body = f"<xml><ToUserName>gh</ToUserName><Encrypt>{garbage}</Encrypt></xml>"
    response = client.post(URL, query_string=query, data=body)
    assert response.status_code == 400


def sign_parts(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def test_compatible_mode_reads_the_encrypted_part(client, safe_mode):
    timestamp, nonce = str(int(time.time())), "77"
    inner = build_text_xml(OPENID, "想租仓库")
    envelope, msg_signature = encrypt_envelope(
        inner, token=TOKEN, aes_key=AES_KEY, appid=APPID, timestamp=timestamp, nonce=nonce
    )
    # Compatible mode: the plain fields (here deliberately different) plus <Encrypt>.
    decoy = build_text_xml(OPENID, "想买地").removesuffix("</xml>")
    body = decoy + envelope.removeprefix("<xml>").split("</ToUserName>", 1)[1]
    query = {"signature": sign(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
             "encrypt_type": "aes", "msg_signature": msg_signature}  # fmt: skip
    response = client.post(URL, query_string=query, data=body.encode())
    assert "仓库" in text_of(response, aes=True)


# --- hostile and broken bodies -----------------------------------------------------------------


def test_malformed_xml_is_400_with_a_message(client):
    response = post(client, b"<xml><MsgType>text</MsgType><Content>unclosed</xml>")
    assert response.status_code == 400
    assert "malformed XML" in error_of(response)["message"]


def test_billion_laughs_is_refused_fast_without_expansion(client):
    tracemalloc.start()
    started = time.perf_counter()
    response = post(client, BILLION_LAUGHS)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert response.status_code == 400
    assert "DTD" in error_of(response)["message"]
    assert elapsed < 1.0
    assert peak < 5 * 1024 * 1024  # the expansion would be ~3 GB of "lol"
    assert count(InboundMessage) == 0


def test_entity_bomb_inside_a_safe_mode_envelope_is_400(client, safe_mode):
    response = post(client, BILLION_LAUGHS, aes=True)
    assert response.status_code == 400


def test_body_over_one_megabyte_is_413(client):
    padding = "厂" * (700 * 1024)  # 2.1 MB in UTF-8
    response = post(client, build_text_xml(OPENID, padding))
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


def test_body_above_the_app_default_but_under_one_megabyte_is_accepted(client):
    long_text = "想租厂房。" * 30_000  # ~450 KB: over the app's 256 KB default
    assert post(client, build_text_xml(OPENID, long_text)).status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"<message><MsgType>text</MsgType></message>", "root element"),
        (b"<xml><MsgType>text</MsgType><Content>hi</Content></xml>", "FromUserName"),
        (b"<xml><FromUserName>o1</FromUserName></xml>", "MsgType"),
    ],
)
def test_xml_that_is_not_a_wechat_message_is_400(client, body, message):
    response = post(client, body)
    assert response.status_code == 400
    assert message in error_of(response)["message"]


def test_unknown_message_type_gets_a_polite_reply(client):
    xml = build_text_xml(OPENID, "x").replace("[text]", "[miniprogrampage]")
    assert "只能看懂文字" in text_of(post(client, xml))


@pytest.mark.parametrize("event", ["TEMPLATESENDJOBFINISH", "VIEW", "something_new"])
def test_other_events_are_answered_with_success(client, event):
    response = post(client, build_event_xml(OPENID, event, event_key="x"))
    assert response.get_data(as_text=True) == "success"


def test_reply_survives_a_cdata_terminator_in_what_it_echoes(client):
    post(client, build_text_xml(OPENID, "想租5000平厂房 13812345678"))  # next: the company
    assert "A]]>B" in text_of(post(client, build_text_xml(OPENID, "A]]>B")))


def test_a_failure_while_handling_answers_success_and_keeps_the_delivery(client, monkeypatch):
    def broken(*_args: Any) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(conversation, "step", broken)
    response = post(client, build_text_xml(OPENID, "你好"))
    assert response.get_data(as_text=True) == "success"
    row = db.session.scalars(select(InboundMessage)).one()
    assert row.handled_at is None


# --- each message and event type -------------------------------------------------------------


def test_text_message_is_understood(client):
    assert "租厂房" in text_of(post(client, build_text_xml(OPENID, "我想租厂房")))


def test_voice_with_recognition_is_read_as_text(client):
    assert "仓库" in text_of(post(client, build_voice_xml(OPENID, "我想租个仓库")))


def test_voice_without_recognition_asks_to_type(client):
    xml = build_voice_xml(OPENID, "x").replace("<Recognition><![CDATA[x]]></Recognition>", "")
    assert "打字" in text_of(post(client, xml))


def test_image_is_acknowledged(client):
    assert "收到图片" in text_of(post(client, build_image_xml(OPENID)))


def test_location_is_acknowledged_and_fills_the_district(client):
    xml = build_location_xml(OPENID, 27.8, 113.1, label="湖南省株洲市芦淞区建设南路")
    reply = text_of(post(client, xml))
    assert "收到您的位置" in reply
    assert "芦淞区" in reply


def test_link_is_acknowledged(client):
    xml = build_link_xml(OPENID, "https://example.com/about", title="我们公司介绍")
    assert "收到链接" in text_of(post(client, xml))


def test_subscribe_greets_with_the_choices(client):
    reply = text_of(post(client, build_subscribe_xml(OPENID)))
    assert "欢迎关注" in reply
    assert "5 投资合作" in reply


def test_subscribe_through_a_qr_code_keeps_the_scene(client):
    post(client, build_subscribe_xml(OPENID, scene="brochure_2026"))
    follower = db.session.scalars(select(WechatUser)).one()
    assert (follower.subscribed, follower.first_scene) == (True, "brochure_2026")


def test_unsubscribe_is_recorded_and_answered_with_success(client):
    post(client, build_subscribe_xml(OPENID))
    response = post(client, build_event_xml(OPENID, "unsubscribe"))
    assert response.get_data(as_text=True) == "success"
    follower = db.session.scalars(select(WechatUser)).one()
    assert follower.subscribed is False
    assert follower.unsubscribed_at is not None


def test_scan_by_a_follower_welcomes_them_back(client):
    reply = text_of(post(client, build_scan_xml(OPENID, "expo_booth_7")))
    assert "欢迎回来" in reply
    assert db.session.scalars(select(WechatUser)).one().last_scene == "expo_booth_7"


def test_menu_click_sets_the_need_and_asks_the_next_question(client):
    reply = text_of(post(client, build_click_xml(OPENID, "NEED_LAND")))
    assert "亩" in reply


def test_menu_contact_agent_hands_over(client):
    assert "转接招商专员" in text_of(post(client, build_click_xml(OPENID, "CONTACT_AGENT")))


# --- exactly once ---------------------------------------------------------------------------------


def wechat_lead_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(Lead).where(Lead.channel == Channel.WECHAT)
    )


def test_repeated_msgid_gets_the_same_reply_and_creates_nothing_twice(client):
    xml = build_text_xml(OPENID, "想租5000平厂房，电话13812345678", msg_id=424242)
    first = post(client, xml)
    retries = [post(client, xml) for _ in range(3)]
    assert all(r.get_data() == first.get_data() for r in retries)
    assert count(InboundMessage) == 1
    assert wechat_lead_count() == 1


def test_repeated_event_is_answered_once(client):
    xml = build_subscribe_xml(OPENID, scene="expo", create_time=1795559102)
    first = post(client, xml)
    assert post(client, xml).get_data() == first.get_data()
    assert count(InboundMessage) == 1


def test_retry_in_safe_mode_is_encrypted_afresh_with_the_same_reply(client, safe_mode):
    xml = build_text_xml(OPENID, "想租厂房", msg_id=777)
    first, again = post(client, xml, aes=True), post(client, xml, aes=True)
    assert first.get_data() != again.get_data()  # a new nonce and ciphertext
    assert text_of(first, aes=True) == text_of(again, aes=True)
    assert count(InboundMessage) == 1


def test_delivery_is_stored_with_its_raw_xml_and_reply(client):
    xml = build_text_xml(OPENID, "想租厂房", msg_id=99)
    post(client, xml)
    row = db.session.scalars(select(InboundMessage)).one()
    assert (row.dedupe_key, row.openid, row.msg_type) == (f"msg:{OPENID}:99", OPENID, "text")
    assert row.raw_xml == xml
    assert row.handled_at is not None
    assert "租厂房" in (row.reply_xml or "")


def test_callback_answers_well_inside_five_seconds(client):
    post(client, build_text_xml(OPENID, "你好"))  # warm up
    started = time.perf_counter()
    post(
        client,
        build_text_xml(OPENID, "我们做新能源电池，想在芦淞区租5000平厂房，王先生13812345678"),
    )
    assert time.perf_counter() - started < 0.5
