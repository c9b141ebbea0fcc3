"""A live stack for end-to-end tests: ParkLead served over real HTTP on loopback, real Celery
worker processes on Redis, PostgreSQL with real commits. Tables are emptied between tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from app.models import model_metadata
from tests.support import make_app, migrate, recreate_pg_database, scratch_pg_url, unavailable

ROOT = Path(__file__).resolve().parents[2]
E2E_PG_URL = os.environ.get("TEST_E2E_PG_URL") or scratch_pg_url("e2e")


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
        args = ["worker", "-Q", self.queue, "-c", str(concurrency), "-n", f"{name}@%h",
                "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
        return self._start_celery(name, args, "ready.", extra_env)

    def start_beat(self, extra_env: dict[str, str] | None = None) -> Worker:
        """Celery beat, the real scheduler of the periodic jobs."""
        name = f"beat-{uuid.uuid4().hex[:6]}"
        args = ["beat", "-s", str(self.tmp / f"{name}-schedule")]
        return self._start_celery(name, args, "beat: Starting", extra_env)

    def _start_celery(
        self, name: str, args: list[str], ready_text: str, extra_env: dict[str, str] | None
    ) -> Worker:
        log_path = self.tmp / f"{name}.log"
        cmd = [sys.executable, "-m", "celery", "-A", "tasks.celery_app", *args,
               "--loglevel", "INFO"]  # fmt: skip
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
        while ready_text not in worker.log():
            if process.poll() is not None or time.monotonic() > deadline:
                worker.stop(signal.SIGKILL)
                pytest.fail(f"celery {args[0]} did not start:\n{worker.log()[-3000:]}")
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


@contextmanager
def build_stack(
    database_url: str, redis_url: str, tmp: Path, **settings: Any
) -> Iterator[LiveStack]:
    """Serve ParkLead on a loopback port with `database_url` (migrated) and `redis_url`;
    processes started through the stack get the same settings through the environment."""
    queue = f"parklead-e2e-{uuid.uuid4().hex[:8]}"
    app = make_app(
        database_url,
        tmp,
        REDIS_URL=redis_url,
        CELERY_QUEUE=queue,
        INTAKE_RATE_LIMIT="off",
        **settings,
    )
    migrate(app)
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = {
        **os.environ,
        "PARKLEAD_ENV": "testing",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PARKLEAD_CELERY_QUEUE": queue,
        "PARKLEAD_INSTANCE_PATH": str(tmp),
        "PARKLEAD_ROUTING_SWEEP_AFTER_SECONDS": "1",
        "PYTHONPATH": str(ROOT),
    }
    stack = LiveStack(
        app=app,
        url=f"http://127.0.0.1:{server.server_port}",
        database_url=database_url,
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
        with suppress(redis.RedisError):
            redis.Redis.from_url(redis_url, socket_connect_timeout=1).delete(queue)
        app.extensions["db_engine"].dispose()


@pytest.fixture(scope="session")
def live_stack(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    error = recreate_pg_database(E2E_PG_URL)
    if error:
        unavailable(error)
    with build_stack(E2E_PG_URL, redis_url, tmp_path_factory.mktemp("e2e")) as stack:
        yield stack


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


class PrivateRedis:
    """A redis-server of the test's own on a free loopback port, to stop and start at will."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server is not installed: cannot simulate a broker outage")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        wait_until(lambda: _answers(client), timeout=10, message="private redis")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def e2e_database_url() -> str:
    """The e2e database, emptied before the test (for stacks a test builds itself)."""
    url = scratch_pg_url("e2e_faults")
    error = recreate_pg_database(url)
    if error:
        unavailable(error)
    return url
