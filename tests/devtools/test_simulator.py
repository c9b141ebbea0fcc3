"""The WeChat prospect simulator, checked against wechatpy (WeChat's protocol as a library
reads it) and a small stand-in callback served over real HTTP."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask, Response, request
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature
from werkzeug.serving import make_server

from app.cli import main
from app.devtools import simulator as sim
from app.devtools.simulator import (
    Command,
    ScriptError,
    Simulator,
    SimulatorError,
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
    deliver,
    encrypt_envelope,
    parse_line,
    parse_script,
    post_message,
    sign,
    verify_url,
)

TOKEN = "testtoken"  # config/testing.py's WECHAT_TOKEN
APPID = "wx0000000000000000"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")


# --- signing and encryption ------------------------------------------------------------------


def test_signature_passes_wechatpys_check() -> None:
    check_signature(TOKEN, sign(TOKEN, "1795559102", "48271"), "1795559102", "48271")


def test_signature_with_another_token_fails_wechatpys_check() -> None:
    with pytest.raises(InvalidSignatureException):
        check_signature(TOKEN, sign("other", "1795559102", "48271"), "1795559102", "48271")


def test_encrypted_envelope_decrypts_with_wechatpy() -> None:
    plain = build_text_xml("o-prospect", "我们想租5000平厂房")
    body, msg_signature = encrypt_envelope(
        plain, token=TOKEN, aes_key=AES_KEY, appid=APPID, timestamp="1795559102", nonce="48271"
    )

    decrypted = WeChatCrypto(TOKEN, AES_KEY, APPID).decrypt_message(
        body, msg_signature, "1795559102", "48271"
    )

    assert decrypted == plain


def test_encrypted_envelope_carries_only_the_account_and_the_ciphertext() -> None:
    body, _ = encrypt_envelope(
        build_text_xml("o-prospect", "hi"),
        token=TOKEN,
        aes_key=AES_KEY,
        appid=APPID,
        timestamp="1",
        nonce="2",
    )
    fields = sim._xml_fields(body)
    assert set(fields) == {"ToUserName", "Encrypt"}
    assert "o-prospect" not in body


def test_reply_encrypted_by_wechatpy_is_decrypted() -> None:
    reply = TextReply(source="gh_parklead", target="o-prospect", content="请问需要多大面积?")
    envelope = WeChatCrypto(TOKEN, AES_KEY, APPID).encrypt_message(reply.render(), "nonce1")

    plain = decrypt_reply(envelope, token=TOKEN, aes_key=AES_KEY, appid=APPID)

    assert sim.reply_text(plain) == ("text", "请问需要多大面积?")


def test_reply_with_a_wrong_signature_is_refused() -> None:
    reply = TextReply(source="gh_parklead", target="o-prospect", content="hi").render()
    envelope = WeChatCrypto("another-token", AES_KEY, APPID).encrypt_message(reply, "n")

    with pytest.raises(SimulatorError, match="MsgSignature"):
        decrypt_reply(envelope, token=TOKEN, aes_key=AES_KEY, appid=APPID)


@pytest.mark.parametrize("key", ["short", AES_KEY[:-1] + "!", AES_KEY + "A"])
def test_malformed_aes_key_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match="43-character"):
        encrypt_envelope("<xml/>", token=TOKEN, aes_key=key, appid=APPID, timestamp="1", nonce="2")


# --- WeChat's XML, read back by wechatpy ------------------------------------------------------


def test_text_message_reads_back() -> None:
    message = parse_message(build_text_xml("o-prospect", "你好", msg_id=42, create_time=1700000000))
    assert (message.type, message.source, message.target) == ("text", "o-prospect", "gh_parklead")
    assert message.content == "你好"
    assert message.id == 42
    assert message.create_time.timestamp() == 1700000000


def test_text_survives_xml_special_characters() -> None:
    content = "a]]>b <c> & d"
    assert parse_message(build_text_xml("o-prospect", content)).content == content


def test_messages_get_distinct_msg_ids() -> None:
    first = parse_message(build_text_xml("o-prospect", "a"))
    second = parse_message(build_text_xml("o-prospect", "a"))
    assert first.id != second.id


def test_subscribe_with_a_scene_carries_qrscene() -> None:
    event = parse_message(build_subscribe_xml("o-prospect", "fair2026"))
    assert event.event == "subscribe_scan"
    assert event.scene_id == "fair2026"
    assert sim._xml_fields(build_subscribe_xml("o-prospect", "fair2026"))["EventKey"] == (
        "qrscene_fair2026"
    )


def test_plain_subscribe_has_no_event_key() -> None:
    xml = build_subscribe_xml("o-prospect")
    assert parse_message(xml).event == "subscribe"
    assert "EventKey" not in sim._xml_fields(xml)
    assert "MsgId" not in sim._xml_fields(xml)


def test_scan_of_a_follower_carries_the_bare_scene() -> None:
    event = parse_message(build_scan_xml("o-prospect", "brochure"))
    assert (event.event, event.scene_id) == ("scan", "brochure")


def test_menu_click_carries_the_key() -> None:
    event = parse_message(build_click_xml("o-prospect", "NEED_FACTORY"))
    assert (event.event, event.key) == ("click", "NEED_FACTORY")


def test_unsubscribe_event() -> None:
    assert parse_message(build_event_xml("o-prospect", "unsubscribe")).event == "unsubscribe"


def test_location_message_puts_latitude_in_location_x() -> None:
    message = parse_message(build_location_xml("o-prospect", 27.83, 113.15, label="株洲高新区"))
    assert message.type == "location"
    assert tuple(map(float, message.location)) == (27.83, 113.15)
    assert message.label == "株洲高新区"


def test_voice_message_carries_the_recognition() -> None:
    message = parse_message(build_voice_xml("o-prospect", "想买五十亩工业用地"))
    assert (message.type, message.recognition, message.format) == (
        "voice",
        "想买五十亩工业用地",
        "amr",
    )


def test_image_and_link_messages() -> None:
    image = parse_message(build_image_xml("o-prospect", "http://example.com/a.jpg"))
    link = parse_message(build_link_xml("o-prospect", "http://example.com/p", title="项目介绍"))
    assert (image.type, image.image) == ("image", "http://example.com/a.jpg")
    assert (link.type, link.url, link.title) == ("link", "http://example.com/p", "项目介绍")


# --- script lines ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "command"),
    [
        ("我们想租厂房", Command("text", ("我们想租厂房",))),
        ("  有五十亩地吗  ", Command("text", ("有五十亩地吗",))),
        ("//slash first", Command("text", ("/slash first",))),
        ("/subscribe", Command("subscribe")),
        ("/subscribe fair2026", Command("subscribe", ("fair2026",))),
        ("/follow fair2026", Command("subscribe", ("fair2026",))),
        ("/unsubscribe", Command("unsubscribe")),
        ("/scan brochure", Command("scan", ("brochure",))),
        ("/CLICK NEED_LAND", Command("click", ("NEED_LAND",))),
        ("/location 27.8 113.1", Command("location", ("27.8", "113.1", ""))),
        ("/location 27.8 113.1 株洲 高新区", Command("location", ("27.8", "113.1", "株洲 高新区"))),
        ("/image", Command("image")),
        ("/voice 要 一万平 仓库", Command("voice", ("要 一万平 仓库",))),
        ("/link http://x.cn 我们的 项目", Command("link", ("http://x.cn", "我们的 项目"))),
        ("/verify", Command("verify")),
        ("/exit", Command("quit")),
    ],
)
def test_lines_parse_into_commands(line: str, command: Command) -> None:
    assert parse_line(line) == command


@pytest.mark.parametrize("line", ["", "   ", "# a comment"])
def test_blank_lines_and_comments_are_skipped(line: str) -> None:
    assert parse_line(line) is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/dance", "unknown command /dance"),
        ("/click", "usage: /click KEY"),
        ("/click A B", "usage: /click KEY"),
        ("/scan", "usage: /scan SCENE"),
        ("/location 27.8", "usage: /location"),
        ("/location north east", "numbers"),
        ("/location 95 113", "±90"),
        ("/voice", "usage: /voice TEXT"),
        ("/quit now", "usage: /quit"),
    ],
)
def test_bad_lines_say_what_is_expected(line: str, message: str) -> None:
    with pytest.raises(ScriptError, match=message):
        parse_line(line)


def test_script_errors_name_the_line() -> None:
    with pytest.raises(ScriptError, match="line 3: unknown command /nope"):
        parse_script("# greet\n/subscribe\n/nope\n你好")


def test_script_parses_every_line() -> None:
    script = "/subscribe fair\n\n# comment\n我要厂房\n/voice 八千平\n/click HUMAN\n"
    assert [c.kind for c in parse_script(script)] == ["subscribe", "text", "voice", "click"]


# --- against a stand-in callback over HTTP -----------------------------------------------------


@dataclass
class StubCallback:
    """Answers like a callback: verifies like WeChat's SDK, replies with what it received."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)


def create_stub_app(stub: StubCallback) -> Flask:
    app = Flask("stub_callback")
    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)

    @app.get("/wechat/callback")
    def echo() -> Response:
        args = request.args
        try:
            check_signature(TOKEN, args["signature"], args["timestamp"], args["nonce"])
        except InvalidSignatureException:
            return Response("bad signature", status=403)
        return Response(args["echostr"], mimetype="text/plain")

    @app.post("/wechat/callback")
    def callback() -> Response:
        args = request.args
        body = request.get_data(as_text=True)
        aes = args.get("encrypt_type") == "aes"
        try:
            check_signature(TOKEN, args["signature"], args["timestamp"], args["nonce"])
            if aes:
                body = crypto.decrypt_message(
                    body, args["msg_signature"], args["timestamp"], args["nonce"]
                )
        except InvalidSignatureException:
            return Response("bad signature", status=403)
        message = parse_message(body)
        stub.received.append({"params": dict(args), "xml": body, "id": message.id})
        if message.type == "text" and message.content == "silent":
            return Response("success", mimetype="text/plain")
        said = message.content if message.type == "text" else f"{message.type}:{message.event}"
        reply = TextReply(message=message, content=f"收到 {said}").render()
        if aes:
            reply = crypto.encrypt_message(reply, "nonce42")
        return Response(reply, mimetype="application/xml")

    return app


@pytest.fixture
def stub() -> Iterator[StubCallback]:
    callback = StubCallback(url="")
    server = make_server("127.0.0.1", 0, create_stub_app(callback), threaded=True)
    callback.url = f"http://127.0.0.1:{server.server_port}/wechat/callback"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield callback
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_post_message_returns_the_bots_reply(stub: StubCallback) -> None:
    text = post_message(stub.url, build_text_xml("o-prospect", "你好"), token=TOKEN)

    assert text == "收到 你好"
    (delivery,) = stub.received
    assert delivery["params"]["openid"] == "o-prospect"
    assert "encrypt_type" not in delivery["params"]


def test_post_message_in_safe_mode_encrypts_and_decrypts(stub: StubCallback) -> None:
    reply = deliver(
        stub.url,
        build_text_xml("o-prospect", "有仓库吗"),
        token=TOKEN,
        aes_key=AES_KEY,
        appid=APPID,
    )

    assert reply.text == "收到 有仓库吗"
    assert "<Encrypt>" in reply.body
    assert reply.msg_type == "text"
    (delivery,) = stub.received
    assert delivery["params"]["encrypt_type"] == "aes"
    assert "有仓库吗" in delivery["xml"]


def test_events_are_delivered(stub: StubCallback) -> None:
    text = post_message(stub.url, build_subscribe_xml("o-prospect", "fair"), token=TOKEN)
    assert text == "收到 event:subscribe_scan"


def test_success_answer_is_an_empty_reply(stub: StubCallback) -> None:
    reply = deliver(stub.url, build_text_xml("o-prospect", "silent"), token=TOKEN)
    assert (reply.status, reply.xml, reply.text) == (200, "", "")


def test_refused_signature_is_an_error(stub: StubCallback) -> None:
    with pytest.raises(SimulatorError, match="HTTP 403"):
        post_message(stub.url, build_text_xml("o-prospect", "hi"), token="not-the-token")


def test_unreachable_callback_says_so() -> None:
    with pytest.raises(SimulatorError, match="is ParkLead running"):
        post_message(
            "http://127.0.0.1:9/wechat/callback",
            build_text_xml("o-prospect", "hi"),
            token=TOKEN,
            timeout=1,
        )


def test_verify_url_does_the_echostr_check(stub: StubCallback) -> None:
    assert verify_url(stub.url, token=TOKEN)
    assert not verify_url(stub.url, token="not-the-token")


def test_retry_resends_the_same_msg_id(stub: StubCallback) -> None:
    shown: list[str] = []
    simulator = Simulator(stub.url, token=TOKEN, openid="o-retry", retry=2, echo=shown.append)

    replies = simulator.run(Command("text", ("我要厂房",)))

    assert len(replies) == 3
    assert len({d["id"] for d in stub.received}) == 1
    assert len({d["params"]["nonce"] for d in stub.received}) == 3  # signed afresh each time
    assert shown[:2] == ["you> 我要厂房", "bot> 收到 我要厂房"]
    assert "same reply" in shown[2]


def test_interactive_session_runs_until_quit(stub: StubCallback) -> None:
    typed = iter(["/subscribe", "/bogus", "你好", "/quit", "never sent"])
    shown: list[str] = []
    simulator = Simulator(stub.url, token=TOKEN, openid="o-chat", echo=shown.append)

    failures = simulator.interact(prompt=False, read=lambda _prompt: next(typed))

    assert failures == 1
    assert len(stub.received) == 2
    assert any(line.startswith("error: unknown command /bogus") for line in shown)


def test_interactive_session_ends_at_end_of_input(stub: StubCallback) -> None:
    def read(_prompt: str) -> str:
        raise EOFError

    simulator = Simulator(stub.url, token=TOKEN, openid="o-eof", echo=lambda _line: None)
    assert simulator.interact(prompt=True, read=read) == 0


# --- the command ------------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PARKLEAD_ENV", "testing")
    monkeypatch.setenv("PARKLEAD_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("WECHAT_TOKEN", raising=False)
    monkeypatch.delenv("WECHAT_ENCODING_AES_KEY", raising=False)
    return tmp_path


def test_command_plays_a_script(stub: StubCallback, cli_env: Path) -> None:
    script = cli_env / "chat.txt"
    script.write_text("/subscribe fair2026\n# the prospect types\n我们想租厂房\n", encoding="utf-8")

    result = CliRunner().invoke(
        main,
        ["simulate-wechat", "--url", stub.url, "--script", str(script), "--openid", "o-cli"],
    )

    assert result.exit_code == 0, result.output
    assert "bot> 收到 event:subscribe_scan" in result.output
    assert "bot> 收到 我们想租厂房" in result.output
    assert [d["params"]["openid"] for d in stub.received] == ["o-cli", "o-cli"]


def test_command_in_safe_mode_with_retries(stub: StubCallback, cli_env: Path) -> None:
    script = cli_env / "chat.txt"
    script.write_text("八千平仓库\n", encoding="utf-8")

    result = CliRunner().invoke(
        main,
        [
            "simulate-wechat",
            "--url",
            stub.url,
            "--script",
            str(script),
            "--aes",
            "--aes-key",
            AES_KEY,
            "--retry",
            "1",
        ],
    )

    assert result.exit_code == 0, result.output
    assert result.output.count("收到 八千平仓库") == 1
    assert "retry 1 of the same delivery: same reply" in result.output
    assert [d["params"]["encrypt_type"] for d in stub.received] == ["aes", "aes"]


def test_command_stops_a_script_at_a_bad_line(stub: StubCallback, cli_env: Path) -> None:
    script = cli_env / "chat.txt"
    script.write_text("你好\n/location here\n再见\n", encoding="utf-8")

    result = CliRunner().invoke(
        main, ["simulate-wechat", "--url", stub.url, "--script", str(script)]
    )

    assert result.exit_code == 1
    assert "usage: /location" in result.output
    assert len(stub.received) == 1


def test_command_needs_the_aes_key_for_safe_mode(stub: StubCallback, cli_env: Path) -> None:
    result = CliRunner().invoke(main, ["simulate-wechat", "--url", stub.url, "--aes"])
    assert result.exit_code == 1
    assert "WECHAT_ENCODING_AES_KEY" in result.output
