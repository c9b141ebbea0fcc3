"""Where the CPU of one intake request goes: a layer-by-layer ladder, and a pyinstrument profile.

    .venv/bin/python bench/profile_intake.py [--requests 400] [--pyinstrument]
        [--pg-url postgresql://postgres@127.0.0.1:5432/] [--redis-url redis://127.0.0.1:6379/14]

Runs in one process through Flask's test client (no HTTP server, no network between client and
app), against its own database `parklead_profile` (dropped and created, then migrated) and
Redis (tasks go to the queue `parklead-profile`, emptied afterwards; no worker runs). It posts
the same enquiries as `bench/intake.py` to a ladder of endpoints, each adding one layer of the
intake path, and prints the process CPU time per request of each rung and what the layer adds:

    bare Flask app                      the floor (what bench/bare_app.py does)
    limit app                           bench/limit_app.py: Flask + psycopg, the lead and its
                                        event in one statement and transaction (the anchor)
    ParkLead app, empty view            ParkLead's app object: extensions, error handlers
    + rate-limit decorator              flask-limiter with INTAKE_RATE_LIMIT=off
    + body and validation               JSON parsing, pydantic, phone normalisation
    + a statement (SELECT 1)            PlainStatement: pool checkout, one autocommit statement
    + lead, event, commit, reply        the whole intake but the hand-off of the routing task
    full intake (POST /api/leads)       + the hand-off: the task handed on after the commit and
                                        published to Redis by the dispatcher's thread

The rungs run interleaved in blocks so that drifting load on the machine affects them alike.
Process CPU time counts the dispatcher's publisher thread too; the request thread's share is
printed beside it. `--pyinstrument` adds a profile of the full intake (wall time of the request
thread; pyinstrument has no CPU-time mode).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = "parklead_profile"
QUEUE = "parklead-profile"
BODY = {
    "need_type": "factory",
    "deal": "rent",
    "area_min_m2": 2000,
    "area_max_m2": 4000,
    "industry": "汽车零部件",
    "company": "株洲华锐精密机械有限公司",
    "contact_name": "王经理",
    "district": "zhuzhou",
    "message": "我们计划在株洲租一个两千到五千平米的标准厂房，层高8米以上，要有行车，"
    "年税收约300万，希望三个月内入驻。",
    "utm_source": "baidu",
    "utm_medium": "cpc",
    "utm_campaign": "factory-2025",
}


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


def build_apps() -> tuple[Any, dict[str, tuple[Any, str]]]:
    from flask import Flask, Response
    from sqlalchemy import text

    from app import create_app
    from app.core.db import PlainStatement
    from app.core.http import json_object
    from app.core.limiter import intake_limit
    from app.leads import service
    from app.leads.models import Channel
    from app.leads.routes import intake_response
    from app.leads.schemas import parse_enquiry_payload

    def created() -> Response:
        return Response(b'{"status":"new"}', status=201, mimetype="application/json")

    bare = Flask("bare")
    bare.add_url_rule("/x", "x", created, methods=["POST"])
    sys.path.insert(0, str(ROOT / "bench"))
    import limit_app

    limit = limit_app.create_app()

    app = create_app()

    @app.post("/_ladder/empty")
    def empty() -> Response:
        return created()

    @app.post("/_ladder/limited")
    @intake_limit
    def limited() -> Response:
        return created()

    @app.post("/_ladder/validated")
    @intake_limit
    def validated() -> Response:
        parse_enquiry_payload(json_object())
        return created()

    select_one = PlainStatement(text("SELECT 1"))

    @app.post("/_ladder/transaction")
    @intake_limit
    def transaction() -> Response:
        parse_enquiry_payload(json_object())
        select_one.first({})
        return created()

    class NoDispatch:
        """Stands in for the task dispatcher: the rung pays for everything but the hand-off."""

        def send(self, name: str, args: tuple[Any, ...]) -> None:
            pass

    @app.post("/_ladder/stored")
    @intake_limit
    def stored() -> Any:
        enquiry = parse_enquiry_payload(json_object())
        dispatcher = app.extensions["dispatcher"]
        app.extensions["dispatcher"] = NoDispatch()
        try:
            receipt = service.receive_enquiry(
                enquiry, channel=Channel.WEB_FORM, source={"form": "api"}
            )
        finally:
            app.extensions["dispatcher"] = dispatcher
        return intake_response(receipt)

    csrf = app.extensions.get("csrf")  # the HTML forms' CSRF protection; the API is exempt
    if csrf is not None:
        for view in (empty, limited, validated, transaction, stored):
            csrf.exempt(view)

    rungs = {
        "bare Flask app": (bare.test_client(), "/x"),
        "limit app": (limit.test_client(), "/api/leads"),
        "ParkLead app, empty view": (app.test_client(), "/_ladder/empty"),
        "+ rate-limit decorator": (app.test_client(), "/_ladder/limited"),
        "+ body and validation": (app.test_client(), "/_ladder/validated"),
        "+ a statement": (app.test_client(), "/_ladder/transaction"),
        "+ lead, event, commit, reply": (app.test_client(), "/_ladder/stored"),
        "full intake (+ task hand-off)": (app.test_client(), "/api/leads"),
    }
    return app, rungs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per rung")
    parser.add_argument("--pyinstrument", action="store_true", help="profile the full intake")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()

    db_url = urlsplit(args.pg_url)._replace(path="/" + DB_NAME).geturl()
    os.environ.update(
        PARKLEAD_ENV="production",
        DATABASE_URL=db_url,
        REDIS_URL=args.redis_url,
        SECRET_KEY="bench-only-secret-key-not-for-production",
        INTAKE_RATE_LIMIT="off",
        PARKLEAD_CELERY_QUEUE=QUEUE,
        PARKLEAD_LOG_FORMAT="text",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    recreate_database(db_url)
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "parklead"), "db", "upgrade"], check=True, capture_output=True)
    try:
        return ladder(args)
    finally:
        import redis

        redis.Redis.from_url(args.redis_url).delete(
            QUEUE, f"_kombu.binding.{QUEUE}", f"_kombu.binding_permanent.{QUEUE}"
        )
        recreate_database(db_url, drop_only=True)


def ladder(args: argparse.Namespace) -> int:
    app, rungs = build_apps()
    dispatcher = app.extensions["dispatcher"]
    counter = iter(range(10**6))

    def post(client: Any, path: str) -> None:
        body = dict(BODY, phone=f"1399{next(counter):07d}")
        response = client.post(
            path,
            data=json.dumps(body, ensure_ascii=False).encode(),
            content_type="application/json",
        )
        if response.status_code != 201:
            raise SystemExit(f"{path} answered {response.status_code}: {response.data[:300]!r}")

    for client, path in rungs.values():  # warm-up: caches, pool, prepared statements
        for _ in range(30):
            post(client, path)
    dispatcher.flush()

    block = 40
    cpu: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    wall: collections.Counter[str] = collections.Counter()
    for _ in range(max(1, args.requests // block)):
        for name, (client, path) in rungs.items():
            started, used, mine = time.perf_counter(), time.process_time(), time.thread_time()
            for _ in range(block):
                post(client, path)
            own[name] += time.thread_time() - mine
            dispatcher.flush()  # the publisher thread's work belongs to this rung
            cpu[name] += time.process_time() - used
            wall[name] += time.perf_counter() - started
    count = max(1, args.requests // block) * block

    print(f"CPU per request in ms, {count} requests per rung (process = request thread + others,")
    print("chiefly the dispatcher's publisher thread):")
    print(f"  {'':<32}{'process':>9}{'added':>9}{'request':>9}{'others':>9}{'wall':>9}")
    previous = 0.0
    for name in rungs:
        ms, thread_ms = 1000 * cpu[name] / count, 1000 * own[name] / count
        print(
            f"  {name:<32}{ms:9.3f}{ms - previous:+9.3f}{thread_ms:9.3f}{ms - thread_ms:9.3f}"
            f"{1000 * wall[name] / count:9.2f}"
        )
        if name != "limit app":  # ParkLead's rungs add to the bare app, not to the limit
            previous = ms
    bare = 1000 * cpu["bare Flask app"] / count
    limit = 1000 * cpu["limit app"] / count
    full = 1000 * cpu["full intake (+ task hand-off)"] / count
    print(f"full intake / bare Flask: {full / bare:.1f}x the CPU per request")
    print(f"full intake / limit app: {full / limit:.1f}x the CPU per request")
    print(f"load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")

    if args.pyinstrument:
        from pyinstrument import Profiler

        client, path = rungs["full intake (+ task hand-off)"]
        profiler = Profiler(interval=0.0002)
        profiler.start()
        for _ in range(count):
            post(client, path)
        profiler.stop()
        dispatcher.flush()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
