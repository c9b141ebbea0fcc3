"""WeChat API client: shared access token, bounded retries, customer-service window
(docs/notifications.md).

Built on wechatpy's `WeChatClient` and the shared token of `app.core.token_client`, which
replace four of wechatpy 1.8's behaviours:

- `fetch_access_token` is hard-wired to https://api.weixin.qq.com and has no timeout; ours
  uses `WECHAT_API_BASE_URL` and the client's timeouts.
- `auto_retry` refreshes the token and calls `_request` again on every 40001/40014/42001,
  without a bound: one bad credential can spend the 2,000-a-day token quota. It is off; we
  refresh once and retry once.
- Nothing coordinates processes: each refresh invalidates the token the others hold. One
  process refreshes at a time under a Redis lock, and re-reads the shared token after taking
  the lock, because whoever held it before has usually fetched a fresh one already.
- `MemoryStorage` ignores the TTL (wechatpy relies on a per-instance `expires_at` instead), so
  embedded mode uses a small TTL-aware store shared by every client in the process.

Errors reach the caller as `WechatApiError` (WeChat answered with an errcode) or
`WechatTransportError` (no usable answer: connection, timeout, 5xx, non-JSON); the
notification outbox decides whether to retry.
"""

from __future__ import annotations

import datetime as dt
import enum
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

import redis
import requests
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from wechatpy import WeChatClient
from wechatpy.session import SessionStorage

from app.core.db import db, matched_rows, utcnow
from app.core.token_client import (
    DEFAULT_TIMEOUT,
    LOCK_TIMEOUT_SECONDS,
    LOCK_WAIT_SECONDS,
    TOKEN_EARLY_REFRESH_SECONDS,
    MemoryTokenStorage,
    SharedTokenClient,
    WechatAnswerUnknown,
    WechatApiError,
    WechatError,
    WechatNotConfigured,
    WechatTransportError,
    app_client,
    memory_storage_for,
    shared_token_storage,
)
from app.notifications.models import Notification, NotificationChannel, NotificationStatus
from app.wechat.followers import Follower
from app.wechat.models import WechatUser

__all__ = [  # the token client's names, as this module's callers have always used them
    "DEFAULT_TIMEOUT",
    "TOKEN_EARLY_REFRESH_SECONDS",
    "MemoryTokenStorage",
    "SharedTokenClient",
    "WechatAnswerUnknown",
    "WechatApiError",
    "WechatError",
    "WechatNotConfigured",
    "WechatTransportError",
    "app_client",
    "memory_storage_for",
    "shared_token_storage",
]

DEFAULT_BASE_URL = "https://api.weixin.qq.com/cgi-bin/"
SHOWQRCODE_URL = "https://mp.weixin.qq.com/cgi-bin/showqrcode"
STORAGE_PREFIX = "parklead:wechat"


# Customer-service messages (docs/notifications.md): 5 within 48 hours of the prospect's last
# message, and 3 within a minute of a menu click, a follow or a QR scan.
CS_WINDOW = dt.timedelta(hours=48)
CS_MAX_PER_WINDOW = 5
CS_EVENT_WINDOW = dt.timedelta(minutes=1)
CS_MAX_AFTER_EVENT = 3
# WeChat's own verdicts on the customer-service rule (docs/notifications.md).
ERRCODE_OUTSIDE_WINDOW = 45015
ERRCODE_QUOTA_USED = 45047


class SkipReason(enum.StrEnum):
    OUTSIDE_WINDOW = "outside_48h_window"
    QUOTA_USED = "window_quota_used"


@dataclass(frozen=True)
class SendOutcome:
    """What happened to one outgoing message; `skipped` means WeChat was not (or could not
    be) used and the caller should fall back, e.g. notify the agent instead."""

    status: Literal["sent", "skipped"]
    reason: SkipReason | None = None
    msgid: int | None = None

    @property
    def sent(self) -> bool:
        return self.status == "sent"

    def __str__(self) -> str:
        return f"skipped: {self.reason}" if self.reason else self.status

    @classmethod
    def skip(cls, reason: SkipReason) -> SendOutcome:
        return cls("skipped", reason)


# --- the client ------------------------------------------------------------------------------


class WechatApiClient(SharedTokenClient, WeChatClient):
    """wechatpy's official-account client with a configurable base URL and the shared,
    coordinated token of `SharedTokenClient`."""

    def __init__(
        self,
        appid: str,
        secret: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        session: SessionStorage | None = None,
        timeout: tuple[float, float] | float = DEFAULT_TIMEOUT,
        lock_timeout: float = LOCK_TIMEOUT_SECONDS,
        lock_wait: float = LOCK_WAIT_SECONDS,
    ) -> None:
        base_url = base_url if base_url.endswith("/") else base_url + "/"
        storage = session or memory_storage_for(base_url, appid)
        # auto_retry=False: the unbounded 40001 retry of wechatpy 1.8 is replaced by _request.
        super().__init__(appid, secret, session=storage, timeout=timeout, auto_retry=False)
        # wechatpy's _request reads API_BASE_URL from the instance, so this redirects every API.
        self.API_BASE_URL = base_url
        pin_environment(self._http, base_url)
        self.lock_timeout = lock_timeout
        self.lock_wait = lock_wait

    @property
    def access_token_key(self) -> str:
        return f"{self.appid}_access_token"

    def token_query(self) -> dict[str, str]:
        return {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}


def pin_environment(http: requests.Session, base_url: str) -> None:
    """Read the proxy and CA-bundle settings of the environment once, for the client's base
    URL, instead of on every call: requests scans the whole environment per request when it
    trusts it, a third of a template message's CPU. The environment of a running process does
    not change, so the proxies (and NO_PROXY) used are the same."""
    proxies = requests.utils.get_environ_proxies(base_url)
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    http.trust_env = False
    http.proxies.update(proxies)
    if bundle:
        http.verify = bundle


# --- construction ----------------------------------------------------------------------------


def make_client(
    config: Mapping[str, Any],
    *,
    redis_client: redis.Redis | None = None,
    prefix: str = STORAGE_PREFIX,
    timeout: tuple[float, float] | float = DEFAULT_TIMEOUT,
    lock_wait: float = LOCK_WAIT_SECONDS,
) -> WechatApiClient:
    """A client for the settings in `config` (a Flask config or any mapping).

    With REDIS_URL set (or `redis_client` given) the token lives in Redis under `prefix`,
    shared by every process; otherwise in this process's memory (embedded mode).
    """
    appid, secret = config.get("WECHAT_APP_ID"), config.get("WECHAT_APP_SECRET")
    if not appid or not secret:
        raise WechatNotConfigured("set WECHAT_APP_ID and WECHAT_APP_SECRET to call WeChat")
    base_url = config.get("WECHAT_API_BASE_URL") or DEFAULT_BASE_URL
    session = shared_token_storage(config, redis_client=redis_client, prefix=prefix)
    return WechatApiClient(
        appid, secret, base_url=base_url, session=session, timeout=timeout, lock_wait=lock_wait
    )


def api_timeout(config: Mapping[str, Any]) -> tuple[float, float]:
    """(connect, read) seconds for API calls: the read timeout well above WeChat's usual
    answer (WECHAT_API_TIMEOUT_SECONDS), so a slow success is not taken for a failure."""
    read = float(config.get("WECHAT_API_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT[1])
    return (DEFAULT_TIMEOUT[0], read)


def get_client() -> WechatApiClient:
    """The current app's official-account client."""
    settings = (
        "WECHAT_API_BASE_URL",
        "WECHAT_APP_ID",
        "WECHAT_APP_SECRET",
        "WECHAT_API_TIMEOUT_SECONDS",
    )
    return app_client("wechat", settings, lambda cfg: make_client(cfg, timeout=api_timeout(cfg)))


# --- what the notification outbox calls -------------------------------------------------------


def send_template_message(
    openid: str,
    template_id: str,
    data: Mapping[str, Any],
    url: str | None = None,
    *,
    client: WechatApiClient | None = None,
) -> SendOutcome:
    """Send a template message (to an agent). `data` values may be plain strings or WeChat's
    {"value": ..., "color": ...} objects."""
    fields = {k: v if isinstance(v, Mapping) else {"value": str(v)} for k, v in data.items()}
    result = (client or get_client()).message.send_template(openid, template_id, fields, url=url)
    return SendOutcome("sent", msgid=_msgid(result, "message/template/send"))


@dataclass(frozen=True)
class SceneQrCode:
    ticket: str
    url: str  # what the QR code encodes
    expire_seconds: int
    image_url: str  # the QR code as an image (showqrcode)


def create_scene_qrcode(
    scene: str, expire_seconds: int, *, client: WechatApiClient | None = None
) -> SceneQrCode:
    """A temporary parameterised QR code (QR_STR_SCENE): scanning it sends ParkLead a
    subscribe (new follower, key "qrscene_<scene>") or SCAN event (key "<scene>")."""
    api = client or get_client()
    result = api.post(
        "qrcode/create",
        data={
            "expire_seconds": expire_seconds,
            "action_name": "QR_STR_SCENE",
            "action_info": {"scene": {"scene_str": scene}},
        },
    )
    if not isinstance(result, dict) or not result.get("ticket"):
        raise WechatTransportError("WeChat qrcode/create answered without a ticket")
    ticket = str(result["ticket"])
    # The image comes from mp.weixin.qq.com, not the API host; a test or demo API base (the
    # fake) serves it beside its API.
    base = api.API_BASE_URL
    image_base = SHOWQRCODE_URL if base == DEFAULT_BASE_URL else base + "showqrcode"
    return SceneQrCode(
        ticket=ticket,
        url=str(result.get("url") or ""),
        expire_seconds=int(result.get("expire_seconds") or expire_seconds),
        image_url=f"{image_base}?{urlencode({'ticket': ticket})}",
    )


def send_customer_service_text(
    openid: str,
    text: str,
    *,
    client: WechatApiClient | None = None,
    now: dt.datetime | None = None,
) -> SendOutcome:
    """Send a customer-service text to a prospect, within WeChat's rule: 5 messages within 48
    hours of their last message, or 3 within a minute of a menu click, follow or scan (the
    message window is used first). Outside both, WeChat is not called.

    The window's count is taken with a conditional UPDATE (concurrent senders cannot pass 5)
    in the caller's transaction; the caller commits.
    """
    return _send_in_window(
        openid, lambda api: api.message.send_text(openid, text), client=client, now=now
    )


def send_customer_service_news(
    openid: str,
    article: dict[str, str],
    *,
    client: WechatApiClient | None = None,
    now: dt.datetime | None = None,
) -> SendOutcome:
    """Send one news card (`article`: title, description, url, image) as a customer-service
    message, within the same window and quota as a text (WeChat sends one article per news
    message)."""
    return _send_in_window(
        openid, lambda api: api.message.send_articles(openid, [article]), client=client, now=now
    )


def _send_in_window(
    openid: str,
    send: Callable[[WechatApiClient], Any],
    *,
    client: WechatApiClient | None,
    now: dt.datetime | None,
) -> SendOutcome:
    now = now or utcnow()
    window = _reserve_window_slot(openid, now)
    if window is None:
        return SendOutcome.skip(_why_no_slot(openid, now))
    try:
        result = send(client or get_client())
    except WechatApiError as exc:
        # WeChat's own verdict on the window wins over our count.
        if exc.errcode == ERRCODE_OUTSIDE_WINDOW:
            _release_window_slot(openid, window)
            return SendOutcome.skip(SkipReason.OUTSIDE_WINDOW)
        if exc.errcode == ERRCODE_QUOTA_USED:
            _use_up_window(openid, window)
            return SendOutcome.skip(SkipReason.QUOTA_USED)
        # Nothing was delivered: give the slot back, even if the caller commits.
        _release_window_slot(openid, window)
        raise
    # A transport error keeps the slot: the message may have been delivered.
    return SendOutcome("sent", msgid=_msgid(result, "message/custom/send"))


def record_inbound(openid: str, at: dt.datetime) -> None:
    """A prospect wrote (or clicked, followed, scanned): open a new 48-hour window.

    Called by the callback; the caller commits. A late, older delivery does not move the
    window back.
    """
    if at.tzinfo is None:
        raise ValueError("record_inbound needs an aware UTC datetime")
    if _move_window(openid, at):
        return
    if db.session.scalar(select(WechatUser.id).where(WechatUser.openid == openid)) is not None:
        return  # the stored window is already newer
    try:
        with db.session.begin_nested():
            db.session.add(WechatUser(openid=openid, last_inbound_at=at, cs_sent_in_window=0))
    except IntegrityError:
        # A concurrent delivery created the user first; update theirs.
        _move_window(openid, at)


def open_window(user: WechatUser | Follower, at: dt.datetime) -> None:
    """`record_inbound` on a follower row the caller holds locked (the callback does): the
    caller's flush writes the window with the rest of the row."""
    if at.tzinfo is None:
        raise ValueError("open_window needs an aware UTC datetime")
    if user.last_inbound_at is None or user.last_inbound_at <= at:
        user.last_inbound_at = at
        user.cs_sent_in_window = 0


def open_event_window(user: WechatUser | Follower, at: dt.datetime) -> None:
    """A menu click, follow or scan on a follower row the caller holds locked: WeChat allows
    3 customer-service messages within the next minute."""
    if at.tzinfo is None:
        raise ValueError("open_event_window needs an aware UTC datetime")
    if user.last_event_at is None or user.last_event_at <= at:
        user.last_event_at = at
        user.cs_sent_after_event = 0


class Window(enum.StrEnum):
    MESSAGE = "message"  # 48 hours after the prospect's last message, 5 messages
    EVENT = "event"  # a minute after a click, follow or scan, 3 messages


def _window_counter(window: Window) -> tuple[Any, int]:
    if window is Window.MESSAGE:
        return WechatUser.cs_sent_in_window, CS_MAX_PER_WINDOW
    return WechatUser.cs_sent_after_event, CS_MAX_AFTER_EVENT


def _move_window(openid: str, at: dt.datetime) -> bool:
    result = db.session.execute(
        update(WechatUser)
        .where(
            WechatUser.openid == openid,
            or_(WechatUser.last_inbound_at.is_(None), WechatUser.last_inbound_at <= at),
        )
        .values(last_inbound_at=at, cs_sent_in_window=0)
        .execution_options(synchronize_session=False)
    )
    return matched_rows(result) == 1


def _reserve_window_slot(openid: str, now: dt.datetime) -> Window | None:
    """Take a slot in the message window, else in the event window; None when neither has one.
    Conditional UPDATEs, so concurrent senders cannot pass a window's limit."""
    opened = {
        Window.MESSAGE: WechatUser.last_inbound_at > now - CS_WINDOW,
        Window.EVENT: WechatUser.last_event_at > now - CS_EVENT_WINDOW,
    }
    for window, is_open in opened.items():
        counter, limit = _window_counter(window)
        result = db.session.execute(
            update(WechatUser)
            .where(WechatUser.openid == openid, is_open, counter < limit)
            .values({counter: counter + 1})
            .execution_options(synchronize_session=False)
        )
        if matched_rows(result) == 1:
            return window
    return None


def _release_window_slot(openid: str, window: Window) -> None:
    counter, _limit = _window_counter(window)
    db.session.execute(
        update(WechatUser)
        .where(WechatUser.openid == openid, counter > 0)
        .values({counter: counter - 1})
        .execution_options(synchronize_session=False)
    )


def _use_up_window(openid: str, window: Window) -> None:
    counter, limit = _window_counter(window)
    db.session.execute(
        update(WechatUser)
        .where(WechatUser.openid == openid)
        .values({counter: limit})
        .execution_options(synchronize_session=False)
    )


def _why_no_slot(openid: str, now: dt.datetime) -> SkipReason:
    stmt = select(WechatUser.last_inbound_at, WechatUser.last_event_at)
    row = db.session.execute(stmt.where(WechatUser.openid == openid)).first()
    message_open = row is not None and row[0] is not None and row[0] > now - CS_WINDOW
    event_open = row is not None and row[1] is not None and row[1] > now - CS_EVENT_WINDOW
    return SkipReason.QUOTA_USED if message_open or event_open else SkipReason.OUTSIDE_WINDOW


@dataclass(frozen=True, slots=True)
class ServiceWindow:
    """One follower's customer-service windows taken together, as an agent's reply sees them:
    48 hours after their last message (CS_MAX_PER_WINDOW messages) and a minute after a
    click, follow or scan (CS_MAX_AFTER_EVENT). `remaining` also counts replies queued in the
    outbox and not sent yet, since they will use the windows' slots; `expires_at` is the later
    close of a window with slots left (of any open window when none has), None when none is
    open."""

    is_open: bool
    expires_at: dt.datetime | None
    remaining: int
    rule: str = (
        f"{CS_MAX_PER_WINDOW} in 48 hours after a message, {CS_MAX_AFTER_EVENT} in a minute "
        "after a click, follow or scan"
    )


def service_window(openid: str, now: dt.datetime | None = None) -> ServiceWindow:
    """The windows of `openid` now (the rule `_reserve_window_slot` applies when sending).
    Registered with `app.leads.activity.set_wechat_window_reader` by `create_app`."""
    now = now or utcnow()
    user = db.session.scalars(select(WechatUser).where(WechatUser.openid == openid)).first()
    windows = []  # (opened, closes, slots left)
    if user is not None and user.last_inbound_at and user.last_inbound_at + CS_WINDOW > now:
        left = CS_MAX_PER_WINDOW - (user.cs_sent_in_window or 0)
        windows.append((user.last_inbound_at, user.last_inbound_at + CS_WINDOW, left))
    if user is not None and user.last_event_at and user.last_event_at + CS_EVENT_WINDOW > now:
        left = CS_MAX_AFTER_EVENT - (user.cs_sent_after_event or 0)
        windows.append((user.last_event_at, user.last_event_at + CS_EVENT_WINDOW, left))
    if not windows:
        return ServiceWindow(False, None, 0)
    # Queued replies not sent yet count too: they will use the windows' slots.
    queued = db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.channel == NotificationChannel.WECHAT_CS,
            Notification.recipient == openid,
            Notification.status.in_(
                [NotificationStatus.PENDING, NotificationStatus.SENDING, NotificationStatus.FAILED]
            ),
            Notification.created_at >= min(opened for opened, _closes, _left in windows),
        )
    )
    remaining = max(0, sum(max(0, left) for *_times, left in windows) - (queued or 0))
    # The later close of a window with slots left (of any window when none has).
    closes = max(
        (closes for _opened, closes, left in windows if left > 0),
        default=max(closes for _opened, closes, _left in windows),
    )
    return ServiceWindow(remaining > 0, closes, remaining)


def _msgid(result: Any, endpoint: str) -> int | None:
    # wechatpy hands back the raw response when the body is not JSON (meant for media
    # downloads); for a send that means a proxy or an outage page, not WeChat.
    if not isinstance(result, dict):
        raise WechatTransportError(
            f"WeChat {endpoint} answered something other than JSON", endpoint=endpoint
        )
    return int(result["msgid"]) if result.get("msgid") is not None else None
