"""Every route × every role, against an explicit table of expected answers (docs/security.md: roles
are enforced on every route).

Each (method, rule) of `app.url_map` needs a row below; a new route without one fails
`test_every_route_has_a_row` with its name. Each row is requested once per role with a plain
request (GET; POST/PATCH with an empty JSON object for the API, an empty form with a valid CSRF
token for pages; DELETE bare), path parameters filled with real rows, inside a SAVEPOINT rolled
back afterwards, so no request sees another's changes.

Pages answer anonymous visitors with a redirect to /login and other roles' pages with 403; the
API answers anonymous callers with 401 and other roles with 403.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask

from app.accounts.models import Agent, Role
from app.core.db import db, utcnow
from app.leads.models import Channel, Lead, LeadStatus, NeedType
from app.listings import service as listings
from app.notifications.models import Notification, NotificationChannel, NotificationStatus
from app.routing.models import RoutingRule
from app.wechat.models import BotAnswer
from tests.web.pages import PageClient, csrf_token, page_client

ROLES = ("anonymous", "agent", "lead", "admin")
IGNORED_METHODS = {"HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Row:
    anonymous: int
    agent: int
    lead: int
    admin: int
    # Path parameters other than the defaults (e.g. the pool lead for claims).
    params: dict[str, str] = field(default_factory=dict)

    def expected(self, role: str) -> int:
        return getattr(self, role)


def same(status: int, **params: str) -> Row:
    """Public: everyone gets the same answer."""
    return Row(status, status, status, status, params)


def page(agent: int = 200, lead: int = 200, admin: int = 200, **params: str) -> Row:
    """Any logged-in agent; anonymous visitors are sent to /login."""
    return Row(302, agent, lead, admin, params)


def admin_page(admin: int = 200, lead: int = 403, **params: str) -> Row:
    return Row(302, 403, lead, admin, params)


def api(agent: int = 200, lead: int = 200, admin: int = 200, **params: str) -> Row:
    """Any bearer token; anonymous callers get 401."""
    return Row(401, agent, lead, admin, params)


def admin_api(admin: int = 200, lead: int = 403, **params: str) -> Row:
    return Row(401, 403, lead, admin, params)


POOL = {"lead_key": "pool", "lead_id": "pool"}

# (method, rule) -> expected status per role. Bodies are empty, so writes usually answer 400
# (validation) once the role is allowed: the point is who gets past authentication and roles.
TABLE: dict[tuple[str, str], Row] = {
    # --- public ------------------------------------------------------------------------------
    ("GET", "/"): same(302),
    ("GET", "/enquiry"): same(200),
    ("POST", "/enquiry"): same(400),  # no phone or WeChat id
    ("GET", "/healthz"): same(200),
    ("GET", "/privacy"): same(200),
    ("GET", "/metrics"): same(200),  # from this machine (the test client's address)
    ("GET", "/api/openapi.json"): same(200),
    ("GET", "/static/<path:filename>"): same(200),
    ("GET", "/wechat/callback"): same(403),  # no WeChat signature
    ("POST", "/wechat/callback"): same(403),
    ("POST", "/api/leads"): same(400),
    ("POST", "/api/auth/token"): same(400),
    ("GET", "/login"): same(200),
    ("POST", "/login"): same(401),  # no login and password
    ("POST", "/logout"): same(302),
    # --- session pages for every agent -------------------------------------------------------
    ("GET", "/account/password"): page(),
    ("GET", "/account/wechat"): page(),  # the QR code, or why WeChat gave none
    ("POST", "/account/password"): page(400, 400, 400),  # current password missing
    ("GET", "/app/"): page(302, 302, 302),  # to the queue
    ("GET", "/app/leads"): page(),
    ("GET", "/app/pool"): page(),
    ("GET", "/app/leads/new"): page(),
    ("POST", "/app/leads/new"): page(400, 400, 400),
    ("GET", "/app/leads/<int:lead_id>"): page(),
    ("POST", "/app/leads/<int:lead_id>/edit"): page(400, 400, 400),
    ("POST", "/app/leads/<int:lead_id>/status"): page(400, 400, 400),
    ("POST", "/app/leads/<int:lead_id>/notes"): page(400, 400, 400),
    ("POST", "/app/leads/<int:lead_id>/calls"): page(400, 400, 400),
    ("POST", "/app/leads/<int:lead_id>/follow-up"): page(400, 400, 400),  # no date
    ("POST", "/app/leads/<int:lead_id>/claim"): page(303, 303, 303, **POOL),
    ("POST", "/app/leads/<int:lead_id>/wechat"): page(400, 400, 400),
    ("POST", "/app/leads/<int:lead_id>/assign"): page(403, 400, 400),
    ("POST", "/app/leads/<int:lead_id>/merge"): page(403, 403, 400),
    ("GET", "/app/leads/export"): page(403, 200, 200),
    ("GET", "/app/import"): page(403, 403, 200),
    ("POST", "/app/import"): page(403, 403, 400),
    # --- reports (admins; team leads for their team) -----------------------------------------
    ("GET", "/app/reports"): admin_page(lead=200),
    ("GET", "/app/reports/funnel.csv"): admin_page(lead=200),
    ("GET", "/app/reports/funnel.xlsx"): admin_page(lead=200),
    # --- admin pages ---------------------------------------------------------------------------
    ("GET", "/app/admin/"): admin_page(302),
    ("GET", "/app/admin/agents"): admin_page(),
    ("GET", "/app/admin/agents/new"): admin_page(),
    ("POST", "/app/admin/agents/new"): admin_page(400),
    ("GET", "/app/admin/agents/<int:agent_id>"): admin_page(),
    ("POST", "/app/admin/agents/<int:agent_id>"): admin_page(400),
    ("POST", "/app/admin/agents/<int:agent_id>/password"): admin_page(400),
    ("GET", "/app/admin/teams"): admin_page(),
    ("GET", "/app/admin/teams/new"): admin_page(),
    ("POST", "/app/admin/teams/new"): admin_page(400),
    ("GET", "/app/admin/teams/<int:team_id>"): admin_page(),
    ("POST", "/app/admin/teams/<int:team_id>"): admin_page(400),
    ("GET", "/app/admin/routing"): admin_page(),
    ("GET", "/app/admin/routing/rules/new"): admin_page(),
    ("POST", "/app/admin/routing/rules/new"): admin_page(400),
    ("GET", "/app/admin/routing/rules/<int:rule_id>"): admin_page(),
    ("POST", "/app/admin/routing/rules/<int:rule_id>"): admin_page(400),
    ("POST", "/app/admin/routing/rules/<int:rule_id>/delete"): admin_page(302),
    ("POST", "/app/admin/routing/rules/<int:rule_id>/move"): admin_page(302),
    ("GET", "/app/admin/routing/dry-run"): admin_page(lead=200),
    ("POST", "/app/admin/routing/dry-run"): admin_page(lead=200),  # an empty imagined lead
    ("GET", "/app/admin/notifications"): admin_page(),
    ("POST", "/app/admin/notifications/<int:notification_id>/retry"): admin_page(302),
    ("GET", "/app/admin/holidays"): admin_page(),
    ("POST", "/app/admin/holidays/<int:year>"): admin_page(302, year=str(dt.date.today().year)),
    ("GET", "/app/admin/privacy"): admin_page(),
    ("POST", "/app/admin/privacy"): admin_page(400),  # the notice is required
    ("POST", "/app/admin/privacy/erase"): admin_page(400),  # no phone or openid
    ("GET", "/app/admin/audit"): admin_page(),
    # --- leads API ------------------------------------------------------------------------------
    ("GET", "/api/leads"): api(),
    ("GET", "/api/leads/<lead_key>"): api(),
    ("PATCH", "/api/leads/<lead_key>"): api(400, 400, 400),
    ("GET", "/api/leads/<lead_key>/timeline"): api(),
    ("POST", "/api/leads/<lead_key>/transitions"): api(400, 400, 400),
    ("POST", "/api/leads/<lead_key>/notes"): api(400, 400, 400),
    ("POST", "/api/leads/<lead_key>/calls"): api(400, 400, 400),
    ("POST", "/api/leads/<lead_key>/follow-up"): api(400, 400, 400),
    ("POST", "/api/leads/<lead_key>/wechat-reply"): api(400, 400, 400),
    ("GET", "/api/leads/<lead_key>/wechat-window"): api(),
    ("POST", "/api/leads/<lead_key>/claim"): api(200, 200, 200, **POOL),
    ("POST", "/api/leads/<lead_key>/assign"): api(403, 400, 400),
    ("POST", "/api/leads/<lead_key>/merge"): admin_api(400),
    ("POST", "/api/leads/manual"): api(400, 400, 400),
    ("POST", "/api/leads/import"): admin_api(400),
    ("GET", "/api/leads/export"): api(403, 200, 200),
    ("GET", "/api/leads/<lead_key>/matches"): api(),
    # --- listings API ---------------------------------------------------------------------------
    ("GET", "/api/listings"): api(),
    ("POST", "/api/listings"): api(403, 400, 400),
    ("GET", "/api/listings/<listing_id>"): api(),
    ("PATCH", "/api/listings/<listing_id>"): api(403, 400, 400),
    ("POST", "/api/listings/<listing_id>/status"): api(400, 400, 400),  # no target status
    ("POST", "/api/listings/<listing_id>/reserve"): api(400, 400, 400),  # no lead
    ("POST", "/api/listings/<listing_id>/photos"): api(403, 400, 400),
    ("DELETE", "/api/listings/<listing_id>/photos/<int:photo_id>"): api(403, 200, 200),
    ("GET", "/api/listings/<listing_id>/matches"): api(),
    ("GET", "/listings/photos/<name>"): same(404),  # no such file
    # --- listings pages (app/listings/pages.py); empty forms answer 400 once allowed ---------
    ("GET", "/app/listings"): page(),
    ("GET", "/app/listings/<int:listing_id>"): page(),
    ("GET", "/app/listings/new"): admin_page(lead=200),
    ("POST", "/app/listings/new"): admin_page(400, lead=400),
    ("POST", "/app/listings/<int:listing_id>/edit"): page(403, 400, 400),
    ("POST", "/app/listings/<int:listing_id>/status"): page(403, 400, 400),
    ("POST", "/app/listings/<int:listing_id>/photos"): page(403, 400, 400),
    ("POST", "/app/listings/<int:listing_id>/photos/<int:photo_id>/delete"): page(403, 303, 303),
    ("GET", "/app/listings/export"): admin_page(lead=200),
    ("GET", "/app/listings/import"): admin_page(lead=200),
    ("POST", "/app/listings/import"): admin_page(400, lead=400),
    ("GET", "/app/listings/import/template"): admin_page(lead=200),
    ("POST", "/app/leads/<int:lead_id>/listings/reserve"): page(400, 400, 400),
    ("POST", "/app/leads/<int:lead_id>/listings/close"): page(400, 400, 400),
    ("POST", "/app/leads/<int:lead_id>/listings/shortlist"): page(400, 400, 400),
    ("POST", "/app/leads/<int:lead_id>/listings/shortlist/<int:shortlist_id>/revoke"): page(
        303, 303, 303
    ),
    ("GET", "/app/reports/supply-demand.csv"): admin_page(lead=200),
    ("GET", "/app/reports/supply-demand.xlsx"): admin_page(lead=200),
    ("GET", "/api/reports/supply-demand"): admin_api(lead=200),
    # --- the prospects' listing pages (the world's listing is not published) -----------------
    ("GET", "/listings"): same(200),
    ("GET", "/listings/<int:listing_id>"): same(404),
    ("POST", "/listings/<int:listing_id>/interest"): same(404),
    ("GET", "/s/<token>"): same(200),
    ("GET", "/s/<token>/<int:listing_id>"): same(404),
    ("GET", "/api/routing/pool"): api(),
    ("POST", "/api/routing/dry-run"): admin_api(lead=200),
    ("GET", "/api/reports/funnel"): admin_api(lead=200),
    # --- admin API ------------------------------------------------------------------------------
    ("GET", "/api/agents"): admin_api(),
    ("POST", "/api/agents"): admin_api(400),
    ("GET", "/api/agents/<int:agent_id>"): admin_api(),
    ("PATCH", "/api/agents/<int:agent_id>"): admin_api(),  # an empty change changes nothing
    ("GET", "/api/teams"): admin_api(),
    ("POST", "/api/teams"): admin_api(400),
    ("GET", "/api/teams/<int:team_id>"): admin_api(),
    ("PATCH", "/api/teams/<int:team_id>"): admin_api(),
    ("DELETE", "/api/teams/<int:team_id>"): admin_api(204),  # an empty team
    ("GET", "/api/routing/rules"): admin_api(),
    ("POST", "/api/routing/rules"): admin_api(400),
    ("GET", "/api/bot-answers"): admin_api(),
    ("POST", "/api/bot-answers"): admin_api(400),
    ("GET", "/api/bot-answers/<int:answer_id>"): admin_api(),
    ("PATCH", "/api/bot-answers/<int:answer_id>"): admin_api(),  # nothing to change
    ("DELETE", "/api/bot-answers/<int:answer_id>"): admin_api(204),
    ("GET", "/app/admin/bot-answers"): admin_page(),
    ("POST", "/app/admin/bot-answers"): admin_page(400),  # no keywords, no answer
    ("GET", "/api/routing/rules/<int:rule_id>"): admin_api(),
    ("PATCH", "/api/routing/rules/<int:rule_id>"): admin_api(),
    ("DELETE", "/api/routing/rules/<int:rule_id>"): admin_api(204),
    ("POST", "/api/routing/rules/reorder"): admin_api(400),
    ("GET", "/api/notifications"): admin_api(),
    ("POST", "/api/notifications/<int:notification_id>/retry"): admin_api(),
    ("GET", "/api/privacy/settings"): admin_api(),
    ("PUT", "/api/privacy/settings"): admin_api(),  # an empty change changes nothing
    ("POST", "/api/privacy/erase"): admin_api(400),  # no phone or openid
    ("GET", "/api/audit"): admin_api(),
}


def served(app: Flask) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - IGNORED_METHODS
    }


def test_every_route_has_a_row(app):
    missing = sorted(served(app) - set(TABLE))
    assert not missing, (
        "routes without a row in tests/web/test_route_matrix.py TABLE (say what each role "
        "gets): " + ", ".join(f"{m} {r}" for m, r in missing)
    )


def test_every_row_is_a_route(app):
    stale = sorted(set(TABLE) - served(app))
    assert not stale, "rows for routes that no longer exist: " + ", ".join(
        f"{m} {r}" for m, r in stale
    )


# --- a small world with one row of everything a path can name ----------------------------------


@dataclass
class World:
    agents: dict[str, Agent]
    values: dict[str, str]  # path parameter -> value
    named: dict[str, dict[str, str]]  # "pool" -> {parameter: value}


@pytest.fixture
def world(make_agent, make_team, default_team) -> World:
    spare = make_team("招商三部")  # no agents, rules or leads: deletable
    agents = {
        "agent": make_agent("zhang", team=default_team, name="张专员"),
        "lead": make_agent("li", team=default_team, role=Role.LEAD, name="李主管"),
        "admin": make_agent("boss", team=default_team, role=Role.ADMIN, name="王主任"),
    }
    now = utcnow()

    def lead(agent: Agent | None, status: LeadStatus) -> Lead:
        row = Lead(
            channel=Channel.WEB_FORM, need_type=NeedType.FACTORY, status=status,
            team_id=default_team.id, agent_id=agent.id if agent else None, created_at=now,
            last_activity_at=now, sla_due_at=now + dt.timedelta(minutes=30), routed_at=now,
            phone=f"+8613900000{len(agents) + (1 if agent else 2):03d}", company="湘能电池",
        )  # fmt: skip
        db.session.add(row)
        db.session.flush()
        return row

    mine = lead(agents["agent"], LeadStatus.ASSIGNED)
    pool = lead(None, LeadStatus.NEW)
    rule = RoutingRule(name="厂房", position=1, conditions={"need_types": ["factory"]},
                       team_id=default_team.id)  # fmt: skip
    dead = Notification(
        channel=NotificationChannel.EMAIL, kind="lead_assigned", recipient="zhang@example.com",
        idempotency_key="matrix:dead", status=NotificationStatus.DEAD, attempts=8,
        last_error="SMTPServerDisconnected",
    )  # fmt: skip
    answer = BotAnswer(topic="other", keywords="停车", answer_zh="可以停车。")
    db.session.add_all([rule, dead, answer])
    listing = listings.create_listing(
        {"kind": "factory", "title": "标准厂房", "area_m2": 2000}, by=None
    )
    photo = listings.add_photo(listing, by=None, url="https://example.com/a.jpg")
    shortlist = listings.create_shortlist(mine, [listing.id], by=agents["agent"])
    db.session.commit()
    values = {
        "lead_key": str(mine.id), "lead_id": str(mine.id), "agent_id": str(agents["agent"].id),
        "team_id": str(spare.id), "rule_id": str(rule.id), "notification_id": str(dead.id),
        "filename": "app.css", "listing_id": str(listing.id), "photo_id": str(photo.id),
        "name": "0123abcd.png", "answer_id": str(answer.id), "token": shortlist.token,
        "shortlist_id": str(shortlist.id),
    }  # fmt: skip
    return World(agents, values, {"pool": {"lead_key": str(pool.id), "lead_id": str(pool.id)}})


def fill(rule: str, world: World, row: Row) -> str:
    """`rule` with its <parameters> replaced by the world's rows (or the row's own)."""
    params = {**world.values}
    for name, value in row.params.items():
        params[name] = world.named[value][name] if value in world.named else value

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in params, f"{rule}: add a value for <{name}> to the `world` fixture"
        return params[name]

    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", value, rule)


@dataclass
class Caller:
    role: str
    client: PageClient
    headers: dict[str, str]
    csrf: str


@pytest.fixture
def callers(app, world, token_for) -> dict[str, Caller]:
    result = {}
    for role in ROLES:
        agent = world.agents.get(role)
        client = page_client(app, agent.login if agent else None)
        headers = token_for(agent) if agent else {}
        token = csrf_token(client, "/account/password" if agent else "/login")
        result[role] = Caller(role, client, headers, token)
    return result


@pytest.fixture
def savepoint(app) -> Any:
    """Run one request inside a SAVEPOINT of the test's connection, rolled back after it."""
    connection = app.extensions["db_session_options"]["bind"]

    def run(call: Any) -> Any:
        # Requests reuse the test's app context, hence its session: that session's savepoint
        # must start inside ours and end before ours is rolled back.
        db.session.commit()
        nested = connection.begin_nested()
        try:
            return call()
        finally:
            db.session.rollback()
            if nested.is_active:
                nested.rollback()

    return run


def request(caller: Caller, method: str, path: str) -> Any:
    is_api = path.startswith(("/api/", "/wechat/", "/healthz"))
    kwargs: dict[str, Any] = {"headers": caller.headers}
    if method in ("POST", "PATCH", "PUT"):
        if is_api:
            kwargs["json"] = {}
        else:
            kwargs["data"] = {"csrf_token": caller.csrf}
    response = caller.client.open(path, method=method, **kwargs)
    response.close()  # files are streamed: close them here
    return response


@pytest.mark.parametrize("role", ROLES)
def test_route_matrix(app, world, callers, savepoint, role):
    caller = callers[role]
    wrong = []
    for (method, rule), row in sorted(TABLE.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if (method, rule) not in served(app):
            continue  # reported by test_every_row_is_a_route
        path = fill(rule, world, row)
        response = savepoint(lambda m=method, p=path: request(caller, m, p))
        expected = row.expected(role)
        location = response.headers.get("Location", "")
        if response.status_code != expected:
            wrong.append(f"{method} {path} ({rule}): expected {expected}, got "
                         f"{response.status_code} {location}".rstrip())  # fmt: skip
        elif (
            role == "anonymous"
            and expected == 302
            and rule.startswith(("/app", "/account"))
            and not location.startswith("/login")
        ):
            wrong.append(f"{method} {path}: anonymous sent to {location}, not /login")
    assert not wrong, f"{len(wrong)} answer(s) for {role} differ from the table:\n" + "\n".join(
        wrong
    )


# --- ids no row can have -----------------------------------------------------------------------

HUGE_IDS = ("2147483648", "4294967297", "9223372036854775808", "18446744073709551617", "9" * 40)


def test_ids_beyond_32_and_64_bits_are_never_a_500(app, world, callers, savepoint):
    """Every route with an id in its path, called as admin with ids no column can hold: a 4xx
    with a message, never a traceback (docs/security.md)."""
    caller = callers["admin"]
    wrong = []

    def status(method: str, rule: str, value: str) -> int:
        names = re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule)
        row = Row(0, 0, 0, 0, {n: value for n in names if n.endswith("_id") or n == "lead_key"})
        path = fill(rule, world, row)
        return savepoint(lambda: request(caller, method, path)).status_code

    for method, rule in sorted(served(app)):
        if not re.search(r"<(?:[^:<>]+:)?(\w+_id|lead_key)>", rule):
            continue
        missing = status(method, rule, "2147483000")  # an ordinary id that names no row
        assert missing < 500, f"{method} {rule}"
        for huge in HUGE_IDS:
            got = status(method, rule, huge)
            if got != missing and got not in (400, 403, 404):
                wrong.append(f"{method} {rule} with {huge}: {got} (a missing row: {missing})")
    assert not wrong, "\n".join(wrong)
