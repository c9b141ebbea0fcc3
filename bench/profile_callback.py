"""Where the CPU of one WeChat callback request goes, layer by layer, and a pyinstrument profile.

    .venv/bin/python bench/profile_callback.py [--requests 2000] [--aes] [--pyinstrument]
        [--cprofile] [--pg-url postgresql://postgres@127.0.0.1:5432/]
        [--redis-url redis://127.0.0.1:6379/12]

Runs in one process through Flask's test client (no HTTP server, no network between client and
app), against its own database `parklead_profile_callback` (dropped and created, migrated,
seeded with the default team, dropped again) and Redis (routing tasks go to the queue
`parklead-profile-callback`, emptied afterwards; no worker runs). It posts the deliveries of
bench/callback.py (same conversations, same signing, --aes for safe mode) to the real
`POST /wechat/callback`, with the functions of each layer wrapped in timers that take the
request thread's CPU time (and wall time) and charge each layer only its own part (a layer's
inner layers are charged to them):

    signature check        callback.check_signature (plain) or the msg_signature + AES
                           decryption inside crypto.decrypt_message (safe mode)
    XML parse              callback.parse_xml (defusedxml), both the envelope and the message
    store and commit       service.receive's own part: the INSERT of the inbound_message row
                           (on PostgreSQL with the follower's upsert as a CTE, one statement),
                           the statement that stores the reply and writes the follower's row
                           back (service._finish: on PostgreSQL one UPDATE with the follower's
                           UPDATE as a CTE), and the COMMIT (one transaction)
    lock the delivery      a retry only: service._lock_inbound (SET LOCAL lock_timeout,
                           SELECT ... FOR UPDATE)
    follower row           service._lock_user (the upsert that returns the row locked, where
                           it is not part of the delivery's INSERT),
                           service._save_user (its UPDATE where it is not part of _finish),
                           client.record_inbound (which older code called), and the rest of
                           service._converse: the customer-service window and the state
    parser                 service._parse (parse_enquiry)
    conversation           service.to_incoming and current_state, conversation.step and
                           render_reply: the bot's side, without the parser
    lead write             service._save_lead, leads.record_prospect_messages (and
                           leads.update_fields, leads.record_message, which older code
                           called), the lead's SELECT ... FOR UPDATE
    reply build            callback.render_text_reply (+ encryption in safe mode)
    retry answer           a retry only: the rest of service._handle
    Flask + the rest       everything else of the request (routing, Werkzeug, the test client)

with the SQL statements each layer sent per request (BEGIN is implicit). Deliveries are posted
in the order of bench/callback.py's file, so the mix of new leads, updates and drafts is the
benchmark's.
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

import callback as bench_callback  # noqa: E402 - bench/callback.py, beside this file

DB_NAME = "parklead_profile_callback"
QUEUE = "parklead-profile-callback"

LAYERS = (
    "signature check",
    "XML parse",
    "store and commit",
    "lock the delivery",
    "follower row",
    "parser",
    "conversation",
    "lead write",
    "reply build",
    "retry answer",
    "Flask + the rest",
)


class Timers:
    """CPU and wall time of the request thread per layer, each layer without its inner ones."""

    def __init__(self) -> None:
        self.cpu: collections.Counter[str] = collections.Counter()
        self.wall: collections.Counter[str] = collections.Counter()
        self.statements: collections.Counter[str] = collections.Counter()
        self.stack: list[tuple[str, float, float]] = []  # layer, cpu and wall at (re)entry

    def _charge(self, now_cpu: float, now_wall: float) -> None:
        if self.stack:
            layer, cpu, wall = self.stack[-1]
            self.cpu[layer] += now_cpu - cpu
            self.wall[layer] += now_wall - wall

    def enter(self, layer: str) -> None:
        now_cpu, now_wall = time.thread_time(), time.perf_counter()
        self._charge(now_cpu, now_wall)
        self.stack.append((layer, now_cpu, now_wall))

    def leave(self) -> None:
        now_cpu, now_wall = time.thread_time(), time.perf_counter()
        self._charge(now_cpu, now_wall)
        self.stack.pop()
        if self.stack:
            layer, _, _ = self.stack[-1]
            self.stack[-1] = (layer, now_cpu, now_wall)

    def statement(self, *_args: Any, **_kwargs: Any) -> None:
        if self.stack:
            self.statements[self.stack[-1][0]] += 1

    def wrap(self, owner: Any, name: str, layer: str) -> None:
        original: Callable[..., Any] = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.enter(layer)
            try:
                return original(*args, **kwargs)
            finally:
                self.leave()

        setattr(owner, name, timed)


def instrument(timers: Timers) -> None:
    """Wrap each layer's functions where the callback path looks them up."""
    from wechatpy.crypto import WeChatCrypto

    from app.leads import service as leads
    from app.wechat import callback, client, conversation, service

    timers.wrap(callback, "check_signature", "signature check")
    timers.wrap(WeChatCrypto, "decrypt_message", "signature check")
    timers.wrap(callback, "parse_xml", "XML parse")
    timers.wrap(service, "receive", "store and commit")
    timers.wrap(service, "_handle", "retry answer")
    timers.wrap(service, "_lock_inbound", "lock the delivery")
    timers.wrap(service, "_converse", "follower row")
    timers.wrap(service, "to_incoming", "conversation")
    timers.wrap(service, "current_state", "conversation")
    timers.wrap(conversation, "render_reply", "conversation")
    timers.wrap(service, "_lock_user", "follower row")
    timers.wrap(service, "_save_user", "follower row")
    timers.wrap(client, "record_inbound", "follower row")
    timers.wrap(service, "_parse", "parser")
    timers.wrap(conversation, "step", "conversation")
    timers.wrap(service, "_save_lead", "lead write")
    timers.wrap(service, "_lock_lead", "lead write")
    timers.wrap(leads, "update_fields", "lead write")
    timers.wrap(leads, "record_message", "lead write")
    timers.wrap(leads, "record_prospect_messages", "lead write")
    timers.wrap(service, "render_text_reply", "reply build")
    timers.wrap(callback, "reply_response", "reply build")


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    import psycopg

    admin = urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (DB_NAME,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="deliveries measured")
    parser.add_argument("--warmup", type=int, default=200, help="deliveries before measuring")
    parser.add_argument("--aes", action="store_true", help="safe mode: encrypted deliveries")
    parser.add_argument("--pyinstrument", action="store_true", help="also a pyinstrument profile")
    parser.add_argument(
        "--cprofile",
        action="store_true",
        help="also a cProfile of the request thread's CPU time (ParkLead's functions, by "
        "cumulative time)",
    )
    parser.add_argument(
        "--sql", action="store_true", help="also the statements sent, by their first words"
    )
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/")
    parser.add_argument("--redis-url", default=bench_callback.DEFAULT_REDIS_URL)
    args = parser.parse_args()

    db_url = urlsplit(args.pg_url)._replace(path="/" + DB_NAME).geturl()
    os.environ.update(
        PARKLEAD_ENV="production",
        DATABASE_URL=db_url,
        REDIS_URL=args.redis_url,
        SECRET_KEY="bench-only-secret-key-not-for-production",
        PARKLEAD_CELERY_QUEUE=QUEUE,
        PARKLEAD_LOG_FORMAT="text",
        WECHAT_TOKEN=bench_callback.TOKEN,
        WECHAT_APP_ID=bench_callback.APP_ID,
        WECHAT_APP_SECRET=bench_callback.APP_SECRET,
        WECHAT_API_BASE_URL=bench_callback.WECHAT_API_BASE_URL,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    os.environ.pop("WECHAT_ENCODING_AES_KEY", None)
    if args.aes:
        os.environ["WECHAT_ENCODING_AES_KEY"] = bench_callback.AES_KEY
    recreate_database(db_url)
    bin_dir = Path(sys.executable).parent
    for argv in (
        [str(bin_dir / "parklead"), "db", "upgrade"],
        [sys.executable, "-c", bench_callback.SEED],
    ):
        subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)
    try:
        return profile(args)
    finally:
        import redis

        redis.Redis.from_url(args.redis_url).delete(
            QUEUE, f"_kombu.binding.{QUEUE}", f"_kombu.binding_permanent.{QUEUE}"
        )
        recreate_database(db_url, drop_only=True)


def profile(args: argparse.Namespace) -> int:
    import tempfile

    from sqlalchemy import event

    from app import create_app
    from app.core.db import db

    total = args.warmup + args.requests * (1 + args.pyinstrument + args.cprofile)
    with tempfile.TemporaryDirectory(prefix="parklead-profile-callback-") as tmp:
        path = Path(tmp) / "deliveries.txt"
        bench_callback.write_deliveries(path, total, aes=args.aes)
        deliveries = [
            (dict(parse_qsl(query)), body.encode())
            for query, body in (line.split("\t", 1) for line in path.read_text().splitlines())
        ]

    app = create_app()
    client = app.test_client()
    dispatcher = app.extensions["dispatcher"]
    timers = Timers()
    shapes: collections.Counter[str] = collections.Counter()

    def shape(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if measuring:
            shapes[" ".join(statement.split())[:90]] += 1

    measuring = False
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", timers.statement)
        event.listen(db.engine, "commit", timers.statement)  # COMMIT is not a cursor execute
        if args.sql:
            event.listen(db.engine, "before_cursor_execute", shape)

    feed = iter(deliveries)

    def post() -> None:
        params, body = next(feed)
        response = client.post(
            "/wechat/callback", query_string=params, data=body, content_type="text/xml"
        )
        if response.status_code != 200 or not response.data.startswith(b"<xml>"):
            raise SystemExit(
                f"the callback answered {response.status_code}: {response.data[:300]!r}"
            )

    for _ in range(args.warmup):
        post()
    dispatcher.flush()

    instrument(timers)
    measuring = True
    started, used, mine = time.perf_counter(), time.process_time(), time.thread_time()
    for _ in range(args.requests):
        timers.enter("Flask + the rest")
        post()
        timers.leave()
    own = time.thread_time() - mine
    measuring = False
    dispatcher.flush()
    cpu, wall = time.process_time() - used, time.perf_counter() - started
    n = args.requests

    mode = "safe mode (AES)" if args.aes else "plain mode"
    print(f"WeChat callback, {n} deliveries ({mode}), request thread per layer, ms per request:")
    print(f"  {'layer':<22}{'CPU':>8}{'share':>8}{'wall':>8}{'SQL':>6}")
    for layer in LAYERS:
        ms = 1000 * timers.cpu[layer] / n
        print(
            f"  {layer:<22}{ms:8.3f}{timers.cpu[layer] / own:8.1%}"
            f"{1000 * timers.wall[layer] / n:8.3f}{timers.statements[layer] / n:6.2f}"
        )
    sql = sum(timers.statements.values()) / n
    print(f"  {'request thread':<22}{1000 * own / n:8.3f}{1:8.1%}{1000 * wall / n:8.3f}{sql:6.2f}")
    print(
        f"process CPU {1000 * cpu / n:.3f} ms per request (the rest: the dispatcher's publisher "
        "thread). SQL: statements per request, COMMIT included"
    )
    print(f"load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    if args.sql:
        print("statements per delivery (COMMIT not included):")
        for statement, count in shapes.most_common():
            print(f"  {count / n:6.2f}  {statement}")

    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        profiler.start()
        for _ in range(n):
            post()
        profiler.stop()
        dispatcher.flush()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    if args.cprofile:
        import cProfile
        import pstats

        cpu_profile = cProfile.Profile(time.thread_time)
        cpu_profile.enable()
        for _ in range(n):
            post()
        cpu_profile.disable()
        dispatcher.flush()
        stats = pstats.Stats(cpu_profile)
        stats.sort_stats("cumulative").print_stats(r"/app/", 45)
        stats.sort_stats("tottime").print_stats(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
