"""What the benchmarks share: process management, services, CPU accounting, wrk, gunicorn.

bench/intake.py (and bench/pipeline.py through it) and bench/callback.py import these; each
script keeps its own database, queue, load script, checks and output. Everything runs on
loopback, and everything started through `Procs` is stopped again by `Procs.stop_all()`.
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
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent  # .venv/bin: gunicorn, celery and parklead live beside python
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


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


def run_with_cleanup(bench: Callable[[], int], cleanup: Callable[[], None]) -> int:
    """Run a benchmark and then `cleanup`, whatever happens: Ctrl-C and SIGTERM stop it cleanly
    (also where SIGINT came in ignored, as in a background job of a non-interactive shell), and
    a second one does not skip the cleanup. Returns the benchmark's status, 2 when it could not
    run, 130 when interrupted."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    status = 2
    try:
        status = bench()
    except BenchError as exc:
        print(f"\nbenchmark could not run: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print("\ninterrupted; stopping everything", file=sys.stderr)
        status = 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cleanup()
    return status


def report_checks(checks: Sequence[tuple[str, bool]]) -> int:
    """Print PASS/FAIL per check; 0 when all passed, else 1."""
    print()
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return 0 if all(ok for _, ok in checks) else 1


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


def database_url(server_url: str, db_name: str) -> str:
    """The URL of `db_name` on the server of `server_url` (its database is ignored)."""
    parts = urlsplit(server_url)
    return parts._replace(path="/" + db_name).geturl()


def recreate_database(url: str) -> None:
    """Drop and create the database of `url` (on its server, through `postgres`)."""
    import psycopg

    db_name = urlsplit(url).path.lstrip("/")
    admin = urlsplit(url)._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (db_name,),
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name}"')
            conn.execute(f'CREATE DATABASE "{db_name}"')
    except psycopg.OperationalError as exc:
        raise BenchError(f"PostgreSQL at {admin} is not reachable: {exc}") from None


def drop_database(url: str) -> None:
    import psycopg

    db_name = urlsplit(url).path.lstrip("/")
    admin = urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (db_name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}"')


def query_row(url: str, sql: str) -> tuple[Any, ...]:
    import psycopg

    with psycopg.connect(url, connect_timeout=5) as conn:
        return tuple(conn.execute(sql).fetchone() or ())


def query_one(url: str, sql: str) -> Any:
    row = query_row(url, sql)
    return row[0] if row else None


def clear_queue(redis_url: str, queue: str) -> None:
    import redis

    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
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


def _serves_bench(pid: str, db_name: str) -> bool:
    """A PostgreSQL backend of the bench database `db_name`, or one of the server's own processes
    (WAL writer, checkpointer...), not a backend of another database (someone's tests)."""
    try:
        title = (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return False
    if "(" not in title:  # no client address: the postmaster or an auxiliary process
        return True
    return f" {db_name} " in title


def cpu_snapshot(groups: dict[str, int], db_name: str) -> dict[str, int]:
    """CPU ticks used so far by our process groups, PostgreSQL (serving `db_name`), Redis, the
    whole machine, and (as "pid:PID:NAME") every other process."""
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
        elif comm == "postgres" and _serves_bench(entry, db_name):
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
class WrkRun:
    """One wrk run: the figures every load script reports, its own tallies (`data`, the
    script's WRK_RESULT line) and the CPU each part of the machine used meanwhile."""

    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int
    data: dict[str, Any]
    cpu: dict[str, float] = field(default_factory=dict)
    busiest_others: list[tuple[str, float]] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_wrk(
    procs: Procs,
    url: str,
    *,
    name: str,
    script: Path,
    script_args: list[str],
    seconds: int,
    connections: int,
    threads: int,
    db_name: str,
    cpu_groups: dict[str, int] | None = None,
) -> WrkRun:
    """Run wrk with a load script whose done() prints one line "WRK_RESULT {json}" (requests,
    duration_us, p50_us, p90_us, p99_us, max_us, err_connect/read/write/timeout and its own
    tallies), measuring the CPU of `cpu_groups` (process groups), PostgreSQL (`db_name`'s
    backends), Redis, wrk and the rest of the machine meanwhile."""
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        url,
        "--",
        *script_args,
    ]
    before = cpu_snapshot(cpu_groups or {}, db_name)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = procs.start(name, argv, dict(os.environ))
    try:
        proc.popen.wait(seconds + 30)
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk did not finish in time:\n{tail(proc.log)}") from None
    elapsed = time.monotonic() - started
    after = cpu_snapshot(cpu_groups or {}, db_name)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    procs.stop(proc)
    output = proc.log.read_text(errors="replace")
    match = re.search(r"^WRK_RESULT (\{.*\})$", output, re.MULTILINE)
    if proc.popen.returncode != 0 or match is None:
        raise BenchError(f"wrk failed ({proc.popen.returncode}):\n{output[-2000:]}")
    data = json.loads(match.group(1))
    result = WrkRun(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        socket_errors=sum(data[k] for k in ("err_connect", "err_read", "err_write", "err_timeout")),
        data=data,
    )
    result.cpu, result.busiest_others = cpu_usage(before, after, elapsed)
    # wrk had exited (and been reaped) before `after`: its CPU is in our children's usage.
    wrk_cpu = children.ru_utime + children.ru_stime
    wrk_cpu -= children_before.ru_utime + children_before.ru_stime
    result.cpu["wrk"] = wrk_cpu / elapsed
    result.cpu["other"] -= result.cpu["wrk"]
    return result


def combine_runs(runs: Sequence[WrkRun]) -> WrkRun:
    """The rounds of one target as one run: requests and seconds added up, CPU averaged over
    the time, tallies added up; latency percentiles averaged over the rounds (wrk reports no
    histogram to merge), the maximum the largest."""
    if len(runs) == 1:
        return runs[0]
    seconds = sum(r.seconds for r in runs)

    def mean(name: str) -> float:
        return sum(getattr(r, name) for r in runs) / len(runs)

    data: dict[str, Any] = {}
    for r in runs:
        for key, value in r.data.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                data[key] = data.get(key, 0) + value
            elif isinstance(value, list) and value and isinstance(value[0], int | float):
                data.setdefault(key, []).append(value)
            else:
                data[key] = value or data.get(key, value)
    cpu: dict[str, float] = {}
    for r in runs:
        for key, cores in r.cpu.items():
            cpu[key] = cpu.get(key, 0.0) + cores * r.seconds / seconds
    return WrkRun(
        requests=sum(r.requests for r in runs),
        seconds=seconds,
        p50_ms=mean("p50_ms"),
        p90_ms=mean("p90_ms"),
        p99_ms=mean("p99_ms"),
        max_ms=max(r.max_ms for r in runs),
        socket_errors=sum(r.socket_errors for r in runs),
        data=data,
        cpu=cpu,
        busiest_others=runs[-1].busiest_others,
    )


@contextlib.contextmanager
def py_spy_recording(
    procs: Procs,
    out: str | None,
    pid: int,
    seconds: int,
    *,
    what: str = "intake",
    exe: str = "py-spy",
) -> Iterator[None]:
    """Sample the gunicorn workers with py-spy during the measurement (--py-spy)."""
    if not out:
        yield
        return
    fmt = {".svg": "flamegraph", ".json": "speedscope"}.get(Path(out).suffix, "raw")
    # On-CPU samples only (no --idle: the idle threads of gthread's pool would drown them),
    # without pausing the workers at each sample (--nonblocking), which would slow them.
    argv = [exe, "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "--threads"]
    argv += ["--rate", "200", "--duration", str(seconds), "--format", fmt, "--output", out]
    spy = procs.start("py-spy", argv, dict(os.environ))
    time.sleep(1.0)  # let it attach before the load starts
    try:
        yield
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            spy.popen.wait(15)
        procs.stop(spy)
        print(f"py-spy profile of the {what} workers: {out}")


# --- servers and output ---------------------------------------------------------------


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


def print_cpu_table(results: Mapping[str, Any]) -> None:
    """The CPU table of the benchmarks' output: for each target (anything with `rps`, `cpu`
    and `busiest_others`), the cores each part used and its CPU milliseconds per request."""
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
