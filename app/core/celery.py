"""Celery configured from the Flask config; every task runs inside an app context.

Which tasks exist and when beat runs them is said by `tasks/` (`tasks.configure`), which the
factory calls: core knows no task.

With `REDIS_URL` unset (embedded mode) tasks run eagerly in the web process right after the
commit that queued them, so a single machine needs no broker.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery, Task
from celery.signals import worker_init
from flask import Flask

log = logging.getLogger(__name__)


def init_celery(app: Flask) -> Celery:
    class FlaskTask(Task):
        abstract = True

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    redis_url = app.config.get("REDIS_URL")
    cfg = app.config
    celery: Celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=redis_url or "memory://",
        task_always_eager=not redis_url,
        task_eager_propagates=False,
        task_ignore_result=True,
        result_backend=None,
        # JSON only: a task never unpickles what a broker hands it.
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        # A task is acknowledged after it ran; a killed worker's task goes back to the queue.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=cfg["CELERY_TASK_TIME_LIMIT"],
        task_soft_time_limit=cfg["CELERY_TASK_SOFT_TIME_LIMIT"],
        broker_transport_options={
            "visibility_timeout": cfg["CELERY_VISIBILITY_TIMEOUT"],
            # How often a worker looks for messages of dead workers (past the visibility
            # timeout) and re-queues them: one Redis scan every this many seconds.
            "unacked_restore_interval": cfg["CELERY_UNACKED_RESTORE_SECONDS"],
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
        },
        broker_connection_timeout=2,
        broker_connection_retry_on_startup=True,
        task_default_queue=cfg["CELERY_QUEUE"],
        worker_hijack_root_logger=False,
        enable_utc=True,
    )
    celery.set_default()
    app.extensions["celery"] = celery
    celery.conf.parklead_worker_nice = cfg["WORKER_NICE"]
    return celery


@worker_init.connect
def _lower_priority(sender: Any = None, **_: Any) -> None:
    """A worker yields the CPU to the web processes on the same host (WORKER_NICE): routing
    and sending are seconds-scale background work, while a prospect waits on the web's
    answer. Its pool processes inherit the niceness; idle CPU is the worker's all the same."""
    nice = int(getattr(getattr(sender, "app", None), "conf", {}).get("parklead_worker_nice", 0))
    if nice > 0:
        try:
            os.nice(nice)
        except OSError as exc:  # not permitted here: run at the usual priority
            log.warning("could not lower the worker's CPU priority: %s", exc)
