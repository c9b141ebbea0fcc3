"""Where one lead's routing and its notifications' delivery spend CPU, SQL and the team lock.

    .venv/bin/python bench/profile_pipeline.py [--leads 400] [--batch 50] [--cprofile route|send]
        [--pg-url postgresql://postgres@127.0.0.1:5432/] [--redis-url redis://127.0.0.1:6379/12]
        [--db-name parklead_profile_pipeline]

The worker's two jobs of bench/pipeline.py, one at a time in one process, so that their cost is
measured without Celery, HTTP or other processes competing: against its own database
`parklead_profile_pipeline` (dropped and created, migrated, seeded with the same team and
agents; dropped again), with the fake WeChat API (`parklead fake-wechat`) and the SMTP sink
(`bench/smtp_sink.py`) as subprocesses. It stores `--leads` enquiries through the intake service
(the tasks they queue are recorded, not run), then

- routes the leads as the worker's task does: `--batch` of them per transaction
  (`engine.route_leads`, in an app context of its own), or with `--batch 1` each in its own
  (`engine.route_lead`, the single task's path), and
- delivers the notifications that routing queued (`service.deliver_many` in chunks of
  `--batch`, or `service.deliver` one by one),

and prints for each phase the process CPU time and wall time per lead or notification, the SQL
statements by kind (per lead, and for batches per batch), and for routing how long the team row
lock is held: from the statement that takes it to the end of the commit, the part of a routing
that two workers cannot overlap.
`--cprofile route|send` adds a cProfile of that phase, timed in process CPU.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import (
    BENCH,
    BIN,
    ROOT,
    BenchError,
    Procs,
    check_loopback,
    database_url,
    drop_database,
    free_port,
    recreate_database,
    run_checked,
    wait_http,
)
from pipeline import SMTP_FROM, WECHAT_APP_SECRET, WECHAT_TEMPLATE, enquiry

sys.path.insert(0, str(ROOT))

DB_NAME = "parklead_profile_pipeline"
# Its own AppID, so its WeChat token (in Redis, under the AppID) is nobody else's.
WECHAT_APP_ID = "wxprofilepipeline0"


class RecordingDispatcher:
    """Takes the app's dispatcher's place: tasks are recorded, not published or run."""

    eager = False

    def __init__(self) -> None:
        self.sent: list[tuple[str, tuple[Any, ...]]] = []

    def send(self, name: str, args: tuple[Any, ...]) -> None:
        self.sent.append((name, args))

    def flush(self, timeout: float = 0.0) -> bool:
        return True


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=400)
    parser.add_argument(
        "--batch",
        type=int,
        default=50,
        help="leads routed and notifications delivered together, as the worker's batch tasks "
        "do (1: one at a time, as the single tasks do)",
    )
    parser.add_argument("--cprofile", choices=("route", "send"))
    parser.add_argument("--top", type=int, default=40, help="cProfile lines to print")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument(
        "--db-name",
        default=DB_NAME,
        help="the database to create and drop (its own name for a second run at the same time)",
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    check_loopback(args.pg_url, "--pg-url")
    check_loopback(args.redis_url, "--redis-url")
    db_url = database_url(args.pg_url, args.db_name)
    logdir = Path(tempfile.mkdtemp(prefix="parklead-profile-pipeline-"))
    procs = Procs(logdir)
    ports = {"wechat": free_port(), "smtp": free_port()}
    env = {
        "PARKLEAD_ENV": "production",
        "DATABASE_URL": db_url,
        "REDIS_URL": args.redis_url,
        "SECRET_KEY": "bench-only-secret-key-not-for-production",
        "WECHAT_API_BASE_URL": f"http://127.0.0.1:{ports['wechat']}/cgi-bin/",
        "WECHAT_APP_ID": WECHAT_APP_ID,
        "WECHAT_APP_SECRET": WECHAT_APP_SECRET,
        "WECHAT_TEMPLATE_LEAD_ASSIGNED": WECHAT_TEMPLATE,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(ports["smtp"]),
        "SMTP_FROM": SMTP_FROM,
    }
    os.environ.update(env)
    for name in ("SMTP_USER", "SMTP_PASSWORD", "SMTP_STARTTLS", "WEBHOOK_URL", "WEBHOOK_SECRET"):
        os.environ.pop(name, None)
    child_env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        recreate_database(db_url)
        run_checked([str(BIN / "parklead"), "db", "upgrade"], child_env, "parklead db upgrade")
        fake = procs.start(
            "fake-wechat",
            [str(BIN / "parklead"), "fake-wechat", "--port", str(ports["wechat"]),
             "--appid", WECHAT_APP_ID, "--secret", WECHAT_APP_SECRET],
            child_env,
        )  # fmt: skip
        sink_file = logdir / "smtp-received.txt"
        sink = procs.start(
            "smtp-sink",
            [sys.executable, str(BENCH / "smtp_sink.py"), "--port", str(ports["smtp"]),
             "--out", str(sink_file)],
            child_env,
        )  # fmt: skip
        wait_http(procs, fake, f"http://127.0.0.1:{ports['wechat']}/_fake/stats")
        deadline = time.monotonic() + 20
        while not Path(f"{sink_file}.ready").exists():
            procs.check_alive(sink)
            if time.monotonic() > deadline:
                raise BenchError("the SMTP sink did not start")
            time.sleep(0.1)
        profile(args)
    except BenchError as exc:
        print(f"profile could not run: {exc}", file=sys.stderr)
        return 2
    finally:
        procs.stop_all()
        for path in logdir.iterdir():
            path.unlink()
        logdir.rmdir()
        try:
            drop_database(db_url)
        except Exception as exc:  # the figures are printed; say why the database is left
            print(f"could not drop {args.db_name}: {exc}", file=sys.stderr)
    return 0


def profile(args: argparse.Namespace) -> None:
    import logging

    import redis
    from sqlalchemy import event

    from app import create_app
    from app.accounts import service as accounts
    from app.accounts.models import Role, Team
    from app.core.db import db
    from app.leads import service as leads
    from app.leads.models import Channel
    from app.leads.schemas import parse_enquiry_payload
    from app.notifications import service as notifications
    from app.notifications.outbox import SEND_TASK
    from app.routing import engine

    app = create_app()
    # The worker logs at WARNING (celery --loglevel=WARNING); an INFO line per lead here would
    # be CPU the worker does not spend.
    logging.getLogger().setLevel(logging.WARNING)
    token_key = f"parklead:wechat:{WECHAT_APP_ID}_access_token"
    broker = redis.Redis.from_url(args.redis_url)
    broker.delete(token_key)  # a token of an earlier run's fake server would be refused
    dispatcher = RecordingDispatcher()
    app.extensions["dispatcher"] = dispatcher
    statements: collections.Counter[str] = collections.Counter()

    @event.listens_for(app.extensions["db_engine"], "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements[statement.split(None, 1)[0].upper()] += 1

    with app.app_context(), db.transaction():
        team = accounts.ensure_default_team()
        for n in range(1, 5):
            agent = accounts.create_agent(
                login=f"bench{n}", password="bench-password", name=f"坐席{n}", role=Role.AGENT,
                team=team, email=f"bench{n}@bench.parklead.invalid", capacity=1_000_000,
            )  # fmt: skip
            agent.wechat_openid = f"o-bench-agent-{n}"
    lead_ids = []
    for seq in range(1, args.leads + 1):
        with app.app_context():
            result = leads.submit_enquiry(
                parse_enquiry_payload(enquiry(seq)),
                channel=Channel.WEB_FORM,
                source={"form": "api"},
            )
            db.session.commit()
            lead_ids.append(result.lead.id)
    dispatcher.sent.clear()

    # The team lock: taken by the default team's locking SELECT (or `_lock(Team, ...)` for a
    # rule's team), released by the commit.
    lock_taken = [0.0]
    real_default_team, real_lock = engine._default_team, engine._lock

    def default_team(**options: Any) -> Any:
        team = real_default_team(**options)
        if options.get("lock"):
            lock_taken[0] = time.perf_counter()
        return team

    def lock_row(model: Any, row_id: int) -> Any:
        row = real_lock(model, row_id)
        if model is Team:
            lock_taken[0] = time.perf_counter()
        return row

    engine._default_team, engine._lock = default_team, lock_row  # type: ignore[assignment]
    held: list[float] = []

    def route_all() -> None:
        if args.batch == 1:
            for lead_id in lead_ids:
                with app.app_context():
                    with db.transaction():
                        engine.route_lead(lead_id)
                    held.append(time.perf_counter() - lock_taken[0])
            return
        for start in range(0, len(lead_ids), args.batch):
            with app.app_context():
                with db.transaction():
                    engine.route_leads(lead_ids[start : start + args.batch])
                held.append(time.perf_counter() - lock_taken[0])

    def send_all(ids: list[int]) -> None:
        if args.batch == 1:
            for notification_id in ids:
                with app.app_context():
                    notifications.deliver(notification_id)
            return
        for start in range(0, len(ids), args.batch):
            with app.app_context():
                notifications.deliver_many(ids[start : start + args.batch])

    route = measure(route_all, len(lead_ids), statements, args.cprofile == "route")
    engine._default_team, engine._lock = real_default_team, real_lock  # type: ignore[assignment]
    ids = [a[0] for name, a in dispatcher.sent if name == SEND_TASK]
    send = measure(lambda: send_all(ids), len(ids), statements, args.cprofile == "send")
    broker.delete(token_key)
    broker.close()

    print(f"\nrouting, per lead ({len(lead_ids)} leads, one default team of 4 agents):")
    print(f"  {route['cpu']:.2f} ms CPU, {route['wall']:.2f} ms wall; SQL: {route['sql']}")
    if args.batch > 1:
        batches = -(-len(lead_ids) // args.batch)
        print(f"  SQL per batch of {args.batch}: {route['statements'] / batches:.1f} statements")
    per = "per lead" if args.batch == 1 else f"per batch of {args.batch}"
    print(f"  team lock held {per}: median {1000 * statistics.median(held):.2f} ms, "
          f"90th percentile {1000 * statistics.quantiles(held, n=10)[-1]:.2f} ms")  # fmt: skip
    print(f"delivery, per notification ({len(ids)}: a WeChat template message and an e-mail per "
          f"lead, to the fake servers):")  # fmt: skip
    print(f"  {send['cpu']:.2f} ms CPU, {send['wall']:.2f} ms wall; SQL: {send['sql']}")
    for phase in (route, send):
        if phase["profile"] is not None:
            print()
            stats = pstats.Stats(phase["profile"])
            stats.sort_stats("cumulative").print_stats(args.top)


def measure(
    run: Any, count: int, statements: collections.Counter[str], with_profile: bool
) -> dict[str, Any]:
    statements.clear()
    profiler = cProfile.Profile(time.process_time) if with_profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler is not None:
        profiler.enable()
    run()
    if profiler is not None:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    per = max(count, 1)
    sql = ", ".join(f"{kind} {n / per:.1f}" for kind, n in sorted(statements.items()))
    total = sum(statements.values()) / per
    return {
        "cpu": 1000 * cpu / per,
        "wall": 1000 * wall / per,
        "sql": f"{total:.1f} statements ({sql})",
        "statements": sum(statements.values()),
        "profile": profiler,
    }


if __name__ == "__main__":
    sys.exit(main())
