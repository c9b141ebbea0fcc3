"""Demo data for a first look (`parklead seed-demo`); safe to run more than once."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from app.accounts import management
from app.accounts import service as accounts
from app.accounts.models import Agent, Role
from app.accounts.schemas import AgentPatch
from app.core.db import db, utcnow
from app.leads import history
from app.leads import service as leads
from app.leads.activity import CallOutcome
from app.leads.history import Call, PastLead, Step
from app.leads.models import Channel, Lead, LeadStatus
from app.leads.schemas import EnquiryIn
from app.settings.worktime import add_working_minutes

DEMO_PASSWORD = "parklead-demo"  # noqa: S105 - printed to the user, demo databases only
# Each demo agent's alert channels, first choice first, so the fake channels show each one
# (docs/notifications.md): their 企业微信 UserID is their login, their mobile below.
DEMO_ALERTS = {
    "lead": (["wecom_app", "sms"], "13800000001"),
    "zhang": (["wecom_app", "sms"], "13800000002"),
    "li": (["dingtalk_robot", "sms"], "13800000003"),
    "wang": (["wecom_robot", "wecom_app"], "13800000004"),
}
DEMO_AGENTS = (
    ("admin", "管理员", Role.ADMIN),
    ("lead", "周经理", Role.LEAD),
    ("zhang", "张敏", Role.AGENT),
    ("li", "李强", Role.AGENT),
    ("wang", "王芳", Role.AGENT),
)
SAMPLE_ENQUIRIES = (
    dict(
        need_type="factory",
        deal="rent",
        area_min_m2=Decimal(5000),
        area_max_m2=Decimal(5000),
        industry="新能源电池",
        tax_wan=Decimal(300),
        company="湘能电池科技有限公司",
        contact_name="王先生",
        phone="13812345678",
        district="芦淞区",
        message="想在芦淞区租5000平左右标准厂房，层高8米，年税收预计三百万",
    ),
    dict(
        need_type="land",
        deal="buy",
        area_min_m2=Decimal("20000.10"),
        area_max_m2=Decimal("33333.50"),
        industry="轨道交通装备",
        tax_wan=Decimal(1200),
        investment_wan=Decimal(50000),
        company="株洲中车配套集团",
        contact_name="李总",
        phone="13907331234",
        district="天元区",
    ),
    dict(
        need_type="warehouse",
        deal="rent",
        area_min_m2=Decimal(3000),
        area_max_m2=Decimal(5000),
        industry="电商物流",
        contact_name="陈经理",
        phone="0731-28881234",
        district="石峰区",
    ),
    dict(
        need_type="office",
        deal="rent",
        area_min_m2=Decimal(300),
        area_max_m2=Decimal(500),
        industry="软件开发",
        company="麓谷云科技",
        contact_name="刘女士",
        phone="15173312345",
    ),
    dict(
        need_type="registration",
        industry="商贸",
        company="湘江贸易有限公司",
        contact_name="赵先生",
        phone="18673398765",
        tax_wan=Decimal(80),
    ),
    dict(
        need_type="investment",
        industry="新材料",
        investment_wan=Decimal(150000),
        company="华创新材料集团",
        contact_name="孙总",
        phone="13574112233",
        district="渌口区",
    ),
)


def seed(
    lead_count: int = 12, *, echo: Callable[[str], None] = print
) -> list[tuple[str, str, str]]:
    with db.transaction():
        team = accounts.ensure_default_team()
        for login, name, role in DEMO_AGENTS:
            exists = db.session.scalars(select(Agent).where(Agent.login == login)).first()
            if exists is None:
                agent = accounts.create_agent(
                    login=login, password=DEMO_PASSWORD, name=name, role=role, team=team
                )
                if login in DEMO_ALERTS:
                    channels, mobile = DEMO_ALERTS[login]
                    alerts = {"notify_channels": channels, "phone": mobile, "wecom_userid": login}
                    management.update_agent(agent.id, AgentPatch.model_validate(alerts))
                echo(f"agent {login} ({name}, {role.value}) added")
    existing = db.session.scalar(select(func.count()).select_from(Lead)) or 0
    for i in range(max(0, lead_count - existing)):
        sample = dict(SAMPLE_ENQUIRIES[i % len(SAMPLE_ENQUIRIES)])
        if i >= len(SAMPLE_ENQUIRIES):  # vary the phone so each is its own lead
            sample["phone"] = f"1390731{i:04d}"
        leads.submit_enquiry(
            EnquiryIn.model_validate(sample), channel=Channel.WEB_FORM, source={"form": "demo"}
        )
        db.session.commit()
    echo(f"{max(0, lead_count - existing)} sample leads added")
    from app.listings.demo import seed_listings  # listings for the leads to match

    seed_listings(echo=echo)
    return [(login, DEMO_PASSWORD, role.value) for login, _name, role in DEMO_AGENTS]


# --- a year of history (`parklead seed-demo --history`) --------------------------------------

HISTORY_DAYS = 365
HISTORY_FORM = "demo-history"  # source["form"] of every history lead: seeded once
LOST_REASONS = ("价格太高", "面积不合适", "选择了其他园区", "项目搁置", "环评不通过", "配套不足")
DISTRICTS = ("芦淞区", "天元区", "石峰区", "荷塘区", "渌口区", None)
INDUSTRIES = ("新能源电池", "轨道交通装备", "电商物流", "新材料", "生物医药", "服装", "软件开发")
COMPANY_WORDS = ("湘", "株", "华", "中", "天", "鑫", "瑞", "恒", "宏", "聚")
COMPANY_KINDS = ("科技", "制造", "实业", "物流", "新材料", "电子", "智能")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
NEEDS = (
    ("factory", 0.38, (2000, 12000)),
    ("land", 0.14, (10000, 80000)),
    ("warehouse", 0.16, (1500, 8000)),
    ("office", 0.14, (150, 1200)),
    ("incubator", 0.06, (20, 200)),
    ("registration", 0.06, None),
    ("investment", 0.06, None),
)
CHANNELS = (
    (Channel.WEB_FORM, 0.42),
    (Channel.WECHAT, 0.33),
    (Channel.PHONE, 0.18),
    (Channel.IMPORT, 0.07),
)
# Chance of reaching the next stage from each open stage (the rest is lost, or still open
# when the lead is recent).
ADVANCE = {
    LeadStatus.CONTACTED: 0.7,
    LeadStatus.QUALIFIED: 0.6,
    LeadStatus.SITE_VISIT: 0.65,
    LeadStatus.NEGOTIATING: 0.55,
    LeadStatus.WON: 0.7,
    LeadStatus.LANDED: 0.6,
}
# Days between a stage and the next (lower, upper).
GAP_DAYS = {
    LeadStatus.QUALIFIED: (1, 7),
    LeadStatus.SITE_VISIT: (3, 20),
    LeadStatus.NEGOTIATING: (5, 30),
    LeadStatus.WON: (10, 60),
    LeadStatus.LANDED: (30, 90),
    LeadStatus.PRODUCING: (30, 120),
}
NEXT_STAGE = {
    LeadStatus.CONTACTED: LeadStatus.QUALIFIED,
    LeadStatus.QUALIFIED: LeadStatus.SITE_VISIT,
    LeadStatus.SITE_VISIT: LeadStatus.NEGOTIATING,
    LeadStatus.NEGOTIATING: LeadStatus.WON,
    LeadStatus.WON: LeadStatus.LANDED,
    LeadStatus.LANDED: LeadStatus.PRODUCING,
}
SH = ZoneInfo("Asia/Shanghai")
QUICK_NEEDS = frozenset({"office", "incubator", "registration"})


def _weighted(rng: random.Random, options: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _office_time(rng: random.Random, day: dt.date) -> dt.datetime:
    """Mostly inside office hours, some evenings and weekends (WeChat never sleeps)."""
    hour = rng.choice([9, 9, 10, 10, 11, 14, 14, 15, 15, 16, 17, 20, 22])
    local = dt.datetime.combine(day, dt.time(hour, rng.randint(0, 59)), SH)
    return local.astimezone(dt.UTC)


def _enquiry(rng: random.Random, number: int) -> EnquiryIn:
    need, _weight, areas = _weighted(rng, [((n, w, a), w) for n, w, a in NEEDS])
    fields: dict[str, Any] = {
        "need_type": need,
        "industry": rng.choice(INDUSTRIES),
        "district": rng.choice(DISTRICTS),
        "company": f"{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_WORDS)}"
        f"{rng.choice(COMPANY_KINDS)}有限公司",
        "contact_name": f"{rng.choice(SURNAMES)}{rng.choice(['先生', '女士', '总', '经理'])}",
        # A range of its own (136 0731 xxxx), apart from the sample leads' numbers.
        "phone": f"1360731{number:04d}",
    }
    if areas:
        low = rng.randrange(areas[0], areas[1], 100 if areas[0] >= 1000 else 10)
        fields.update(area_min_m2=Decimal(low), area_max_m2=Decimal(int(low * 1.5)))
        fields["deal"] = "buy" if need == "land" else rng.choice(["rent", "rent", "buy", "any"])
    if rng.random() < 0.7:
        fields["tax_wan"] = Decimal(rng.choice([30, 50, 80, 120, 200, 300, 500, 800, 1500]))
    if need in ("land", "investment") or rng.random() < 0.2:
        fields["investment_wan"] = Decimal(rng.choice([2000, 5000, 10000, 30000, 80000]))
    return EnquiryIn.model_validate(fields)


def _past_lead(
    rng: random.Random,
    number: int,
    created: dt.datetime,
    now: dt.datetime,
    agent_ids: Sequence[int],
    team_id: int,
) -> PastLead:
    cfg = current_app.config
    enquiry = _enquiry(rng, number)
    channel = _weighted(rng, CHANNELS)
    common = {"enquiry": enquiry, "channel": channel, "created_at": created, "team_id": team_id,
              "source": {"form": HISTORY_FORM}}  # fmt: skip
    if rng.random() < 0.04:  # spam, never assigned
        return PastLead(agent_id=None, steps=[Step(LeadStatus.SPAM, created + _minutes(5))],
                        **common)  # fmt: skip
    agent_id = rng.choice(agent_ids)
    assigned = created + _minutes(rng.randint(1, 4))
    steps = [Step(LeadStatus.ASSIGNED, assigned)]
    calls: list[Call] = []
    notes: list[tuple[dt.datetime, str]] = []
    due = add_working_minutes(created, cfg["SLA_MINUTES"], tz=cfg["TIMEZONE"])
    recent = now - created < dt.timedelta(days=45)
    if recent and rng.random() < 0.08:  # still waiting for a first call
        if due < now:
            calls.append(Call(min(due, now) - _minutes(1), CallOutcome.NO_ANSWER))
        return PastLead(agent_id=agent_id, steps=steps, calls=calls, **common)
    # 70 % contacted inside the SLA, the rest late.
    if rng.random() < 0.7:
        contacted = due - _minutes(rng.randint(1, 25))
    else:
        contacted = due + _minutes(rng.randint(10, 900))
    contacted = max(contacted, assigned + _minutes(1))
    if contacted >= now:
        return PastLead(agent_id=agent_id, steps=steps, **common)
    calls.append(Call(contacted, CallOutcome.CONNECTED, rng.randint(60, 900)))
    steps.append(Step(LeadStatus.CONTACTED, contacted))
    stage, at = LeadStatus.CONTACTED, contacted
    # Offices, desks and registrations close in days; land and factories take months.
    pace = 0.15 if enquiry.need_type.value in QUICK_NEEDS else 1.0
    while stage in NEXT_STAGE:
        low, high = GAP_DAYS[NEXT_STAGE[stage]]
        next_at = at + dt.timedelta(days=rng.uniform(low, high) * pace)
        advances = rng.random() < ADVANCE[stage]
        if next_at >= now:
            break  # still open at `stage`
        if not advances:
            if stage not in (LeadStatus.WON, LeadStatus.LANDED):
                lost_at = at + dt.timedelta(days=rng.uniform(1, 30))
                if lost_at < now and not (recent and rng.random() < 0.5):
                    steps.append(Step(LeadStatus.LOST, lost_at, rng.choice(LOST_REASONS)))
            break
        if rng.random() < 0.6:  # a call on the way to the next stage
            call_at = at + (next_at - at) / 2
            calls.append(Call(call_at, rng.choice(list(CallOutcome)), rng.randint(0, 600)))
        stage, at = NEXT_STAGE[stage], next_at
        steps.append(Step(stage, at))
        if stage is LeadStatus.SITE_VISIT:
            notes.append((at + _minutes(90), "现场看厂/看地：客户对位置和层高满意，待报价。"))
    return PastLead(agent_id=agent_id, steps=steps, calls=calls, notes=notes, **common)


def _minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def seed_history(
    count: int = 300,
    *,
    now: dt.datetime | None = None,
    seed: int = 2026,
    echo: Callable[[str], None] = print,
) -> int:
    """A year of consistent history for `count` leads of the demo agents (zhang, li, wang);
    nothing when it was seeded before. Returns how many leads were added. Commits."""
    now = now or utcnow()
    seeded = db.session.scalar(
        select(func.count())
        .select_from(Lead)
        .where(Lead.source["form"].as_string() == HISTORY_FORM)
    )
    if seeded:
        echo(f"history already seeded ({seeded} leads)")
        return 0
    team = accounts.ensure_default_team()
    logins = [login for login, _name, role in DEMO_AGENTS if role is Role.AGENT]
    agent_ids = list(db.session.scalars(select(Agent.id).where(Agent.login.in_(logins))))
    if not agent_ids:
        raise RuntimeError("seed the demo agents first (parklead seed-demo)")
    rng = random.Random(seed)
    start = now - dt.timedelta(days=HISTORY_DAYS)
    # More enquiries lately, as an office's marketing picks up: the days skew recent.
    offsets = sorted(HISTORY_DAYS * (1 - rng.random() ** 1.3) for _ in range(count))
    past = []
    for number, offset in enumerate(offsets):
        day = (start + dt.timedelta(days=offset)).astimezone(SH).date()
        created = min(_office_time(rng, day), now - _minutes(90))
        past.append(_past_lead(rng, number, created, now, agent_ids, team.id))
    for first in range(0, len(past), 100):
        history.add_past_leads(past[first : first + 100])
        db.session.commit()
    echo(f"{len(past)} leads of history added ({start:%Y-%m-%d} to {now:%Y-%m-%d})")
    return len(past)
