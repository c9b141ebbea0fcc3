"""WeChat's callback protocol: signatures, safe-mode envelopes, XML in and out (docs/security.md).

Untrusted XML is only ever parsed here, by defusedxml with DTDs forbidden: an entity bomb or
an external entity is refused at its DOCTYPE, before anything could be expanded. wechatpy
signs, verifies and does the AES work, always on the envelope we already parsed, so its own
XML parsing (xmltodict) never sees a request body.

Modes (WeChat's names): plain (明文), compatible (兼容: plain fields plus `Encrypt`) and safe
(安全: `Encrypt` only). A request with `encrypt_type=aes` is decrypted and answered encrypted;
any other request is read as plain XML.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import hmac
import secrets
import struct
import time
import xml.etree.ElementTree as ET  # only for the ParseError and Element types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring
from flask import Response
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import WeChatSigner

from app.core.errors import AppError, Forbidden, MalformedBody

# WeChat's messages are a few KB; 1 MB leaves room for compatible mode's doubled body while
# refusing anything that could only be an attack (the app-wide default is 256 KB).
MAX_BODY_BYTES = 1024 * 1024
# A dedupe key longer than this (a hostile MsgId) is stored as its hash.
_MAX_KEY = 120
_OPENID_MAX = 64


class SignatureRejected(Forbidden):
    code = "invalid_signature"


class NotConfigured(AppError):
    status = 503
    code = "wechat_not_configured"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message or event as WeChat sent it (decrypted when it came in safe mode)."""

    fields: dict[str, Any]
    raw_xml: str

    def get(self, name: str) -> str | None:
        value = self.fields.get(name)
        return value if isinstance(value, str) else None

    @property
    def openid(self) -> str:
        return self.fields["FromUserName"]

    @property
    def account(self) -> str:
        """The official account's original id (ToUserName), the sender of our reply."""
        return self.get("ToUserName") or ""

    @property
    def msg_type(self) -> str:
        return self.fields["MsgType"].strip().lower()[:32]

    @property
    def event(self) -> str | None:
        if self.msg_type != "event":
            return None
        return (self.get("Event") or "").strip().lower()[:64] or None

    @property
    def sent_at(self) -> dt.datetime | None:
        """CreateTime as an aware UTC datetime, or None when it is missing or absurd."""
        try:
            stamp = int(self.get("CreateTime") or "")
            return dt.datetime.fromtimestamp(stamp, dt.UTC)
        except (ValueError, OverflowError, OSError):
            return None

    @property
    def dedupe_key(self) -> str:
        """WeChat's advice: MsgId for messages, FromUserName + CreateTime for events. An event
        about one of our messages (a template receipt) adds that message's MsgID: two receipts
        to one agent in the same second are two deliveries. A message's key names its sender
        too, so a MsgId replayed from another openid never gets the first sender's stored
        reply (docs/security.md)."""
        msg_id = (self.get("MsgId") or "").strip()
        if msg_id and self.msg_type != "event":
            key = f"msg:{self.openid}:{msg_id}"
        else:
            key = f"evt:{self.openid}:{self.get('CreateTime') or ''}:{self.event or ''}"
            about = (self.get("MsgID") or "").strip()
            if about:
                key += f":{about}"
        if len(key) > _MAX_KEY:
            key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
        return key


@dataclass(frozen=True, slots=True)
class Opened:
    delivery: Delivery
    crypto: WeChatCrypto | None  # set when the request came encrypted: encrypt the reply too


# --- XML ---------------------------------------------------------------------------------------


def parse_xml(body: bytes | str) -> dict[str, Any]:
    """WeChat's flat `<xml>` document as a dict; 400 for anything malformed or with a DTD.

    Nested elements (e.g. ScanCodeInfo) become dicts one level deep; deeper ones are ignored,
    so a deeply nested body cannot exhaust the stack.
    """
    if not body or not body.strip():
        raise MalformedBody("the body is empty; WeChat posts an XML message")
    try:
        root = safe_fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise MalformedBody("XML with a DTD or entity declarations is not accepted") from None
    except ET.ParseError as exc:
        raise MalformedBody(f"malformed XML: {exc}") from None
    if root.tag != "xml":
        raise MalformedBody(f"the root element must be <xml>, not <{root.tag}>")
    return {child.tag: _value(child, depth=1) for child in root}


def _value(element: ET.Element, depth: int) -> Any:
    if len(element) == 0 or depth >= 2:
        return (element.text or "").strip()
    return {child.tag: _value(child, depth + 1) for child in element}


def _delivery(fields: dict[str, Any], raw_xml: str) -> Delivery:
    for required in ("FromUserName", "MsgType"):
        value = fields.get(required)
        if not isinstance(value, str) or not value.strip():
            raise MalformedBody(f"the message has no {required}")
    if len(fields["FromUserName"]) > _OPENID_MAX:
        raise MalformedBody(f"FromUserName is longer than {_OPENID_MAX} characters")
    return Delivery(fields, raw_xml)


# --- signatures and envelopes -------------------------------------------------------------------


def _token(config: Mapping[str, Any]) -> str:
    token = config.get("WECHAT_TOKEN")
    if not token:
        raise NotConfigured("WeChat is not configured here: set WECHAT_TOKEN")
    return token


def _sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _required(args: Mapping[str, str], *names: str) -> list[str]:
    values = [args.get(name) or "" for name in names]
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        raise SignatureRejected(f"missing {', '.join(missing)}: requests must be signed by WeChat")
    return values


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison that also takes non-ASCII input (a mismatch, never a 500)."""
    return hmac.compare_digest(expected.encode(), given.lower().encode("utf-8", "replace"))


def check_timestamp(timestamp: str, config: Mapping[str, Any], *, now: float | None = None) -> None:
    """Refuse a signed request whose timestamp is outside the replay window: a plain-mode
    signature covers only token, timestamp and nonce, so without this a leaked signed URL
    would work forever, for any body (docs/security.md)."""
    tolerance = int(config.get("WECHAT_TIMESTAMP_TOLERANCE_SECONDS") or 0)
    if tolerance <= 0:
        return
    try:
        stamp = int(timestamp)
    except ValueError:
        raise SignatureRejected("timestamp must be WeChat's Unix time in seconds") from None
    if abs((time.time() if now is None else now) - stamp) > tolerance:
        raise SignatureRejected(
            f"timestamp is more than {tolerance} seconds from our clock: replayed or stale"
        )


def check_signature(args: Mapping[str, str], config: Mapping[str, Any]) -> None:
    """Verify `signature` = sha1(sorted token, timestamp, nonce) and the timestamp's window;
    403 when wrong, stale or missing."""
    signature, timestamp, nonce = _required(args, "signature", "timestamp", "nonce")
    expected = _sign(_token(config), timestamp, nonce)
    if not _same(expected, signature):
        raise SignatureRejected("the signature does not match WECHAT_TOKEN")
    check_timestamp(timestamp, config)


def message_mode(config: Mapping[str, Any]) -> str:
    """safe, compatible or plain (WECHAT_MESSAGE_MODE; by default safe when an AES key is
    configured)."""
    mode = (config.get("WECHAT_MESSAGE_MODE") or "").strip().lower()
    if mode in ("safe", "compatible", "plain"):
        return mode
    return "safe" if config.get("WECHAT_ENCODING_AES_KEY") else "plain"


def crypto_for(config: Mapping[str, Any]) -> WeChatCrypto:
    aes_key = config.get("WECHAT_ENCODING_AES_KEY")
    app_id = config.get("WECHAT_APP_ID")
    if not aes_key or not app_id:
        raise SignatureRejected(
            "safe mode (encrypt_type=aes) is not enabled here: set WECHAT_ENCODING_AES_KEY "
            "and WECHAT_APP_ID"
        )
    try:
        return WeChatCrypto(_token(config), aes_key, app_id)
    except (AssertionError, ValueError, binascii.Error):
        raise NotConfigured("WECHAT_ENCODING_AES_KEY must be WeChat's 43-character key") from None


def open_delivery(body: bytes, args: Mapping[str, str], config: Mapping[str, Any]) -> Opened:
    """Verify and read a POSTed delivery in plain, compatible or safe mode."""
    if (args.get("encrypt_type") or "raw").lower() != "aes":
        check_signature(args, config)
        if message_mode(config) == "safe":
            # In safe mode WeChat encrypts every delivery; a plain one is not WeChat's.
            raise SignatureRejected(
                "the account is in safe mode: plain deliveries are refused "
                "(WECHAT_MESSAGE_MODE=compatible accepts them)"
            )
        fields = parse_xml(body)
        return Opened(_delivery(fields, body.decode("utf-8", errors="replace")), None)

    msg_signature, timestamp, nonce = _required(args, "msg_signature", "timestamp", "nonce")
    if not msg_signature.isascii():
        raise SignatureRejected("msg_signature does not match WECHAT_TOKEN")
    crypto = crypto_for(config)
    envelope = parse_xml(body)
    if not isinstance(envelope.get("Encrypt"), str) or not envelope["Encrypt"]:
        raise MalformedBody("encrypt_type=aes but the body has no <Encrypt>")
    try:
        # A dict, so wechatpy does not parse the body again.
        plain = crypto.decrypt_message(envelope, msg_signature, timestamp, nonce)
    except InvalidSignatureException:
        raise SignatureRejected("msg_signature does not match WECHAT_TOKEN") from None
    except InvalidAppIdException:
        raise SignatureRejected("the envelope is for another AppId") from None
    except (ValueError, TypeError, IndexError, struct.error, UnicodeDecodeError):
        # binascii.Error is a ValueError: bad base64, bad padding, a truncated block.
        raise MalformedBody(
            "<Encrypt> could not be decrypted with WECHAT_ENCODING_AES_KEY"
        ) from None
    check_timestamp(timestamp, config)
    return Opened(_delivery(parse_xml(plain), plain), crypto)


# --- replies ------------------------------------------------------------------------------------


def _cdata(text: str) -> str:
    # wechatpy writes values into CDATA as they are; a "]]>" inside would end it early.
    return text.replace("]]>", "]]]]><![CDATA[>")


def render_text_reply(delivery: Delivery, content: str, *, now: float | None = None) -> str:
    """A passive text reply to `delivery` (plain XML; encrypted later if need be)."""
    reply = TextReply(
        source=_cdata(delivery.account),
        target=_cdata(delivery.openid),
        content=_cdata(content),
        time=int(now if now is not None else time.time()),
    )
    return reply.render()


def reply_response(reply_xml: str, crypto: WeChatCrypto | None) -> Response:
    """The HTTP answer: WeChat reads "success" as "received, nothing to say" (no retry)."""
    if not reply_xml:
        return Response("success", mimetype="text/plain")
    if crypto is not None:
        reply_xml = crypto.encrypt_message(reply_xml, secrets.token_hex(8))
    return Response(reply_xml, mimetype="application/xml")
