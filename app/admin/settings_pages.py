"""Admin pages for the settings kept in the database: the holiday calendar of years the
`chinesecalendar` package does not know (docs/operations.md) with the warning shown on every
admin page when that data runs out; the privacy settings, erasure of a person on request and
the audit log (docs/security.md)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin.helpers import PageResult, admin_only, bp
from app.audit import service as audit
from app.audit.models import AuditAction
from app.core.db import db
from app.core.errors import NotFound, ValidationFailed
from app.leads.service import agents_by_id
from app.privacy import service as privacy
from app.settings import privacy_notice, worktime


@bp.context_processor
def _calendar_warning() -> dict[str, Any]:
    if not current_user.is_authenticated or current_user.role != "admin":
        return {}
    return {"calendar_gap": worktime.calendar_gap()}


def _years() -> list[int]:
    this_year = worktime.today_local().year
    return [this_year, this_year + 1]


def _year_texts(year: int) -> dict[str, str]:
    calendar = worktime.admin_year(year) or worktime.package_year(year)
    if calendar is None:
        return {"holidays": "", "workdays": ""}
    return {
        "holidays": "\n".join(d.isoformat() for d in sorted(calendar.holidays)),
        "workdays": "\n".join(d.isoformat() for d in sorted(calendar.workdays)),
    }


def _holidays_page(status: int = 200, **context: Any) -> tuple[str, int]:
    years = [{"year": y, "source": worktime.year_source(y), **_year_texts(y)} for y in _years()]
    first, last = worktime.package_years()
    return render_template(
        "admin/holidays.html", years=years, package_first=first, package_last=last, **context
    ), status


@bp.get("/holidays")
@admin_only
def holidays() -> PageResult:
    return _holidays_page()


@bp.post("/holidays/<int:year>")
@admin_only
def save_holidays(year: int) -> PageResult:
    if year not in _years():
        raise NotFound(f"only {', '.join(map(str, _years()))} can be set here")
    if request.form.get("reset"):
        worktime.clear_admin_year(year)
        audit.record(
            AuditAction.SETTING_CHANGED, agent_id=current_user.id, setting=f"holidays:{year}",
            change="reset to package data",
        )  # fmt: skip
        db.session.commit()
        flash(_("%(year)s 年已恢复为日历包的数据", year=year), "info")
        return redirect(url_for("admin_pages.holidays"))
    try:
        calendar = worktime.YearCalendar(
            year,
            worktime.parse_date_lines(request.form.get("holidays", ""), year),
            worktime.parse_date_lines(request.form.get("workdays", ""), year),
        )
        worktime.set_admin_year(calendar, by_agent_id=current_user.id)
    except ValueError as exc:
        db.session.rollback()
        flash(_("%(year)s 年的日期有误：%(error)s", year=year, error=str(exc)), "error")
        return _holidays_page(400, typed={"year": year, **request.form})
    audit.record(
        AuditAction.SETTING_CHANGED, agent_id=current_user.id, setting=f"holidays:{year}",
        holidays=len(calendar.holidays), workdays=len(calendar.workdays),
    )  # fmt: skip
    db.session.commit()
    flash(_("%(year)s 年的节假日已保存", year=year), "info")
    return redirect(url_for("admin_pages.holidays"))


# --- privacy: the consent notice, retention, erasure on request, the audit log ------------------


def _privacy_page(status: int = 200, **context: Any) -> tuple[str, int]:
    context.setdefault("values", privacy_notice.current())
    context.setdefault("errors", {})
    return render_template("admin/privacy.html", **context), status


@bp.get("/privacy")
@admin_only
def privacy_settings() -> PageResult:
    return _privacy_page()


@bp.post("/privacy")
@admin_only
def save_privacy() -> PageResult:
    fields = (
        "notice_zh",
        "notice_en",
        "policy_url",
        "policy_text",
        "policy_text_en",
        "retention_days",
    )
    typed = {name: request.form.get(name, "") for name in fields}
    try:
        privacy.update(typed, by_agent_id=current_user.id)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(_("请修改标出的内容"), "error")
        return _privacy_page(400, values=typed, errors=exc.fields)
    db.session.commit()
    flash(_("隐私设置已保存"), "info")
    return redirect(url_for("admin_pages.privacy_settings"))


@bp.post("/privacy/erase")
@admin_only
def erase_person() -> PageResult:
    phone = request.form.get("phone") or None
    openid = request.form.get("openid") or None
    try:
        result = privacy.erase_person(phone=phone, openid=openid, by_agent_id=current_user.id)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(_("请填写有效的手机号或 openid"), "error")
        typed = {"erase_phone": phone or "", "erase_openid": openid or ""}
        return _privacy_page(400, erase=typed, errors=exc.fields)
    db.session.commit()
    flash(
        _(
            "已删除个人信息：%(leads)s 条线索，%(messages)s 条微信消息，%(followers)s 个关注者",
            leads=len(result.leads), messages=result.messages, followers=result.followers,
        ),
        "info",
    )  # fmt: skip
    return redirect(url_for("admin_pages.privacy_settings"))


@bp.get("/audit")
@admin_only
def audit_log() -> PageResult:
    before = request.args.get("before", type=int)
    rows = audit.entries(before_id=before, limit=100)
    ids = {r.agent_id for r in rows if r.agent_id is not None}
    people = {i: a.name for i, a in agents_by_id(ids).items()}
    next_before = rows[-1].id if len(rows) == 100 else None
    return render_template(
        "admin/audit.html", rows=rows, people=people, next_before=next_before
    ), 200
