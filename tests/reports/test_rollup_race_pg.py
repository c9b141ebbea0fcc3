"""Refreshing the report rollup twice at once, and while leads change, on PostgreSQL with real
commits: the runs take turns on the `report_state` row lock, no day is counted twice, and a
change committed during a refresh is never lost (its day stays dirty or was rebuilt with it)."""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.core.db import db
from app.leads.lifecycle import change_status
from app.leads.models import Channel, Lead, LeadStatus
from app.reports import rollup
from app.reports.models import ReportDay, ReportDirtyDay, ReportState
from app.reports.queries import GROUPS, ReportQuery, funnel_report
from tests.reports.known_history import SH
from tests.support import committing_pg_app

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

START = dt.datetime(2026, 1, 1, tzinfo=SH).astimezone(dt.UTC)
END = dt.datetime(2026, 3, 1, tzinfo=SH).astimezone(dt.UTC)


@pytest.fixture(scope="module")
def race_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with committing_pg_app("rollup_race", tmp_path_factory.mktemp("rollup-race")) as app:
        with app.app_context(), db.transaction() as session:
            rng = random.Random(3)
            for i in range(300):
                created = START + dt.timedelta(hours=rng.randrange(59 * 24))
                lead = Lead(channel=rng.choice(list(Channel)), created_at=created,
                            sla_due_at=created + dt.timedelta(minutes=30),
                            phone=f"+86137{i:08d}")  # fmt: skip
                session.add(lead)
                session.flush()
                for status in rng.choice([[], ["assigned"], ["assigned", "contacted"]]):
                    change_status(lead, status, actor="system")
        yield app


def at_once(app: Flask, *jobs: Callable[[], Any]) -> list[Any]:
    start = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int, job: Callable[[], Any]) -> None:
        start.wait()
        try:
            with app.app_context(), db.transaction():
                results[i] = job()
        except Exception as exc:  # reported by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "a refresh is stuck"
    return results


def snapshot(app: Flask) -> tuple[int, dict[str, Any]]:
    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(ReportDay))
        reports = {g: funnel_report(ReportQuery(START, END, g)) for g in GROUPS}
        db.session.remove()
    return rows, reports


def live_reports(app: Flask) -> dict[str, Any]:
    with app.app_context():
        state = db.session.get(ReportState, rollup.STATE_ID)
        if state:
            state.materialized_through = None  # read everything live, then roll that back
        reports = {g: funnel_report(ReportQuery(START, END, g)) for g in GROUPS}
        db.session.rollback()
        db.session.remove()
    return reports


def test_two_refreshes_at_once_count_each_day_once(race_app):
    first = at_once(race_app, rollup.refresh, rollup.refresh)
    assert not [r for r in first if isinstance(r, Exception)], first
    assert sorted(r.rebuilt for r in first) == [False, True]  # the second found it built
    rows, reports = snapshot(race_app)
    assert rows > 0
    assert reports == live_reports(race_app)

    with race_app.app_context(), db.transaction() as session:
        rollup.mark_dirty(session, [dt.date(2026, 1, d) for d in range(5, 25)])
    again = at_once(race_app, rollup.refresh, rollup.refresh)
    assert sorted(r.days for r in again) == [0, 20]
    assert snapshot(race_app) == (rows, reports)


def test_a_change_committed_during_a_refresh_is_not_lost(race_app):
    with race_app.app_context(), db.transaction():
        rollup.refresh()
    for _ in range(5):
        with race_app.app_context():
            lead_id = db.session.scalar(
                select(Lead.id).where(Lead.status == LeadStatus.ASSIGNED).order_by(func.random())
            )
            db.session.remove()

        def change(lead_id: int = lead_id) -> None:
            change_status(db.session.get(Lead, lead_id), "contacted", actor="system")

        at_once(race_app, rollup.refresh, change)
        assert snapshot(race_app)[1] == live_reports(race_app)
    with race_app.app_context(), db.transaction():
        rollup.refresh()
        assert db.session.scalar(select(func.count()).select_from(ReportDirtyDay)) == 0
    assert snapshot(race_app)[1] == live_reports(race_app)
