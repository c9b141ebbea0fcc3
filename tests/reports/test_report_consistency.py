"""Whatever the grouping, a report's totals are the same figures (sums over groups, and
percentiles over every lead, not per group), on a random history."""

from __future__ import annotations

import datetime as dt

from app.reports.queries import GROUPS, ReportQuery, funnel_report
from tests.reports.known_history import SH


def test_totals_do_not_depend_on_the_grouping(random_history):
    start = dt.datetime(2026, 3, 2, tzinfo=SH).astimezone(dt.UTC)
    end = dt.datetime(2026, 3, 16, tzinfo=SH).astimezone(dt.UTC)
    reports = {g: funnel_report(ReportQuery(start, end, g)) for g in GROUPS}
    expected = reports["none"]["totals"]
    assert expected["created"] > 40
    assert expected["first_contact_minutes"]["median"] is not None
    for group_by, report in reports.items():
        assert report["totals"] == expected, group_by
        assert report["lost_reasons"] == reports["none"]["lost_reasons"], group_by
        assert sum(g["created"] for g in report["groups"]) == expected["created"], group_by
