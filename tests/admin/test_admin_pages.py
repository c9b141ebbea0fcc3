"""Admin pages: agents, teams, routing rules with the dry run, failed notifications. Forms post
with CSRF tokens, as a browser does; messages are checked in Chinese (the default)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts import service as accounts
from app.accounts.models import Agent, Role, Strategy, Team
from app.core.db import db
from app.notifications.models import Notification, NotificationChannel, NotificationStatus
from app.routing.models import RoutingRule
from tests.notifications.helpers import RecordingDispatcher
from tests.web.pages import csrf_token, page_client, text_of


@pytest.fixture
def admin_client(app, admin):
    return page_client(app, admin.login)


def post(client, path, data, *, token_from=None):
    """Submit a form from `token_from` (default: the form's own page) to `path`."""
    token = csrf_token(client, token_from or path)
    return client.post(path, data={**data, "csrf_token": token})


def agent_named(login: str) -> Agent:
    agent = db.session.scalars(select(Agent).where(Agent.login == login)).one()
    db.session.refresh(agent)
    return agent


AGENT_FORM = {
    "login": "liu", "name": "刘招商", "role": "agent", "capacity": "30", "weight": "2",
    "phone": "13912345678", "email": "liu@example.com", "active": "1",
    "need_types": ["factory", "land"], "districts": "芦淞区、天元区", "industries": "新能源，电池",
    "hours_mon": "09:00-12:00, 13:30-18:00", "hours_fri": "9:00-17:00",
    "password": "a-good-password", "password_again": "a-good-password",
}  # fmt: skip


# --- agents ------------------------------------------------------------------------------------


def test_agent_list_shows_agents_with_team_and_load(admin_client, agent, default_team):
    html = admin_client.get("/app/admin/agents").get_data(as_text=True)
    row = text_of(html, "agents")
    assert "zhang" in row
    assert "招商专员 招商一部 0 / 50" in row
    assert "随时可分配" in row


def test_create_agent_with_skills_and_working_hours(admin_client, default_team):
    response = post(admin_client, "/app/admin/agents/new",
                    {**AGENT_FORM, "team_id": str(default_team.id)})  # fmt: skip
    assert response.status_code == 302
    agent = agent_named("liu")
    assert (agent.name, agent.team_id, agent.capacity, agent.weight) == (
        "刘招商",
        default_team.id,
        30,
        2,
    )
    assert agent.phone == "+8613912345678"
    assert agent.skills == {
        "need_types": ["factory", "land"],
        "districts": ["芦淞区", "天元区"],
        "industries": ["新能源", "电池"],
    }
    assert agent.working_hours == {
        "mon": [["09:00", "12:00"], ["13:30", "18:00"]],
        "fri": [["09:00", "17:00"]],
    }
    assert accounts.authenticate("liu", "a-good-password").id == agent.id
    assert "已添加 刘招商" in admin_client.get("/app/admin/agents").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"login": ""}, "login", "必填"),
        ({"login": "刘 招商"}, "login", "只能包含字母、数字和 _ . @ -"),
        ({"password": "short", "password_again": "short"}, "password", "至少 8 个字符"),
        ({"password_again": "another-password"}, "password_again", "两次输入的密码不一致"),
        ({"capacity": "many"}, "capacity", "请输入整数"),
        ({"weight": "0"}, "weight", "应在 1 到 1,000 之间"),
        ({"hours_tue": "9点到5点"}, "hours_tue", "时间段格式应为 09:00-12:00"),
        ({"hours_tue": "18:00-09:00"}, "hours_tue", "时间段应先开始后结束"),
        ({"email": "not-an-address"}, "email", "不是有效的电子邮箱"),
        ({"phone": "12345"}, "phone", "不是有效的手机号或座机号"),
    ],
)
def test_agent_form_explains_each_bad_field(admin_client, changes, field, message):
    response = post(admin_client, "/app/admin/agents/new", {**AGENT_FORM, **changes})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in text_of(html, f"e-{field}")
    assert 'aria-invalid="true"' in html
    assert db.session.scalars(select(Agent).where(Agent.login == "liu")).first() is None


def test_duplicate_login_is_refused_with_a_message(admin_client, agent):
    response = post(admin_client, "/app/admin/agents/new", {**AGENT_FORM, "login": "zhang"})
    assert response.status_code == 409
    assert "这个账号已被使用" in response.get_data(as_text=True)


def test_edit_agent_changes_team_role_capacity_and_hours(admin_client, agent, make_team):
    other = make_team("招商二部")
    path = f"/app/admin/agents/{agent.id}"
    form = admin_client.get(path).get_data(as_text=True)
    assert 'value="zhang"' in form
    response = post(admin_client, path, {
        "login": "zhang", "name": "张经理", "role": "lead", "team_id": str(other.id),
        "capacity": "80", "weight": "3", "hours_sat": "10:00-12:00", "active": "1",
    })  # fmt: skip
    assert response.status_code == 302
    agent = agent_named("zhang")
    assert (agent.name, agent.role, agent.team_id, agent.capacity, agent.weight) == (
        "张经理",
        Role.LEAD,
        other.id,
        80,
        3,
    )
    assert agent.working_hours == {"sat": [["10:00", "12:00"]]}


def test_deactivating_the_last_admin_is_refused(admin_client, admin):
    path = f"/app/admin/agents/{admin.id}"
    response = post(admin_client, path, {
        "login": admin.login, "name": admin.name, "role": "admin", "capacity": "50",
        "weight": "1", "always_available": "1",
    })  # active left out: unticked  # fmt: skip
    assert response.status_code == 409
    assert "这是最后一位在用的管理员" in response.get_data(as_text=True)
    assert agent_named(admin.login).active


def test_reset_password_ends_the_agents_sessions(app, admin_client, agent):
    agents_browser = page_client(app, agent.login)
    path = f"/app/admin/agents/{agent.id}/password"
    response = post(admin_client, path, {"password": "brand-new-pass", "password_again":
                    "brand-new-pass"}, token_from=f"/app/admin/agents/{agent.id}")  # fmt: skip
    assert response.status_code == 302
    assert agents_browser.get("/app/leads").status_code == 302  # logged out
    assert accounts.authenticate(agent.login, "brand-new-pass").id == agent.id


def test_reset_password_checks_the_repeat(admin_client, agent):
    path = f"/app/admin/agents/{agent.id}/password"
    response = post(admin_client, path, {"password": "brand-new-pass", "password_again":
                    "brand-new-pas"}, token_from=f"/app/admin/agents/{agent.id}")  # fmt: skip
    assert response.status_code == 400
    assert "两次输入的密码不一致" in response.get_data(as_text=True)


# --- teams -------------------------------------------------------------------------------------


def test_create_and_edit_a_team(admin_client, default_team):
    response = post(admin_client, "/app/admin/teams/new", {
        "name": "重点项目组", "strategy": "least_loaded", "sla_minutes": "15",
        "pool_after_days": "7", "max_private_leads": "20", "active": "1",
    })  # fmt: skip
    assert response.status_code == 302
    team = db.session.scalars(select(Team).where(Team.name == "重点项目组")).one()
    assert (team.strategy, team.sla_minutes, team.pool_after_days, team.max_private_leads) == (
        Strategy.LEAST_LOADED,
        15,
        7,
        20,
    )
    listing = text_of(admin_client.get("/app/admin/teams").get_data(as_text=True), "teams")
    assert "重点项目组 负载最低优先 15 分钟 7 天 20" in listing
    response = post(admin_client, f"/app/admin/teams/{team.id}", {
        "name": "重点项目组", "strategy": "weighted", "is_default": "1", "active": "1",
    })  # fmt: skip
    assert response.status_code == 302
    db.session.refresh(team)
    db.session.refresh(default_team)
    assert team.is_default
    assert not default_team.is_default
    assert (team.strategy, team.sla_minutes, team.max_private_leads) == (
        Strategy.WEIGHTED,
        None,
        None,
    )


def test_default_team_cannot_be_deactivated(admin_client, default_team):
    response = post(admin_client, f"/app/admin/teams/{default_team.id}", {
        "name": default_team.name, "strategy": "round_robin", "is_default": "1",
    })  # fmt: skip
    assert response.status_code == 409
    assert "默认团队接收所有未匹配规则的线索，不能停用" in response.get_data(as_text=True)


def test_team_form_requires_a_name_and_sane_numbers(admin_client):
    response = post(admin_client, "/app/admin/teams/new",
                    {"name": "", "strategy": "round_robin", "sla_minutes": "0"})  # fmt: skip
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "必填" in text_of(html, "e-name")
    assert "应在 1 到 10,080 之间" in text_of(html, "e-sla_minutes")


# --- routing rules -----------------------------------------------------------------------------


def rule_names() -> list[str]:
    stmt = select(RoutingRule.name).order_by(RoutingRule.position)
    return list(db.session.scalars(stmt))


def test_create_rule_with_area_in_mu(admin_client, default_team):
    response = post(admin_client, "/app/admin/routing/rules/new", {
        "name": "大厂房", "need_types": ["factory"], "districts": "芦淞区", "min_area": "5",
        "area_unit": "mu", "min_tax_wan": "1000", "target": "team",
        "team_id": str(default_team.id), "strategy": "weighted", "active": "1",
    })  # fmt: skip
    assert response.status_code == 302
    rule = db.session.scalars(select(RoutingRule)).one()
    assert rule.conditions == {
        "need_types": ["factory"], "districts": ["芦淞区"], "min_area_m2": 3333.35,
        "min_tax_wan": 1000,
    }  # fmt: skip
    assert (rule.team_id, rule.strategy, rule.position) == (default_team.id, Strategy.WEIGHTED, 1)
    listing = text_of(admin_client.get("/app/admin/routing").get_data(as_text=True), "rules")
    assert "需求类型：厂房" in listing
    assert "面积 ≥ 3,333 ㎡（5.0 亩）" in listing
    assert "年税收 ≥ 1,000 万元" in listing
    assert "按权重分配" in listing
    form = admin_client.get(f"/app/admin/routing/rules/{rule.id}").get_data(as_text=True)
    assert 'name="min_area" value="3333.35"' in form


def test_rule_needs_a_target(admin_client):
    response = post(admin_client, "/app/admin/routing/rules/new",
                    {"name": "无去向", "target": "agent"})  # fmt: skip
    assert response.status_code == 400
    assert "请选择招商专员" in response.get_data(as_text=True)


def test_rule_for_an_agent_and_edit_back_to_a_team(admin_client, agent, default_team):
    post(admin_client, "/app/admin/routing/rules/new",
         {"name": "点名", "target": "agent", "agent_id": str(agent.id), "active": "1"})  # fmt: skip
    rule = db.session.scalars(select(RoutingRule)).one()
    assert (rule.agent_id, rule.team_id) == (agent.id, None)
    response = post(admin_client, f"/app/admin/routing/rules/{rule.id}", {
        "name": "点名", "target": "team", "team_id": str(default_team.id), "active": "1",
        "channels": ["wechat"],
    })  # fmt: skip
    assert response.status_code == 302
    db.session.refresh(rule)
    assert (rule.agent_id, rule.team_id, rule.conditions) == (
        None,
        default_team.id,
        {"channels": ["wechat"]},
    )


@pytest.fixture
def three_rules(admin_client, default_team):
    for name in ("一", "二", "三"):
        post(admin_client, "/app/admin/routing/rules/new",
             {"name": name, "target": "team", "team_id": str(default_team.id)})  # fmt: skip
    return {r.name: r for r in db.session.scalars(select(RoutingRule))}


def test_move_rules_up_and_down(admin_client, three_rules):
    move = "/app/admin/routing/rules/{}/move"
    post(admin_client, move.format(three_rules["三"].id), {"direction": "up"},
         token_from="/app/admin/routing")  # fmt: skip
    assert rule_names() == ["一", "三", "二"]
    post(admin_client, move.format(three_rules["一"].id), {"direction": "down"},
         token_from="/app/admin/routing")  # fmt: skip
    assert rule_names() == ["三", "一", "二"]
    post(admin_client, move.format(three_rules["三"].id), {"direction": "up"},
         token_from="/app/admin/routing")  # the first stays first  # fmt: skip
    assert rule_names() == ["三", "一", "二"]


def test_delete_rule_renumbers_the_rest(admin_client, three_rules):
    response = post(admin_client, f"/app/admin/routing/rules/{three_rules['一'].id}/delete", {},
                    token_from="/app/admin/routing")  # fmt: skip
    assert response.status_code == 302
    assert rule_names() == ["二", "三"]
    positions = list(db.session.scalars(select(RoutingRule.position).order_by(RoutingRule.id)))
    assert positions == [1, 2]


def test_dry_run_says_who_would_get_the_lead_and_why(admin_client, agent, default_team):
    post(admin_client, "/app/admin/routing/rules/new", {
        "name": "大项目", "min_tax_wan": "1000", "target": "agent", "agent_id": str(agent.id),
        "active": "1",
    })  # fmt: skip
    response = post(admin_client, "/app/admin/routing/dry-run",
                    {"need_type": "factory", "tax_wan": "2000", "area_min": "5000"})  # fmt: skip
    assert response.status_code == 200
    result = text_of(response.get_data(as_text=True), "dry-run-result")
    assert "分给 zhang" in result
    assert "匹配的规则 大项目" in result
    small = post(admin_client, "/app/admin/routing/dry-run", {"tax_wan": "10"})
    checked = text_of(small.get_data(as_text=True), "rules-checked")
    assert "大项目 ✗ 否 年税收 10 万元，低于 1000 万元" in checked


def test_dry_run_shows_skipped_agents_with_reasons(admin_client, agent, default_team):
    agent.active = False
    db.session.commit()
    response = post(admin_client, "/app/admin/routing/dry-run", {"need_type": "land"})
    html = response.get_data(as_text=True)
    assert "进入 招商一部 的公海，等待认领" in text_of(html, "dry-run-result")
    assert "zhang 已停用" in text_of(html, "skipped")


def test_team_lead_may_use_the_dry_run(app, make_agent, default_team):
    lead = make_agent("lead1", team=default_team, role=Role.LEAD)
    client = page_client(app, lead.login)
    assert client.get("/app/admin/routing/dry-run").status_code == 200
    response = post(client, "/app/admin/routing/dry-run", {"lead": "PL-20260101-99999"})
    assert response.status_code == 404
    assert "找不到这条线索" in response.get_data(as_text=True)
    assert client.get("/app/admin/routing").status_code == 403


def test_dry_run_with_a_bad_time(admin_client):
    response = post(admin_client, "/app/admin/routing/dry-run", {"at": "tomorrow"})
    assert response.status_code == 400
    assert "时间格式应为" in response.get_data(as_text=True)


# --- notifications -----------------------------------------------------------------------------


@pytest.fixture
def dead_notification(app, monkeypatch):
    recorder = RecordingDispatcher(app.extensions["dispatcher"])
    monkeypatch.setitem(app.extensions, "dispatcher", recorder)
    row = Notification(
        channel=NotificationChannel.EMAIL, kind="lead_assigned", recipient="zhang@example.com",
        idempotency_key="test:dead:1", status=NotificationStatus.DEAD, attempts=8,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )  # fmt: skip
    db.session.add(row)
    db.session.commit()
    row.recorder = recorder
    return row


def test_dead_notifications_list_their_last_error(admin_client, dead_notification):
    table = text_of(admin_client.get("/app/admin/notifications").get_data(as_text=True),
                    "notifications")  # fmt: skip
    assert "邮件 新线索提醒 zhang@example.com 8" in table
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in table


def test_retry_queues_the_notification_again(admin_client, dead_notification):
    path = f"/app/admin/notifications/{dead_notification.id}/retry"
    response = post(admin_client, path, {}, token_from="/app/admin/notifications")
    assert response.status_code == 302
    db.session.refresh(dead_notification)
    assert dead_notification.status is NotificationStatus.PENDING
    assert dead_notification.recorder.notification_ids == [dead_notification.id]
    html = admin_client.get("/app/admin/notifications").get_data(as_text=True)
    assert f"通知 {dead_notification.id} 已重新排队发送" in html
    again = post(admin_client, path, {}, token_from="/app/admin/notifications")
    assert again.status_code == 302
    assert "已不在失败状态" in admin_client.get(again.headers["Location"]).get_data(as_text=True)


def test_sent_answer_unknown_rows_are_listed_and_retried_by_the_admin(
    admin_client, dead_notification
):
    dead_notification.status = NotificationStatus.UNKNOWN
    dead_notification.channel = NotificationChannel.WECHAT_TEMPLATE
    dead_notification.last_error = "sent, answer unknown: WeChat did not answer in time"
    db.session.commit()
    page = admin_client.get("/app/admin/notifications?status=unknown").get_data(as_text=True)
    assert "已发出，结果未知" in page
    assert "sent, answer unknown" in text_of(page, "notifications")
    path = f"/app/admin/notifications/{dead_notification.id}/retry"
    response = post(
        admin_client, path, {"status": "unknown"}, token_from="/app/admin/notifications"
    )
    assert response.status_code == 302
    db.session.refresh(dead_notification)
    assert dead_notification.status is NotificationStatus.PENDING
    assert dead_notification.recorder.notification_ids == [dead_notification.id]


# --- all forms ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/app/admin/agents/new", "/app/admin/teams/new", "/app/admin/routing/rules/new",
     "/app/admin/routing/dry-run"],
)  # fmt: skip
def test_forms_without_csrf_token_are_refused(admin_client, path):
    assert admin_client.post(path, data={"name": "x"}).status_code == 400


def test_admin_pages_in_english(admin_client, agent):
    html = admin_client.get("/app/admin/agents?lang=en").get_data(as_text=True)
    assert "Open leads / capacity" in html
    assert "Always available" in html
    assert re.search(r"<td>Agent</td>", html)


def test_agents_and_team_leads_may_not_manage(app, agent, make_agent, default_team):
    lead = make_agent("lead1", team=default_team, role=Role.LEAD)
    for login in (agent.login, lead.login):
        client = page_client(app, login)
        for path in ("/app/admin/agents", "/app/admin/teams", "/app/admin/routing",
                     "/app/admin/notifications", f"/app/admin/agents/{agent.id}"):  # fmt: skip
            assert client.get(path).status_code == 403, (login, path)


def test_unknown_ids_are_404(admin_client):
    for path in ("/app/admin/agents/999999", "/app/admin/teams/999999",
                 "/app/admin/routing/rules/999999"):  # fmt: skip
        assert admin_client.get(path).status_code == 404


def test_dry_run_area_in_mu(admin_client, default_team, make_agent):
    post(admin_client, "/app/admin/routing/rules/new", {
        "name": "大地块", "min_area": "10000", "target": "team", "team_id": str(default_team.id),
        "active": "1",
    })  # fmt: skip
    response = post(admin_client, "/app/admin/routing/dry-run",
                    {"area_min": "20", "area_unit": "mu"})  # fmt: skip
    assert "匹配的规则 大地块" in text_of(response.get_data(as_text=True), "dry-run-result")
    small = post(admin_client, "/app/admin/routing/dry-run", {"area_min": "10", "area_unit": "mu"})
    assert "没有规则匹配" in text_of(small.get_data(as_text=True), "dry-run-result")


def test_agent_form_sets_alert_channels_in_order_and_events(admin_client, agent):
    path = f"/app/admin/agents/{agent.id}"
    form = admin_client.get(path).get_data(as_text=True)
    assert 'name="default_channels" value="1" checked' in form  # nothing chosen yet
    response = post(admin_client, path, {
        "login": "zhang", "name": "张敏", "role": "agent", "capacity": "50", "weight": "1",
        "active": "1", "always_available": "1", "wecom_userid": "zhangmin",
        "rank_sms": "2", "rank_wecom_app": "1", "rank_dingtalk_robot": "",
        "notify_events": ["lead_assigned", "sla_breach"],
    })  # fmt: skip
    assert response.status_code == 302
    agent = agent_named("zhang")
    assert agent.wecom_userid == "zhangmin"
    assert agent.notify_channels == ["wecom_app", "sms"]
    assert agent.notify_events == {
        "lead_assigned": True, "sla_breach": True, "wechat_handover": False,
        "listing_match": False, "follow_up_due": False,
    }  # fmt: skip
    form = admin_client.get(path).get_data(as_text=True)
    assert re.search(r'name="rank_wecom_app">.*?<option value="1" selected', form, re.S)
    assert 'value="sla_breach" checked>' in form
    assert 'value="follow_up_due" >' in form  # switched off


def test_agent_form_refuses_a_rank_out_of_range(admin_client, agent):
    path = f"/app/admin/agents/{agent.id}"
    response = post(admin_client, path, {
        "login": "zhang", "name": "张敏", "role": "agent", "capacity": "50", "weight": "1",
        "active": "1", "always_available": "1", "rank_sms": "9",
    })  # fmt: skip
    assert response.status_code == 400
    assert agent_named("zhang").notify_channels is None
