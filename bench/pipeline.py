"""Pipeline benchmark: enquiries over HTTP to assigned leads and sent notifications, end to end.

    .venv/bin/python bench/pipeline.py [--leads 10000] [--workers 2] [--concurrency 4]
        [--pool threads] [--connections 32] [--agents 4] [--timeout 900]
        [--pg-url postgresql://postgres@127.0.0.1:5432/] [--redis-url redis://127.0.0.1:6379/13]
        [--keep] [--py-spy OUT.svg]

The benchmark of the issue "Routing, SLA and notifications": N enquiries (distinct phones)
posted to `POST /api/leads`, routed by Celery workers on Redis and PostgreSQL, and each
assignment told to its agent by a WeChat template message and an e-mail. Targets (issue 14):
at least 150 leads/s end to end (first request to last notification sent), and 0 lost,
0 double-assigned and 0 double-sent.

What it does, everything on loopback and everything it starts stopped again (process groups,
also on Ctrl-C or error):

1. drops and creates the database `parklead_bench_pipeline`, runs `parklead db upgrade` on it,
   empties its Redis database (db 13 by default; never 14 or 15, the intake benchmark's and the
   tests') and seeds a default team with `--agents` agents, each with an e-mail address and a
   WeChat openid (and room for every lead of the run);
2. starts the fake WeChat API (`parklead fake-wechat`) and an SMTP capture server
   (`bench/smtp_sink.py`, aiosmtpd, which writes the Message-ID of every message it accepts to
   a file), and points ParkLead at them (WECHAT_API_BASE_URL, WECHAT_APP_ID/SECRET,
   WECHAT_TEMPLATE_LEAD_ASSIGNED, SMTP_HOST/PORT), so every assignment queues two outbox rows;
3. serves `app:create_app()` with gunicorn (PARKLEAD_ENV=production, INTAKE_RATE_LIMIT=off;
   gthread, 2 workers x 4 threads, as bench/intake.py) and starts `--workers` Celery workers
   (`celery -A tasks.celery_app worker -Q parklead-bench-pipeline -P threads -c 4` each);
4. posts the enquiries with a closed-loop asyncio load generator of its own (`--connections`
   keep-alive connections, each sending its next request when the answer arrives), recording
   every answer and the lead id of every 201;
5. polls PostgreSQL until every lead is assigned and every notification row is `sent` (or
   `--timeout` seconds pass), then prints the intake's rate and latency, the times from the
   first request to the last assignment (`max(lead.assigned_at)`) and to the last notification
   sent (`max(notification.sent_at)`), the leads/s end to end, the CPU each part of the machine
   used, and the checks:
   - lost: a 201 whose lead is not in the database, a lead never assigned, an assignment
     without its two notification rows, or a row `sent` that neither fake server received;
   - double-assigned: a lead with more than one `assigned` event, a `reassigned` event without
     a reason, or a lead whose agent is not the one its assignment named;
   - double-sent: an idempotency key received more than once (e-mails by Message-ID, which
     the SMTP channel derives from the key; WeChat template messages by recipient and lead
     reference), and the message counts of both servers against the `sent` rows.

Worker settings: `-P threads -c 4`, one Celery worker per `--workers` (so 2 processes on this
machine's 2 cores). A routing or sending task spends much of its time waiting: on PostgreSQL
round trips and commits (a WAL flush each), on Redis, on the WeChat API over HTTP and on an
SMTP conversation. Four threads of one process overlap those waits while the Python parts still
run at most one per core, and share the process's engine, connection pool, WeChat client and
app. With prefork each child runs one task at a time, so overlapping the waits takes more
processes than cores, and each task crosses a pipe from the parent: measured, prefork (-c 1, 2
or 4) cost 10-25 % more CPU per lead and gave fewer leads/s. Four threads stay within
SQLAlchemy's pool of 5 connections; more make the pool open and close overflow connections all
the time. `bench/README.md` has the figures.

While the workers run it also samples, five times a second, what the bench database's backends
are doing (running, waiting on a row lock, idle in a transaction...) and the Celery queue's
length, and prints the averages: where the time of a lead goes between the processes.

The exit status is 0 when every target is met and every check passes, 1 otherwise, 2 when the
benchmark could not run, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import fcntl
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _common import (
    BENCH,
    BIN,
    CLK_TCK,
    ROOT,
    BenchError,
    Proc,
    Procs,
    check_loopback,
    cpu_snapshot,
    database_url,
    drop_database,
    free_port,
    gunicorn_argv,
    loadavg,
    recreate_database,
    report_checks,
    run_checked,
    run_with_cleanup,
    tail,
    wait_http,
    wait_worker,
)

DB_NAME = "parklead_bench_pipeline"
QUEUE = "parklead-bench-pipeline"
RESERVED_REDIS_DBS = {14: "bench/intake.py", 15: "the test suite"}
TARGET_LEADS_PER_SECOND = 150.0
# Channels each assignment notifies (WeChat template + e-mail).
CHANNELS = ("wechat_template", "email")

WECHAT_APP_ID = "wxbench0000000000"
WECHAT_APP_SECRET = "bench-wechat-secret"  # the fake's, not a real secret
WECHAT_TEMPLATE = "tmpl-bench-lead-assigned"
SMTP_FROM = "parklead@bench.parklead.invalid"

SEED = """
import sys
from app import create_app
from app.accounts import service
from app.accounts.models import Role
from app.core.db import db

agents = int(sys.argv[1])
with create_app().app_context(), db.transaction():
    team = service.ensure_default_team()
    for n in range(1, agents + 1):  # capacity for every lead of a run: each one is assigned
        agent = service.create_agent(
            login=f"bench{n}", password="bench-password", name=f"坐席{n}", role=Role.AGENT,
            team=team, email=f"bench{n}@bench.parklead.invalid", capacity=1_000_000)
        agent.wechat_openid = f"o-bench-agent-{n}"
"""


# --- services ---------------------------------------------------------------------------


def redis_db(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0


def flush_redis(url: str) -> None:
    """Empty the benchmark's own Redis database: the queue, unacked tasks, the WeChat token."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        client.flushdb()
        client.close()
    except redis.RedisError as exc:
        raise BenchError(f"Redis at {url} is not reachable: {exc}") from None


def get_json(url: str, timeout: float = 30.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # loopback only
        return json.load(resp)


def wait_file(procs: Procs, proc: Proc, path: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        procs.check_alive(proc)
        if time.monotonic() > deadline:
            raise BenchError(f"{proc.name} did not start within {timeout:.0f}s:\n{tail(proc.log)}")
        time.sleep(0.1)


# --- load -------------------------------------------------------------------------------

NEEDS = ("factory", "warehouse", "land", "office", "factory", "registration")
DEALS = ("rent", "buy", "rent", "any")
COMPANIES = (
    "株洲华锐精密机械有限公司",
    "湖南中联新材料科技有限公司",
    "长沙云启电子商务有限公司",
    "株洲动力谷轨道交通配件有限公司",
)
CONTACTS = ("王经理", "李总", "张先生", "刘女士", "陈工")
MESSAGES = (
    "我们计划在株洲租一个两千到五千平米的标准厂房，层高8米以上，要有行车，年税收约300万，"
    "希望三个月内入驻。",
    "想了解园区仓库的租金和物业费，面积三千平左右，需要有卸货平台，方便的话请电话联系。",
    "公司准备新建生产基地，需要工业用地50亩左右，投资约2亿元，请介绍一下土地价格和招商政策。",
    "注册一家科技公司，想问问园区有没有孵化器工位和注册地址，有哪些税收优惠？",
)


def enquiry(seq: int) -> dict[str, Any]:
    """The enquiries of bench/intake.lua; phone 139 + 8 digits, distinct per `seq`."""
    area = 1000 + (seq % 40) * 100
    return {
        "need_type": NEEDS[seq % len(NEEDS)],
        "deal": DEALS[seq % len(DEALS)],
        "area_min_m2": area,
        "area_max_m2": area * 2,
        "industry": "汽车零部件",
        "company": COMPANIES[seq % len(COMPANIES)],
        "contact_name": CONTACTS[seq % len(CONTACTS)],
        "phone": f"139{seq:08d}",
        "district": "zhuzhou",
        "message": MESSAGES[seq % len(MESSAGES)],
        "utm_source": "baidu",
        "utm_medium": "cpc",
        "utm_campaign": "factory-2025",
    }


def build_requests(port: int, count: int) -> list[bytes]:
    out = []
    for seq in range(1, count + 1):
        body = json.dumps(enquiry(seq), ensure_ascii=False).encode()
        head = (
            f"POST /api/leads HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        out.append(head.encode() + body)
    return out


@dataclass
class LoadResult:
    started: float = 0.0  # time.time() of the first request
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    lead_ids: list[int] = field(default_factory=list)  # from the 201s
    joined: int = 0  # 200: joined an open lead (dedupe); must stay 0
    other: int = 0
    errors: int = 0  # no answer: connection reset, timeout
    not_sent: int = 0  # left when the intake's time was up
    sample_other: str = ""

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


class HttpError(Exception):
    pass


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes, bool]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise HttpError(f"bad status line {lines[0]!r}")
    length, close = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            close = True
        elif name == "transfer-encoding":
            raise HttpError("chunked answers are not expected from the intake")
    body = await reader.readexactly(length) if length else b""
    return int(parts[1]), body, close


async def _post_all(
    port: int, requests: list[bytes], connections: int, timeout: float, deadline: float
) -> LoadResult:
    result = LoadResult()
    pending = iter(requests)
    stop_at = time.perf_counter() + deadline

    async def client() -> None:
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        for request in pending:  # one iterator shared by all clients: each request once
            started = time.perf_counter()
            if started > stop_at:
                break
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                assert reader is not None
                status, body, close = await asyncio.wait_for(
                    _exchange(reader, writer, request), timeout
                )
            except (TimeoutError, OSError, EOFError, HttpError, asyncio.LimitOverrunError):
                result.errors += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
                continue
            result.latencies.append(time.perf_counter() - started)
            if status == 201:
                result.lead_ids.append(int(json.loads(body)["id"]))
            elif status == 200:
                result.joined += 1
            else:
                result.other += 1
                result.sample_other = f"{status} {body[:200].decode('utf-8', 'replace')}"
            if close:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    result.started = time.time()
    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    result.seconds = time.perf_counter() - began
    result.not_sent = len(requests) - result.requests
    return result


def post_all(port: int, requests: list[bytes], connections: int, deadline: float) -> LoadResult:
    """Post every request (each answer within 10 s), or as many as `deadline` seconds allow."""
    return asyncio.run(_post_all(port, requests, connections, 10.0, deadline))


# --- CPU accounting ---------------------------------------------------------------------


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- what the database and the queue are doing ------------------------------------------

ACTIVITY_SQL = """
SELECT CASE WHEN state = 'active'
            THEN coalesce(wait_event_type || ':' || wait_event, 'running') ELSE state END,
       count(*)
FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() GROUP BY 1
"""


class Sampler(threading.Thread):
    """Every `interval` seconds: what each backend of the bench database is doing (running,
    waiting for a lock, for the WAL, for the client...) and how many messages wait in the
    Celery queue. The averages over the run say where a lead's time goes between the
    processes: e.g. backends waiting on `Lock:*` are transactions queued behind a row lock."""

    def __init__(self, db_url: str, redis_url: str, interval: float = 0.2) -> None:
        super().__init__(name="sampler", daemon=True)
        self.db_url, self.redis_url, self.interval = db_url, redis_url, interval
        self.samples = 0
        self.states: collections.Counter[str] = collections.Counter()
        self.queued_total = 0
        self.queued_max = 0
        self.error: str | None = None
        self._stopping = threading.Event()

    def run(self) -> None:
        import psycopg
        import redis

        try:
            with psycopg.connect(self.db_url, autocommit=True, connect_timeout=5) as conn:
                broker = redis.Redis.from_url(self.redis_url, socket_timeout=5)
                while not self._stopping.wait(self.interval):
                    for state, count in conn.execute(ACTIVITY_SQL, (DB_NAME,)):
                        self.states[state] += count
                    queued = int(broker.llen(QUEUE))
                    self.queued_total += queued
                    self.queued_max = max(self.queued_max, queued)
                    self.samples += 1
                broker.close()
        except Exception as exc:  # a report without the sampler beats no report
            self.error = f"{type(exc).__name__}: {exc}"

    def stop(self) -> None:
        self._stopping.set()
        self.join(10)

    def report(self) -> list[str]:
        if not self.samples:
            return [f"no samples ({self.error or 'run too short'})"]
        states = sorted(self.states.items(), key=lambda item: -item[1])
        return [
            "database backends of the bench, on average: "
            + ", ".join(f"{state} {count / self.samples:.1f}" for state, count in states),
            f"Celery queue: {self.queued_total / self.samples:.0f} messages waiting on average, "
            f"{self.queued_max} at most",
        ]


# --- results ----------------------------------------------------------------------------

PROGRESS_SQL = """
SELECT (SELECT count(*) FROM lead),
       (SELECT count(agent_id) FROM lead),
       (SELECT count(*) FROM notification),
       (SELECT count(*) FROM notification WHERE status = 'sent'),
       (SELECT count(*) FROM notification WHERE status IN ('dead', 'skipped'))
"""


@dataclass
class Progress:
    leads: int
    assigned: int
    rows: int
    sent: int
    finished_unsent: int  # dead or skipped: will never be sent

    def done(self, answered: int) -> bool:
        return (
            self.leads >= answered
            and self.assigned == self.leads
            and self.rows >= len(CHANNELS) * self.assigned
            and self.sent + self.finished_unsent == self.rows
        )

    def __str__(self) -> str:
        return (
            f"{self.assigned}/{self.leads} leads assigned, "
            f"{self.sent}/{self.rows} notifications sent"
        )


def progress(conn: Any) -> Progress:
    return Progress(*conn.execute(PROGRESS_SQL).fetchone())


def fetch_all(conn: Any, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return list(conn.execute(sql, params).fetchall())


def scalar(conn: Any, sql: str, *params: Any) -> Any:
    row = conn.execute(sql, params).fetchone()
    return row[0] if row else None


@dataclass
class Checks:
    lost: dict[str, int]
    double_assigned: dict[str, int]
    double_sent: dict[str, int]
    statuses: dict[str, int]
    received: dict[str, int]


def check_integrity(conn: Any, load: LoadResult, fake_url: str, smtp_file: Path) -> Checks:
    sys.path.insert(0, str(ROOT))
    from app.notifications.channels.email import message_id

    answered = set(load.lead_ids)
    in_db = {row[0] for row in fetch_all(conn, "SELECT id FROM lead")}
    lost = {
        "201 without a lead": len(answered - in_db),
        "never assigned": scalar(conn, "SELECT count(*) FROM lead WHERE agent_id IS NULL"),
        # An assignment whose outbox rows (one per channel) are missing.
        "assignment without its notifications": scalar(
            conn,
            "SELECT count(*) FROM lead l WHERE l.agent_id IS NOT NULL AND "
            "(SELECT count(DISTINCT n.channel) FROM notification n "
            " WHERE n.lead_id = l.id AND n.kind = 'lead_assigned') < %s",
            len(CHANNELS),
        ),
    }
    double_assigned = {
        "leads with > 1 assigned event": scalar(
            conn,
            "SELECT count(*) FROM (SELECT lead_id FROM lead_event WHERE type = 'assigned' "
            "GROUP BY lead_id HAVING count(*) > 1) AS t",
        ),
        "reassigned without a reason": scalar(
            conn,
            "SELECT count(*) FROM lead_event WHERE type = 'reassigned' "
            "AND coalesce(data->>'reason', '') = ''",
        ),
        # The lead's agent must be the one its last assignment event named.
        "agent not the one assigned": scalar(
            conn,
            "SELECT count(*) FROM lead l JOIN LATERAL ("
            " SELECT (e.data->>'agent_id')::int AS agent_id FROM lead_event e"
            " WHERE e.lead_id = l.id AND e.type IN ('assigned', 'reassigned')"
            " ORDER BY e.id DESC LIMIT 1) a ON true"
            " WHERE l.agent_id IS DISTINCT FROM a.agent_id",
        ),
    }
    statuses = dict(fetch_all(conn, "SELECT status, count(*) FROM notification GROUP BY status"))

    # What the servers received, per idempotency key of the rows.
    rows = fetch_all(
        conn,
        "SELECT channel, idempotency_key, recipient, payload->'data'->>'keyword1', status "
        "FROM notification",
    )
    messages = get_json(f"{fake_url}/_fake/messages?kind=template", timeout=60)["items"]
    wechat_seen = collections.Counter(
        (m.get("touser"), ((m.get("data") or {}).get("keyword1") or {}).get("value"))
        for m in messages
    )
    mail_seen = collections.Counter(
        line.strip() for line in smtp_file.read_text().splitlines() if line.strip()
    )
    received: collections.Counter[str] = collections.Counter()  # per key
    known_wechat, known_mail = set(), set()
    sent_rows = collections.Counter()
    for channel, key, recipient, reference, status in rows:
        if channel == "wechat_template":
            ident = (recipient, reference)
            known_wechat.add(ident)
            received[key] = wechat_seen.get(ident, 0)
        elif channel == "email":
            ident = message_id(key, SMTP_FROM)
            known_mail.add(ident)
            received[key] = mail_seen.get(ident, 0)
        else:
            continue
        if status == "sent":
            sent_rows[channel] += 1
            if received[key] == 0:
                lost["sent but never received"] = lost.get("sent but never received", 0) + 1
    lost.setdefault("sent but never received", 0)
    double_sent = {
        "keys received more than once": sum(1 for n in received.values() if n > 1),
        "messages to no known key": sum(n for k, n in wechat_seen.items() if k not in known_wechat)
        + sum(n for k, n in mail_seen.items() if k not in known_mail),
        "WeChat messages beyond sent rows": max(0, len(messages) - sent_rows["wechat_template"]),
        "e-mails beyond sent rows": max(0, sum(mail_seen.values()) - sent_rows["email"]),
    }
    return Checks(
        lost=lost,
        double_assigned=double_assigned,
        double_sent=double_sent,
        statuses=statuses,
        received={
            "wechat_template": len(messages),
            "email": sum(mail_seen.values()),
            "wechat_rows_sent": sent_rows["wechat_template"],
            "email_rows_sent": sent_rows["email"],
        },
    )


# --- main -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Pipeline benchmark: enquiries over HTTP to assigned leads and sent "
        "notifications (WeChat template + e-mail), end to end."
    )
    parser.add_argument("--leads", type=int, default=10_000, help="enquiries to post")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=4, help="tasks at once per worker (-c)")
    parser.add_argument(
        "--pool", choices=("threads", "prefork", "solo"), default="threads", help="Celery pool"
    )
    parser.add_argument("--connections", type=int, default=32, help="concurrent HTTP connections")
    parser.add_argument("--agents", type=int, default=4, help="agents in the default team")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--web-threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument(
        "--timeout",
        type=float,
        default=900,
        help="seconds allowed for the intake, and then again for the workers to finish",
    )
    parser.add_argument(
        "--pg-url",
        default="postgresql://postgres@127.0.0.1:5432/",
        help=f"PostgreSQL server (loopback); the database used is always {DB_NAME}",
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/13",
        help="Redis (loopback); its database is emptied before and after the run",
    )
    parser.add_argument("--keep", action="store_true", help=f"keep {DB_NAME} and the logs")
    parser.add_argument(
        "--py-spy",
        metavar="OUT",
        help="record the first Celery worker with py-spy for the whole run (.svg/.json/.txt)",
    )
    args = parser.parse_args(argv)
    positive = ("leads", "workers", "concurrency", "connections", "agents")
    if any(getattr(args, name) < 1 for name in positive):
        parser.error("--leads, --workers, --concurrency, --connections and --agents must be >= 1")
    if args.leads > 99_999_999:
        parser.error("--leads: at most 99,999,999 (phones are 139 + 8 digits)")
    return args


def celery_argv(args: argparse.Namespace, node: str) -> list[str]:
    argv = [str(BIN / "celery"), "-A", "tasks.celery_app", "worker", "-Q", QUEUE]
    argv += ["-P", args.pool, "-n", node, "--loglevel=WARNING"]
    if args.pool != "solo":
        argv += ["-c", str(args.concurrency)]
    return [*argv, "--without-gossip", "--without-mingle"]


def py_spy_path() -> str | None:
    return shutil.which("py-spy", path=os.pathsep.join([str(BIN), os.environ.get("PATH", "")]))


def start_py_spy(procs: Procs, out: str, pid: int) -> Proc:
    fmt = {".svg": "flamegraph", ".json": "speedscope"}.get(Path(out).suffix, "raw")
    argv = [str(py_spy_path()), "record", "--pid", str(pid), "--subprocesses", "--gil", "--threads"]
    argv += ["--rate", "100", "--format", fmt, "--output", out]
    return procs.start("py-spy", argv, dict(os.environ))


def stop_py_spy(procs: Procs, spy: Proc, out: str) -> None:
    """py-spy writes its output when interrupted (SIGINT), as on Ctrl-C."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(spy.popen.pid, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        spy.popen.wait(60)
    procs.stop(spy)
    print(f"py-spy profile of the first worker: {out}")


def exclusive_run() -> Any:
    """An open lock file held for the whole run: two runs at once would share the database,
    the Redis database and the queue, and spoil each other's counts."""
    lock = Path(tempfile.gettempdir()) / f"{DB_NAME}.lock"
    handle = lock.open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise BenchError(f"another bench/pipeline.py run holds {lock}; wait for it") from None
    return handle


def bench(args: argparse.Namespace, procs: Procs) -> int:
    check_loopback(args.pg_url, "--pg-url")
    check_loopback(args.redis_url, "--redis-url")
    if redis_db(args.redis_url) in RESERVED_REDIS_DBS:
        used_by = RESERVED_REDIS_DBS[redis_db(args.redis_url)]
        raise BenchError(f"--redis-url: database {redis_db(args.redis_url)} is {used_by}'s")
    if not (BIN / "gunicorn").exists():
        raise BenchError(f"{BIN / 'gunicorn'} not found: run this with the project's .venv python")
    if args.py_spy and py_spy_path() is None:
        raise BenchError("py-spy is not installed: .venv/bin/pip install py-spy")

    db_url = database_url(args.pg_url, DB_NAME)
    print(f"database {DB_NAME}: recreating, migrating, seeding {args.agents} agents")
    recreate_database(db_url)
    flush_redis(args.redis_url)
    ports = {"web": free_port(), "wechat": free_port(), "smtp": free_port()}
    env = {
        **os.environ,
        "PARKLEAD_ENV": "production",
        "DATABASE_URL": db_url,
        "REDIS_URL": args.redis_url,
        "SECRET_KEY": "bench-only-secret-key-not-for-production",
        "INTAKE_RATE_LIMIT": "off",
        "PARKLEAD_CELERY_QUEUE": QUEUE,
        "WECHAT_API_BASE_URL": f"http://127.0.0.1:{ports['wechat']}/cgi-bin/",
        "WECHAT_APP_ID": WECHAT_APP_ID,
        "WECHAT_APP_SECRET": WECHAT_APP_SECRET,
        "WECHAT_TEMPLATE_LEAD_ASSIGNED": WECHAT_TEMPLATE,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(ports["smtp"]),
        "SMTP_FROM": SMTP_FROM,
        "PYTHONUNBUFFERED": "1",
        # Benchmark the tree this script is in, whatever the venv's editable install points at.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    for name in ("SMTP_USER", "SMTP_PASSWORD", "SMTP_STARTTLS", "WEBHOOK_URL", "WEBHOOK_SECRET"):
        env.pop(name, None)  # nothing but the two channels under test
    run_checked([str(BIN / "parklead"), "db", "upgrade"], env, "parklead db upgrade")
    run_checked([sys.executable, "-c", SEED, str(args.agents)], env, "seeding")

    fake = procs.start(
        "fake-wechat",
        [
            str(BIN / "parklead"),
            "fake-wechat",
            "--host",
            "127.0.0.1",
            "--port",
            str(ports["wechat"]),
            "--appid",
            WECHAT_APP_ID,
            "--secret",
            WECHAT_APP_SECRET,
        ],
        env,
    )
    fake_url = f"http://127.0.0.1:{ports['wechat']}"
    smtp_file = procs.logdir / "smtp-received.txt"
    smtp = procs.start(
        "smtp-sink",
        [
            sys.executable,
            str(BENCH / "smtp_sink.py"),
            "--port",
            str(ports["smtp"]),
            "--out",
            str(smtp_file),
        ],
        env,
    )
    web = procs.start(
        "gunicorn",
        gunicorn_argv(
            "app:create_app()",
            ports["web"],
            argparse.Namespace(workers=args.web_workers, threads=args.web_threads),
        ),
        env,
    )
    host = socket.gethostname()
    nodes = [f"pipeline{i}-{os.getpid()}@{host}" for i in range(1, args.workers + 1)]
    workers = [procs.start(f"celery{i}", celery_argv(args, node), env) for i, node in
               enumerate(nodes, start=1)]  # fmt: skip
    wait_http(procs, fake, f"{fake_url}/_fake/stats")
    wait_file(procs, smtp, Path(f"{smtp_file}.ready"))
    wait_http(procs, web, f"http://127.0.0.1:{ports['web']}/healthz")
    for worker, node in zip(workers, nodes, strict=True):
        wait_worker(procs, worker, args.redis_url, node, timeout=60)
    print(
        f"gunicorn gthread {args.web_workers} workers x {args.web_threads} threads; "
        f"{args.workers} Celery workers -P {args.pool}"
        + (f" -c {args.concurrency}" if args.pool != "solo" else "")
        + f"; {args.connections} connections; logs in {procs.logdir}"
    )

    requests = build_requests(ports["web"], args.leads)
    groups = {
        "gunicorn": web.popen.pid,
        "fake-wechat": fake.popen.pid,
        "smtp-sink": smtp.popen.pid,
        **{f"celery{i}": w.popen.pid for i, w in enumerate(workers, start=1)},
    }
    import psycopg

    conn = psycopg.connect(db_url, autocommit=True, connect_timeout=5)
    sampler = Sampler(db_url, args.redis_url)
    try:
        spy = start_py_spy(procs, args.py_spy, workers[0].popen.pid) if args.py_spy else None
        if spy is not None:
            time.sleep(1.0)  # let it attach before the load starts
        print(f"posting {args.leads} enquiries (load average {loadavg()})")
        cpu_before, self_before = cpu_snapshot(groups, DB_NAME), self_cpu()
        sampler.start()
        load = post_all(ports["web"], requests, args.connections, args.timeout)
        at_intake_end = progress(conn)
        print(f"intake done in {load.seconds:.1f}s; {at_intake_end}")

        deadline = time.monotonic() + args.timeout
        last_print = time.monotonic()
        now = at_intake_end
        while not now.done(len(load.lead_ids)) and time.monotonic() < deadline:
            for proc in (web, fake, smtp, *workers):
                procs.check_alive(proc)
            time.sleep(0.25)
            now = progress(conn)
            if time.monotonic() - last_print >= 5:
                print(f"  {now}")
                last_print = time.monotonic()
        waited_until = time.time()
        sampler.stop()
        cpu_after, self_after = cpu_snapshot(groups, DB_NAME), self_cpu()
        if spy is not None:
            stop_py_spy(procs, spy, args.py_spy)
        completed = now.done(len(load.lead_ids))
        last_assigned, last_sent = conn.execute(
            "SELECT (SELECT extract(epoch FROM max(assigned_at)) FROM lead), "
            "(SELECT extract(epoch FROM max(sent_at)) FROM notification)"
        ).fetchone()
        checks = check_integrity(conn, load, fake_url, smtp_file)
        token_fetches = get_json(f"{fake_url}/_fake/stats")["token_fetches"]
    finally:
        if sampler.is_alive():
            sampler.stop()
        conn.close()

    # --- report ---
    to_assigned = float(last_assigned) - load.started if last_assigned else float("nan")
    to_sent = float(last_sent) - load.started if last_sent else float("nan")
    end = to_sent if completed else waited_until - load.started
    leads = now.leads
    e2e = leads / end if completed and end > 0 else 0.0
    elapsed = waited_until - load.started
    cores: dict[str, float] = collections.defaultdict(float)
    for key, before in cpu_before.items():
        if key in cpu_after and not key.startswith("pid:"):  # other processes: in "other"
            part = "celery" if key.startswith("celery") else key
            cores[part] += (cpu_after[key] - before) / CLK_TCK / elapsed
    cores["bench"] = (self_after - self_before) / elapsed
    cores["other"] = cores["machine"] - sum(v for k, v in cores.items() if k != "machine")

    print()
    print(f"intake     {load.requests} requests in {load.seconds:.2f}s = {load.rps:.0f}/s; "
          f"latency p50 {load.percentile(0.5):.1f} ms, p99 {load.percentile(0.99):.1f} ms, "
          f"max {load.percentile(1.0):.1f} ms")  # fmt: skip
    print(f"answers    {len(load.lead_ids)} x 201, {load.joined} x 200, {load.other} other, "
          f"{load.errors} without answer, {load.not_sent} not sent in time")  # fmt: skip
    print(f"at the end of intake: {at_intake_end}")
    print(f"all assigned   {to_assigned:8.2f} s after the first request")
    unfinished = "" if completed else f"  (NOT COMPLETE after {args.timeout:.0f}s: {now})"
    print(f"all sent       {to_sent:8.2f} s after the first request{unfinished}")
    print(f"end to end     {e2e:8.1f} leads/s ({leads} leads)")
    print(
        "notifications: "
        + ", ".join(f"{n} {s}" for s, n in sorted(checks.statuses.items()))
        + f"; received: {checks.received['wechat_template']} WeChat template messages "
        f"({checks.received['wechat_rows_sent']} rows sent), {checks.received['email']} e-mails "
        f"({checks.received['email_rows_sent']} rows sent); WeChat token fetches: {token_fetches}"
    )
    parts = ["gunicorn", "celery", "postgres", "redis", "fake-wechat", "smtp-sink", "bench"]
    parts += ["other", "machine"]
    print(f"\nCPU from the first request to the end, in cores (of {os.cpu_count()}) "
          "and ms per lead:")  # fmt: skip
    print("".join(f"{p:>12}" for p in parts))
    print("".join(f"{cores.get(p, 0.0):>12.2f}" for p in parts))
    print("".join(f"{1000 * cores.get(p, 0.0) * elapsed / max(leads, 1):>12.2f}" for p in parts))
    print("postgres: the bench database's backends and the server's own processes; bench: this "
          "script (the load generator); other: the rest of the machine")  # fmt: skip
    print()
    for line in sampler.report():
        print(line)
    if load.sample_other:
        print(f"\nlast unexpected intake answer: {load.sample_other}")

    lost, double_assigned, double_sent = (
        sum(checks.lost.values()),
        sum(checks.double_assigned.values()),
        sum(checks.double_sent.values()),
    )

    def detail(counts: dict[str, int]) -> str:
        return "; ".join(f"{k} {v}" for k, v in counts.items())

    results = [
        (f"end to end {e2e:.1f} leads/s (target >= {TARGET_LEADS_PER_SECOND:.0f})",
         completed and e2e >= TARGET_LEADS_PER_SECOND),
        (f"every enquiry answered 201 ({len(load.lead_ids)}/{args.leads})",
         len(load.lead_ids) == args.leads),
        (f"lost {lost} (target 0): {detail(checks.lost)}", lost == 0 and completed),
        (f"double-assigned {double_assigned} (target 0): {detail(checks.double_assigned)}",
         double_assigned == 0),
        (f"double-sent {double_sent} (target 0): {detail(checks.double_sent)}",
         double_sent == 0),
    ]  # fmt: skip
    return report_checks(results)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        lock = exclusive_run()
    except BenchError as exc:  # before anything is started or cleaned up: the other run's
        print(f"benchmark could not run: {exc}", file=sys.stderr)
        return 2
    logdir = Path(tempfile.mkdtemp(prefix="parklead-pipeline-"))
    procs = Procs(logdir)

    def cleanup() -> None:
        procs.stop_all()
        if redis_db(args.redis_url) not in RESERVED_REDIS_DBS:
            with contextlib.suppress(Exception):
                flush_redis(args.redis_url)
        if args.keep:
            print(f"kept the database {DB_NAME} and the logs in {logdir}")
        else:
            with contextlib.suppress(Exception):
                drop_database(database_url(args.pg_url, DB_NAME))
            shutil.rmtree(logdir, ignore_errors=True)
        lock.close()

    return run_with_cleanup(lambda: bench(args, procs), cleanup)


if __name__ == "__main__":
    sys.exit(main())
