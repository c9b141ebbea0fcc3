"""The Celery settings at-least-once delivery relies on (the outbox, routing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import load_config
from tests.support import make_app


@pytest.fixture(scope="module")
def celery(tmp_path_factory: pytest.TempPathFactory):
    tmp: Path = tmp_path_factory.mktemp("celery-settings")
    app = make_app(f"sqlite:///{tmp / 'x.db'}", tmp, REDIS_URL="redis://127.0.0.1:1/0")
    yield app.extensions["celery"]
    app.extensions["db_engine"].dispose()


def test_tasks_are_acknowledged_after_they_ran(celery):
    assert celery.conf.task_acks_late is True
    assert celery.conf.task_reject_on_worker_lost is True


def test_a_worker_reserves_one_task_at_a_time(celery):
    assert celery.conf.worker_prefetch_multiplier == 1


def test_tasks_have_time_limits(celery):
    assert 0 < celery.conf.task_soft_time_limit < celery.conf.task_time_limit


def test_visibility_timeout_outlasts_the_longest_task(celery):
    visibility = celery.conf.broker_transport_options["visibility_timeout"]
    assert visibility > celery.conf.task_time_limit


def test_json_only(celery):
    assert celery.conf.task_serializer == "json"
    assert celery.conf.result_serializer == "json"
    assert list(celery.conf.accept_content) == ["json"]


def test_broker_mode_is_not_eager(celery):
    assert celery.conf.task_always_eager is False


def test_outbox_sweeper_is_on_the_beat_schedule(celery):
    entry = celery.conf.beat_schedule["sweep-notification-outbox"]
    assert entry["task"] == "tasks.notifications.sweep_outbox"
    assert entry["schedule"] == 60.0
    assert "tasks.notifications.send_notification" in celery.tasks
    assert "tasks.notifications.sweep_outbox" in celery.tasks


def test_visibility_timeout_is_overridable_for_fault_tests(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PARKLEAD_CELERY_VISIBILITY_TIMEOUT", "5")

    assert load_config("testing")["CELERY_VISIBILITY_TIMEOUT"] == 5


def test_outbox_settings_are_overridable(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PARKLEAD_NOTIFY_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("PARKLEAD_NOTIFY_BACKOFF_BASE_SECONDS", "0.5")
    monkeypatch.setenv("SMTP_STARTTLS", "true")
    monkeypatch.setenv("WECHAT_TEMPLATE_LEAD_ASSIGNED", "tmpl-1")
    monkeypatch.setenv("WEBHOOK_URL", "https://crm.example/hooks")

    cfg = load_config("testing")

    assert cfg["NOTIFY_MAX_ATTEMPTS"] == 3
    assert cfg["NOTIFY_BACKOFF_BASE_SECONDS"] == 0.5
    assert cfg["SMTP_STARTTLS"] is True
    assert cfg["WECHAT_TEMPLATE_LEAD_ASSIGNED"] == "tmpl-1"
    assert cfg["WEBHOOK_URL"] == "https://crm.example/hooks"


def test_starttls_flag_must_be_a_boolean(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SMTP_STARTTLS", "maybe")

    with pytest.raises(ValueError, match="SMTP_STARTTLS"):
        load_config("testing")


def test_outbox_defaults():
    cfg = load_config("testing")

    assert cfg["NOTIFY_MAX_ATTEMPTS"] == 8
    assert cfg["NOTIFY_BACKOFF_BASE_SECONDS"] == 30
    assert cfg["NOTIFY_BACKOFF_MAX_SECONDS"] == 3600
    # A lease outlives the slowest send (each channel's own timeouts are shorter).
    assert cfg["NOTIFY_LEASE_SECONDS"] > 3 * max(
        cfg["SMTP_TIMEOUT_SECONDS"], cfg["WEBHOOK_TIMEOUT_SECONDS"]
    )
