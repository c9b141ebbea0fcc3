"""Error messages in the user's language (docs/i18n.md).

Services raise errors with an English message for API clients and a stable `code`; this module
words them for people through the catalogue (message ids are Chinese, English in
`app/translations/en/LC_MESSAGES/messages.po`): the message by its own wording when it is
known, else by the error's code, else by the HTTP status, so a Chinese page or answer never
shows the service's English. Field messages are matched by their wording the same way.

Domains add the wording of their own codes with `register_codes` (core knows no domain).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _

Words = Callable[[], str]
Pattern = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

_CODES: dict[str, Words] = {
    "validation_error": lambda: _("请修改标出的内容"),
    "malformed_body": lambda: _("请求内容无法读取，应为 JSON 对象"),
    "bad_request": lambda: _("请求有误"),
    "unauthorized": lambda: _("请先登录或提供有效的令牌"),
    "forbidden": lambda: _("您没有权限执行此操作"),
    "not_found": lambda: _("找不到您要的内容"),
    "method_not_allowed": lambda: _("不支持这种请求方式"),
    "conflict": lambda: _("操作冲突，请刷新后重试"),
    "stale_version": lambda: _("这条线索刚被别人修改过，请查看最新内容后再试"),
    "payload_too_large": lambda: _("上传的内容太大"),
    "unsupported_media_type": lambda: _("不支持这种内容类型，请发送 JSON"),
    "rate_limited": lambda: _("操作太频繁，请稍后再试"),
    "internal_error": lambda: _("服务器出错了，已记录，请稍后再试"),
    "unavailable": lambda: _("服务暂时不可用，请稍后再试"),
}
_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

# Whole messages worded for people, whatever their code.
_MESSAGE_PATTERNS: list[Pattern] = [
    (
        re.compile(r"give a phone number or a WeChat ID"),
        lambda m: _("请留下手机号或微信号，方便我们联系您"),
    ),
    (
        re.compile(r"area_min_m2 must not be larger than area_max_m2"),
        lambda m: _("最小面积不能大于最大面积"),
    ),
    (re.compile(r"^the body must be a JSON object"), lambda m: _("请求内容应为 JSON 对象")),
    (re.compile(r"^send at least one field"), lambda m: _("请至少修改一项内容")),
]

_FIELD_PATTERNS: list[Pattern] = [
    (re.compile(r"^required|^integer, required"), lambda m: _("必填")),
    (re.compile(r"^may not be null|^must not be empty|^is empty"), lambda m: _("不能为空")),
    (re.compile(r"^must be greater than (\S+)"), lambda m: _("应大于 %(n)s", n=m.group(1))),
    (re.compile(r"^must be (\S+) or more"), lambda m: _("不能小于 %(n)s", n=m.group(1))),
    (
        re.compile(r"^(?:must be )?at most (\d+) characters"),
        lambda m: _("最多 %(n)s 个字符", n=m.group(1)),
    ),
    (re.compile(r"^must be at most (\S+)"), lambda m: _("不能大于 %(n)s", n=m.group(1))),
    (re.compile(r"^must be a whole number|^integer"), lambda m: _("请输入整数")),
    (
        re.compile(r"^is not an area"),
        lambda m: _("不是有效的面积（如 5000、3000-5000、30亩）"),
    ),
    (re.compile(r"^must be a number"), lambda m: _("请输入数字")),
    (
        re.compile(r"^may have at most (\d+) decimal"),
        lambda m: _("最多 %(n)s 位小数", n=m.group(1)),
    ),
    (re.compile(r"^may have at most"), lambda m: _("最多两位小数")),
    (re.compile(r"^must be one of|^one of|^unknown"), lambda m: _("请从列表中选择")),
    (
        re.compile(
            r"^(?:is not a (?:valid Chinese|phone)|must be a mainland|must be a mobile"
            r"|is too long to be)"
        ),
        lambda m: _("不是有效的手机号或座机号"),
    ),
    (re.compile(r"^a time after now"), lambda m: _("应晚于现在")),
    (re.compile(r"^used by open lead (\S+)"), lambda m: _("已被线索 %(ref)s 使用", ref=m.group(1))),
    (re.compile(r"^is not a field"), lambda m: _("不是可以提交的字段")),
    (re.compile(r"^must be text|^text$"), lambda m: _("应为文字")),
    (re.compile(r"^must be an object"), lambda m: _("应为对象")),
    (re.compile(r"^must be a list"), lambda m: _("应为列表")),
    (re.compile(r"^must be true or false"), lambda m: _("应为是或否")),
    (
        re.compile(r"time zone|date and time|^must be a date"),
        lambda m: _("应为带时区的日期时间，如 2026-10-01T10:00:00+08:00"),
    ),
    (re.compile(r"next_cursor"), lambda m: _("翻页参数无效，请从第一页重新开始")),
    (re.compile(r"^must be empty"), lambda m: _("应留空")),
    (re.compile(r"^at least (\d+) characters"), lambda m: _("至少 %(n)s 个字符", n=m.group(1))),
    (
        re.compile(r"^(\d+) to (\d+) characters"),
        lambda m: _("%(a)s 到 %(b)s 个字符", a=m[1], b=m[2]),
    ),
    (re.compile(r"deactivated|not active"), lambda m: _("该专员已停用")),
]


def register_codes(words: Mapping[str, Words]) -> None:
    """Add (or refine) the wording of error codes; called by domains at import."""
    _CODES.update(words)


def register_field_patterns(patterns: list[Pattern]) -> None:
    _FIELD_PATTERNS.extend(patterns)


def _english() -> bool:
    return str(get_locale() or "zh") == "en"


def _match(patterns: list[Pattern], text: str) -> str | None:
    for pattern, words in patterns:
        match = pattern.search(text)
        if match:
            return words(match)
    return None


def field_text(message: Any) -> str:
    """A service's field message in the current language (a generic phrase when unknown)."""
    text = str(message)
    found = _match(_FIELD_PATTERNS, text)
    if found is not None:
        return found
    return text if _english() else _("填写有误")


def error_text(code: str, message: Any, status: int = 400) -> str:
    """A service's error message in the current language: by wording, code, then status."""
    found = _match(_MESSAGE_PATTERNS, str(message))
    if found is not None:
        return found
    if _english() and message:
        return str(message)  # the service's own English says more than a generic phrase
    words = _CODES.get(code) or _CODES.get(_STATUS_CODES.get(status, ""))
    return words() if words is not None else _("请求有误")


def fields_text(fields: Mapping[str, Any]) -> dict[str, str]:
    return {name: field_text(message) for name, message in fields.items()}
