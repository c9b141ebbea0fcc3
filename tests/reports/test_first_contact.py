"""The time to first contact's median and p90 (app/reports/first_contact.py), read from the
rollup's bands, are the nearest ranks of a sort of every contacted lead, computed here directly
from the lead rows: for every grouping, all live, all rolled up, half and half, and after a lead
changes once its day was rolled up."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

import pytest
from sqlalchemy import func, select, text

from app.core.db import db
from app.leads.models import FIRST_CONTACT_SQL, Channel, Lead, NeedType
from app.reports import first_contact, rollup
from app.reports.models import ReportContact, ReportContactBlock, ReportState
from app.reports.queries import GROUPS, ReportQuery, _group_key, _key_value, funnel_report
from tests.reports.known_history import SH, add_lead, at

START = dt.datetime(2026, 3, 2, tzinfo=SH).astimezone(dt.UTC)
END = dt.datetime(2026, 3, 16, tzinfo=SH).astimezone(dt.UTC)


@pytest.fixture
def contacts(random_history, make_agent, make_team, default_team):
    """The random history plus 200 contacted leads (80 of them in February) in two teams, with
    first contacts at any second (some of them the same), seconds to days after creation."""
    rng = random.Random(11)
    other = make_team("north")
    agents = {
        default_team.id: [make_agent(f"fc_a{i}", team=default_team).id for i in range(3)],
        other.id: [make_agent(f"fc_b{i}", team=other).id for i in range(2)],
    }
    repeated = [600.0, 1234.5, 1800.0]
    for number in range(200):
        team_id = rng.choice(list(agents))
        day = at(rng.randint(2, 15), rng.randint(0, 23))
        if number >= 120:  # February, a whole month of its own
            day = dt.datetime(2026, 2, rng.randint(1, 28), rng.randint(0, 23), tzinfo=SH)
        created = day.astimezone(dt.UTC) + dt.timedelta(
            seconds=rng.randint(0, 3599), microseconds=rng.randint(0, 999_999)
        )
        lead = add_lead(
            created=created,
            channel=rng.choice(list(Channel)),
            need=rng.choice(list(NeedType)),
            agent_id=rng.choice([*agents[team_id], None]),
            team_id=team_id,
            path=rng.choice([["assigned", "contacted"], ["assigned", "contacted", "lost"]]),
            lost_reason="联系不上",
        )
        seconds = (
            rng.choice(repeated)
            if rng.random() < 0.2
            else rng.choice([rng.uniform(5, 3600), rng.uniform(3600, 3 * 86400)])
        )
        lead.first_contacted_at = created + dt.timedelta(seconds=seconds)
        if rng.random() < 0.3:
            lead.district = rng.choice(["天元区", "芦淞区"])
    db.session.commit()
    return other


def nearest_rank(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[max(1, -(-len(ordered) * percent // 100)) - 1]


def minutes(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "p90": None}
    return {
        "median": round(nearest_rank(values, 50) / 60, 1),
        "p90": round(nearest_rank(values, 90) / 60, 1),
    }


def direct(query: ReportQuery) -> tuple[dict[Any, dict], dict]:
    """Per group and overall, from every contacted lead of the range, sorted."""
    stmt = select(_group_key(query), rollup.contact_seconds()).where(
        Lead.created_at >= query.start,
        Lead.created_at < query.end,
        text(FIRST_CONTACT_SQL),
    )
    if query.team_id is not None:
        stmt = stmt.where(Lead.team_id == query.team_id)
    values: dict[Any, list[float]] = defaultdict(list)
    for key, seconds in db.session.execute(stmt):
        values[_key_value(key)].append(seconds)
    overall = minutes([s for group in values.values() for s in group])
    return {key: minutes(group) for key, group in values.items()}, overall


def assert_exact(start=START, end=END, team_id=None) -> None:
    for group_by in GROUPS:
        query = ReportQuery(start, end, group_by, team_id=team_id)
        report = funnel_report(query)
        per_key, overall = direct(query)
        assert report["totals"]["first_contact_minutes"] == overall, group_by
        for group in report["groups"]:
            none = {"median": None, "p90": None}
            expected = overall if group_by == "none" else per_key.get(group["key"], none)
            assert group["first_contact_minutes"] == expected, (group_by, group["key"])


def refresh(**kwargs) -> rollup.RefreshResult:
    result = rollup.refresh(**kwargs)
    db.session.commit()
    return result


def test_percentiles_are_exact_live_and_rolled_up(contacts):
    assert_exact()
    assert_exact(team_id=contacts.id)
    refresh()
    assert rollup.split(START, END, "Asia/Shanghai").live == []
    assert db.session.query(ReportContact).count() > 150
    assert_exact()
    assert_exact(team_id=contacts.id)


@pytest.mark.parametrize("listed", [0, 10_000])
def test_percentiles_are_exact_whether_the_wanted_ranks_are_a_list_or_a_subquery(
    contacts, monkeypatch, listed
):
    # On PostgreSQL many (band, rank) pairs are picked through a subquery of two unnested
    # arrays, a few through an IN list: each way for every pair here.
    monkeypatch.setattr(first_contact, "_LISTED_PAIRS", listed)
    refresh()
    start = dt.datetime(2026, 2, 3, 13, tzinfo=SH).astimezone(dt.UTC)
    assert_exact(start, END)
    assert_exact(start, END, team_id=contacts.id)


def test_percentiles_are_exact_when_part_of_the_range_is_live(contacts):
    refresh()
    start = dt.datetime(2026, 3, 4, 13, tzinfo=SH).astimezone(dt.UTC)
    end = dt.datetime(2026, 3, 12, 9, tzinfo=SH).astimezone(dt.UTC)
    parts = rollup.split(start, end, "Asia/Shanghai")
    assert parts.rolled
    assert parts.live
    assert_exact(start, end)


def test_a_lead_changed_after_its_day_was_rolled_up_counts_its_new_first_contact(contacts):
    refresh()
    lead = db.session.scalars(
        select(Lead).where(Lead.first_contacted_at.is_not(None)).order_by(Lead.id)
    ).first()
    lead.first_contacted_at = lead.created_at + dt.timedelta(days=30)  # now the slowest
    db.session.commit()

    assert_exact()  # its day is dirty: computed live
    refresh()
    assert_exact()  # rolled up again with the new value
    mine = select(ReportContact.seconds).where(
        ReportContact.day == lead.created_at.astimezone(SH).date(),
        ReportContact.seconds > 29 * 86400,
    )
    assert len(db.session.scalars(mine).all()) == 1
    db.session.execute(ReportState.__table__.delete())  # and all live agrees
    assert_exact()


FEBRUARY = dt.datetime(2026, 2, 1, tzinfo=SH).astimezone(dt.UTC)


def test_whole_months_and_weeks_inside_the_range_are_counted_from_blocks(contacts):
    refresh()
    runs = rollup.split(FEBRUARY, END, "Asia/Shanghai").rolled
    assert runs == [(dt.date(2026, 2, 1), dt.date(2026, 3, 15))]
    assert rollup.whole_periods(runs, weeks=False) == (
        [dt.date(2026, 2, 1)],
        [(dt.date(2026, 3, 1), dt.date(2026, 3, 15))],
    )
    weeks, rest = rollup.whole_periods(runs, weeks=True)
    assert weeks[0] == dt.date(2026, 2, 2)
    assert weeks[-1] == dt.date(2026, 3, 9)
    assert rest == [(dt.date(2026, 2, 1), dt.date(2026, 2, 1))]
    february = select(func.sum(ReportContactBlock.n)).where(
        ReportContactBlock.dim == "agent", ReportContactBlock.first_day == dt.date(2026, 2, 1)
    )
    assert db.session.scalar(february) == 80
    assert_exact(FEBRUARY, END)
    assert_exact(FEBRUARY, END, team_id=contacts.id)


def test_a_change_in_a_counted_month_is_live_until_its_block_is_rebuilt(contacts):
    refresh()
    lead = db.session.scalars(
        select(Lead).where(Lead.created_at < START, Lead.first_contacted_at.is_not(None))
    ).first()
    lead.first_contacted_at = lead.created_at + dt.timedelta(seconds=7)  # now the fastest
    lead.agent_id = None
    db.session.commit()

    assert_exact(FEBRUARY, END)
    assert refresh().days == 1
    assert_exact(FEBRUARY, END)
    fastest = select(ReportContactBlock.band).where(
        ReportContactBlock.dim == "agent", ReportContactBlock.value.is_(None)
    )
    assert 0 in db.session.scalars(fastest).all()


def test_whole_periods_of_runs():
    runs = [
        (dt.date(2026, 1, 30), dt.date(2026, 3, 31)),
        (dt.date(2026, 4, 2), dt.date(2026, 4, 9)),
    ]
    months, rest = rollup.whole_periods(runs, weeks=False)
    assert months == [dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    assert rest == [(dt.date(2026, 1, 30), dt.date(2026, 1, 31)), runs[1]]
    assert rollup.whole_periods(runs[1:], weeks=True) == ([], runs[1:])
    weeks, rest = rollup.whole_periods([(dt.date(2026, 4, 5), dt.date(2026, 4, 19))], weeks=True)
    assert weeks == [dt.date(2026, 4, 6), dt.date(2026, 4, 13)]
    assert rest == [(dt.date(2026, 4, 5), dt.date(2026, 4, 5))]
