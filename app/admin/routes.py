"""Admin pages under /app/admin (docs/routing.md, docs/security.md): agents, teams, routing rules
with the dry run, and the notifications that died. Admins only, except the routing dry run, which
team leads may use too.

Thin views over the same service functions as the admin JSON API (app/accounts/management.py,
app/routing/service.py, app/notifications/service.py): read the form, call the service, commit
once, redirect with a message; or show the form again with a message beside each bad field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from app.accounts import management
from app.accounts.models import Agent, AlertChannel, AlertEvent, Role, Strategy, Team
from app.accounts.pages_auth import role_required
from app.accounts.schemas import AgentIn, AgentPatch, TeamIn, TeamPatch
from app.admin import reasons
from app.admin.forms import Form, FormInvalid, explain, validated, week_texts, words_text
from app.admin.helpers import PageResult, admin_only, bp
from app.core.db import db
from app.core.errors import AppError, NotFound
from app.core.units import m2_to_mu
from app.leads import labels
from app.leads.models import Channel, Deal, NeedType, lead_id_from_reference
from app.notifications import service as notifications
from app.notifications.models import NotificationStatus
from app.routing import service as routing
from app.routing.models import RoutingRule
from app.routing.schemas import DryRunIn, RuleIn, RulePatch
from app.settings.worktime import WEEKDAYS


@bp.context_processor
def _choices() -> dict[str, Any]:
    return {
        "labels": labels,
        "roles": list(Role),
        "strategies": list(Strategy),
        "need_types": list(NeedType),
        "deals": list(Deal),
        "channels": list(Channel),
        "weekdays": WEEKDAYS,
    }


def _failed(
    template: str, exc: AppError | FormInvalid, status: int | None = None, **context: Any
) -> tuple[str, int]:
    """Show the form again with what was typed and what is wrong with it."""
    db.session.rollback()
    if isinstance(exc, FormInvalid):
        flash(_("请修改标出的内容"), "error")
        return render_template(template, values=request.form, errors=exc.errors, **context), 400
    fields = {name: message for name, message in exc.fields.items()}
    flash(explain(exc), "error")
    return render_template(
        template, values=request.form, errors=fields, **context
    ), status or exc.status


def _save(action: Callable[[], Any], done: str, target: str) -> Response:
    action()
    db.session.commit()
    flash(done, "info")
    return redirect(target)


@bp.get("/")
@admin_only
def home() -> Response:
    return redirect(url_for("admin_pages.agents"))


# --- agents ------------------------------------------------------------------------------------


@bp.get("/agents")
@admin_only
def agents() -> str:
    cursor = request.args.get("cursor")
    rows, last_id = management.list_agents(
        limit=100, cursor=int(cursor) if cursor and cursor.isdigit() else None
    )
    return render_template(
        "admin/agents.html",
        agents=rows,
        open_leads=routing.open_leads_of([a.id for a in rows]),
        teams={t.id: t for t in management.list_teams()},
        next_cursor=last_id,
        hours_text=_hours_text,
    )


def _hours_text(hours: dict[str, Any] | None) -> str:
    if hours is None:
        return _("随时可分配")
    days = [
        f"{labels.WEEKDAY[d]} " + ", ".join(f"{a}-{b}" for a, b in hours[d])
        for d in WEEKDAYS
        if hours.get(d)
    ]
    return "；".join(days) or _("不接新线索")


def _agent_values(agent: Agent) -> MultiDict[str, str]:
    skills = agent.skills or {}
    values: MultiDict[str, str] = MultiDict(
        {
            "login": agent.login,
            "name": agent.name,
            "role": agent.role.value,
            "team_id": str(agent.team_id or ""),
            "phone": agent.phone or "",
            "email": agent.email or "",
            "wechat_openid": agent.wechat_openid or "",
            "wecom_userid": agent.wecom_userid or "",
            "capacity": str(agent.capacity),
            "weight": str(agent.weight),
            "districts": words_text(skills.get("districts")),
            "industries": words_text(skills.get("industries")),
            **week_texts(agent.working_hours),
        }
    )
    for need in skills.get("need_types") or []:
        values.add("need_types", need)
    if agent.active:
        values.add("active", "1")
    if agent.working_hours is None:
        values.add("always_available", "1")
    if agent.notify_channels is None:
        values.add("default_channels", "1")
    for rank, channel in enumerate(agent.notify_channels or [], start=1):
        values[f"rank_{channel}"] = str(rank)
    for event in AlertEvent:
        if (agent.notify_events or {}).get(event.value) is not False:
            values.add("notify_events", event.value)
    return values


def _alert_fields(form: Form) -> dict[str, Any]:
    """The channel order (a rank per channel; empty: not used) and the events switched on."""
    ranks = {
        c: form.integer(f"rank_{c.value}", minimum=1, maximum=len(AlertChannel))
        for c in AlertChannel
    }
    chosen = sorted((r, i, c.value) for i, (c, r) in enumerate(ranks.items()) if r is not None)
    on = {e.value for e in form.choices("notify_events", AlertEvent)}
    return {
        "notify_channels": None if form.flag("default_channels") else [c for _, _, c in chosen],
        "notify_events": {e.value: e.value in on for e in AlertEvent},
    }


def _agent_fields(form: Form) -> dict[str, Any]:
    return {
        "name": form.text("name", max_length=100),
        "role": form.choice("role", Role, required=True),
        "team_id": form.integer("team_id", minimum=1),
        "phone": form.text("phone", max_length=40),
        "email": form.text("email", max_length=254),
        "wechat_openid": form.text("wechat_openid", max_length=64),
        "wecom_userid": form.text("wecom_userid", max_length=64),
        **_alert_fields(form),
        "capacity": form.integer("capacity", maximum=100_000, required=True),
        "weight": form.integer("weight", minimum=1, maximum=1000, required=True),
        "active": form.flag("active"),
        "skills": {
            "need_types": [n.value for n in form.choices("need_types", NeedType)],
            "districts": form.words("districts"),
            "industries": form.words("industries"),
        },
        "working_hours": form.week("always_available"),
    }


def _new_password(form: Form) -> str | None:
    password = form.data.get("password") or ""
    if len(password) < 8:
        form.fail("password", _("至少 8 个字符"))
    elif len(password) > 256:
        form.fail("password", _("最多 %(n)s 个字符", n=256))
    elif password != (form.data.get("password_again") or ""):
        form.fail("password_again", _("两次输入的密码不一致"))
    return password


def _agent_form_context(agent: Agent | None = None) -> dict[str, Any]:
    return {
        "agent": agent,
        "teams": management.list_teams(),
        "alert_channels": list(AlertChannel),
        "alert_events": list(AlertEvent),
    }


@bp.route("/agents/new", methods=["GET", "POST"])
@admin_only
def new_agent() -> PageResult:
    template = "admin/agent_form.html"
    if request.method == "GET":
        defaults = MultiDict({"role": "agent", "capacity": "50", "weight": "1", "active": "1",
                              "always_available": "1"})  # fmt: skip
        return render_template(template, values=defaults, errors={}, **_agent_form_context()), 200
    form = Form(request.form)
    try:
        payload = {"login": form.text("login", required=True, max_length=64), **_agent_fields(form)}
        payload["password"] = _new_password(form)
        form.check()
        data = validated(AgentIn, payload)
        agent = management.create_agent(data)
        db.session.commit()
    except (FormInvalid, AppError) as exc:
        return _failed(template, exc, **_agent_form_context())
    flash(_("已添加 %(name)s", name=agent.name), "info")
    return redirect(url_for("admin_pages.agents"))


@bp.route("/agents/<int:agent_id>", methods=["GET", "POST"])
@admin_only
def edit_agent(agent_id: int) -> PageResult:
    agent = management.get_agent(agent_id)
    template = "admin/agent_form.html"
    if request.method == "GET":
        return render_template(
            template, values=_agent_values(agent), errors={}, **_agent_form_context(agent)
        ), 200
    form = Form(request.form)
    try:
        payload = {"login": form.text("login", required=True, max_length=64), **_agent_fields(form)}
        payload["name"] = form.text("name", required=True, max_length=100)
        form.check()
        data = validated(AgentPatch, payload)
        management.update_agent(agent_id, data)
        db.session.commit()
    except (FormInvalid, AppError) as exc:
        return _failed(template, exc, **_agent_form_context(agent))
    flash(_("已保存 %(name)s", name=agent.name), "info")
    return redirect(url_for("admin_pages.agents"))


@bp.post("/agents/<int:agent_id>/password")
@admin_only
def reset_password(agent_id: int) -> PageResult:
    agent = management.get_agent(agent_id)
    form = Form(request.form)
    try:
        password = _new_password(form)
        form.check()
        management.update_agent(agent_id, validated(AgentPatch, {"password": password}))
        db.session.commit()
    except (FormInvalid, AppError) as exc:
        db.session.rollback()
        errors = exc.errors if isinstance(exc, FormInvalid) else {"password": explain(exc)}
        flash(_("密码未修改：请看密码一栏的提示"), "error")
        return render_template(
            "admin/agent_form.html", values=_agent_values(agent), errors=errors,
            **_agent_form_context(agent),
        ), 400  # fmt: skip
    flash(_("已为 %(name)s 重设密码，其已登录的会话和令牌均已失效", name=agent.name), "info")
    return redirect(url_for("admin_pages.edit_agent", agent_id=agent_id))


# --- teams -------------------------------------------------------------------------------------


@bp.get("/teams")
@admin_only
def teams() -> str:
    rows = management.list_teams()
    return render_template(
        "admin/teams.html", teams=rows, agent_counts=management.agent_counts([t.id for t in rows])
    )


def _team_fields(form: Form) -> dict[str, Any]:
    return {
        "name": form.text("name", required=True, max_length=100),
        "strategy": form.choice("strategy", Strategy, required=True),
        "sla_minutes": form.integer("sla_minutes", minimum=1, maximum=7 * 24 * 60),
        "pool_after_days": form.integer("pool_after_days", minimum=1, maximum=3650),
        "max_private_leads": form.integer("max_private_leads", maximum=100_000),
        "is_default": form.flag("is_default"),
        "active": form.flag("active"),
    }


def _team_values(team: Team) -> MultiDict[str, str]:
    values: MultiDict[str, str] = MultiDict(
        {
            "name": team.name,
            "strategy": team.strategy.value,
            "sla_minutes": str(team.sla_minutes or ""),
            "pool_after_days": str(team.pool_after_days or ""),
            "max_private_leads": _plain(team.max_private_leads),
        }
    )
    if team.is_default:
        values.add("is_default", "1")
    if team.active:
        values.add("active", "1")
    return values


def _team_context(team: Team | None = None) -> dict[str, Any]:
    return {"team": team, "default_sla": current_app.config["SLA_MINUTES"]}


@bp.route("/teams/new", methods=["GET", "POST"])
@admin_only
def new_team() -> PageResult:
    template = "admin/team_form.html"
    if request.method == "GET":
        defaults = MultiDict({"strategy": "round_robin", "active": "1"})
        return render_template(template, values=defaults, errors={}, **_team_context()), 200
    form = Form(request.form)
    try:
        payload = _team_fields(form)
        form.check()
        team = management.create_team(validated(TeamIn, payload))
        db.session.commit()
    except (FormInvalid, AppError) as exc:
        return _failed(template, exc, **_team_context())
    flash(_("已添加团队 %(name)s", name=team.name), "info")
    return redirect(url_for("admin_pages.teams"))


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
@admin_only
def edit_team(team_id: int) -> PageResult:
    team = management.get_team(team_id)
    template = "admin/team_form.html"
    if request.method == "GET":
        return render_template(
            template, values=_team_values(team), errors={}, **_team_context(team)
        ), 200
    form = Form(request.form)
    try:
        payload = _team_fields(form)
        form.check()
        management.update_team(team_id, validated(TeamPatch, payload))
        db.session.commit()
    except (FormInvalid, AppError) as exc:
        return _failed(template, exc, **_team_context(team))
    flash(_("已保存团队 %(name)s", name=team.name), "info")
    return redirect(url_for("admin_pages.teams"))


# --- routing rules -----------------------------------------------------------------------------


def _area_text(m2: Any) -> str:
    value = float(m2)
    return _("%(m2)s ㎡（%(mu)s 亩）", m2=f"{value:,.0f}", mu=f"{m2_to_mu(value):,.1f}")


def conditions_text(conditions: dict[str, Any]) -> list[str]:
    """A rule's conditions as short phrases people read ('需求类型：厂房、土地')."""
    parts = []
    for key, kind, title in (
        ("need_types", NeedType, _("需求类型")),
        ("deals", Deal, _("租售")),
        ("channels", Channel, _("渠道")),
    ):
        if conditions.get(key):
            names = (labels.label_of(kind, v) for v in conditions[key])
            parts.append(f"{title}：" + "、".join(names))
    for key, title in (("districts", _("区域")), ("industries", _("行业含")),
                       ("scenes", _("微信场景"))):  # fmt: skip
        if conditions.get(key):
            parts.append(f"{title}：" + "、".join(str(v) for v in conditions[key]))
    if conditions.get("min_area_m2") is not None:
        parts.append(_("面积 ≥ %(area)s", area=_area_text(conditions["min_area_m2"])))
    if conditions.get("max_area_m2") is not None:
        parts.append(_("面积 ≤ %(area)s", area=_area_text(conditions["max_area_m2"])))
    if conditions.get("min_tax_wan") is not None:
        parts.append(_("年税收 ≥ %(n)s 万元", n=f"{float(conditions['min_tax_wan']):,g}"))
    if conditions.get("min_investment_wan") is not None:
        parts.append(_("投资额 ≥ %(n)s 万元", n=f"{float(conditions['min_investment_wan']):,g}"))
    if conditions.get("min_score") is not None:
        parts.append(_("评分 ≥ %(n)s", n=conditions["min_score"]))
    return parts or [_("所有线索")]


def _people() -> dict[str, Any]:
    teams = management.list_teams()
    agents, _last = management.list_agents(limit=200)
    return {"teams": teams, "agents": agents}


@bp.get("/routing")
@admin_only
def rules() -> str:
    people = _people()
    return render_template(
        "admin/rules.html",
        rules=routing.list_rules(),
        team_names={t.id: t.name for t in people["teams"]},
        agent_names={a.id: a.name for a in people["agents"]},
        conditions_text=conditions_text,
    )


def _rule_fields(form: Form) -> dict[str, Any]:
    conditions = {
        "need_types": [n.value for n in form.choices("need_types", NeedType)] or None,
        "deals": [d.value for d in form.choices("deals", Deal)] or None,
        "channels": [c.value for c in form.choices("channels", Channel)] or None,
        "districts": form.words("districts") or None,
        "industries": form.words("industries") or None,
        "scenes": form.words("scenes") or None,
        "min_area_m2": form.area("min_area", "area_unit"),
        "max_area_m2": form.area("max_area", "area_unit"),
        "min_tax_wan": form.decimal("min_tax_wan"),
        "min_investment_wan": form.decimal("min_investment_wan"),
        "min_score": form.integer("min_score", maximum=100),
    }
    payload: dict[str, Any] = {
        "name": form.text("name", required=True, max_length=100),
        "active": form.flag("active"),
        "conditions": {k: v for k, v in conditions.items() if v is not None},
        "team_id": None,
        "agent_id": None,
        "strategy": None,
    }
    low, high = conditions["min_area_m2"], conditions["max_area_m2"]
    if low and high and low > high:
        form.fail("min_area", _("最小面积不能大于最大面积"))
    if form.data.get("target") == "agent":
        payload["agent_id"] = form.integer("agent_id", minimum=1)
        if payload["agent_id"] is None:
            form.fail("agent_id", _("请选择招商专员"))
    else:
        payload["team_id"] = form.integer("team_id", minimum=1)
        payload["strategy"] = form.choice("strategy", Strategy)
        if payload["team_id"] is None:
            form.fail("team_id", _("请选择团队"))
    return payload


def _rule_values(rule: RoutingRule) -> MultiDict[str, str]:
    c = rule.conditions or {}
    values: MultiDict[str, str] = MultiDict(
        {
            "name": rule.name,
            "target": "agent" if rule.agent_id else "team",
            "team_id": str(rule.team_id or ""),
            "agent_id": str(rule.agent_id or ""),
            "strategy": rule.strategy.value if rule.strategy else "",
            "districts": words_text(c.get("districts")),
            "industries": words_text(c.get("industries")),
            "scenes": words_text(c.get("scenes")),
            "min_area": _plain(c.get("min_area_m2")),
            "max_area": _plain(c.get("max_area_m2")),
            "area_unit": "m2",
            "min_tax_wan": _plain(c.get("min_tax_wan")),
            "min_investment_wan": _plain(c.get("min_investment_wan")),
            "min_score": _plain(c.get("min_score")),
        }
    )
    for key in ("need_types", "deals", "channels"):
        for value in c.get(key) or []:
            values.add(key, value)
    if rule.active:
        values.add("active", "1")
    return values


def _plain(value: Any) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


@bp.route("/routing/rules/new", methods=["GET", "POST"])
@admin_only
def new_rule() -> PageResult:
    template = "admin/rule_form.html"
    if request.method == "GET":
        defaults = MultiDict({"target": "team", "active": "1", "area_unit": "m2"})
        return render_template(template, values=defaults, errors={}, rule=None, **_people()), 200
    form = Form(request.form)
    try:
        payload = _rule_fields(form)
        form.check()
        rule = routing.create_rule(validated(RuleIn, payload))
        db.session.commit()
    except (FormInvalid, AppError) as exc:
        return _failed(template, exc, rule=None, **_people())
    flash(_("已添加规则 %(name)s（第 %(n)s 条）", name=rule.name, n=rule.position), "info")
    return redirect(url_for("admin_pages.rules"))


@bp.route("/routing/rules/<int:rule_id>", methods=["GET", "POST"])
@admin_only
def edit_rule(rule_id: int) -> PageResult:
    rule = routing.get_rule(rule_id)
    template = "admin/rule_form.html"
    if request.method == "GET":
        return render_template(
            template, values=_rule_values(rule), errors={}, rule=rule, **_people()
        ), 200
    form = Form(request.form)
    try:
        payload = _rule_fields(form)
        form.check()
        routing.update_rule(rule_id, validated(RulePatch, payload))
        db.session.commit()
    except (FormInvalid, AppError) as exc:
        return _failed(template, exc, rule=rule, **_people())
    flash(_("已保存规则 %(name)s", name=rule.name), "info")
    return redirect(url_for("admin_pages.rules"))


@bp.post("/routing/rules/<int:rule_id>/delete")
@admin_only
def delete_rule(rule_id: int) -> Response:
    name = routing.get_rule(rule_id).name
    return _save(
        lambda: routing.delete_rule(rule_id),
        _("已删除规则 %(name)s", name=name),
        url_for("admin_pages.rules"),
    )


@bp.post("/routing/rules/<int:rule_id>/move")
@admin_only
def move_rule(rule_id: int) -> Response:
    ids = [r.id for r in routing.list_rules()]
    if rule_id not in ids:
        raise NotFound(f"no routing rule {rule_id}")
    index = ids.index(rule_id)
    other = index - 1 if request.form.get("direction") == "up" else index + 1
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
        routing.reorder_rules(ids)
        db.session.commit()
    return redirect(url_for("admin_pages.rules") + f"#rule-{rule_id}")


# --- routing dry run (admins and team leads) ---------------------------------------------------


def _dry_run_payload(form: Form) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    lead = form.text("lead", max_length=40)
    raw_at = form.text("at", max_length=20)
    if raw_at:
        try:
            local = dt.datetime.fromisoformat(raw_at)
            zone = ZoneInfo(current_app.config["TIMEZONE"])
            payload["at"] = local.replace(tzinfo=zone) if local.tzinfo is None else local
        except ValueError:
            form.fail("at", _("时间格式应为 2026-03-02T10:00"))
    if lead:
        lead_id = int(lead) if lead.isdigit() else lead_id_from_reference(lead)
        if lead_id is None or lead_id > 2**31 - 1:
            form.fail("lead", _("请输入线索编号（如 PL-20260302-0007）或 ID"))
        payload["lead_id"] = lead_id
        return payload
    fields = {
        "need_type": form.choice("need_type", NeedType),
        "deal": form.choice("deal", Deal),
        "channel": form.choice("channel", Channel),
        "area_min_m2": form.area("area_min", "area_unit"),
        "area_max_m2": form.area("area_max", "area_unit"),
        "industry": form.text("industry"),
        "district": form.text("district"),
        "scene": form.text("scene"),
        "tax_wan": form.decimal("tax_wan"),
        "investment_wan": form.decimal("investment_wan"),
    }
    low, high = fields["area_min_m2"], fields["area_max_m2"]
    if low and high and low > high:
        form.fail("area_min", _("最小面积不能大于最大面积"))
    payload.update({k: v for k, v in fields.items() if v is not None})
    return payload


@bp.route("/routing/dry-run", methods=["GET", "POST"])
@role_required(Role.ADMIN, Role.LEAD)
def dry_run() -> PageResult:
    template = "admin/dry_run.html"
    if request.method == "GET":
        defaults = MultiDict({"area_unit": "m2"})
        return render_template(template, values=defaults, errors={}, result=None), 200
    form = Form(request.form)
    try:
        payload = _dry_run_payload(form)
        form.check()
        result = routing.dry_run(current_user._get_current_object(), validated(DryRunIn, payload))
    except NotFound:
        db.session.rollback()
        flash(_("找不到这条线索，或您无权查看"), "error")
        return render_template(
            template, values=request.form, errors={"lead": _("找不到")}, result=None
        ), 404
    except (FormInvalid, AppError) as exc:
        return _failed(template, exc, result=None)
    db.session.rollback()  # a dry run changes nothing
    return render_template(
        template,
        values=request.form,
        errors={},
        result=result,
        skip_label=lambda code: str(labels.SKIP_REASON.get(code, code)),
        reason=reasons.explain,
    ), 200


# --- notifications -----------------------------------------------------------------------------

RETRYABLE = (
    NotificationStatus.DEAD,
    NotificationStatus.FAILED,
    NotificationStatus.SKIPPED,
    NotificationStatus.UNKNOWN,
)


@bp.get("/notifications")
@admin_only
def dead_notifications() -> str:
    raw = request.args.get("status", "dead")
    statuses = [s for s in NotificationStatus if s.value == raw] or [NotificationStatus.DEAD]
    rows, next_cursor = notifications.list_notifications(
        statuses=statuses, limit=50, cursor=request.args.get("cursor") or None
    )
    return render_template(
        "admin/notifications.html",
        rows=rows,
        status=statuses[0],
        statuses=list(NotificationStatus),
        retryable=RETRYABLE,
        next_cursor=next_cursor,
    )


@bp.post("/notifications/<int:notification_id>/retry")
@admin_only
def retry_notification(notification_id: int) -> Response:
    back = url_for("admin_pages.dead_notifications", status=request.form.get("status", "dead"))
    try:
        notifications.retry_notification(notification_id)
        db.session.commit()
    except NotFound:
        raise
    except AppError:
        db.session.rollback()
        flash(_("通知 %(id)s 已不在失败状态，无需重试", id=notification_id), "error")
        return redirect(back)
    flash(_("通知 %(id)s 已重新排队发送", id=notification_id), "info")
    return redirect(back)


# Pages for the settings kept in the database (holidays, privacy) and the audit log.
from app.admin import settings_pages  # noqa: E402, F401
