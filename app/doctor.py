"""`parklead doctor`: is this installation configured to work? (docs/operations.md)

Each check answers OK, WARN (works, but not as an office would want in production) or FAIL
(something will not work), and says what to fix. Checks that can ask the remote without side
effects do (the database, Redis, WeChat's and 企业微信's tokens); channels that can only be
tested by sending a message (the robots, SMS, the webhook) are checked for complete settings.
"""

from __future__ import annotations

import datetime as dt
import enum
import smtplib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from app.core.db import db

# Keys shipped in the repository or its docs, never to be used in production.
KNOWN_KEYS = frozenset({"testing-only-not-secret", "change-me", "secret", "dev", "parklead"})
MIN_KEY_LENGTH = 32


class Level(enum.IntEnum):
    OK = 0
    WARN = 1
    FAIL = 2


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    level: Level
    message: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.level.name:<4}  {self.check}: {self.message}"
        return text + (f"\n      fix: {self.fix}" if self.fix else "")


def _production() -> bool:
    return current_app.config.get("ENV_NAME") == "production"


def check_database() -> Iterator[Finding]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from app.core.migrate import alembic_config

    try:
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        yield Finding(
            "database",
            Level.FAIL,
            f"cannot connect ({type(exc).__name__})",
            "check DATABASE_URL and that the server is running",
        )
        return
    heads = set(ScriptDirectory.from_config(alembic_config(current_app)).get_heads())
    if current != heads:
        yield Finding(
            "database",
            Level.FAIL,
            f"schema at {', '.join(sorted(current)) or 'nothing'}, code expects {', '.join(heads)}",
            "run `parklead db upgrade`",
        )
        return
    dialect = db.engine.dialect.name
    if dialect == "sqlite" and _production():
        yield Finding(
            "database", Level.WARN, "SQLite in production", "use PostgreSQL (DATABASE_URL)"
        )
        return
    yield Finding("database", Level.OK, f"{dialect}, migrations up to date")


def check_broker() -> Iterator[Finding]:
    from app.core.routes import check_broker as ping

    if not current_app.config.get("REDIS_URL"):
        level = Level.FAIL if _production() else Level.WARN
        yield Finding(
            "broker",
            level,
            "REDIS_URL unset: embedded mode, no worker, no beat, no retries of failed sends",
            "set REDIS_URL and run `parklead worker` and `parklead beat`",
        )
        return
    ok, detail = ping()
    if not ok:
        yield Finding("broker", Level.FAIL, f"Redis does not answer ({detail})", "check REDIS_URL")
        return
    yield Finding("broker", Level.OK, "Redis answers")


def check_secret_key() -> Iterator[Finding]:
    key = str(current_app.config.get("SECRET_KEY") or "")
    fix = "set SECRET_KEY to `python3 -c 'import secrets;print(secrets.token_urlsafe(48))'`"
    if key in KNOWN_KEYS:
        yield Finding("SECRET_KEY", Level.FAIL, "a well-known value", fix)
    elif len(key) < MIN_KEY_LENGTH:
        yield Finding("SECRET_KEY", Level.FAIL, f"only {len(key)} characters", fix)
    elif len(set(key)) < 16:
        yield Finding("SECRET_KEY", Level.FAIL, "too few distinct characters to be random", fix)
    else:
        yield Finding("SECRET_KEY", Level.OK, f"{len(key)} characters")


def _calendar_has(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def check_holidays(today: dt.date | None = None) -> Iterator[Finding]:
    today = today or dt.datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()
    fix = "upgrade chinesecalendar (`pip install -U chinesecalendar`) once it has the year"
    if not _calendar_has(today.year):
        yield Finding(
            "holidays",
            Level.FAIL,
            f"no holiday data for {today.year}: SLAs count plain Monday-Friday weeks",
            fix,
        )
    elif not _calendar_has(today.year + 1):
        # The State Council publishes next year's holidays around November.
        level = Level.WARN if today.month >= 11 else Level.OK
        yield Finding(
            "holidays", level, f"data for {today.year}, none yet for {today.year + 1}", fix
        )
    else:
        yield Finding("holidays", Level.OK, f"data for {today.year} and {today.year + 1}")


def check_wechat() -> Iterator[Finding]:
    from app.wechat import client as wechat

    cfg = current_app.config
    if not cfg.get("WECHAT_APP_ID"):
        yield Finding("wechat", Level.WARN, "not configured (no WeChat bot, no template messages)")
        return
    if not cfg.get("WECHAT_TOKEN"):
        yield Finding("wechat", Level.FAIL, "WECHAT_TOKEN unset", "set the callback's token")
    aes = cfg.get("WECHAT_ENCODING_AES_KEY")
    if aes and len(aes) != 43:
        yield Finding(
            "wechat", Level.FAIL, "WECHAT_ENCODING_AES_KEY is not 43 characters", "copy it again"
        )
    try:
        api = wechat.get_client()
        _ = api.access_token  # the shared token, fetched only when none is stored
        api.get("getcallbackip")
    except wechat.WechatApiError as exc:
        hint = {
            40013: "WECHAT_APP_ID is wrong",
            40125: "WECHAT_APP_SECRET is wrong",
            40164: "add this server's IP to the account's IP whitelist",
            61004: "add this server's IP to the account's IP whitelist",
        }.get(exc.errcode, "see WeChat's error code list")
        yield Finding("wechat", Level.FAIL, str(exc), hint)
        return
    except wechat.WechatError as exc:
        yield Finding("wechat", Level.FAIL, str(exc), "check WECHAT_API_BASE_URL and the network")
        return
    yield Finding("wechat", Level.OK, "credentials accepted (token and getcallbackip)")
    for name in ("LEAD_ASSIGNED", "NOTICE"):
        if not cfg.get(f"WECHAT_TEMPLATE_{name}"):
            yield Finding(
                "wechat",
                Level.WARN,
                f"WECHAT_TEMPLATE_{name} unset: those alerts are not sent as template messages",
                "add the template in the account's template library and set its id",
            )


def _incomplete(channel: str, names: tuple[str, ...]) -> Finding | None:
    cfg = current_app.config
    missing = [n for n in names if not cfg.get(n)]
    if not missing or len(missing) == len(names):
        return None
    return Finding(channel, Level.FAIL, f"{', '.join(missing)} unset", "set them or none")


def check_channels() -> Iterator[Finding]:
    from app.notifications.channels import sms, wecom

    cfg = current_app.config
    configured = 0
    groups: dict[str, tuple[str, ...]] = {
        "wecom_app": ("WECOM_CORP_ID", "WECOM_AGENT_ID", "WECOM_SECRET"),
        "dingtalk_robot": ("DINGTALK_ROBOT_ACCESS_TOKEN", "DINGTALK_ROBOT_SECRET"),
        "webhook": ("WEBHOOK_URL", "WEBHOOK_SECRET"),
    }
    for channel, names in groups.items():
        finding = _incomplete(channel, names)
        if finding:
            yield finding
    if all(cfg.get(n) for n in groups["wecom_app"]):
        configured += 1
        try:
            _ = wecom.get_client().access_token
            yield Finding("wecom_app", Level.OK, "企业微信 accepted the corp id and secret")
        except Exception as exc:
            yield Finding(
                "wecom_app", Level.FAIL, str(exc), "check WECOM_* and this server's trusted IP"
            )
    if cfg.get("WECOM_ROBOT_KEY"):
        configured += 1
        yield Finding("wecom_robot", Level.OK, "configured (a robot is only tested by sending)")
    if all(cfg.get(n) for n in groups["dingtalk_robot"]):
        configured += 1
        secret = str(cfg["DINGTALK_ROBOT_SECRET"])
        if not secret.startswith("SEC"):
            yield Finding(
                "dingtalk_robot",
                Level.WARN,
                "DINGTALK_ROBOT_SECRET does not start with SEC",
                "copy the 加签 secret from the robot's security settings",
            )
        else:
            yield Finding("dingtalk_robot", Level.OK, "configured, signed")
    if cfg.get("SMS_PROVIDER"):
        configured += 1
        try:
            sms.provider(cfg)
            missing = [
                sms.template_setting(t)
                for t in ("lead_assigned", "notice")
                if not cfg.get(sms.template_setting(t))
            ]
            if missing:
                yield Finding("sms", Level.WARN, f"{', '.join(missing)} unset", "set template ids")
            else:
                yield Finding("sms", Level.OK, f"provider {cfg['SMS_PROVIDER']}, templates set")
        except Exception as exc:
            yield Finding("sms", Level.FAIL, str(exc), "see docs/notifications.md")
    if cfg.get("SMTP_HOST"):
        configured += 1
        yield _check_smtp()
    if cfg.get("WEBHOOK_URL") and cfg.get("WEBHOOK_SECRET"):
        yield Finding("webhook", Level.OK, "configured (tested by sending)")
    if not configured and not cfg.get("WECHAT_TEMPLATE_LEAD_ASSIGNED"):
        yield Finding(
            "channels",
            Level.WARN,
            "no channel can alert agents: new leads and SLA breaches reach nobody",
            "configure 企业微信, 钉钉, SMS, e-mail or WeChat templates (docs/notifications.md)",
        )


def check_agent_channels() -> Iterator[Finding]:
    """Agents who chose channels this installation does not have."""
    from app.accounts import management
    from app.notifications.models import NotificationChannel
    from app.notifications.service import channel_configured

    chosen: dict[str, list[str]] = {}
    cursor = None
    while True:
        agents, cursor = management.list_agents(active=True, limit=200, cursor=cursor)
        for agent in agents:
            for name in agent.notify_channels or []:
                chosen.setdefault(name, []).append(agent.login)
        if cursor is None:
            break
    for name, logins in sorted(chosen.items()):
        if not channel_configured(NotificationChannel(name)):
            who = ", ".join(logins[:5]) + (" …" if len(logins) > 5 else "")
            yield Finding(
                "agent channels",
                Level.WARN,
                f"{len(logins)} agent(s) chose {name}, which is not configured ({who})",
                "configure it (docs/notifications.md) or change their channels",
            )


def _check_smtp() -> Finding:
    cfg = current_app.config
    try:
        with smtplib.SMTP(cfg["SMTP_HOST"], int(cfg["SMTP_PORT"]), timeout=5) as smtp:
            smtp.noop()
    except (smtplib.SMTPException, OSError) as exc:
        return Finding("email", Level.FAIL, f"SMTP {cfg['SMTP_HOST']}: {exc}", "check SMTP_*")
    return Finding("email", Level.OK, f"SMTP {cfg['SMTP_HOST']} answers")


CHECKS: tuple[Callable[[], Iterator[Finding]], ...] = (
    check_database,
    check_broker,
    check_secret_key,
    check_holidays,
    check_wechat,
    check_channels,
    check_agent_channels,
)


def run(checks: tuple[Callable[[], Iterator[Finding]], ...] = CHECKS) -> list[Finding]:
    findings: list[Finding] = []
    for check in checks:
        try:
            findings.extend(check())
        except Exception as exc:
            name = check.__name__.removeprefix("check_")
            findings.append(Finding(name, Level.FAIL, f"check crashed: {exc!r}"))
    return findings


def exit_status(findings: list[Finding], *, strict: bool = False) -> int:
    worst = max((f.level for f in findings), default=Level.OK)
    return 1 if worst is Level.FAIL or (strict and worst is Level.WARN) else 0


def summary(findings: list[Finding]) -> dict[str, Any]:
    return {level.name: sum(f.level is level for f in findings) for level in Level}
