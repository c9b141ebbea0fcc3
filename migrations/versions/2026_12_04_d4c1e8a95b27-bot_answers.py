"""the WeChat bot's answers (knowledge base), with a default set

Revision ID: d4c1e8a95b27
Revises: d81f3b6c0e52
Create Date: 2026-12-04 06:10:00
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "d4c1e8a95b27"
down_revision = "d81f3b6c0e52"
branch_labels = None
depends_on = None

# The default answers (docs/wechat-bot.md); admins edit them at /app/admin/bot-answers.
DEFAULTS = (
    (
        "policy",
        "优惠政策,政策,补贴,扶持,奖励,返还,减免,税收优惠,incentive,incentives,subsidy,subsidies,policy,policies",
        "园区对新落户企业有租金减免、设备投资补贴、税收地方留成奖励和人才政策，具体按项目的投资额和"
        "税收贡献一事一议。留下需求和电话，招商专员会把适合您项目的政策整理给您。",
        "New companies in the park can get rent reductions, equipment investment subsidies, "
        "rewards based on local tax retained and talent support; the terms depend on the "
        "project's investment and tax contribution. Leave your need and phone number and an "
        "investment officer will send you the policies that fit your project.",
    ),
    (
        "location",
        "在哪,在哪里,位置,地址,哪个区,怎么走,地图,where,location,address,located",
        "园区位于湖南省株洲市，主要载体在天元区（株洲高新区）、芦淞区和渌口区。发个定位或说说您想"
        "去哪个区，我们安排专员带您实地看。",
        "The park is in Zhuzhou, Hunan province, with sites in Tianyuan (the Zhuzhou high-tech "
        "zone), Lusong and Lukou districts. Tell us which district you prefer and an officer "
        "will arrange a site visit.",
    ),
    (
        "transport",
        "交通,高铁,火车站,机场,高速,地铁,港口,码头,物流,多远,距离,远不远,transport,airport,railway,"
        "train,highway,port,distance,far",
        "园区距株洲西高铁站约15分钟车程、长沙黄花机场约50分钟，紧邻沪昆、京港澳高速，铁路货运和湘江"
        "港口都在附近，物流方便。",
        "The park is about 15 minutes from Zhuzhou West high-speed railway station and about "
        "50 minutes from Changsha Huanghua airport, next to the Shanghai–Kunming and "
        "Beijing–Hong Kong–Macau expressways, with rail freight and a Xiang River port nearby.",
    ),
    (
        "price",
        "多少钱,价格,租金,售价,单价,怎么收费,收费,费用,一平,一亩,price,prices,cost,rent,rental,"
        "how much,per square",
        "标准厂房租金一般在每月12-20元/㎡，办公和孵化器工位另有优惠；工业用地按挂牌出让价，每亩价格"
        "随地块而定。告诉我面积和区域，专员会给您报具体价格。",
        "Standard factory rent is usually RMB 12–20 per m² per month, with lower rates for "
        "offices and incubator desks; industrial land is sold at the listed transfer price, "
        "which depends on the plot. Tell us the area and district and an officer will quote.",
    ),
    (
        "availability",
        "有没有,还有,空置,现房,available,vacant,is there,do you have",
        "园区现有标准厂房、仓库、办公楼和工业用地可选。告诉我需要的面积和区域，招商专员会把合适的"
        "房源和地块发给您，也可以安排实地看。",
        "The park has standard factories, warehouses, offices and industrial land available. "
        "Tell us the area and district you need and an investment officer will send you what "
        "fits and arrange a visit.",
    ),
)


def upgrade() -> None:
    table = op.create_table(
        "bot_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=32), server_default="other", nullable=False),
        sa.Column("keywords", sa.Text(), nullable=False),
        sa.Column("answer_zh", sa.Text(), nullable=False),
        sa.Column("answer_en", sa.Text(), server_default="", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_answer")),
    )
    now = dt.datetime.now(dt.UTC)
    op.bulk_insert(
        table,
        [
            {"topic": topic, "keywords": keywords, "answer_zh": zh, "answer_en": en,
             "active": True, "created_at": now, "updated_at": now}
            for topic, keywords, zh, en in DEFAULTS
        ],
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("bot_answer")
