"""GET /metrics: Prometheus' text format with the pipeline's state from the database, for this
machine or a caller with METRICS_TOKEN."""

from __future__ import annotations

import datetime as dt

from prometheus_client.parser import text_string_to_metric_families

from app.core.db import db, utcnow
from app.leads.models import Channel, Lead, LeadStatus
from app.notifications.models import Notification, NotificationChannel, NotificationStatus


def scrape(client, **kwargs) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def add_lead(n: int, **fields) -> Lead:
    lead = Lead(channel=Channel.WEB_FORM, phone=f"+86139000{n:05d}", **fields)
    db.session.add(lead)
    return lead


def test_metrics_count_the_pipelines_state(app, client):
    now = utcnow()
    add_lead(1)  # new, not routed
    add_lead(2, status=LeadStatus.ASSIGNED, routed_at=now, sla_due_at=now - dt.timedelta(hours=1))
    add_lead(3, status=LeadStatus.ASSIGNED, routed_at=now, sla_due_at=now + dt.timedelta(hours=1))
    add_lead(4, status=LeadStatus.LOST, routed_at=now, lost_reason="价格",
             sla_due_at=now - dt.timedelta(hours=1))  # fmt: skip
    for i, status in enumerate([NotificationStatus.DEAD, NotificationStatus.PENDING]):
        queued = now - dt.timedelta(minutes=10)
        row = Notification(channel=NotificationChannel.EMAIL, kind="t", recipient="a@b.cn",
                           idempotency_key=f"m{i}", status=status, created_at=queued)  # fmt: skip
        db.session.add(row)
    db.session.commit()

    metrics = scrape(client)

    assert metrics["parklead_leads", (("status", "new"),)] == 1
    assert metrics["parklead_leads", (("status", "assigned"),)] == 2
    assert metrics["parklead_leads", (("status", "won"),)] == 0
    assert metrics["parklead_leads_unrouted", ()] == 1
    assert metrics["parklead_leads_sla_overdue", ()] == 1  # the lost one no longer counts
    assert metrics["parklead_notifications", (("status", "dead"),)] == 1
    assert metrics["parklead_notifications", (("status", "pending"),)] == 1
    assert 590 < metrics["parklead_notifications_oldest_due_seconds", ()] < 700
    assert metrics["parklead_report_rollup_age_seconds", ()] == -1
    assert metrics["parklead_celery_queue_length", ()] == -1  # embedded mode in the tests


def test_other_machines_need_the_token(app, client, monkeypatch):
    remote = {"environ_base": {"REMOTE_ADDR": "10.1.2.3"}}
    response = client.get("/metrics", **remote)
    assert response.status_code == 403
    assert "METRICS_TOKEN" in response.get_json()["error"]["message"]

    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-scraper")
    assert client.get("/metrics", **remote).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert client.get("/metrics", headers=wrong, **remote).status_code == 401
    scrape(client, headers={"Authorization": "Bearer s3cret-scraper"}, **remote)
