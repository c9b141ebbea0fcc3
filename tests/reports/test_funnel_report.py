"""The funnel report against the known history of tests/reports/known_history.py (seven
leads, six in the range 2026-03-02 .. 2026-03-15); every number checked."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from tests.reports.known_history import seed_known_history


@pytest.fixture
def known_history(make_agent, default_team):
    a = make_agent("agent_a", team=default_team, name="Agent A")
    b = make_agent("agent_b", team=default_team, name="Agent B")
    seed_known_history(a.id, b.id, None)  # leads not yet in a team
    return a, b


def get_report(client, headers, group_by="none", **extra):
    params = {"from": "2026-03-02", "to": "2026-03-15", "group_by": group_by, **extra}
    response = client.get("/api/reports/funnel", query_string=params, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_totals_count_every_stage_reached_in_the_range(client, admin, token_for, known_history):
    totals = get_report(client, token_for(admin))["totals"]
    assert totals["created"] == 5
    assert totals["excluded"] == 1
    assert totals["funnel"] == {
        "new": 5,
        "assigned": 5,
        "contacted": 4,
        "qualified": 2,
        "site_visit": 2,
        "negotiating": 2,
        "won": 2,
        "landed": 1,
        "producing": 0,
    }
    assert totals["site_visits"] == 2


def test_conversion_rates_are_won_per_created_and_landed_per_won(
    client, admin, token_for, known_history
):
    totals = get_report(client, token_for(admin))["totals"]
    assert totals["conversion"] == 0.4
    assert totals["landing_rate"] == 0.5
    assert totals["stage_conversion"]["contacted"] == 0.8
    assert totals["stage_conversion"]["qualified"] == 0.5
    assert totals["stage_conversion"]["won"] == 1.0
    assert totals["stage_conversion"]["producing"] == 0.0


def test_won_tax_and_lost_reasons(client, admin, token_for, known_history):
    report = get_report(client, token_for(admin))
    assert report["totals"]["won"] == 2
    assert report["totals"]["won_tax_wan"] == 1300.0
    assert report["totals"]["lost"] == 2
    assert report["lost_reasons"] == [{"reason": "价格太高", "count": 2}]


def test_time_to_first_contact_median_and_p90(client, admin, token_for, known_history):
    totals = get_report(client, token_for(admin))["totals"]
    # contacted after 10, 20, 30, 60 minutes: nearest-rank median 20, p90 60
    assert totals["first_contact_minutes"] == {"median": 20.0, "p90": 60.0}


def test_sla_compliance_counts_on_time_first_contacts(client, admin, token_for, known_history):
    totals = get_report(client, token_for(admin))["totals"]
    assert totals["sla"] == {"met": 3, "due": 5, "compliance": 0.6}


def test_grouping_by_channel(client, admin, token_for, known_history):
    groups = {g["key"]: g for g in get_report(client, token_for(admin), "channel")["groups"]}
    assert {k: g["created"] for k, g in groups.items()} == {"web_form": 2, "wechat": 2, "phone": 1}
    assert groups["web_form"]["won"] == 2
    assert groups["web_form"]["excluded"] == 1
    assert groups["wechat"]["funnel"]["contacted"] == 1
    assert groups["wechat"]["first_contact_minutes"] == {"median": 60.0, "p90": 60.0}
    assert groups["phone"]["sla"]["compliance"] == 1.0


def test_grouping_by_week_uses_local_mondays(client, admin, token_for, known_history):
    groups = {
        g["key"]: g["created"] for g in get_report(client, token_for(admin), "week")["groups"]
    }
    assert groups == {"2026-03-02": 2, "2026-03-09": 3}


def test_grouping_by_agent_labels_agents_by_name(client, admin, token_for, known_history):
    a, b = known_history
    groups = {g["key"]: g for g in get_report(client, token_for(admin), "agent")["groups"]}
    assert groups[a.id]["label"] == "Agent A"
    assert groups[a.id]["created"] == 3
    assert groups[b.id]["created"] == 2
    assert groups[a.id]["won_tax_wan"] == 1300.0
    assert groups[None]["created"] == 0
    assert groups[None]["excluded"] == 1


def test_grouping_by_need_type(client, admin, token_for, known_history):
    groups = {
        g["key"]: g["created"] for g in get_report(client, token_for(admin), "need_type")["groups"]
    }
    assert groups == {"factory": 2, "land": 1, "warehouse": 1, "office": 1, "other": 0}


def test_csv_export_has_a_row_per_group_and_totals(client, admin, token_for, known_history):
    response = client.get(
        "/api/reports/funnel",
        headers=token_for(admin),
        query_string={
            "from": "2026-03-02",
            "to": "2026-03-15",
            "group_by": "channel",
            "format": "csv",
        },
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).lstrip("\ufeff").strip().splitlines()
    assert lines[0].startswith("group,created,reached_new")
    assert [line.split(",")[0] for line in lines[1:]] == ["phone", "web_form", "wechat", "total"]
    assert lines[-1].split(",")[1] == "5"


def test_agents_may_not_read_reports(client, agent, token_for):
    response = client.get("/api/reports/funnel", headers=token_for(agent))
    assert response.status_code == 403


def test_team_lead_sees_only_the_team(client, make_agent, make_team, token_for, known_history):
    other = make_team("招商二部")
    lead_of_other = make_agent("lead2", team=other, role=Role.LEAD)
    report = get_report(client, token_for(lead_of_other))
    assert report["totals"]["created"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-03-10", "to": "2026-03-01"}, "to"),
        ({"group_by": "colour"}, "group_by"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "from"),
    ],
)
def test_bad_report_parameters_are_400(client, admin, token_for, params, field):
    response = client.get("/api/reports/funnel", headers=token_for(admin), query_string=params)
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]
