"""Play a prospect against a running ParkLead's /wechat/callback, as WeChat would deliver it.

Builds WeChat's XML for messages and events, signs the request like WeChat (and encrypts it
like WeChat's safe mode), posts it and reads the passive reply. `parklead simulate-wechat`
drives it interactively or from a script; the callback's tests import the plain functions
(`build_text_xml`, `sign`, `encrypt_envelope`, `post_message`, ...).

Script and interactive lines are plain text messages, or commands (see `HELP`, or type
/help); lines starting with "#" are comments.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time
import xml.etree.ElementTree as ET  # only for the Element type and ParseError
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

DEFAULT_URL = "http://127.0.0.1:5000/wechat/callback"
# The official account's original id (gh_...), WeChat's ToUserName.
DEFAULT_ACCOUNT = "gh_parklead"


class SimulatorError(Exception):
    """The callback could not be reached, refused the delivery or answered unreadably."""


class ScriptError(ValueError):
    """A script line is not a message or a known command."""


# --- WeChat's XML --------------------------------------------------------------------------


def _cdata(value: str) -> str:
    # "]]>" would end the section early; split it across two sections as WeChat does.
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def new_msg_id() -> int:
    """A random 62-bit MsgId: unique across runs, so only deliberate retries collide."""
    return secrets.randbits(62)


def _envelope(
    openid: str,
    msg_type: str,
    fields: Iterable[tuple[str, str | int | float]],
    *,
    account: str,
    create_time: int | None,
) -> str:
    parts = [
        f"<ToUserName>{_cdata(account)}</ToUserName>",
        f"<FromUserName>{_cdata(openid)}</FromUserName>",
        f"<CreateTime>{create_time if create_time is not None else int(time.time())}</CreateTime>",
        f"<MsgType>{_cdata(msg_type)}</MsgType>",
    ]
    for name, value in fields:
        text = _cdata(value) if isinstance(value, str) else str(value)
        parts.append(f"<{name}>{text}</{name}>")
    return "<xml>" + "".join(parts) + "</xml>"


def build_text_xml(
    openid: str,
    content: str,
    *,
    account: str = DEFAULT_ACCOUNT,
    msg_id: int | None = None,
    create_time: int | None = None,
) -> str:
    fields = [("Content", content), ("MsgId", msg_id or new_msg_id())]
    return _envelope(openid, "text", fields, account=account, create_time=create_time)


def build_image_xml(
    openid: str,
    pic_url: str = "http://mmbiz.qpic.cn/simulated.jpg",
    *,
    media_id: str | None = None,
    account: str = DEFAULT_ACCOUNT,
    msg_id: int | None = None,
    create_time: int | None = None,
) -> str:
    fields = [
        ("PicUrl", pic_url),
        ("MediaId", media_id or f"media_{secrets.token_hex(8)}"),
        ("MsgId", msg_id or new_msg_id()),
    ]
    return _envelope(openid, "image", fields, account=account, create_time=create_time)


def build_voice_xml(
    openid: str,
    recognition: str,
    *,
    media_id: str | None = None,
    audio_format: str = "amr",
    account: str = DEFAULT_ACCOUNT,
    msg_id: int | None = None,
    create_time: int | None = None,
) -> str:
    """A voice message as WeChat sends it with speech recognition on (`Recognition`)."""
    fields = [
        ("MediaId", media_id or f"media_{secrets.token_hex(8)}"),
        ("Format", audio_format),
        ("Recognition", recognition),
        ("MsgId", msg_id or new_msg_id()),
    ]
    return _envelope(openid, "voice", fields, account=account, create_time=create_time)


def build_location_xml(
    openid: str,
    lat: float,
    lng: float,
    *,
    label: str = "",
    scale: int = 15,
    account: str = DEFAULT_ACCOUNT,
    msg_id: int | None = None,
    create_time: int | None = None,
) -> str:
    # WeChat's names: Location_X is the latitude, Location_Y the longitude.
    fields: list[tuple[str, str | int | float]] = [
        ("Location_X", lat),
        ("Location_Y", lng),
        ("Scale", scale),
        ("Label", label),
        ("MsgId", msg_id or new_msg_id()),
    ]
    return _envelope(openid, "location", fields, account=account, create_time=create_time)


def build_link_xml(
    openid: str,
    url: str,
    *,
    title: str = "",
    description: str = "",
    account: str = DEFAULT_ACCOUNT,
    msg_id: int | None = None,
    create_time: int | None = None,
) -> str:
    fields = [
        ("Title", title),
        ("Description", description),
        ("Url", url),
        ("MsgId", msg_id or new_msg_id()),
    ]
    return _envelope(openid, "link", fields, account=account, create_time=create_time)


def build_event_xml(
    openid: str,
    event: str,
    *,
    event_key: str | None = None,
    ticket: str | None = None,
    account: str = DEFAULT_ACCOUNT,
    create_time: int | None = None,
) -> str:
    """An event (no MsgId: WeChat's retries of an event share FromUserName + CreateTime)."""
    fields = [("Event", event)]
    if event_key is not None:
        fields.append(("EventKey", event_key))
    if ticket is not None:
        fields.append(("Ticket", ticket))
    return _envelope(openid, "event", fields, account=account, create_time=create_time)


def build_template_receipt_xml(
    openid: str,
    msgid: int | str,
    status: str = "success",
    *,
    account: str = DEFAULT_ACCOUNT,
    create_time: int | None = None,
) -> str:
    """WeChat's delivery report of a template message sent to `openid` (TEMPLATESENDJOBFINISH)."""
    fields = [("Event", "TEMPLATESENDJOBFINISH"), ("MsgID", str(msgid)), ("Status", status)]
    return _envelope(openid, "event", fields, account=account, create_time=create_time)


def build_subscribe_xml(
    openid: str,
    scene: str | None = None,
    *,
    account: str = DEFAULT_ACCOUNT,
    create_time: int | None = None,
) -> str:
    """Follow; through a QR code with `scene`, WeChat sends EventKey qrscene_<scene>."""
    if scene is None:
        return build_event_xml(openid, "subscribe", account=account, create_time=create_time)
    return build_event_xml(
        openid,
        "subscribe",
        event_key=f"qrscene_{scene}",
        ticket=_ticket(),
        account=account,
        create_time=create_time,
    )


def build_scan_xml(
    openid: str, scene: str, *, account: str = DEFAULT_ACCOUNT, create_time: int | None = None
) -> str:
    """A follower scans a QR code: Event SCAN, EventKey is the bare scene."""
    return build_event_xml(
        openid, "SCAN", event_key=scene, ticket=_ticket(), account=account, create_time=create_time
    )


def build_click_xml(
    openid: str, key: str, *, account: str = DEFAULT_ACCOUNT, create_time: int | None = None
) -> str:
    return build_event_xml(openid, "CLICK", event_key=key, account=account, create_time=create_time)


def _ticket() -> str:
    return "gQ" + secrets.token_urlsafe(30)


# --- signing and safe mode -------------------------------------------------------------------


def sign(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's `signature`: sha1 of token, timestamp and nonce, sorted and joined."""
    parts = sorted([token, timestamp, nonce])
    return hashlib.sha1("".join(parts).encode()).hexdigest()  # noqa: S324 - WeChat's scheme


def sign_message(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """WeChat's `msg_signature` in safe mode: the same, with the ciphertext as a fourth part."""
    parts = sorted([token, timestamp, nonce, encrypt])
    return hashlib.sha1("".join(parts).encode()).hexdigest()  # noqa: S324 - WeChat's scheme


def _aes_key_bytes(aes_key: str) -> bytes:
    try:
        key = base64.b64decode(aes_key + "=", validate=True)
    except binascii.Error:
        key = b""
    if len(aes_key) != 43 or len(key) != 32:
        raise ValueError("the EncodingAESKey must be WeChat's 43-character base64 key")
    return key


def encrypt_envelope(
    plain_xml: str,
    *,
    token: str,
    aes_key: str,
    appid: str,
    timestamp: str,
    nonce: str,
    account: str = DEFAULT_ACCOUNT,
) -> tuple[str, str]:
    """Encrypt a delivery like WeChat's safe mode: returns (body, msg_signature)."""
    encrypt = PrpCrypto(_aes_key_bytes(aes_key)).encrypt(plain_xml, appid).decode()
    body = (
        f"<xml><ToUserName>{_cdata(account)}</ToUserName><Encrypt>{_cdata(encrypt)}</Encrypt></xml>"
    )
    return body, sign_message(token, timestamp, nonce, encrypt)


def decrypt_reply(body: str, *, token: str, aes_key: str, appid: str) -> str:
    """Check and decrypt a safe-mode reply envelope (Encrypt, MsgSignature, TimeStamp, Nonce)."""
    fields = _xml_fields(body)
    missing = [k for k in ("Encrypt", "MsgSignature", "TimeStamp", "Nonce") if not fields.get(k)]
    if missing:
        raise SimulatorError(f"the encrypted reply lacks {', '.join(missing)}: {body[:200]}")
    _aes_key_bytes(aes_key)
    crypto = WeChatCrypto(token, aes_key, appid)
    try:
        # A dict, so wechatpy does not parse the reply again.
        return crypto.decrypt_message(
            {"Encrypt": fields["Encrypt"]},
            fields["MsgSignature"],
            fields["TimeStamp"],
            fields["Nonce"],
        )
    except InvalidSignatureException:
        raise SimulatorError("the reply's MsgSignature does not match the token") from None
    except InvalidAppIdException:
        raise SimulatorError("the reply was encrypted for another AppId") from None
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise SimulatorError(f"the reply could not be decrypted: {exc}") from None


@dataclass(frozen=True)
class SignedDelivery:
    """What WeChat POSTs: the query string and the body."""

    params: dict[str, str]
    body: str


def sign_delivery(
    xml: str,
    *,
    token: str,
    openid: str,
    aes_key: str | None = None,
    appid: str | None = None,
    account: str = DEFAULT_ACCOUNT,
    timestamp: str | None = None,
    nonce: str | None = None,
) -> SignedDelivery:
    """Sign `xml` for the callback, encrypting it when `aes_key` is given."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**10))
    params = {
        "signature": sign(token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "openid": openid,
    }
    if not aes_key:
        return SignedDelivery(params, xml)
    if not appid:
        raise ValueError("safe mode needs the AppId as well as the EncodingAESKey")
    body, msg_signature = encrypt_envelope(
        xml,
        token=token,
        aes_key=aes_key,
        appid=appid,
        timestamp=timestamp,
        nonce=nonce,
        account=account,
    )
    params.update(encrypt_type="aes", msg_signature=msg_signature)
    return SignedDelivery(params, body)


# --- posting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """The callback's answer. `xml` is the plain reply ("" when ParkLead answered "success"
    or nothing); `text` is what the prospect would read."""

    status: int
    body: str
    xml: str
    msg_type: str | None
    text: str

    def same_as(self, other: Reply) -> bool:
        # Replies carry their own CreateTime; compare what the prospect would see.
        return (self.msg_type, self.text) == (other.msg_type, other.text)


def _xml_fields(xml: str) -> dict[str, Any]:
    try:
        root = safe_fromstring(xml.encode("utf-8"), forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException) as exc:
        raise SimulatorError(f"not WeChat XML ({exc}): {xml[:200]}") from None
    return {child.tag: _element_value(child) for child in root}


def _element_value(element: ET.Element) -> Any:
    if len(element):
        return [{c.tag: _element_value(c) for c in item} for item in element]
    return element.text or ""


def reply_text(xml: str) -> tuple[str | None, str]:
    """(MsgType, readable text) of a passive reply."""
    if not xml:
        return None, ""
    fields = _xml_fields(xml)
    msg_type = fields.get("MsgType") or None
    if msg_type == "text":
        return msg_type, str(fields.get("Content", ""))
    if msg_type == "news":
        lines = []
        for item in fields.get("Articles") or []:
            line = str(item.get("Title", ""))
            if item.get("Description"):
                line += f" — {item['Description']}"
            if item.get("Url"):
                line += f" ({item['Url']})"
            lines.append(line)
        return msg_type, "\n".join(lines)
    if msg_type == "transfer_customer_service":
        return msg_type, "[handed over to a human agent]"
    return msg_type, f"[{msg_type} reply]"


def deliver(
    url: str,
    xml: str,
    *,
    token: str,
    aes_key: str | None = None,
    appid: str | None = None,
    account: str = DEFAULT_ACCOUNT,
    timeout: float = 5.0,
    session: requests.Session | None = None,
) -> Reply:
    """POST one delivery like WeChat and read the reply (decrypted in safe mode)."""
    openid = str(_xml_fields(xml).get("FromUserName", ""))
    signed = sign_delivery(
        xml, token=token, openid=openid, aes_key=aes_key, appid=appid, account=account
    )
    http = session or requests
    try:
        response = http.post(
            url,
            params=signed.params,
            data=signed.body.encode("utf-8"),
            headers={"Content-Type": "text/xml; charset=utf-8"},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise SimulatorError(f"could not reach {url} (is ParkLead running?): {exc}") from None
    body = response.content.decode("utf-8", errors="replace")
    if response.status_code != 200:
        raise SimulatorError(f"{url} answered HTTP {response.status_code}: {body[:300]}")
    if body.strip() in ("", "success"):
        return Reply(response.status_code, body, "", None, "")
    plain = body
    if aes_key and appid:
        plain = decrypt_reply(body, token=token, aes_key=aes_key, appid=appid)
    msg_type, text = reply_text(plain)
    return Reply(response.status_code, body, plain, msg_type, text)


def post_message(
    url: str,
    xml: str,
    *,
    token: str,
    aes_key: str | None = None,
    appid: str | None = None,
    account: str = DEFAULT_ACCOUNT,
    timeout: float = 5.0,
    session: requests.Session | None = None,
) -> str:
    """POST one delivery and return the text of the bot's reply ("" when it said nothing)."""
    return deliver(
        url,
        xml,
        token=token,
        aes_key=aes_key,
        appid=appid,
        account=account,
        timeout=timeout,
        session=session,
    ).text


def verify_url(url: str, *, token: str, timeout: float = 5.0) -> bool:
    """WeChat's server check: GET with a signature; a correct server echoes `echostr`."""
    timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
    echostr = secrets.token_hex(8)
    params = {
        "signature": sign(token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "echostr": echostr,
    }
    try:
        response = requests.get(url, params=params, timeout=timeout)
    except requests.RequestException as exc:
        raise SimulatorError(f"could not reach {url} (is ParkLead running?): {exc}") from None
    return response.status_code == 200 and response.text == echostr


# --- scripts and commands --------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """One script line: a message to send (`kind` is the message) or a control command."""

    kind: str
    args: tuple[str, ...] = ()


# name -> (usage, what it sends or does)
_COMMANDS = {
    "subscribe": ("/subscribe [SCENE]", "follow (through a QR code: EventKey qrscene_SCENE)"),
    "unsubscribe": ("/unsubscribe", "unfollow"),
    "scan": ("/scan SCENE", "scan a QR code while following (Event SCAN)"),
    "click": ("/click KEY", "a menu click"),
    "location": ("/location LAT LNG [LABEL]", "a location message"),
    "image": ("/image [URL]", "an image message"),
    "voice": ("/voice TEXT", "a voice message WeChat transcribed as TEXT (Recognition)"),
    "link": ("/link URL [TITLE]", "a link message"),
    "verify": ("/verify", "WeChat's echostr check of the URL (GET)"),
    "help": ("/help", "this list"),
    "quit": ("/quit", "stop"),
}
HELP = "\n".join(
    [
        "Type a message, or a command:",
        *(f"  {usage:<27} {what}" for usage, what in _COMMANDS.values()),
        "  {:<27} {}".format("//TEXT", 'a text message that starts with "/"'),
    ]
)
_ALIASES = {"exit": "quit", "follow": "subscribe", "unfollow": "unsubscribe"}


def parse_line(line: str) -> Command | None:
    """A line of a script or of interactive input; None for blank lines and # comments."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    if stripped.startswith("//"):
        return Command("text", (stripped[1:],))
    if not stripped.startswith("/"):
        return Command("text", (stripped,))
    name, _, rest = stripped[1:].partition(" ")
    name = _ALIASES.get(name.lower(), name.lower())
    rest = rest.strip()
    words = tuple(rest.split())
    if name not in _COMMANDS:
        raise ScriptError(f"unknown command /{name}; try /help")
    usage = f"usage: {_COMMANDS[name][0]}"
    if name in ("unsubscribe", "verify", "help", "quit"):
        if words:
            raise ScriptError(usage)
        return Command(name)
    if name == "subscribe":
        if len(words) > 1:
            raise ScriptError(usage)
        return Command(name, words)
    if name in ("scan", "click"):
        if len(words) != 1:
            raise ScriptError(usage)
        return Command(name, words)
    if name == "location":
        if len(words) < 2:
            raise ScriptError(usage)
        try:
            lat, lng = float(words[0]), float(words[1])
        except ValueError:
            raise ScriptError(f"{usage} (LAT and LNG are numbers)") from None
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise ScriptError(f"{usage} (LAT within ±90, LNG within ±180)")
        label = rest.split(None, 2)[2] if len(words) > 2 else ""
        return Command(name, (words[0], words[1], label))
    if name == "image":
        if len(words) > 1:
            raise ScriptError(usage)
        return Command(name, words)
    if name == "voice":
        if not rest:
            raise ScriptError(usage)
        return Command(name, (rest,))
    # link
    if not words:
        raise ScriptError(usage)
    title = rest.split(None, 1)[1] if len(words) > 1 else ""
    return Command(name, (words[0], title))


def parse_script(text: str) -> list[Command]:
    """Every command of a script; ScriptError names the first bad line."""
    commands = []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            command = parse_line(line)
        except ScriptError as exc:
            raise ScriptError(f"line {number}: {exc}") from None
        if command is not None:
            commands.append(command)
    return commands


def build_xml(command: Command, openid: str, *, account: str = DEFAULT_ACCOUNT) -> str:
    """The delivery XML for a command that sends something."""
    kind, args = command.kind, command.args
    builders: dict[str, Callable[[], str]] = {
        "text": lambda: build_text_xml(openid, args[0], account=account),
        "subscribe": lambda: build_subscribe_xml(
            openid, args[0] if args else None, account=account
        ),
        "unsubscribe": lambda: build_event_xml(openid, "unsubscribe", account=account),
        "scan": lambda: build_scan_xml(openid, args[0], account=account),
        "click": lambda: build_click_xml(openid, args[0], account=account),
        "location": lambda: build_location_xml(
            openid, float(args[0]), float(args[1]), label=args[2], account=account
        ),
        "image": lambda: (
            build_image_xml(openid, args[0], account=account)
            if args
            else build_image_xml(openid, account=account)
        ),
        "voice": lambda: build_voice_xml(openid, args[0], account=account),
        "link": lambda: build_link_xml(openid, args[0], title=args[1], account=account),
    }
    if kind not in builders:
        raise ValueError(f"/{kind} does not send a message")
    return builders[kind]()


def describe(command: Command) -> str:
    """How a command is echoed as the prospect's turn."""
    if command.kind == "text":
        return command.args[0]
    return "/" + " ".join([command.kind, *(a for a in command.args if a)])


class Simulator:
    """A prospect talking to one callback URL; prints both sides through `echo`."""

    def __init__(
        self,
        url: str,
        *,
        token: str,
        openid: str,
        aes_key: str | None = None,
        appid: str | None = None,
        account: str = DEFAULT_ACCOUNT,
        retry: int = 0,
        timeout: float = 5.0,
        echo: Callable[[str], None] = print,
    ) -> None:
        self.url = url
        self.token = token
        self.openid = openid
        self.aes_key = aes_key
        self.appid = appid
        self.account = account
        self.retry = retry
        self.timeout = timeout
        self.echo = echo
        self.show_sent = True
        self._http = requests.Session()

    def send(self, xml: str) -> Reply:
        return deliver(
            self.url,
            xml,
            token=self.token,
            aes_key=self.aes_key,
            appid=self.appid,
            account=self.account,
            timeout=self.timeout,
            session=self._http,
        )

    def run(self, command: Command) -> list[Reply]:
        """Carry out one command; returns the replies (the first, then one per retry)."""
        if command.kind == "help":
            self.echo(HELP)
            return []
        if command.kind == "verify":
            ok = verify_url(self.url, token=self.token, timeout=self.timeout)
            self.echo("echostr check: " + ("ok" if ok else "FAILED"))
            return []
        if command.kind == "quit":
            return []
        xml = build_xml(command, self.openid, account=self.account)
        if self.show_sent:
            self.echo(f"you> {describe(command)}")
        replies = [self.send(xml)]
        self._show(replies[0])
        for attempt in range(1, self.retry + 1):
            # WeChat re-sends the very same XML (same MsgId / CreateTime) when it gets no
            # answer in time; ParkLead must answer again without acting twice.
            reply = self.send(xml)
            same = "same reply" if reply.same_as(replies[0]) else "DIFFERENT reply"
            self.echo(f"   (retry {attempt} of the same delivery: {same})")
            replies.append(reply)
        return replies

    def _show(self, reply: Reply) -> None:
        if not reply.text:
            self.echo("bot> (no reply)")
            return
        lines = reply.text.splitlines() or [""]
        self.echo(f"bot> {lines[0]}")
        for line in lines[1:]:
            self.echo(f"     {line}")

    def run_lines(self, lines: Iterable[str], *, stop_on_error: bool) -> int:
        """Run lines (a script or stdin); returns the number of failed lines."""
        failures = 0
        for line in lines:
            try:
                command = parse_line(line)
                if command is None:
                    continue
                if command.kind == "quit":
                    break
                self.run(command)
            except (ScriptError, SimulatorError) as exc:
                failures += 1
                self.echo(f"error: {exc}")
                if stop_on_error:
                    break
        return failures

    def interact(self, *, prompt: bool, read: Callable[[str], str] = input) -> int:
        """Read lines until /quit or end of input; errors are shown, not fatal."""
        if prompt:
            self.echo("Type a message, /help for commands, /quit to stop.")
            # The prompt already shows what was typed.
            self.show_sent = False

        def lines() -> Iterator[str]:
            while True:
                try:
                    yield read("you> " if prompt else "")
                except EOFError:
                    return

        return self.run_lines(lines(), stop_on_error=False)

    def close(self) -> None:
        self._http.close()


def random_openid() -> str:
    """An openid shaped like WeChat's (28 characters starting with "o")."""
    return "oSim" + secrets.token_urlsafe(18)[:24]
