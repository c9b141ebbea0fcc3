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


def _recording_dispatcher(linger: float):
    import time
    from types import SimpleNamespace

    from app.core.dispatch import TaskDispatcher

    published: list[tuple[float, str, tuple]] = []
    celery = SimpleNamespace(
        conf=SimpleNamespace(task_always_eager=False),
        send_task=lambda name, args, retry: published.append((time.monotonic(), name, args)),
    )
    return TaskDispatcher(celery, linger=linger), published  # type: ignore[arg-type]


def _wait_for(published: list, count: int, seconds: float = 5.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while len(published) < count and time.monotonic() < deadline:
        time.sleep(0.005)


def test_a_task_after_a_quiet_spell_leaves_at_once():
    import time

    dispatcher, published = _recording_dispatcher(linger=3.0)
    start = time.monotonic()
    dispatcher.send("tasks.leads.route_lead", (1,))
    _wait_for(published, 1)

    assert [(name, args) for _, name, args in published] == [("tasks.leads.route_leads", ([1],))]
    assert published[0][0] - start < 1.5  # well before the interval would have ended


def test_publisher_gathers_the_tasks_of_its_linger_into_one_message():
    import time

    dispatcher, published = _recording_dispatcher(linger=0.5)
    dispatcher.send("tasks.leads.route_lead", (1,))  # leaves at once (nothing sent before)
    _wait_for(published, 1)
    for lead_id in (2, 3, 4):
        dispatcher.send("tasks.leads.route_lead", (lead_id,))
        time.sleep(0.02)
    _wait_for(published, 2)

    assert [(name, args) for _, name, args in published] == [
        ("tasks.leads.route_leads", ([1],)),
        ("tasks.leads.route_leads", ([2, 3, 4],)),
    ]
    # At most one send per interval: the second not before the interval after the first.
    assert published[1][0] - published[0][0] >= 0.5


def test_after_a_quiet_interval_the_next_task_leaves_at_once_again():
    import time

    dispatcher, published = _recording_dispatcher(linger=0.6)
    dispatcher.send("tasks.leads.route_lead", (1,))
    _wait_for(published, 1)
    time.sleep(0.8)  # longer than the interval: the publisher has nothing to wait for
    sent = time.monotonic()
    dispatcher.send("tasks.leads.route_lead", (2,))
    _wait_for(published, 2)

    assert [args for _, _, args in published] == [([1],), ([2],)]
    assert published[1][0] - sent < 0.3  # not the interval's 0.6 s


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
