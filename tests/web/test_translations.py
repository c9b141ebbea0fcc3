"""Every page and every kind of error, in Chinese and in English (docs/i18n.md).

The pages are found by walking `app.url_map` (every GET rule without a file download), each
requested by an admin and by an agent over seeded data with a full timeline. The Chinese
rendering fails on English words outside a small allow-list (brands, units, file formats);
the English one fails on Han characters outside the data the test wrote (company names,
people, notes) and the language switch.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask_babel import refresh
from sqlalchemy import select

from app.accounts.models import Agent, Role
from app.core.db import db, utcnow
from app.leads import service as leads
from app.listings import service as listings
from app.notifications.models import Notification, NotificationChannel, NotificationStatus
from app.routing.models import RoutingRule
from app.wechat.models import BotAnswer
from tests.conftest import PASSWORD
from tests.web.pages import page_client, text_of

# Words a Chinese page may show: names, units and formats people use as they are.
ALLOWED_WORDS = {
    "ParkLead", "API", "CSV", "XLSX", "SLA", "PL", "OpenID", "Webhook", "JSON", "English",
    "m", "km", "ID", "UTC", "QR", "SMTP", "URL", "HTTP", "HTTPS", "Excel", "WeChat", "P", "kg",
    "kVA", "openid", "chinesecalendar", "privacy", "t", "JPEG", "PNG", "WebP", "https",
}  # fmt: skip
# Han characters an English page may show besides the data: the switch back to Chinese.
ALLOWED_HAN = {"中文"}

SKIPPED_RULES = {"/static/<path:filename>", "/logout"}
DOWNLOAD = re.compile(
    r"\.(csv|xlsx)$|/export$|/import/template$|^/api/|^/wechat/|^/healthz|^/metrics"
    r"|^/listings/photos/"
)
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")

# The data the test writes; what the pages show of it is not theirs to translate.
COMPANY = "湘能电池科技有限公司"
DATA = [
    COMPANY, "王先生", "新能源电池", "芦淞区", "天元区", "株洲中车配套集团", "李总", "轨道交通装备",
    "招商一部", "招商二部", "张专员", "李主管", "王主任", "厂房规则", "想在芦淞区租厂房",
    "客户要求层高8米", "约了周三看厂", "这是备注", "你好，想租厂房", "张敏", "expo",
    "zhang", "boss", "li", "min", "天元区标准厂房A栋", "可以停车。", "停车",
]  # fmt: skip


class _Visible(HTMLParser):
    """Text a person sees: text nodes outside script/style, and the labelling attributes.
    Elements marked translate="no" (HTML's own flag) hold what is shown as received or
    typed: technical errors from other systems, the spreadsheet headers an import accepts."""

    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "col", "wbr", "area"}

    ATTRS = ("placeholder", "title", "aria-label", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip and tag not in self.VOID:
            self.skip += 1
            return
        if tag in ("script", "style") or dict(attrs).get("translate") == "no":
            if tag not in self.VOID:
                self.skip += 1
            return
        for name, value in attrs:
            if name in self.ATTRS and value:
                self.parts.append(value)
            if tag == "input" and name == "value" and dict(attrs).get("type") in ("submit",):
                self.parts.append(value or "")

    def handle_endtag(self, tag: str) -> None:
        if self.skip and tag not in self.VOID:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "\n".join(p.strip() for p in parser.parts if p.strip())


def _without_data(text: str, data: Iterable[str]) -> str:
    text = re.sub(r"\S+@\S+", " ", text)  # e-mail addresses
    for value in sorted(data, key=len, reverse=True):
        if value.isascii():
            text = re.sub(rf"\b{re.escape(value)}\b", " ", text)
        elif value:
            text = text.replace(value, " ")
    return text


def english_words(text: str, data: Iterable[str] = ()) -> set[str]:
    text = _without_data(text, data)
    text = re.sub(r"PL-\d{8}-\d+", " ", text)  # references
    return {w for w in WORD.findall(text) if w not in ALLOWED_WORDS}


def han_words(text: str, data: Iterable[str] = ()) -> set[str]:
    text = _without_data(text, [*data, *ALLOWED_HAN])
    return set(HAN.findall(text))


# --- a world with one of everything ----------------------------------------------------------


@pytest.fixture
def world(app: Flask, make_agent, make_team, default_team, token_for) -> dict[str, Any]:
    other = make_team("招商二部")
    agent = make_agent("zhang", team=default_team, name="张专员")
    boss = make_agent("boss", team=default_team, role=Role.ADMIN, name="王主任")
    lead_user = make_agent("li", team=default_team, role=Role.LEAD, name="李主管")
    make_agent("min", team=other, name="张敏")
    client = app.test_client()
    posted = client.post(
        "/api/leads",
        json={
            "need_type": "land", "deal": "buy", "area_min_m2": 3000, "area_max_m2": 5000,
            "industry": "新能源电池", "tax_wan": 300, "company": COMPANY,
            "contact_name": "王先生", "phone": "13973312345", "district": "芦淞区",
            "message": "想在芦淞区租厂房",
        },
    )  # fmt: skip
    assert posted.status_code == 201, posted.get_json()
    lead_id = posted.get_json()["id"]
    lead = db.session.get(leads.Lead, lead_id)
    lead.agent_id, lead.team_id = agent.id, default_team.id
    db.session.commit()
    headers = token_for(agent)
    version = client.get(f"/api/leads/{lead_id}", headers=headers).get_json()["version"]
    edited = client.patch(
        f"/api/leads/{lead_id}",
        json={"version": version, "need_type": "investment", "tax_wan": 500},
        headers=headers,
    )  # fmt: skip
    assert edited.status_code == 200, edited.get_json()
    for path, body in (
        ("notes", {"text": "这是备注"}),
        ("calls", {"outcome": "connected", "duration_seconds": 300, "note": "约了周三看厂"}),
        ("transitions", {"to": "contacted"}),
        ("follow-up", {"at": (utcnow() + dt.timedelta(days=5)).isoformat()}),
    ):
        answer = client.post(f"/api/leads/{lead_id}/{path}", json=body, headers=headers)
        assert answer.status_code in (200, 201), answer.get_json()
    leads.record_message(lead, {"channel": "wechat", "text": "你好，想租厂房"})
    leads.record_message(lead, {"channel": "wechat", "event": "subscribe", "scene": "expo"})
    leads.record_message(
        lead,
        {
            "channel": "wechat",
            "conversation": ["你好，想租厂房"],
            "requirements": {"ceiling_height_m": 8},
        },
    )
    second = client.post(
        "/api/leads",
        json={"need_type": "factory", "company": "株洲中车配套集团", "contact_name": "李总",
              "phone": "0731-22334455", "district": "天元区", "industry": "轨道交通装备"},
    )  # fmt: skip
    assert second.status_code == 201
    rule = RoutingRule(
        name="厂房规则",
        position=1,
        team_id=default_team.id,
        conditions={
            "need_types": ["factory"],
            "districts": ["芦淞区"],
            "min_area_m2": 3333,
            "min_tax_wan": 1000,
            "deals": ["rent"],
            "channels": ["wechat"],
        },
    )
    dead = Notification(
        channel=NotificationChannel.EMAIL, kind="lead_assigned", recipient="zhang@example.com",
        idempotency_key="i18n:dead", status=NotificationStatus.DEAD, attempts=8,
        last_error="SMTPServerDisconnected", lead_id=lead_id,
    )  # fmt: skip
    answer = BotAnswer(topic="other", keywords="停车", answer_zh="可以停车。")
    db.session.add_all([rule, dead, answer])
    listing = listings.create_listing(
        {
            "kind": "factory",
            "title": "天元区标准厂房A栋",
            "area_m2": 2000,
            "district": "天元区",
            "published": True,
        },
        by=None,
    )
    shortlist = listings.create_shortlist(lead, [listing.id], by=agent)
    db.session.commit()
    return {
        "token": shortlist.token, "shortlist_id": str(shortlist.id),
        "listing_id": str(listing.id), "answer_id": str(answer.id), "name": "0123abcd.png",
        "lead_id": str(lead_id), "lead_key": str(lead_id), "agent_id": str(agent.id),
        "team_id": str(default_team.id), "rule_id": str(rule.id),
        "notification_id": str(dead.id),
        "logins": {"admin": boss.login, "lead": lead_user.login, "agent": agent.login},
    }  # fmt: skip


def page_paths(app: Flask, world: dict[str, Any]) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.rule in SKIPPED_RULES:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: world[m.group(1)], rule.rule)
        if not DOWNLOAD.search(path):
            paths.append(path)
    # The lists of other scopes and a search (docs/workspace.md).
    paths += ["/app/leads?scope=team", "/app/leads?scope=all&q=湘能", "/app/leads?status=lost"]
    return sorted(paths)


def _problems(html: str, lang: str) -> set[str]:
    text = visible_text(html)
    return english_words(text, DATA) if lang == "zh" else han_words(text, DATA)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("role", ["admin", "lead", "agent"])
def test_every_page_is_in_one_language(app, world, role, lang):
    client = page_client(app, world["logins"][role])
    client.get(f"/app/leads?lang={lang}")
    wrong = {}
    for path in page_paths(app, world):
        response = client.get(path, follow_redirects=True)
        if response.status_code == 403:
            continue  # another role's page: checked as the other role
        assert response.status_code == 200, f"{path}: {response.status_code}"
        found = _problems(response.get_data(as_text=True), lang)
        if found:
            wrong[path] = sorted(found)
    assert not wrong, f"untranslated ({lang}, {role}): {wrong}"


# --- errors: form, API, 404, 409, 429, dry run, import ----------------------------------------

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
BAD_ENQUIRY = {"need_type": "factory", "tax_wan": "-1", "phone": "12345", "company": COMPANY}


def _no_english(text: str) -> None:
    assert not english_words(text, DATA), english_words(text, DATA)


def _no_han(text: str) -> None:
    assert not han_words(text, DATA), han_words(text, DATA)


def test_form_errors_are_chinese_and_english_when_chosen(client):
    page = client.post("/enquiry", data=BAD_ENQUIRY)
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "预计年税收（万元）：不能小于 0" in visible_text(html)
    assert "不是有效的手机号或座机号" in html
    _no_english(visible_text(html))
    english = client.post("/enquiry?lang=en", data=BAD_ENQUIRY)
    text = visible_text(english.get_data(as_text=True))
    assert "Expected annual tax" in text or "tax" in text.lower()
    _no_han(text)


@pytest.mark.parametrize(("headers", "chinese"), [(ZH, True), (EN, False)])
def test_api_validation_errors_follow_the_language(client, headers, chinese):
    body = {"need_type": "factory", "tax_wan": -1, "phone": "12345"}
    error = client.post("/api/leads", json=body, headers=headers).get_json()["error"]
    assert set(error["fields"]) == {"tax_wan", "phone"}
    texts = " ".join([error["message"], *error["fields"].values()])
    if chinese:
        assert error["fields"]["tax_wan"] == "不能小于 0"
        assert error["fields"]["phone"] == "不是有效的手机号或座机号"
        _no_english(texts)
    else:
        _no_han(texts)


def test_api_without_a_language_keeps_its_english(client):
    error = client.post("/api/leads", json={"tax_wan": -1, "phone": "1"}).get_json()["error"]
    assert "0 or more" in error["fields"]["tax_wan"]


def test_query_lang_chooses_the_api_language(client):
    error = client.post("/api/leads?lang=zh", json={"phone": "1"}).get_json()["error"]
    assert error["fields"]["phone"] == "不是有效的手机号或座机号"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_404_page_and_api_in_the_language(app, world, token_for, lang):
    client = page_client(app, world["logins"]["agent"])
    page = client.get(f"/app/leads/99999999?lang={lang}", headers={"Accept": "text/html"})
    assert page.status_code == 404
    api = client.get(f"/api/nothing-here?lang={lang}")
    assert api.status_code == 404
    check = _no_english if lang == "zh" else _no_han
    check(visible_text(page.get_data(as_text=True)))
    check(api.get_json()["error"]["message"])
    refused = client.get(f"/app/admin/agents?lang={lang}", headers={"Accept": "text/html"})
    assert refused.status_code == 403
    check(visible_text(refused.get_data(as_text=True)))


def test_409_conflict_in_chinese(app, world, token_for):
    client = app.test_client()
    lead_id = world["lead_id"]
    headers = {**token_for(db.session.get(Agent, int(world["agent_id"]))), **ZH}
    stale = client.patch(
        f"/api/leads/{lead_id}", json={"version": 0, "industry": "电池"}, headers=headers
    )
    assert stale.status_code == 409
    assert stale.get_json()["error"]["message"] == "这条线索刚被别人修改过，请查看最新内容后再试"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_429_form_keeps_what_was_typed_in_the_language(app, client, monkeypatch, lang):
    monkeypatch.setitem(app.config, "INTAKE_RATE_LIMIT", "1/minute")
    ip = {"REMOTE_ADDR": f"198.51.100.{7 if lang == 'zh' else 8}"}
    typed = {"need_type": "land", "company": COMPANY, "phone": "13973312345", "lang": lang}
    client.post("/enquiry", data={**typed, "phone": "13973310000"}, environ_base=ip)
    page = client.post("/enquiry", data=typed, environ_base=ip)
    assert page.status_code == 429
    assert page.headers["Retry-After"]
    html = page.get_data(as_text=True)
    assert f'value="{COMPANY}"' in html
    assert 'value="13973312345"' in html
    assert '<option value="land" selected' in html
    text = visible_text(html)
    if lang == "zh":
        assert "操作太频繁，请稍后再试" in text
        _no_english(text)
    else:
        _no_han(text)
    api = client.post("/api/leads", json={"phone": "13973312346"}, environ_base=ip,
                      headers=ZH if lang == "zh" else EN)  # fmt: skip
    assert api.status_code == 429
    (_no_english if lang == "zh" else _no_han)(api.get_json()["error"]["message"])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dry_run_reasons_in_the_language(app, world, lang):
    rule = db.session.get(RoutingRule, int(world["rule_id"]))
    rule.conditions = {"need_types": ["land", "factory"]}
    db.session.commit()
    client = page_client(app, world["logins"]["admin"])
    form = client.get(f"/app/admin/routing/dry-run?lang={lang}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
    page = client.post(
        "/app/admin/routing/dry-run",
        data={"csrf_token": token, "need_type": "warehouse", "area_unit": "m2"},
    )
    assert page.status_code == 200
    text = visible_text(page.get_data(as_text=True))
    if lang == "zh":
        assert "需求类型 仓库 不在 土地、厂房 之中" in text
        _no_english(text)
    else:
        assert "need Warehouse is not one of Land, Factory" in text
        _no_han(text)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_import_row_errors_in_the_language(app, world, lang):
    client = page_client(app, world["logins"]["admin"])
    form = client.get(f"/app/import?lang={lang}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
    csv = "公司,电话,需求,年税收\n湘能电池科技有限公司,12345,厂房,-5\n".encode()
    page = client.post(
        "/app/import",
        data={"csrf_token": token, "action": "check", "file": (io.BytesIO(csv), "leads.csv")},
        content_type="multipart/form-data",
    )
    report = text_of(page.get_data(as_text=True), "report")
    if lang == "zh":
        assert "不是有效的手机号或座机号" in report
        assert "不能小于 0" in report
        _no_english(report)
    else:
        _no_han(_without_data(report, ["公司", "电话", "需求", "年税收"]))


def test_timeline_names_fields_values_and_beijing_times(app, world):
    client = page_client(app, world["logins"]["agent"])
    html = client.get(f"/app/leads/{world['lead_id']}").get_data(as_text=True)
    timeline = " ".join(visible_text(html).split())
    assert "需求类型：土地 → 投资合作" in timeline
    assert "预计年税收（万元）：300 万元 → 500 万元" in timeline
    assert "关注了公众号（expo）" in timeline
    assert "对话：你好，想租厂房" in timeline
    assert "其他需求：层高（米） 8" in timeline
    assert "新线索提醒 · 邮件" in timeline
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", timeline)  # no ISO times
    now = utcnow().astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"{now.month}月{now.day}日 " in timeline
    english = client.get(f"/app/leads/{world['lead_id']}?lang=en").get_data(as_text=True)
    assert "Need type: Land → Investment cooperation" in " ".join(visible_text(english).split())


def test_when_writes_dates_as_people_do(app):
    from app.core.i18n import when

    moment = dt.datetime(2026, 12, 8, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
    with app.test_request_context("/?lang=zh"):
        refresh()
        assert when(moment, now=moment) == "12月8日 10:00"
        assert when(moment, now=moment + dt.timedelta(days=400)) == "2026年12月8日 10:00"
    with app.test_request_context("/?lang=en"):
        refresh()
        assert when(moment, now=moment) == "8 Dec 10:00"
        assert when(moment.isoformat(), now=moment.replace(year=2025)) == "8 Dec 2026 10:00"


def test_password_rules_are_worded_in_chinese(app, world):
    client = page_client(app, world["logins"]["agent"])
    form = client.get("/account/password").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
    page = client.post(
        "/account/password",
        data={"csrf_token": token, "current": PASSWORD, "new": "short", "again": "short"},
    )
    assert page.status_code == 400
    text = visible_text(page.get_data(as_text=True))
    assert re.search(r"至少 \d+ 个字符", text)
    _no_english(text)


@pytest.mark.parametrize(("headers", "chinese"), [(ZH, True), (EN, False)])
def test_api_import_row_errors_follow_the_language(app, client, token_for, world, headers, chinese):
    admin = db.session.scalars(select(Agent).where(Agent.login == "boss")).one()
    csv = "公司,电话,年税收\n湘能电池科技有限公司,12345,-5\n".encode()
    response = client.post(
        "/api/leads/import?dry_run=1",
        data={"file": (io.BytesIO(csv), "leads.csv")},
        headers={**token_for(admin), **headers},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_json()
    texts = " ".join(e["message"] for e in response.get_json()["errors"])
    if chinese:
        assert "不是有效的手机号或座机号" in texts
        _no_english(texts)
    else:
        _no_han(texts)
