"""Wording for the workspace pages: field names, call outcomes, error messages, and reading
the lead form into the body the services take.

The services speak English to API clients; the pages tell people, in their language, what
went wrong (by the error's code) and which field it concerns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import i18n, messages
from app.core.errors import AppError
from app.core.phones import display_phone
from app.core.units import mu_to_m2
from app.leads import labels
from app.leads.activity import EDITABLE_FIELDS, CallOutcome
from app.leads.models import Channel, Deal, EventType, LeadStatus, NeedType

FIELD_LABELS = {
    "need_type": _l("需求类型"),
    "deal": _l("租或买"),
    "area_min_m2": _l("最小面积"),
    "area_max_m2": _l("最大面积"),
    "area": _l("面积"),
    "industry": _l("行业/用途"),
    "tax_wan": _l("预计年税收（万元）"),
    "investment_wan": _l("投资额（万元）"),
    "employees": _l("员工数"),
    "timeline": _l("时间要求"),
    "company": _l("公司名称"),
    "contact_name": _l("联系人"),
    "phone": _l("电话"),
    "wechat_id": _l("微信号"),
    "wechat_openid": _l("微信关注者"),
    "district": _l("意向区域"),
    "message": _l("留言"),
    "ceiling_height_min_m": _l("最低层高（米）"),
    "crane_t": _l("行车（吨）"),
    "power_kva": _l("配电（kVA）"),
    "floor_load_t_m2": _l("地面承重（吨/㎡）"),
    "eia_category": _l("环评类别"),
    "budget_rent_yuan_m2_month": _l("租金预算（元/㎡/月）"),
    "budget_land_wan_per_mu": _l("地价预算（万元/亩）"),
    "next_follow_up_at": _l("下次跟进"),
    "text": _l("内容"),
    "at": _l("跟进时间"),
    "outcome": _l("通话结果"),
    "duration_seconds": _l("通话时长"),
    "note": _l("备注"),
    "reason": _l("原因"),
    "to": _l("阶段"),
    "into": _l("并入线索"),
    "agent_id": _l("招商专员"),
    "file": _l("文件"),
    "version": _l("版本"),
    "cursor": _l("翻页"),
}

CALL_OUTCOMES = {
    CallOutcome.CONNECTED: _l("接通"),
    CallOutcome.NO_ANSWER: _l("未接"),
    CallOutcome.BUSY: _l("占线/拒接"),
    CallOutcome.WRONG_NUMBER: _l("空号/错号"),
    CallOutcome.LEFT_MESSAGE: _l("留言/短信"),
}

EVENT_LABELS = {
    EventType.CREATED: _l("创建"),
    EventType.ENQUIRY: _l("再次咨询"),
    EventType.FIELD_CHANGED: _l("修改"),
    EventType.STATUS_CHANGED: _l("阶段变更"),
    EventType.ASSIGNED: _l("分配"),
    EventType.REASSIGNED: _l("改派"),
    EventType.UNASSIGNED: _l("进入公海"),
    EventType.NOTE: _l("备注"),
    EventType.CALL: _l("电话"),
    EventType.MESSAGE_IN: _l("客户消息"),
    EventType.MESSAGE_OUT: _l("回复客户"),
    EventType.NOTIFICATION: _l("通知"),
    EventType.MERGED: _l("合并"),
    EventType.POSSIBLE_DUPLICATE: _l("疑似重复"),
    EventType.LISTING: _l("载体"),
}
# What happened to a listing, on the lead's timeline (a `listing` event's `action`).
LISTING_ACTIONS = {
    "reserved": _l("已为客户预留"),
    "released": _l("取消预留"),
    "let": _l("已出租给客户"),
    "sold": _l("已出售给客户"),
    "shortlist_sent": _l("已发送推荐清单"),
    "shortlist_opened": _l("客户打开了推荐清单"),
    "shortlist_clicked": _l("客户查看了载体"),
    "interested": _l("客户对载体有意向"),
}

NOTIFICATION_STATES = {
    "pending": _l("待发送"),
    "sending": _l("发送中"),
    "sent": _l("已发送"),
    "failed": _l("发送失败，将重试"),
    "dead": _l("发送失败"),
    "skipped": _l("未发送"),
    "unknown": _l("已发出，结果未知"),
}
# WeChat's delivery reports of template messages (TEMPLATESENDJOBFINISH).
TEMPLATE_RECEIPTS = {
    "success": _l("微信已送达"),
    "failed:user block": _l("未送达：对方已拒收公众号消息"),
    "failed: system failed": _l("未送达：微信系统原因"),
}

# What went wrong, by the error's code (the English message is for API clients); the generic
# codes and the field messages are worded in app/core/messages.py.
messages.register_codes(
    {
        "invalid_transition": lambda: _("当前阶段不能变更为所选阶段"),
        "already_claimed": lambda: _("这条线索已被别人领取"),
        "not_in_pool": lambda: _("这条线索已不在公海中"),
        "private_lead_limit": lambda: _("已达到团队允许的私有线索上限"),
        "phone_in_use": lambda: _("另一条进行中的线索已使用这个电话，请合并两条线索"),
        "outside_wechat_window": lambda: _("客户48小时内没有给公众号发消息，无法回复"),
        "wechat_quota_used": lambda: _("本次48小时窗口内的客服消息已用完"),
        "no_wechat": lambda: _("这条线索没有微信关注者"),
        "already_merged": lambda: _("线索已被合并过"),
        "already_assigned": lambda: _("线索已经是该专员的了"),
        "not_open": lambda: _("只有进行中的线索可以分配"),
        "export_too_large": lambda: _("符合条件的线索太多，请缩小筛选范围后分批导出"),
        "import_rejected": lambda: _("有错误的行，未导入任何线索；请修改文件后重试"),
    }
)


def field_message(message: str) -> str:
    """A service's field message in the page's language."""
    return messages.field_text(message)


def explain(exc: AppError) -> str:
    """One sentence for the flash message."""
    if exc.code == "not_found":
        return _("找不到这条线索")  # the only thing the workspace looks up
    return messages.error_text(exc.code, exc.message, exc.status)


def field_errors(exc: AppError) -> dict[str, str]:
    return messages.fields_text(exc.fields)


def label_of_field(name: str) -> str:
    label = FIELD_LABELS.get(name)
    return str(label) if label is not None else name


# --- the lead form -------------------------------------------------------------------------------


def _area(raw: str, unit: str) -> str | None:
    """The form lets people type 亩; leads store ㎡. What is not a number goes on unchanged
    so that validation names it."""
    raw = raw.strip().replace(",", "")
    if not raw:
        return None
    if unit != "mu":
        return raw
    try:
        return str(mu_to_m2(Decimal(raw)))
    except InvalidOperation:
        return raw


def lead_form_changes(form: Mapping[str, str]) -> dict[str, Any]:
    """The lead fields present in `form`; a blank input clears its field."""
    changes: dict[str, Any] = {}
    unit = form.get("area_unit", "m2")
    for name in EDITABLE_FIELDS:
        source = {"area_min_m2": "area_min", "area_max_m2": "area_max"}.get(name, name)
        if source not in form:
            continue
        raw = (form.get(source) or "").replace("\r\n", "\n")
        if name in ("area_min_m2", "area_max_m2"):
            changes[name] = _area(raw, unit)
        else:
            changes[name] = raw.strip() or None
    return changes


def form_field(name: str) -> str:
    """The input that holds field `name` (the two areas are typed with a unit)."""
    return {"area_min_m2": "area_min", "area_max_m2": "area_max"}.get(name, name)


# --- the timeline ----------------------------------------------------------------------------
# Every field and value in the reader's words (docs/i18n.md): `需求类型：土地 → 投资合作`.

MESSAGE_EVENTS = {
    "subscribe": _l("关注了公众号"),
    "scan": _l("扫码进入"),
    "click": _l("点击菜单"),
    "unsubscribe": _l("取消关注"),
}
MESSAGE_TYPES = {
    "image": _l("图片"),
    "voice": _l("语音"),
    "video": _l("视频"),
    "shortvideo": _l("小视频"),
    "file": _l("文件"),
    "location": _l("位置"),
    "link": _l("链接"),
    "other": _l("其他消息"),
}
REQUIREMENTS = {
    "ceiling_height_m": _l("层高（米）"),
    "crane_tonnes": _l("行车（吨）"),
    "eia_required": _l("需要环评"),
    "floor_load_kg_m2": _l("承重（kg/㎡）"),
    "power_kva": _l("用电（kVA）"),
}
ROUTING_REASONS = {
    "claimed": _l("从公海领取"),
    "assigned_by_hand": _l("手动分配"),
    "sla_breach": _l("超时未联系"),
    "inactive": _l("长时间无跟进"),
    "round_robin": _l("轮流分配"),
    "least_loaded": _l("负载最低优先"),
    "weighted": _l("按权重分配"),
    "rule_agent": _l("规则指定专员"),
}
_ENUM_FIELDS = {"need_type": NeedType, "deal": Deal, "status": LeadStatus, "channel": Channel}


def _yes_no(value: Any) -> str:
    return _("是") if value else _("否")


def field_value(name: str, raw: Any) -> str:
    """A stored value of field `name` as the pages show it."""
    if raw is None or raw == "":
        return "—"
    kind = _ENUM_FIELDS.get(name)
    if kind is not None:
        return labels.label_of(kind, raw)
    if name in ("area_min_m2", "area_max_m2"):
        return i18n.area(_decimal(raw))
    if name in ("tax_wan", "investment_wan"):
        return i18n.wan(_decimal(raw))
    if name == "phone":
        return display_phone(str(raw))
    if name.endswith("_at"):
        return i18n.when(str(raw))
    if isinstance(raw, bool):
        return _yes_no(raw)
    return str(raw)


def _decimal(raw: Any) -> Decimal | None:
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return None


def message_lines(data: Mapping[str, Any]) -> list[str]:
    """What a message event says: the text, or what kind of message or event it was, and what
    the bot gathered (the conversation and needs without a lead field)."""
    lines: list[str] = []
    if data.get("text"):
        lines.append(str(data["text"]))
    elif data.get("event"):
        event = str(data["event"])
        words = str(MESSAGE_EVENTS.get(event, _("公众号事件")))
        detail = data.get("key") or data.get("scene")
        lines.append(_("%(words)s（%(detail)s）", words=words, detail=detail) if detail else words)
    elif data.get("type"):
        kind = str(data["type"])
        words = str(MESSAGE_TYPES.get(kind, MESSAGE_TYPES["other"]))
        detail = data.get("label") or data.get("title")
        lines.append(_("%(words)s：%(detail)s", words=words, detail=detail) if detail else words)
    conversation = [str(t) for t in data.get("conversation") or [] if t]
    if conversation:
        lines.append(_("对话：%(text)s", text=" / ".join(conversation)))
    requirements = data.get("requirements") or {}
    if isinstance(requirements, Mapping) and requirements:
        parts = [
            f"{REQUIREMENTS.get(k, label_of_field(k))} {_yes_no(v) if isinstance(v, bool) else v}"
            for k, v in requirements.items()
        ]
        lines.append(_("其他需求：%(items)s", items=_("、").join(parts)))
    return lines or [str(_("（空消息）"))]


def routing_reason(reason: Any) -> str:
    words = ROUTING_REASONS.get(str(reason or ""))
    return str(words) if words is not None else ""


def countdown(due: dt.datetime, now: dt.datetime) -> str:
    """Time left to the SLA due time (`剩 1 小时 5 分钟`), or how late it is (`已超时 …`)."""
    seconds = int((due - now).total_seconds())
    minutes = max(1, (abs(seconds) + 59) // 60)
    hours, rest = divmod(minutes, 60)
    if hours >= 24:
        span = _("%(d)s 天 %(h)s 小时", d=hours // 24, h=hours % 24)
    elif hours:
        span = _("%(h)s 小时 %(m)s 分钟", h=hours, m=rest)
    else:
        span = _("%(m)s 分钟", m=minutes)
    return _("剩 %(span)s", span=span) if seconds >= 0 else _("已超时 %(span)s", span=span)
