"""Demo data for a first look (`parklead seed-demo`); safe to run more than once."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import func, select

from app.accounts import service as accounts
from app.accounts.models import Agent, Role
from app.core.db import db
from app.leads import service as leads
from app.leads.models import Channel, Lead
from app.leads.schemas import EnquiryIn

DEMO_PASSWORD = "parklead-demo"  # noqa: S105 - printed to the user, demo databases only
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
                accounts.create_agent(
                    login=login, password=DEMO_PASSWORD, name=name, role=role, team=team
                )
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
