"""Display names of the enum values the pages show (stages, channels, need types, roles...).

Message ids are the Chinese names, as everywhere in the pages; `label(value)` looks the value
up at render time, so the current request's language applies.
"""

from __future__ import annotations

import enum
from typing import Any

from flask_babel import lazy_gettext as _l

from app.accounts.models import AlertChannel, AlertEvent, Role, Strategy
from app.leads.models import Channel, Deal, LeadStatus, NeedType
from app.notifications.models import NotificationChannel, NotificationStatus

STATUS = {
    LeadStatus.NEW: _l("新线索"),
    LeadStatus.ASSIGNED: _l("已分配"),
    LeadStatus.CONTACTED: _l("已联系"),
    LeadStatus.QUALIFIED: _l("需求确认"),
    LeadStatus.SITE_VISIT: _l("看厂/看地"),
    LeadStatus.NEGOTIATING: _l("洽谈"),
    LeadStatus.WON: _l("签约"),
    LeadStatus.LANDED: _l("落地"),
    LeadStatus.PRODUCING: _l("投产"),
    LeadStatus.LOST: _l("流失"),
    LeadStatus.SPAM: _l("垃圾信息"),
    LeadStatus.DUPLICATE: _l("重复"),
}
CHANNEL = {
    Channel.WEB_FORM: _l("网页表单"),
    Channel.WECHAT: _l("微信"),
    Channel.PHONE: _l("电话"),
    Channel.IMPORT: _l("导入"),
    Channel.API: _l("接口"),
}
NEED = {
    NeedType.LAND: _l("土地"),
    NeedType.FACTORY: _l("厂房"),
    NeedType.WAREHOUSE: _l("仓库"),
    NeedType.OFFICE: _l("办公"),
    NeedType.INCUBATOR: _l("孵化器/工位"),
    NeedType.REGISTRATION: _l("注册/总部落户"),
    NeedType.INVESTMENT: _l("投资合作"),
    NeedType.OTHER: _l("其他"),
}
DEAL = {
    Deal.RENT: _l("租"),
    Deal.BUY: _l("买"),
    Deal.BUILD_TO_SUIT: _l("定制代建"),
    Deal.ANY: _l("租售均可"),
}
ROLE = {Role.AGENT: _l("招商专员"), Role.LEAD: _l("团队负责人"), Role.ADMIN: _l("管理员")}
STRATEGY = {
    Strategy.ROUND_ROBIN: _l("轮流分配"),
    Strategy.LEAST_LOADED: _l("负载最低优先"),
    Strategy.WEIGHTED: _l("按权重分配"),
}
NOTIFICATION_CHANNEL = {
    NotificationChannel.WECHAT_TEMPLATE: _l("微信模板消息"),
    NotificationChannel.WECHAT_CS: _l("微信客服消息"),
    NotificationChannel.EMAIL: _l("邮件"),
    NotificationChannel.WEBHOOK: _l("Webhook"),
    NotificationChannel.WECOM_APP: _l("企业微信应用消息"),
    NotificationChannel.WECOM_ROBOT: _l("企业微信群机器人"),
    NotificationChannel.DINGTALK_ROBOT: _l("钉钉群机器人"),
    NotificationChannel.SMS: _l("短信"),
}
ALERT_CHANNEL = {c: NOTIFICATION_CHANNEL[NotificationChannel(c.value)] for c in AlertChannel}
ALERT_EVENT = {
    AlertEvent.LEAD_ASSIGNED: _l("新线索"),
    AlertEvent.SLA_BREACH: _l("超时未联系"),
    AlertEvent.WECHAT_HANDOVER: _l("微信转人工"),
    AlertEvent.LISTING_MATCH: _l("载体匹配"),
    AlertEvent.FOLLOW_UP_DUE: _l("跟进到期"),
}
NOTIFICATION_STATUS = {
    NotificationStatus.PENDING: _l("待发送"),
    NotificationStatus.SENDING: _l("发送中"),
    NotificationStatus.SENT: _l("已发送"),
    NotificationStatus.FAILED: _l("失败待重试"),
    NotificationStatus.DEAD: _l("已放弃"),
    NotificationStatus.UNKNOWN: _l("已发出，结果未知"),
    NotificationStatus.SKIPPED: _l("已跳过"),
}
# What a notification is about (its outbox `kind`).
NOTIFICATION_KIND = {
    "lead_assigned": _l("新线索提醒"),
    "duplicate_enquiry": _l("客户再次咨询提醒"),
    "prospect_message": _l("客户消息提醒"),
    "prospect_unreachable": _l("客户无法联系提醒"),
    "sla_breach": _l("超时提醒"),
    "follow_up_due": _l("跟进到期提醒"),
    "daily_digest": _l("每日摘要"),
    "wechat_handover": _l("客户要求人工服务"),
    "wechat_message": _l("客户微信消息"),
    "wechat_reply": _l("微信回复"),
}
# Why routing passed an agent over (app/routing/strategies.Skip.code).
SKIP_REASON = {
    "inactive": _l("已停用"),
    "at_capacity": _l("已达接待上限"),
    "outside_working_hours": _l("不在工作时间"),
    "over_private_lead_limit": _l("私有线索已达团队上限"),
}
WEEKDAY = {
    "mon": _l("周一"),
    "tue": _l("周二"),
    "wed": _l("周三"),
    "thu": _l("周四"),
    "fri": _l("周五"),
    "sat": _l("周六"),
    "sun": _l("周日"),
}

_BY_TYPE: dict[type[enum.Enum], dict[Any, Any]] = {
    LeadStatus: STATUS,
    Channel: CHANNEL,
    NeedType: NEED,
    Deal: DEAL,
    Role: ROLE,
    Strategy: STRATEGY,
    NotificationChannel: NOTIFICATION_CHANNEL,
    NotificationStatus: NOTIFICATION_STATUS,
    AlertChannel: ALERT_CHANNEL,
    AlertEvent: ALERT_EVENT,
}


def label(value: Any) -> str:
    """The display name of an enum member (or '—' for None); other values as text."""
    if value is None:
        return "—"
    names = _BY_TYPE.get(type(value))
    if names is not None:
        return str(names[value])
    return str(value)


def label_of(kind: type[enum.Enum], raw: Any) -> str:
    """Like `label` for a raw stored value ("web_form") of enum `kind`."""
    if raw is None:
        return "—"
    try:
        return label(kind(raw))
    except ValueError:
        return str(raw)


def notification_kind(kind: Any) -> str:
    """The display name of a notification's kind ("lead_assigned")."""
    words = NOTIFICATION_KIND.get(str(kind))
    return str(words) if words is not None else str(_l("通知"))
