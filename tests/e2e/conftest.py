"""A live stack for end-to-end tests: ParkLead served over real HTTP on loopback, real Celery
worker processes on Redis, PostgreSQL with real commits. Tables are emptied between tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from app.core.migrate import model_metadata
from tests.support import make_app, migrate, recreate_pg_database, unavailable

ROOT = Path(__file__).resolve().parents[2]
E2E_PG_URL = os.environ.get("TEST_E2E_PG_URL", "postgresql://postgres@127.0.0.1:5432/parklead_e2e")


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


@dataclass
class LiveStack:
    app: Flask
    url: str
    database_url: str
    redis_url: str
    queue: str
    env: dict[str, str]
    tmp: Path
    workers: list[Worker] = field(default_factory=list)

    def start_worker(
        self, concurrency: int = 2, name: str | None = None, extra_env: dict[str, str] | None = None
    ) -> Worker:
        name = name or f"e2e-{uuid.uuid4().hex[:6]}"
        log_path = self.tmp / f"{name}.log"
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tasks.celery_app",
            "worker",
            "-Q",
            self.queue,
            "-c",
            str(concurrency),
            "-n",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env={**self.env, **(extra_env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(process, log_path)
        deadline = time.monotonic() + 60
        while "ready." not in worker.log():
            if process.poll() is not None or time.monotonic() > deadline:
                worker.stop(signal.SIGKILL)
                pytest.fail(f"celery worker did not start:\n{worker.log()[-3000:]}")
            time.sleep(0.2)
        self.workers.append(worker)
        return worker

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.app.extensions["db_engine"].connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.app.extensions["db_engine"].connect() as conn:
            return list(conn.execute(sa.text(sql), params))


def wait_until(
    predicate: Callable[[], Any],
    timeout: float = 30,
    interval: float = 0.2,
    message: str = "condition",
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


@pytest.fixture(scope="session")
def live_stack(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    error = recreate_pg_database(E2E_PG_URL)
    if error:
        unavailable(error)
    tmp = tmp_path_factory.mktemp("e2e")
    queue = f"parklead-e2e-{uuid.uuid4().hex[:8]}"
    app = make_app(
        E2E_PG_URL, tmp, REDIS_URL=redis_url, CELERY_QUEUE=queue, INTAKE_RATE_LIMIT="off"
    )
    migrate(app)
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = {
        **os.environ,
        "PARKLEAD_ENV": "testing",
        "DATABASE_URL": E2E_PG_URL,
        "REDIS_URL": redis_url,
        "PARKLEAD_CELERY_QUEUE": queue,
        "PARKLEAD_INSTANCE_PATH": str(tmp),
        "PARKLEAD_ROUTING_SWEEP_AFTER_SECONDS": "1",
        "PYTHONPATH": str(ROOT),
    }
    stack = LiveStack(
        app=app,
        url=f"http://127.0.0.1:{server.server_port}",
        database_url=E2E_PG_URL,
        redis_url=redis_url,
        queue=queue,
        env=env,
        tmp=tmp,
    )
    try:
        yield stack
    finally:
        for worker in stack.workers:
            worker.stop()
        server.shutdown()
        redis.Redis.from_url(redis_url).delete(queue)
        app.extensions["db_engine"].dispose()


@pytest.fixture
def stack(live_stack: LiveStack) -> Iterator[LiveStack]:
    """The live stack with empty tables and an empty queue; workers stopped afterwards."""
    yield live_stack
    for worker in live_stack.workers:
        worker.stop()
    live_stack.workers.clear()
    tables = ", ".join(t.name for t in reversed(model_metadata().sorted_tables))
    with live_stack.app.extensions["db_engine"].begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    redis.Redis.from_url(live_stack.redis_url).delete(live_stack.queue)
