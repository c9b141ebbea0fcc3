"""The routing dry run's reasons in the reader's words (docs/i18n.md).

Routing explains itself in English for API clients and logs (app/routing/rules.py,
app/routing/engine.py); the dry-run page words each reason through the catalogue, with the
labels of the values it names (`需求类型 仓库 不在 土地、厂房 之中`). A reason this module
does not know is shown in a generic phrase in Chinese, never in English.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import get_locale
from flask_babel import gettext as _

from app.accounts.models import Strategy
from app.leads import labels
from app.leads.models import Channel, Deal, NeedType

Words = Callable[[re.Match[str]], str]


def _values(kind: type, listed: str) -> str:
    return _("、").join(labels.label_of(kind, v.strip()) for v in listed.split(","))


def _plain(listed: str) -> str:
    return _("、").join(v.strip() for v in listed.split(","))


def _strategy(raw: str) -> str:
    return labels.label_of(Strategy, raw)


_REASONS: list[tuple[re.Pattern[str], Words]] = [
    (
        re.compile(r"^need type (\S+) is not one of (.+)$"),
        lambda m: _("需求类型 %(v)s 不在 %(list)s 之中",
                    v=labels.label_of(NeedType, m[1]), list=_values(NeedType, m[2])),
    ),
    (re.compile(r"^no district stated$"), lambda m: _("未说明意向区域")),
    (
        re.compile(r"^district (.+) is not one of (.+)$"),
        lambda m: _("区域 %(v)s 不在 %(list)s 之中", v=m[1], list=_plain(m[2])),
    ),
    (re.compile(r"^no industry stated$"), lambda m: _("未说明行业")),
    (
        re.compile(r"^industry (.+) contains none of (.+)$"),
        lambda m: _("行业 %(v)s 不含 %(list)s 中的任何一个", v=m[1], list=_plain(m[2])),
    ),
    (re.compile(r"^no deal stated$"), lambda m: _("未说明租或买")),
    (
        re.compile(r"^deal (\S+) is not one of (.+)$"),
        lambda m: _("租售方式 %(v)s 不在 %(list)s 之中",
                    v=labels.label_of(Deal, m[1]), list=_values(Deal, m[2])),
    ),
    (
        re.compile(r"^channel (\S+) is not one of (.+)$"),
        lambda m: _("渠道 %(v)s 不在 %(list)s 之中",
                    v=labels.label_of(Channel, m[1]), list=_values(Channel, m[2])),
    ),
    (re.compile(r"^no WeChat scene$"), lambda m: _("不是扫微信二维码来的")),
    (
        re.compile(r"^scene (.+) is not one of (.+)$"),
        lambda m: _("二维码场景 %(v)s 不在 %(list)s 之中", v=m[1], list=_plain(m[2])),
    ),
    (re.compile(r"^no area stated$"), lambda m: _("未说明面积")),
    (
        re.compile(r"^area up to (\S+) m² is below (\S+) m²$"),
        lambda m: _("面积最大 %(a)s ㎡，低于 %(b)s ㎡", a=m[1], b=m[2]),
    ),
    (
        re.compile(r"^area from (\S+) m² is above (\S+) m²$"),
        lambda m: _("面积最小 %(a)s ㎡，高于 %(b)s ㎡", a=m[1], b=m[2]),
    ),
    (re.compile(r"^no tax figure stated$"), lambda m: _("未说明年税收")),
    (
        re.compile(r"^tax (\S+)万 is below (\S+)万$"),
        lambda m: _("年税收 %(a)s 万元，低于 %(b)s 万元", a=m[1], b=m[2]),
    ),
    (re.compile(r"^no investment figure stated$"), lambda m: _("未说明投资额")),
    (
        re.compile(r"^investment (\S+)万 is below (\S+)万$"),
        lambda m: _("投资额 %(a)s 万元，低于 %(b)s 万元", a=m[1], b=m[2]),
    ),
    (
        re.compile(r"^score (\S+) is below (\S+)$"),
        lambda m: _("评分 %(a)s，低于 %(b)s", a=m[1], b=m[2]),
    ),
    (re.compile(r"^unknown condition (.+)$"), lambda m: _("无法识别的条件 %(c)s", c=m[1])),
    (re.compile(r"^the rule names no team or agent$"), lambda m: _("规则没有指定团队或专员")),
    (re.compile(r"^its team (.+) is inactive$"), lambda m: _("规则的团队 %(t)s 已停用", t=m[1])),
    # Why an agent is passed over (app/routing/engine.skip_reasons).
    (re.compile(r"^(.+) is deactivated$"), lambda m: _("%(a)s 已停用", a=m[1])),
    (
        re.compile(r"^(\d+) open leads, capacity (\d+)$"),
        lambda m: _("在手 %(n)s 条，上限 %(max)s 条", n=m[1], max=m[2]),
    ),
    (
        re.compile(r"^outside working hours at (\S+ \S+)"),
        lambda m: _("%(at)s 不在工作时间内", at=m[1]),
    ),
    (
        re.compile(r"^(\d+) open leads, team (.+) allows (\d+) per agent$"),
        lambda m: _("在手 %(n)s 条，团队 %(t)s 每人最多 %(max)s 条", n=m[1], t=m[2], max=m[3]),
    ),
    # What the plan decided (app/routing/engine.plan_route).
    (
        re.compile(r"^no rule matched and there is no default team$"),
        lambda m: _("没有规则匹配，也没有默认团队"),
    ),
    (
        re.compile(r"^(\S+) in team (.+), among the agents skilled for this lead \((\d+)\)$"),
        lambda m: _("团队 %(t)s 内%(s)s，在擅长此类线索的 %(n)s 位专员中",
                    t=m[2], s=_strategy(m[1]), n=m[3]),
    ),
    (
        re.compile(r"^(\S+) in team (.+); no agent skilled for this lead is available$"),
        lambda m: _("团队 %(t)s 内%(s)s；擅长此类线索的专员都不可分配",
                    t=m[2], s=_strategy(m[1])),
    ),
    (
        re.compile(r"^(\S+) in team (.+)$"),
        lambda m: _("团队 %(t)s 内%(s)s", t=m[2], s=_strategy(m[1])),
    ),
    (
        re.compile(r"^rule (.+) names (.+), who is not available \((.+)\); (.+)$"),
        lambda m: _("规则 %(r)s 指定 %(a)s，但其不可分配（%(why)s），进入公海",
                    r=m[1], a=m[2], why=_("；").join(explain(p) for p in m[3].split("; "))),
    ),
    (re.compile(r"^rule (.+) names (.+)$"), lambda m: _("规则 %(r)s 指定 %(a)s", r=m[1], a=m[2])),
    (
        re.compile(r"^team (.+) has no agents; left in its pool$"),
        lambda m: _("团队 %(t)s 没有专员，留在其公海", t=m[1]),
    ),
    (
        re.compile(r"^no agent of team (.+) is available; left in its pool$"),
        lambda m: _("团队 %(t)s 没有可分配的专员，留在其公海", t=m[1]),
    ),
]  # fmt: skip


def explain(reason: str | None) -> str:
    """`reason` (routing's English) in the current language."""
    if not reason:
        return ""
    for pattern, words in _REASONS:
        match = pattern.search(reason)
        if match:
            return words(match)
    return reason if str(get_locale() or "zh") == "en" else _("不符合规则条件")
