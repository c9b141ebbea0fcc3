"""Hand work to Celery only after the transaction that created it has committed.

Service functions call `enqueue_after_commit(name, *args)`. When the session commits, the
queued tasks are handed to a background publisher thread, so a request never waits on the
broker: if Redis is slow or down the request still answers at once, and the sweeper (a beat
task) re-enqueues whatever was not published. On rollback the queued tasks are dropped.
In embedded mode (no broker) the tasks run right away, in-process.
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import queue
import threading
import time
from typing import Any

from celery import Celery
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.core.db import db

log = logging.getLogger(__name__)

_PENDING = "parklead_pending_tasks"


def enqueue_after_commit(task_name: str, *args: Any) -> None:
    """Run `task_name(*args)` in Celery once the current transaction commits."""
    session = db.session()
    if not session.in_transaction():
        session.begin()  # no connection yet; gives the task a transaction to belong to
    # Remember which (nested) transaction queued it: rolling that one back drops the task.
    owner = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((owner, task_name, args))


def enqueue_now(task_name: str, *args: Any) -> None:
    """Run `task_name(*args)` in Celery; for work whose transaction the caller has already
    committed outside the session (`app.core.db.PlainStatement`)."""
    dispatcher: TaskDispatcher = current_app.extensions["dispatcher"]
    dispatcher.send(task_name, args)


@event.listens_for(Session, "after_commit")
def _publish_pending(session: Session) -> None:
    # SQLAlchemy fires after_commit for a released SAVEPOINT too; the work may only leave once
    # the outermost transaction has committed.
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_PENDING, None)
    if pending and has_app_context():
        dispatcher: TaskDispatcher = current_app.extensions["dispatcher"]
        for _owner, name, args in pending:
            dispatcher.send(name, args)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)
        return
    # A SAVEPOINT rolled back: drop only what was queued inside it.
    session.info[_PENDING] = [
        entry for entry in pending if not _inside(entry[0], previous_transaction)
    ]


def _inside(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


# Tasks whose queued calls the publisher may send as one batch call: single -> batch task.
# The batch task takes the list of the single task's first arguments.
_BATCHES: dict[str, str] = {}
MAX_BATCH = 500
# The publisher sends at most once per this interval (config DISPATCH_LINGER_MS): a task that
# arrives after a quiet spell leaves at once, and what arrives within the interval after a
# send waits for its end and leaves with it. So a lone enquiry's routing starts without delay,
# while a steady stream (a web process answering a few hundred enquiries a second) leaves as
# one batch message per interval, not one per request. Each message costs the worker more
# than a millisecond, and each routing transaction about ten of its own whatever its size: at
# 400 enquiries a second, 0.2 s instead of 0.05 s cut the worker's CPU per lead from 1.17 to
# 0.82-0.95 ms (bench/README.md). A flush (tests, shutdown) does not wait.
LINGER_SECONDS = 0.2


_BATCH_SIZES: dict[str, int] = {}


def publish_in_batches(single_task: str, batch_task: str, *, size: int = MAX_BATCH) -> None:
    """Let the publisher send queued `single_task(id)` calls as `batch_task([ids])`, at most
    `size` ids a message (smaller messages let several workers share a large batch)."""
    _BATCHES[single_task] = batch_task
    _BATCH_SIZES[batch_task] = size


class TaskDispatcher:
    """Publishes tasks from a daemon thread (one per process), or runs them eagerly.

    Under load the thread finds many tasks waiting; calls of a batchable task go out as one
    message per batch, which keeps the publishing cost per lead far below one broker message.
    """

    def __init__(
        self, celery: Celery, max_backlog: int = 10_000, linger: float = LINGER_SECONDS
    ) -> None:
        self.celery = celery
        self.linger = max(0.0, linger)
        self.eager = bool(celery.conf.task_always_eager)
        self._max_backlog = max_backlog
        self._queue: queue.Queue[tuple[str, tuple[Any, ...]] | threading.Event] = queue.Queue(
            max_backlog
        )
        self._thread: threading.Thread | None = None
        self._hurry = threading.Event()  # set by flush(): publish without lingering
        self._pid = 0
        self._lock = threading.Lock()

    def send(self, name: str, args: tuple[Any, ...]) -> None:
        if self.eager:
            self._run_eagerly(name, args)
            return
        self._ensure_thread()
        try:
            self._queue.put_nowait((name, args))
        except queue.Full:
            log.warning("dispatch backlog full; %s%r left to the sweeper", name, args)

    def _run_eagerly(self, name: str, args: tuple[Any, ...]) -> None:
        result = self.celery.tasks[name].apply(args=args)
        if result.failed():
            log.error("task %s%r failed in embedded mode: %r", name, args, result.result)

    def _ensure_thread(self) -> None:
        # After a fork (gunicorn workers) the parent's thread does not exist in the child.
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                if self._pid != os.getpid():
                    self._queue = queue.Queue(self._max_backlog)
                    self._hurry = threading.Event()
                    atexit.register(self.flush, 2.0)
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._publish_loop, name="parklead-dispatch", daemon=True
                )
                self._thread.start()

    def _publish_loop(self) -> None:
        sent_at = -math.inf  # when the last send ended (monotonic)
        while True:
            waiting = [self._queue.get()]
            rest = sent_at + self.linger - time.monotonic()
            if rest > 0 and not isinstance(waiting[0], threading.Event):
                # Sleep through the rest of the interval instead of waking for every task that
                # arrives (a wake-up per request costs the web process more than the batching
                # saves); a flush cuts it short.
                self._hurry.wait(rest)
            self._hurry.clear()
            while len(waiting) < MAX_BATCH and not isinstance(waiting[-1], threading.Event):
                try:
                    waiting.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            tasks = [item for item in waiting if not isinstance(item, threading.Event)]
            if tasks:
                self._publish(tasks)
                sent_at = time.monotonic()
            for item in waiting:
                if isinstance(item, threading.Event):
                    item.set()

    def _publish(self, tasks: list[tuple[str, tuple[Any, ...]]]) -> None:
        batches: dict[str, list[Any]] = {}
        messages: list[tuple[str, tuple[Any, ...]]] = []
        for name, args in tasks:
            if name in _BATCHES and len(args) == 1:
                batches.setdefault(_BATCHES[name], []).append(args[0])
            else:
                messages.append((name, args))
        for batch_name, ids in batches.items():
            size = _BATCH_SIZES.get(batch_name, MAX_BATCH)
            messages.extend((batch_name, (ids[i : i + size],)) for i in range(0, len(ids), size))
        for name, args in messages:
            try:
                self.celery.send_task(name, args=args, retry=False)
            # Any broker failure: leave the work to the sweeper.
            except Exception as exc:
                log.warning("could not publish %s (%s); the sweeper will retry", name, exc)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far was handed to the broker (tests, shutdown)."""
        if self.eager or self._thread is None or self._pid != os.getpid():
            return True
        marker = threading.Event()
        try:
            self._queue.put(marker, timeout=timeout)
        except queue.Full:
            return False
        self._hurry.set()
        return marker.wait(timeout)
