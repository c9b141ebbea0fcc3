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
# Codes of the errors werkzeug raises (routing, body size, rate limits), by HTTP status.
HTTP_CODES = {
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
    (re.compile(r"^invalid cursor$"), lambda m: _("翻页游标无效")),
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
            r"^(?:is not a (?:valid (?:Chinese|phone)|phone)|must be a mainland|must be a mobile"
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
    (
        re.compile(r"^(?:must be )?at least (\d+) characters"),
        lambda m: _("至少 %(n)s 个字符", n=m.group(1)),
    ),
    (re.compile(r"^a number$"), lambda m: _("请输入数字")),
    (
        re.compile(r"^an ISO date-time|^e\.g\. \d{4}-"),
        lambda m: _("应为日期时间，如 2026-11-25T10:00（北京时间）"),
    ),
    (re.compile(r"^YYYY-MM-DD"), lambda m: _("日期格式应为 2026-01-31")),
    (re.compile(r"^an id or none"), lambda m: _("应为专员编号或 none（未分配）")),
    (re.compile(r"^another lead|^lead id or reference"), lambda m: _("应为另一条线索的编号")),
    (
        re.compile(r"^give a phone number or a WeChat ID"),
        lambda m: _("请留下手机号或微信号，方便我们联系您"),
    ),
    (
        re.compile(r"^keep a phone number or a WeChat ID"),
        lambda m: _("请保留手机号或微信号，以便联系客户"),
    ),
    (
        re.compile(r"^(?:area_min_m2|min_area_m2) must not be larger"),
        lambda m: _("最小面积不能大于最大面积"),
    ),
    (re.compile(r"^at most (\d+) days"), lambda m: _("日期范围最长 %(n)s 天", n=m[1])),
    (re.compile(r"^on or after 'from'"), lambda m: _("不能早于开始日期")),
    (re.compile(r"^bad cursor"), lambda m: _("翻页参数无效，请从第一页重新开始")),
    (re.compile(r"^(?:boolean|true or false)$"), lambda m: _("应为是或否")),
    (re.compile(r"^claim the lead or assign"), lambda m: _("请领取线索或指定专员")),
    (re.compile(r"^csv or xlsx"), lambda m: _("应为 CSV 或 XLSX")),
    (re.compile(r"^is not an e-mail address"), lambda m: _("不是有效的电子邮箱")),
    (re.compile(r"^is not an editable field"), lambda m: _("这一项不能修改")),
    (re.compile(r"^may contain only letters"), lambda m: _("只能包含字母、数字和 _ . @ -")),
    (re.compile(r"must not be negative"), lambda m: _("不能为负数")),
    (re.compile(r"^no (?:such )?agent\b"), lambda m: _("找不到该专员")),
    (re.compile(r"^no team\b"), lambda m: _("找不到该团队")),
    (re.compile(r"^no header row"), lambda m: _("文件没有表头行")),
    (re.compile(r"^no phone column"), lambda m: _("缺少电话或微信号列")),
    (re.compile(r"^two (.+) columns"), lambda m: _("有两列都表示 %(name)s", name=m[1])),
    (re.compile(r"^too many rows"), lambda m: _("行数太多")),
    (re.compile(r"^too large"), lambda m: _("文件太大")),
    (re.compile(r"^unreadable"), lambda m: _("无法读取文件")),
    (re.compile(r"^xls is not supported"), lambda m: _("不支持 xls，请另存为 XLSX 或 CSV")),
    (re.compile(r"must end after it starts"), lambda m: _("结束时间应晚于开始时间")),
    (re.compile(r"^intervals must not overlap"), lambda m: _("时间段不能重叠")),
    (re.compile(r"is not a time of day"), lambda m: _("应为 09:00 这样的时间")),
    (re.compile(r"^no working time within"), lambda m: _("这样的工作时间里找不到可用的时间")),
    (re.compile(r"^within two years"), lambda m: _("应在两年之内")),
    (re.compile(r"^must be a positive integer|^times must be"), lambda m: _("应为正整数")),
    (re.compile(r"^(\d+)\.\.(\d+)$"), lambda m: _("应在 %(a)s 到 %(b)s 之间", a=m[1], b=m[2])),
    (re.compile(r"^(?:queue|pool)\b"), lambda m: _("请从列表中选择")),
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


_HAN = re.compile(r"[\u4e00-\u9fff]")


def field_text(message: Any) -> str:
    """A service's field message in the current language (a generic phrase when unknown)."""
    text = str(message)
    found = _match(_FIELD_PATTERNS, text)
    if found is not None:
        return found
    if _english() or _HAN.search(text):  # already worded in the catalogue (Chinese ids)
        return text
    return _("填写有误")


def error_text(code: str, message: Any, status: int = 400) -> str:
    """A service's error message in the current language: by wording, code, then status."""
    found = _match(_MESSAGE_PATTERNS, str(message))
    if found is not None:
        return found
    if message and (_english() or _HAN.search(str(message))):
        # The service's own English says more than a generic phrase; a Chinese message was
        # worded through the catalogue already.
        return str(message)
    words = _CODES.get(code) or _CODES.get(HTTP_CODES.get(status, ""))
    return words() if words is not None else _("请求有误")


def fields_text(fields: Mapping[str, Any]) -> dict[str, str]:
    return {name: field_text(message) for name, message in fields.items()}
