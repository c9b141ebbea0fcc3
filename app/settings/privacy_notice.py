"""The privacy notice as the admin set it (docs/security.md): the consent text shown beside the
enquiry form and in the WeChat bot's greeting, the policy's text and where it is linked.

Stored as the "privacy" setting; app/privacy/service.py validates and audits a change, and
this module only reads it, so lower rooms (wechat, web) can show it without importing privacy.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request, url_for

from app.settings import service as settings

SETTING_KEY = "privacy"
DEFAULTS: dict[str, Any] = {
    "notice_zh": (
        "提交即表示您同意我们为联系您、跟进您的招商需求而收集和使用您提供的信息"
        "（联系人、电话、公司和需求）。"
    ),
    "notice_en": (
        "By sending this you agree that we collect and use the details you give (contact, "
        "phone, company and needs) to contact you about your enquiry."
    ),
    # Empty: our own page /privacy with `policy_text`.
    "policy_url": "",
    "policy_text": (
        "个人信息保护说明\n\n"
        "我们收集您主动提供的联系人、电话、公司名称、需求信息以及您在公众号中发送的消息，"
        "仅用于联系您、跟进招商需求和统计招商工作。信息只在本招商办公室内部使用，不向第三方提供。"
        "需求结束后，个人信息按保存期限删除，仅保留不含个人信息的统计数据。"
        "您可以联系招商办公室查询、更正或删除您的个人信息。"
    ),
    "policy_text_en": (
        "Privacy notice\n\n"
        "We collect the contact name, phone, company name and needs you give us, and the "
        "messages you send to our official account, only to contact you, follow up your "
        "enquiry and count our investment-promotion work. The information stays inside this "
        "investment-promotion office and is not given to third parties. When your enquiry is "
        "over, personal information is erased after the retention period; only statistics "
        "without personal information are kept. You may ask the office to show, correct or "
        "erase your personal information."
    ),
    # Days after a closed lead's last activity before its personal data is erased; 0 keeps it.
    "retention_days": 1095,
}


def current() -> dict[str, Any]:
    stored = settings.get(SETTING_KEY) or {}
    return {**DEFAULTS, **{k: v for k, v in stored.items() if k in DEFAULTS}}


def policy_link() -> str:
    """Where the notice links: the admin's address, else our /privacy page (absolute inside a
    request, so it works in a WeChat message too)."""
    url = current()["policy_url"]
    if url.startswith("/") and has_request_context():
        return request.url_root.rstrip("/") + url
    if url:
        return url
    return url_for("privacy.policy", _external=True) if has_request_context() else "/privacy"


def notice(lang: str) -> str:
    values = current()
    return (values["notice_en"] or values["notice_zh"]) if lang == "en" else values["notice_zh"]


def policy_text(lang: str) -> str:
    """The /privacy page's text in `lang` (English falls back to the Chinese text)."""
    values = current()
    return (
        (values["policy_text_en"] or values["policy_text"])
        if lang == "en"
        else values["policy_text"]
    )


def bot_notice(lang: str = "zh") -> str:
    """The consent notice the bot appends to its greeting, in the prospect's language."""
    label = "Privacy notice: " if lang == "en" else "个人信息保护说明："
    return f"{notice(lang)}\n{label}{policy_link()}"
