"""Intake benchmark: ParkLead's `POST /api/leads` against a bare Flask app, same gunicorn.

    .venv/bin/python bench/intake.py [--duration 15] [--connections 32] [--workers 2]
        [--threads 4] [--pg-url postgresql://postgres@127.0.0.1:5432/]
        [--redis-url redis://127.0.0.1:6379/14] [--keep] [--py-spy OUT.svg]

What it does, everything on loopback and everything it starts stopped again (process groups,
also on Ctrl-C or error):

1. drops and creates the database `parklead_bench`, runs `parklead db upgrade` on it and seeds
   a default team with three agents (with room for every lead of the run);
2. starts a Celery worker (`celery -A tasks.celery_app worker -Q parklead-bench -c 1`) so that
   routing really happens behind the load, as in production;
3. serves ParkLead (`app:create_app()`, PARKLEAD_ENV=production, INTAKE_RATE_LIMIT=off) and the
   bare app (`bench/bare_app.py`, whose endpoint only answers 201) with identical gunicorn
   settings;
4. drives each with wrk (`apt-get install wrk`) at 32 connections: a warm-up, then the
   measurement. `bench/intake.lua` posts a realistic Chinese enquiry with a distinct valid CN
   mobile per request, so every request creates a lead (dedupe never turns it into an update);
5. prints requests/s, p50/p90/p99 latency and errors of both, the ratio, and PASS/FAIL against
   the targets of the foundation issue: intake >= 0.5 x bare and intake p99 < 25 ms. Beside
   them, the CPU each part used during the measurement (gunicorn, the Celery worker, the bench
   database's PostgreSQL backends, Redis, wrk, and "other": the rest of the machine, such as
   someone's tests), in cores and in ms per request: on a shared machine CPU per request is the
   steadier figure. And the sequential scans of the `lead` table during the intake runs, which
   must stay near zero (every dedupe lookup an index probe);
6. checks that every 201 left a lead in the database and reports how many leads the worker
   had routed when the load stopped and within --route-wait seconds after.

Gunicorn settings (the same for both apps): `gthread`, 2 workers x 4 threads, keep-alive 5 s.
The machine has 2 cores, and they are shared with PostgreSQL, Redis, the Celery worker and wrk
itself, so there is no point in more Python processes than cores: each one holds the GIL while
it runs Python, and extra processes only add context switches and PostgreSQL connections. Two
processes let both cores run Python; four threads in each let one request wait on a PostgreSQL
round trip (or the commit's WAL flush) while another runs Python, which a sync worker cannot
do. gthread also keeps connections alive, as a reverse proxy with upstream keep-alive does;
sync workers close the connection after every response, so both apps would mostly measure TCP
connection set-up. `--workers` and `--threads` change this for both apps at once.

The exit status is 0 when every target is met and every check passes, 1 otherwise, 2 when the
benchmark could not run, 130 when interrupted. bench/README.md explains how to read the output.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent  # .venv/bin: gunicorn, celery and parklead live beside python
DB_NAME = "parklead_bench"
QUEUE = "parklead-bench"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

LEAD_SCANS_SQL = "SELECT seq_scan, seq_tup_read FROM pg_stat_user_tables WHERE relname = 'lead'"
ROUTED_SQL = "SELECT count(*) FROM lead WHERE routed_at IS NOT NULL"
TOTAL_AND_ROUTED_SQL = "SELECT count(*), count(routed_at) FROM lead"
TARGET_RATIO = 0.5
TARGET_P99_MS = 25.0


class BenchError(Exception):
    """The benchmark could not run (a service down, a server that did not start)."""


# --- processes --------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path


@dataclass
class Procs:
    """Everything the benchmark starts, each in its own session (process group)."""

    logdir: Path
    procs: list[Proc] = field(default_factory=list)

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> Proc:
        log = self.logdir / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(
                argv,
                env=env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def check_alive(self, proc: Proc) -> None:
        if proc.popen.poll() is not None:
            raise BenchError(f"{proc.name} exited with {proc.popen.returncode}:\n{tail(proc.log)}")

    def stop(self, proc: Proc, timeout: float = 10.0) -> None:
        """SIGTERM to the leader (gunicorn and Celery then stop their workers gracefully),
        SIGKILL to the whole group after `timeout`."""
        if proc.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.popen.pid, signal.SIGTERM)
            try:
                proc.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.popen.pid, signal.SIGKILL)
                proc.popen.wait(5)
        # Whatever the leader left behind in its group (a worker it did not reap) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.popen.pid, signal.SIGKILL)
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self) -> None:
        for proc in reversed(list(self.procs)):
            self.stop(proc)


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _raise_interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(proc: Procs, p: Proc, url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        proc.check_alive(p)
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # loopback only
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(0.2)
    raise BenchError(
        f"{p.name} did not answer {url} within {timeout:.0f}s ({last}):\n{tail(p.log)}"
    )


# --- services ---------------------------------------------------------------------------


def check_loopback(url: str, what: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK:
        raise BenchError(f"{what} must be on a loopback address, not {host!r}")


def bench_database_url(server_url: str) -> str:
    """The URL of `parklead_bench` on the server of `server_url` (its database is ignored)."""
    parts = urlsplit(server_url)
    return parts._replace(path="/" + DB_NAME).geturl()


def recreate_database(url: str) -> None:
    import psycopg

    admin = urlsplit(url)._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (DB_NAME,),
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    except psycopg.OperationalError as exc:
        raise BenchError(f"PostgreSQL at {admin} is not reachable: {exc}") from None


def drop_database(url: str) -> None:
    import psycopg

    admin = urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (DB_NAME,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')


def query_row(url: str, sql: str) -> tuple[Any, ...]:
    import psycopg

    with psycopg.connect(url, connect_timeout=5) as conn:
        return tuple(conn.execute(sql).fetchone() or ())


def query_one(url: str, sql: str) -> Any:
    row = query_row(url, sql)
    return row[0] if row else None


def clear_queue(redis_url: str) -> None:
    import redis

    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
        client.delete(QUEUE, f"_kombu.binding.{QUEUE}", f"_kombu.binding_permanent.{QUEUE}")
        client.close()
    except redis.RedisError as exc:
        raise BenchError(f"Redis at {redis_url} is not reachable: {exc}") from None


def run_checked(argv: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise BenchError(f"{what} failed:\n{result.stdout}\n{result.stderr}")


SEED = """
from app import create_app
from app.accounts import service
from app.accounts.models import Role
from app.core.db import db

with create_app().app_context(), db.transaction():
    team = service.ensure_default_team()
    for n in (1, 2, 3):  # capacity for every lead of a run: each one is really assigned
        service.create_agent(login=f"bench{n}", password="bench-password", name=f"坐席{n}",
                             role=Role.AGENT, team=team, capacity=1_000_000)
"""


def wait_worker(procs: Procs, worker: Proc, redis_url: str, node: str, timeout: float) -> None:
    from celery import Celery

    control = Celery("bench-control", broker=redis_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            procs.check_alive(worker)
            if control.control.ping(destination=[node], timeout=1.0):
                return
        raise BenchError(
            f"the Celery worker did not answer within {timeout:.0f}s:\n{tail(worker.log)}"
        )
    finally:
        control.close()


# --- CPU accounting ---------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: str) -> tuple[str, int, int] | None:
    """(comm, process group, utime+stime ticks) of a live process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    rest = raw[raw.rindex(")") + 2 :].split()
    return comm, int(rest[2]), int(rest[11]) + int(rest[12])


def _serves_bench(pid: str) -> bool:
    """A PostgreSQL backend of the bench database, or one of the server's own processes
    (WAL writer, checkpointer...), not a backend of another database (someone's tests)."""
    try:
        title = (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return False
    if "(" not in title:  # no client address: the postmaster or an auxiliary process
        return True
    return f" {DB_NAME} " in title


def cpu_snapshot(groups: dict[str, int]) -> dict[str, int]:
    """CPU ticks used so far by our process groups, PostgreSQL, Redis, the whole machine, and
    (as "pid:PID:NAME") every other process."""
    ticks: dict[str, int] = {name: 0 for name in [*groups, "postgres", "redis", "machine"]}
    by_pgid = {pgid: name for name, pgid in groups.items()}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = _proc_stat(entry)
        if stat is None:
            continue
        comm, pgid, used = stat
        if pgid in by_pgid:
            ticks[by_pgid[pgid]] += used
        elif comm == "postgres" and _serves_bench(entry):
            ticks["postgres"] += used
        elif comm.startswith("redis-server"):
            ticks["redis"] += used
        else:
            ticks[f"pid:{entry}:{comm}"] = used
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    # user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
    ticks["machine"] = sum(int(x) for i, x in enumerate(fields[:8]) if i not in (3, 4))
    return ticks


def cpu_usage(
    before: dict[str, int], after: dict[str, int], seconds: float
) -> tuple[dict[str, float], list[tuple[str, float]]]:
    """Cores used on average by each part during the interval, and the busiest other processes."""
    used = {
        k: (after[k] - v) / CLK_TCK / seconds
        for k, v in before.items()
        if not k.startswith("pid:") and k in after
    }
    used["other"] = used["machine"] - sum(v for k, v in used.items() if k != "machine")
    # Processes that started meanwhile count whole; those that also ended are not seen at all.
    others = [
        (k.split(":", 2)[2], (v - before.get(k, 0)) / CLK_TCK / seconds)
        for k, v in after.items()
        if k.startswith("pid:") and v > before.get(k, 0)
    ]
    return used, sorted(others, key=lambda item: -item[1])[:3]


# --- load -------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    created: int
    joined: int
    other: int
    socket_errors: int
    sample_other: str
    cpu: dict[str, float] = field(default_factory=dict)
    busiest_others: list[tuple[str, float]] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_wrk(
    procs: Procs,
    url: str,
    *,
    run: int,
    seconds: int,
    connections: int,
    threads: int,
    cpu_groups: dict[str, int] | None = None,
) -> WrkResult:
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(BENCH / "intake.lua"),
        url,
        "--",
        str(run),
    ]
    before = cpu_snapshot(cpu_groups or {})
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = procs.start(f"wrk-run{run}", argv, dict(os.environ))
    try:
        proc.popen.wait(seconds + 30)
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk did not finish in time:\n{tail(proc.log)}") from None
    elapsed = time.monotonic() - started
    after = cpu_snapshot(cpu_groups or {})
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    procs.stop(proc)
    output = proc.log.read_text(errors="replace")
    match = re.search(r"^WRK_RESULT (\{.*\})$", output, re.MULTILINE)
    if proc.popen.returncode != 0 or match is None:
        raise BenchError(f"wrk failed ({proc.popen.returncode}):\n{output[-2000:]}")
    data = json.loads(match.group(1))
    result = WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        created=data["created"],
        joined=data["joined"],
        other=data["other"],
        socket_errors=sum(data[k] for k in ("err_connect", "err_read", "err_write", "err_timeout")),
        sample_other=data["sample_other"],
    )
    result.cpu, result.busiest_others = cpu_usage(before, after, elapsed)
    # wrk had exited (and been reaped) before `after`: its CPU is in our children's usage.
    wrk_cpu = children.ru_utime + children.ru_stime
    wrk_cpu -= children_before.ru_utime + children_before.ru_stime
    result.cpu["wrk"] = wrk_cpu / elapsed
    result.cpu["other"] -= result.cpu["wrk"]
    return result


@contextlib.contextmanager
def py_spy_recording(procs: Procs, out: str | None, pid: int, seconds: int) -> Iterator[None]:
    """Sample the gunicorn workers with py-spy during the measurement (--py-spy)."""
    if not out:
        yield
        return
    fmt = {".svg": "flamegraph", ".json": "speedscope"}.get(Path(out).suffix, "raw")
    argv = ["py-spy", "record", "--pid", str(pid), "--subprocesses", "--idle", "--threads"]
    argv += ["--rate", "200", "--duration", str(seconds), "--format", fmt, "--output", out]
    spy = procs.start("py-spy", argv, dict(os.environ))
    time.sleep(1.0)  # let it attach before the load starts
    try:
        yield
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            spy.popen.wait(15)
        procs.stop(spy)
        print(f"py-spy profile of the intake workers: {out}")


# --- main -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Intake benchmark: ParkLead POST /api/leads vs a bare Flask app, same gunicorn."
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds measured per target")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per target")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (<= 10)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument(
        "--pg-url",
        default="postgresql://postgres@127.0.0.1:5432/",
        help=f"PostgreSQL server (loopback); the database used is always {DB_NAME}",
    )
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/14", help="Redis broker (loopback)"
    )
    parser.add_argument(
        "--route-wait", type=int, default=30, help="seconds to wait for the worker afterwards"
    )
    parser.add_argument(
        "--keep", action="store_true", help=f"keep the database {DB_NAME} and the logs"
    )
    parser.add_argument(
        "--py-spy", metavar="OUT", help="record the intake workers with py-spy (.svg/.json/.txt)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.wrk_threads <= min(10, args.connections):
        parser.error("--wrk-threads must be between 1 and min(10, --connections)")
    if args.duration < 1 or args.warmup < 0 or args.workers < 1 or args.threads < 1:
        parser.error("--duration, --workers and --threads must be positive")
    return args


def gunicorn_argv(app_spec: str, port: int, args: argparse.Namespace) -> list[str]:
    return [
        str(BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--keep-alive",
        "5",
        "--backlog",
        "2048",
        "--timeout",
        "30",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
        "--pythonpath",
        str(BENCH),
        app_spec,
    ]


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def print_table(results: dict[str, WrkResult]) -> None:
    print()
    head = f"{'target':<8}{'req/s':>10}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    print(head + f"{'201':>9}{'200':>6}{'other':>7}{'sock err':>10}")
    for name, r in results.items():
        print(
            f"{name:<8}{r.rps:>10.0f}{r.p50_ms:>9.2f}{r.p90_ms:>9.2f}{r.p99_ms:>9.2f}"
            f"{r.max_ms:>9.1f}{r.created:>9}{r.joined:>6}{r.other:>7}{r.socket_errors:>10}"
        )
    print()
    parts = ["server", "celery", "postgres", "redis", "wrk", "other", "machine"]
    print(f"CPU during the measurement, in cores (of {os.cpu_count()}) and ms per request:")
    print(f"{'target':<8}" + "".join(f"{p:>10}" for p in parts))
    for name, r in results.items():
        print(f"{name:<8}" + "".join(f"{r.cpu.get(p, 0.0):>10.2f}" for p in parts))
        per_request = [1000 * r.cpu.get(p, 0.0) / r.rps if r.rps else 0.0 for p in parts]
        print(f"{'  ms/req':<8}" + "".join(f"{ms:>10.2f}" for ms in per_request))
    print(
        "postgres: the backends of the bench database and the server's own processes; other: "
        "the rest of the machine, such as someone's tests (short-lived processes are not named)"
    )
    for name, r in results.items():
        busiest = ", ".join(f"{comm} {cores:.2f}" for comm, cores in r.busiest_others) or "-"
        print(f"  busiest other processes during {name}: {busiest}")


def bench(args: argparse.Namespace, procs: Procs) -> int:
    check_loopback(args.pg_url, "--pg-url")
    check_loopback(args.redis_url, "--redis-url")
    if not (BIN / "gunicorn").exists():
        raise BenchError(f"{BIN / 'gunicorn'} not found: run this with the project's .venv python")
    if subprocess.run(["which", "wrk"], capture_output=True).returncode != 0:
        raise BenchError("wrk is not installed: apt-get update && apt-get install -y wrk")

    db_url = bench_database_url(args.pg_url)
    print(f"database {DB_NAME}: recreating, migrating, seeding")
    recreate_database(db_url)
    clear_queue(args.redis_url)
    env = {
        **os.environ,
        "PARKLEAD_ENV": "production",
        "DATABASE_URL": db_url,
        "REDIS_URL": args.redis_url,
        "SECRET_KEY": "bench-only-secret-key-not-for-production",
        "INTAKE_RATE_LIMIT": "off",
        "PARKLEAD_CELERY_QUEUE": QUEUE,
        "PYTHONUNBUFFERED": "1",
        # Benchmark the tree this script is in, whatever the venv's editable install points at.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    run_checked([str(BIN / "parklead"), "db", "upgrade"], env, "parklead db upgrade")
    run_checked([sys.executable, "-c", SEED], env, "seeding")

    node = f"bench-{os.getpid()}@{socket.gethostname()}"
    worker = procs.start(
        "celery",
        [
            str(BIN / "celery"),
            "-A",
            "tasks.celery_app",
            "worker",
            "-Q",
            QUEUE,
            "-c",
            "1",
            "-n",
            node,
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        env,
    )
    ports = {"bare": free_port(), "intake": free_port()}
    servers = {
        "bare": procs.start(
            "gunicorn-bare", gunicorn_argv("bare_app:create_app()", ports["bare"], args), env
        ),
        "intake": procs.start(
            "gunicorn-intake", gunicorn_argv("app:create_app()", ports["intake"], args), env
        ),
    }
    for name, proc in servers.items():
        wait_http(procs, proc, f"http://127.0.0.1:{ports[name]}/healthz")
    wait_worker(procs, worker, args.redis_url, node, timeout=60)
    print(
        f"gunicorn gthread {args.workers} workers x {args.threads} threads, keep-alive 5s; "
        f"wrk {args.wrk_threads} threads x {args.connections} connections; "
        f"{args.warmup}s warm-up + {args.duration}s per target; logs in {procs.logdir}"
    )

    results: dict[str, WrkResult] = {}
    created_total = 0
    # The bare app first: afterwards the worker is still routing the intake's leads.
    scans_before = query_row(db_url, LEAD_SCANS_SQL)
    for run, name in enumerate(("bare", "intake")):
        url = f"http://127.0.0.1:{ports[name]}/api/leads"
        groups = {"server": servers[name].popen.pid, "celery": worker.popen.pid}
        if args.warmup:
            warm = run_wrk(
                procs,
                url,
                run=2 * run,
                seconds=args.warmup,
                connections=args.connections,
                threads=args.wrk_threads,
            )
            if name == "intake":
                created_total += warm.created
        print(f"{name}: measuring {args.duration}s (load average {loadavg()})")
        spy_out = args.py_spy if name == "intake" else None
        with py_spy_recording(procs, spy_out, servers[name].popen.pid, args.duration):
            result = run_wrk(
                procs,
                url,
                run=2 * run + 1,
                seconds=args.duration,
                connections=args.connections,
                threads=args.wrk_threads,
                cpu_groups=groups,
            )
        results[name] = result
        if name == "intake":
            created_total += result.created
            # Leads and routed leads now (one scan of the table), then the table's scan
            # statistics once the backends have reported them (at most a second late).
            total_at_end, routed_at_end = query_row(db_url, TOTAL_AND_ROUTED_SQL)
            time.sleep(1.5)
            scans_after = query_row(db_url, LEAD_SCANS_SQL)
        procs.check_alive(servers[name])
    load_stopped = time.monotonic()

    # wrk does not count the requests still in flight when it stops (at most one per
    # connection and run), but the server finishes them: wait until the count settles.
    leads, settled = -1, query_one(db_url, "SELECT count(*) FROM lead")
    while settled != leads and time.monotonic() - load_stopped < 10:
        time.sleep(0.5)
        leads, settled = settled, query_one(db_url, "SELECT count(*) FROM lead")
    phones = query_one(db_url, "SELECT count(DISTINCT phone) FROM lead")
    in_flight = 2 * args.connections if args.warmup else args.connections
    routed = routed_at_end
    while routed < leads and time.monotonic() - load_stopped < args.route_wait:
        time.sleep(0.5)
        routed = query_one(db_url, ROUTED_SQL)
    waited = time.monotonic() - load_stopped
    assigned = query_one(db_url, "SELECT count(*) FROM lead WHERE agent_id IS NOT NULL")
    # Without the benchmark's own count above.
    seq_scans = scans_after[0] - scans_before[0] - 1
    seq_rows = scans_after[1] - scans_before[1] - total_at_end

    print_table(results)
    bare, intake = results["bare"], results["intake"]
    ratio = intake.rps / bare.rps if bare.rps else 0.0
    checks = [
        (f"throughput ratio intake/bare = {ratio:.2f} (target >= {TARGET_RATIO})",
         ratio >= TARGET_RATIO),
        (f"intake p99 = {intake.p99_ms:.1f} ms (target < {TARGET_P99_MS:.0f} ms)",
         intake.p99_ms < TARGET_P99_MS),
        (f"intake answered 201 to every request ({intake.joined} x 200, {intake.other} other, "
         f"{intake.socket_errors} socket errors)",
         intake.joined == 0 and intake.other == 0 and intake.socket_errors == 0),
        (f"every 201 is a lead: {created_total} x 201, {leads} leads "
         f"(+{leads - created_total} in flight when wrk stopped, at most {in_flight}), "
         f"{phones} distinct phones",
         created_total <= leads <= created_total + in_flight and phones == leads),
        (f"routed by the worker: {routed_at_end}/{leads} when the load stopped, "
         f"{routed}/{leads} after {waited:.1f}s ({assigned} assigned to an agent)",
         routed == leads),
    ]  # fmt: skip
    # An index probe per dedupe lookup reads no rows sequentially; a plan that scans the open
    # leads (see find_open_lead_by_phone) shows up here as rows read growing with the table.
    print(
        f"\nlead table during the intake runs (web and worker): {seq_scans} sequential scans, "
        f"{seq_rows} rows read by them"
    )
    if intake.sample_other:
        print(f"\nlast unexpected intake answer: {intake.sample_other}")
    print()
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return 0 if all(ok for _, ok in checks) else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logdir = Path(tempfile.mkdtemp(prefix="parklead-bench-"))
    procs = Procs(logdir)
    # Ctrl-C and SIGTERM both stop the run cleanly, even where SIGINT came in ignored (a
    # background job of a non-interactive shell).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    status = 2
    try:
        status = bench(args, procs)
    except BenchError as exc:
        print(f"\nbenchmark could not run: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print("\ninterrupted; stopping everything", file=sys.stderr)
        status = 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip the cleanup
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        procs.stop_all()
        with contextlib.suppress(Exception):
            clear_queue(args.redis_url)
        if args.keep:
            print(f"kept the database {DB_NAME} and the logs in {logdir}")
        else:
            with contextlib.suppress(Exception):
                drop_database(bench_database_url(args.pg_url))
            for path in logdir.iterdir():
                path.unlink()
            logdir.rmdir()
    return status


if __name__ == "__main__":
    sys.exit(main())
