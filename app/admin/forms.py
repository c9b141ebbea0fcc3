"""Reading the admin pages' HTML forms into the request bodies the admin services take.

The services validate with the same pydantic models as the JSON API; this module turns form
strings into typed values first and words every problem for people, in their language, next
to the field it concerns.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError
from werkzeug.datastructures import MultiDict

from app.core import messages
from app.core.errors import AppError
from app.core.units import mu_to_m2
from app.settings.worktime import WEEKDAYS, parse_intervals

E = TypeVar("E", bound=enum.Enum)
M = TypeVar("M", bound=BaseModel)

_WORDS = re.compile(r"[,，、;；\n]+")
_SPAN = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–~～至到]\s*(\d{1,2}:\d{2})\s*$")


class FormInvalid(Exception):
    """The form has problems; `errors` maps field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class Form:
    """Typed reads of one submitted form, collecting one message per bad field."""

    def __init__(self, data: MultiDict[str, str]) -> None:
        self.data = data
        self.errors: dict[str, str] = {}

    def _raw(self, name: str) -> str:
        return (self.data.get(name) or "").strip()

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def check(self) -> None:
        if self.errors:
            raise FormInvalid(self.errors)

    def text(self, name: str, *, required: bool = False, max_length: int = 200) -> str | None:
        value = self._raw(name)
        if not value:
            if required:
                self.fail(name, _("必填"))
            return None
        if len(value) > max_length:
            self.fail(name, _("最多 %(n)s 个字符", n=max_length))
        return value

    def integer(
        self, name: str, *, minimum: int = 0, maximum: int = 2**31 - 1, required: bool = False
    ) -> int | None:
        raw = self._raw(name)
        if not raw:
            if required:
                self.fail(name, _("必填"))
            return None
        try:
            value = int(raw)
        except ValueError:
            self.fail(name, _("请输入整数"))
            return None
        if not minimum <= value <= maximum:
            self.fail(name, _("应在 %(lo)s 到 %(hi)s 之间", lo=minimum, hi=f"{maximum:,}"))
        return value

    def decimal(self, name: str, *, minimum: Decimal = Decimal(0)) -> Decimal | None:
        raw = self._raw(name).replace(",", "")
        if not raw:
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            self.fail(name, _("请输入数字"))
            return None
        if not value.is_finite() or value < minimum:
            self.fail(name, _("不能小于 %(n)s", n=minimum))
            return None
        return value

    def area(self, name: str, unit_field: str) -> Decimal | None:
        """An area typed in ㎡ or 亩 (the unit select next to it), in m²."""
        value = self.decimal(name)
        if value is None:
            return None
        if value == 0:
            self.fail(name, _("面积应大于 0"))
            return None
        if self._raw(unit_field) == "mu":
            value = mu_to_m2(value)
        return value

    def flag(self, name: str) -> bool:
        return self._raw(name) in ("1", "on", "true", "yes")

    def choice(self, name: str, kind: type[E], *, required: bool = False) -> E | None:
        raw = self._raw(name)
        if not raw:
            if required:
                self.fail(name, _("请选择"))
            return None
        try:
            return kind(raw)
        except ValueError:
            self.fail(name, _("请从列表中选择"))
            return None

    def choices(self, name: str, kind: type[E]) -> list[E]:
        values = []
        for raw in self.data.getlist(name):
            try:
                values.append(kind(raw))
            except ValueError:
                self.fail(name, _("请从列表中选择"))
        return values

    def words(self, name: str, *, max_length: int = 100) -> list[str]:
        """A list typed as text: 芦淞区、天元区 or one per line."""
        items = [w.strip() for w in _WORDS.split(self._raw(name)) if w.strip()]
        if any(len(w) > max_length for w in items):
            self.fail(name, _("每项最多 %(n)s 个字符", n=max_length))
        return list(dict.fromkeys(items))

    def week(self, always_field: str, prefix: str = "hours_") -> dict[str, Any] | None:
        """Working hours: None when 'always available' is ticked, else one text per day such
        as '09:00-12:00, 13:30-18:00' (blank: a day off)."""
        if self.flag(always_field):
            return None
        week: dict[str, Any] = {}
        for day in WEEKDAYS:
            raw = self._raw(prefix + day)
            if not raw:
                continue
            spans = []
            for part in re.split(r"[,，;；]+", raw):
                match = _SPAN.match(part)
                if not match:
                    self.fail(prefix + day, _("时间段格式应为 09:00-12:00，多段用逗号分开"))
                    break
                spans.append([_hhmm(match.group(1)), _hhmm(match.group(2))])
            else:
                try:
                    parse_intervals(spans)
                except ValueError:
                    message = _("时间段应先开始后结束、互不重叠，且在 00:00-24:00 内")
                    self.fail(prefix + day, message)
                    continue
                week[day] = spans
        return week


def _hhmm(text: str) -> str:
    hours, minutes = text.split(":")
    return f"{int(hours):02d}:{minutes}"


def words_text(values: Iterable[str] | None) -> str:
    return "、".join(values or [])


def week_texts(hours: Mapping[str, Any] | None) -> dict[str, str]:
    """An agent's stored hours as the form's per-day texts."""
    return {
        f"hours_{day}": ", ".join(f"{a}-{b}" for a, b in (hours or {}).get(day, []))
        for day in WEEKDAYS
    }


# --- the shared pydantic models, with their messages worded for people -----------------------


def _pydantic_message(error: Mapping[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if kind == "missing":
        return _("必填")
    if kind in ("string_too_short", "too_short"):
        return _("不能为空")
    if kind in ("string_too_long", "too_long"):
        return _("太长了（最多 %(n)s）", n=ctx.get("max_length", "?"))
    if kind == "greater_than_equal":
        return _("不能小于 %(n)s", n=ctx.get("ge"))
    if kind == "greater_than":
        return _("应大于 %(n)s", n=ctx.get("gt"))
    if kind == "less_than_equal":
        return _("不能大于 %(n)s", n=ctx.get("le"))
    if kind in ("enum", "literal_error"):
        return _("请从列表中选择")
    if kind in ("int_type", "int_parsing", "decimal_parsing", "decimal_type"):
        return _("请输入数字")
    return _("格式不正确：%(detail)s", detail=error.get("msg", ""))


_VALUE_ERRORS = {
    "login": lambda: _("只能包含字母、数字和 _ . @ -"),
    "phone": lambda: _("不是有效的手机号或座机号"),
    "email": lambda: _("不是有效的电子邮箱"),
}


def validated(model: type[M], payload: dict[str, Any]) -> M:
    """`payload` as `model`, or FormInvalid with a message per field (first field of the
    error's location: nested errors belong to the form field that holds them)."""
    try:
        body = model.model_validate(payload)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors(include_url=False):
            field = str(error["loc"][0]) if error["loc"] else "__all__"
            if field == "skills" and len(error["loc"]) > 1:
                field = str(error["loc"][1])
            if field == "conditions" and len(error["loc"]) > 1:
                field = str(error["loc"][1])
            if error["type"] == "value_error" and field in _VALUE_ERRORS:
                message = _VALUE_ERRORS[field]()
            else:
                message = _pydantic_message(error)
            errors.setdefault(field, message)
        raise FormInvalid(errors) from None
    problems = body.field_errors() if hasattr(body, "field_errors") else {}
    if problems:
        raise FormInvalid(problems)
    return body


# What the admin services' refusals mean, for people (app/core/messages.py words the rest).
messages.register_codes(
    {
        "login_taken": lambda: _("这个账号已被使用"),
        "name_taken": lambda: _("已有同名的团队"),
        "last_admin": lambda: _("这是最后一位在用的管理员：请先把另一位设为管理员"),
        "default_team": lambda: _("必须有一个默认团队：请把另一个团队设为默认"),
        "default_team_inactive": lambda: _("默认团队接收所有未匹配规则的线索，不能停用"),
    }
)


def explain(exc: AppError) -> str:
    return messages.error_text(exc.code, exc.message, exc.status)
