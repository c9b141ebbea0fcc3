"""Work leaves for Celery only after the outermost transaction commits."""

from __future__ import annotations

import pytest

from app.core.db import db
from app.core.dispatch import enqueue_after_commit


@pytest.fixture
def sent(app, monkeypatch):
    calls: list[tuple[str, tuple]] = []
    monkeypatch.setattr(
        app.extensions["dispatcher"], "send", lambda name, args: calls.append((name, args))
    )
    return calls


def test_task_is_sent_after_commit(sent):
    enqueue_after_commit("tasks.example", 7)
    assert sent == []
    db.session.commit()
    assert sent == [("tasks.example", (7,))]


def test_releasing_a_savepoint_does_not_send_the_outer_transactions_tasks(sent):
    enqueue_after_commit("tasks.example", 1)
    with db.session.begin_nested():
        enqueue_after_commit("tasks.example", 2)
    assert sent == []
    db.session.commit()
    assert sent == [("tasks.example", (1,)), ("tasks.example", (2,))]


def test_rollback_drops_the_queued_tasks(sent):
    enqueue_after_commit("tasks.example", 3)
    db.session.rollback()
    db.session.commit()
    assert sent == []


def test_rolling_back_a_savepoint_drops_only_what_it_queued(sent):
    enqueue_after_commit("tasks.example", "outer")
    savepoint = db.session.begin_nested()
    enqueue_after_commit("tasks.example", "inner")
    savepoint.rollback()
    db.session.commit()
    assert sent == [("tasks.example", ("outer",))]


def test_publisher_sends_queued_routing_calls_as_one_batch():
    from types import SimpleNamespace

    from app.core.dispatch import TaskDispatcher

    published: list[tuple[str, tuple]] = []
    celery = SimpleNamespace(
        conf=SimpleNamespace(task_always_eager=False),
        send_task=lambda name, args, retry: published.append((name, args)),
    )
    dispatcher = TaskDispatcher(celery)  # type: ignore[arg-type]
    dispatcher._publish(
        [
            ("tasks.leads.route_lead", (1,)),
            ("tasks.other", (9,)),
            ("tasks.leads.route_lead", (2,)),
            ("tasks.leads.route_lead", (3,)),
        ]
    )
    assert published == [("tasks.other", (9,)), ("tasks.leads.route_leads", ([1, 2, 3],))]


def test_publisher_splits_a_batch_into_messages_of_the_tasks_size(monkeypatch):
    from types import SimpleNamespace

    from app.core import dispatch
    from app.core.dispatch import TaskDispatcher, publish_in_batches

    monkeypatch.setattr(dispatch, "_BATCHES", dict(dispatch._BATCHES))
    monkeypatch.setattr(dispatch, "_BATCH_SIZES", dict(dispatch._BATCH_SIZES))
    publish_in_batches("tasks.test.single", "tasks.test.batch", size=2)
    published: list[tuple[str, tuple]] = []
    celery = SimpleNamespace(
        conf=SimpleNamespace(task_always_eager=False),
        send_task=lambda name, args, retry: published.append((name, args)),
    )
    dispatcher = TaskDispatcher(celery)  # type: ignore[arg-type]
    dispatcher._publish([("tasks.test.single", (n,)) for n in range(5)])

    assert published == [
        ("tasks.test.batch", ([0, 1],)),
        ("tasks.test.batch", ([2, 3],)),
        ("tasks.test.batch", ([4],)),
    ]


def test_publisher_survives_a_broker_failure():
    from types import SimpleNamespace

    from app.core.dispatch import TaskDispatcher

    def refuse(name, args, retry):
        raise ConnectionError("broker down")

    celery = SimpleNamespace(conf=SimpleNamespace(task_always_eager=False), send_task=refuse)
    dispatcher = TaskDispatcher(celery)  # type: ignore[arg-type]
    dispatcher.send("tasks.leads.route_lead", (1,))
    assert dispatcher.flush(2.0)  # the thread is alive and answered the marker


def test_publisher_gathers_the_tasks_of_its_linger_into_one_message():
    import time
    from types import SimpleNamespace

    from app.core.dispatch import TaskDispatcher

    published: list[tuple[float, str, tuple]] = []
    celery = SimpleNamespace(
        conf=SimpleNamespace(task_always_eager=False),
        send_task=lambda name, args, retry: published.append((time.monotonic(), name, args)),
    )
    dispatcher = TaskDispatcher(celery, linger=0.5)  # type: ignore[arg-type]
    start = time.monotonic()
    for lead_id in (1, 2, 3):
        dispatcher.send("tasks.leads.route_lead", (lead_id,))
        time.sleep(0.02)
    deadline = start + 5
    while not published and time.monotonic() < deadline:
        time.sleep(0.01)

    assert [(name, args) for _, name, args in published] == [
        ("tasks.leads.route_leads", ([1, 2, 3],))
    ]
    assert published[0][0] - start >= 0.5  # not before the linger is over


def test_a_flush_does_not_wait_for_the_linger():
    import time
    from types import SimpleNamespace

    from app.core.dispatch import TaskDispatcher

    published: list[tuple[str, tuple]] = []
    celery = SimpleNamespace(
        conf=SimpleNamespace(task_always_eager=False),
        send_task=lambda name, args, retry: published.append((name, args)),
    )
    dispatcher = TaskDispatcher(celery, linger=30)  # type: ignore[arg-type]
    dispatcher.send("tasks.leads.route_lead", (7,))
    start = time.monotonic()
    assert dispatcher.flush(5.0)
    assert time.monotonic() - start < 5
    assert published == [("tasks.leads.route_leads", ([7],))]
