"""WeChat callback benchmark: signed text messages to ParkLead's `POST /wechat/callback` against
the bare Flask endpoint of the intake benchmark, both under the same gunicorn.

    .venv/bin/python bench/callback.py [--duration 15] [--connections 32] [--aes]
        [--warmup 3] [--workers 2] [--threads 4] [--messages N] [--no-worker] [--keep]
        [--py-spy OUT]
        [--pg-url postgresql://postgres@127.0.0.1:5432/] [--redis-url redis://127.0.0.1:6379/12]

The target of the "WeChat channel" issue: callback requests/s at least 0.4 x the bare app's, and
callback p99 < 50 ms, at 32 connections. What it does, everything on loopback and everything it
starts stopped again (process groups, also on Ctrl-C or error):

1. writes N distinct deliveries, each signed as WeChat signs them (`signature` over the token,
   timestamp and nonce; with --aes also encrypted as WeChat's safe mode, `msg_signature`): text
   messages with their own MsgId from many prospects (FromUserName), each prospect holding a
   short realistic conversation in Chinese ("想在芦淞区租5000平厂房，电话138...", then the
   company, the contact, a correction; or the need first and the phone later; or no phone at
   all). At most WINDOW prospects talk at a time and the messages of one prospect are WINDOW
   deliveries apart, so the mix of first messages (creating leads), answers (updating them)
   and drafts stays the same through the run and no two messages of a prospect are in flight
   together (a person types slower than that). wrk's Lua has no SHA-1, hence the file;
   `bench/callback.lua` sends each line at most once against ParkLead;
2. drops and creates the database `parklead_bench_callback`, migrates it, seeds a default team
   with three agents (room for every lead), and starts a Celery worker on its own queue, so the
   routing of every new lead happens behind the load, as in production;
3. serves ParkLead (`app:create_app()`, PARKLEAD_ENV=production, WECHAT_TOKEN, WECHAT_APP_ID,
   WECHAT_APP_SECRET, and WECHAT_ENCODING_AES_KEY with --aes; WECHAT_API_BASE_URL points at a
   closed loopback port, although the callback never calls WeChat) and the bare app
   (`bench/bare_app.py`, whose `POST /api/leads` reads the body and answers 201) with the
   gunicorn settings of bench/intake.py (gthread, 2 workers x 4 threads, keep-alive 5 s);
4. drives each with wrk at 32 connections, a warm-up and then the measurement, with the same
   deliveries (the bare app first; it keeps nothing, so it may cycle through the file);
5. prints requests/s, p50/p90/p99 latency and the answers of both, the ratio, and the CPU each
   part used (gunicorn, the Celery worker, PostgreSQL, Redis, wrk, the rest of the machine) in
   cores and ms per request, then PASS/FAIL: the two targets; ParkLead answered every delivery
   with a reply; every delivered message has exactly one `inbound_message` row, handled and
   with its reply; the leads are exactly the prospects whose messages with need and phone were
   handled (so never more than the distinct prospects), one per prospect; and the worker
   routed every lead.

The shared machinery (processes, services, CPU accounting, wrk, gunicorn settings, the CPU
table) is bench/_common.py, shared with bench/intake.py. Exit status: 0 when every target and
check passes, 1 when one fails, 2 when the benchmark could not run, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import os
import random
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import _common
from _common import (
    BENCH,
    BIN,
    ROOT,
    SEED,
    BenchError,
    Procs,
    check_loopback,
    clear_queue,
    database_url,
    drop_database,
    free_port,
    gunicorn_argv,
    loadavg,
    print_cpu_table,
    py_spy_recording,
    query_one,
    query_row,
    recreate_database,
    report_checks,
    run_checked,
    run_with_cleanup,
    wait_http,
    wait_worker,
)

DB_NAME = "parklead_bench_callback"
QUEUE = "parklead-bench-callback"
# Redis databases: 13 bench/pipeline.py (emptied by it), 14 bench/intake.py, 15 the test suite.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
TARGET_RATIO = 0.4
TARGET_P99_MS = 50.0

# The official account of the run (benchmark-only values, not secrets of any real account).
TOKEN = "parklead-bench-callback-token"
APP_ID = "wxbe0c11bac0000001"
APP_SECRET = "parklead-bench-callback-secret"
AES_KEY = base64.b64encode(hashlib.sha256(b"parklead bench callback").digest()).decode()[:43]
ACCOUNT = "gh_parklead_bench"
# Nothing listens on the discard port: any call to WeChat's API would fail at once, on loopback.
WECHAT_API_BASE_URL = "http://127.0.0.1:9/cgi-bin/"

# Prospects talking at the same time; one prospect's messages are this many deliveries apart.
WINDOW = 500
# Deliveries written per second of load (warm-up + measurement) unless --messages says
# otherwise: well above what ParkLead answers on this machine, so none is ever sent twice.
MESSAGES_PER_SECOND = 1500
MSG_ID_BASE = 6_400_000_000_000_000_000  # + the delivery's line number: WeChat's 64-bit MsgId
# Seconds after the load to wait for the deliveries in flight to be handled.
SETTLE_LIMIT = 20.0


# --- the deliveries -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Conversation:
    """What one prospect writes, message by message (str.format templates), and which of the
    messages state the need and the phone: the bot saves the lead once it has both."""

    texts: tuple[str, ...]
    need_at: frozenset[int]
    phone_at: frozenset[int]


def _convo(
    *texts: str, need: tuple[int, ...] = (0,), phone: tuple[int, ...] = (0,)
) -> Conversation:
    return Conversation(texts, frozenset(need), frozenset(phone))


CONVERSATIONS: tuple[Conversation, ...] = (
    _convo(
        "想在{district}租{area}平厂房，电话{phone}",
        "我们是{company}",
        "{contact}",
        "不对，是{area2}平",
    ),
    _convo(
        "你好，我们做{industry}，想在{district}买{mu}亩工业用地，年税收预计{tax}万，{contact}{phone}",
        "公司是{company}",
        "层高要{height}米，需要{crane}吨行车",
    ),
    _convo("想租个仓库", "{area}平左右", "{phone_spaced}", "跳过", "{contact}", phone=(2,)),
    _convo("有没有办公室出租？{office}平，{district}，联系电话{phone}", "{company}", "{contact}"),
    _convo(
        "请问{district}有没有{area}到{area3}平米的标准厂房出售？",
        "{phone}",
        "{company}",
        "{contact}",
        phone=(1,),
    ),
    _convo(
        "我们是做{industry}的，想租一个{area_cn}平的厂房，层高{height}米，要{crane}吨行车，"
        "用电{kva}kVA，电话 {phone_spaced}",
        "{company}",
        "{contact}",
    ),
    _convo(
        "投资合作：计划在{district}投资{investment}亿元建生产基地，需要土地{mu}亩左右，"
        "联系人{contact}{phone}",
    ),
    # Never leaves a phone: the bot keeps a draft and no lead is created.
    _convo("你好，想了解一下园区的招商政策", "1", "大概{area}平", need=(1,), phone=()),
)

DISTRICTS = ("芦淞区", "天元区", "荷塘区", "石峰区", "渌口区", "醴陵", "攸县", "云龙示范区")
INDUSTRIES = ("新能源电池", "汽车零部件", "轨道交通装备", "电子信息", "新材料", "服饰")
COMPANIES = (
    "株洲华锐精密机械有限公司",
    "湖南中联新材料科技有限公司",
    "长沙云启电子商务有限公司",
    "株洲动力谷轨道交通配件有限公司",
    "株洲恒通汽车零部件有限公司",
    "湖南湘能储能科技有限公司",
)
CONTACTS = ("王先生", "李总", "张经理", "刘女士", "陈工", "赵总", "孙先生", "周女士")
AREAS_CN = ("一万", "八千", "两万", "三千", "五千")
MOBILE_PREFIXES = ("138", "139", "136", "150", "186", "177", "135", "158")


def prospect_values(n: int, rng: random.Random) -> dict[str, str]:
    """The details of prospect `n`; the phone is distinct for every prospect of a run."""
    phone = MOBILE_PREFIXES[n % len(MOBILE_PREFIXES)] + f"{n:08d}"
    area = rng.randrange(10, 100) * 100
    return {
        "phone": phone,
        "phone_spaced": f"{phone[:3]} {phone[3:7]} {phone[7:]}",
        "district": rng.choice(DISTRICTS),
        "industry": rng.choice(INDUSTRIES),
        "company": rng.choice(COMPANIES),
        "contact": rng.choice(CONTACTS),
        "area": str(area),
        "area2": str(area + rng.randrange(1, 20) * 500),
        "area3": str(area + 2000),
        "area_cn": rng.choice(AREAS_CN),
        "office": str(rng.randrange(5, 60) * 10),
        "mu": str(rng.randrange(20, 150)),
        "tax": str(rng.randrange(1, 10) * 100),
        "height": str(rng.randrange(6, 13)),
        "crane": str(rng.choice((5, 10, 16, 20, 32))),
        "kva": str(rng.randrange(4, 20) * 100),
        "investment": str(rng.randrange(1, 10)),
    }


def openid_of(n: int) -> str:
    """An openid shaped like WeChat's (28 characters starting with "o")."""
    return f"oBenchCb{n:020d}"


@dataclass
class Plan:
    """The deliveries written to `path`, line by line: whose, and which message of whose
    conversation."""

    path: Path
    prospect: list[int] = field(default_factory=list)
    step: list[int] = field(default_factory=list)
    conversation: list[Conversation] = field(default_factory=list)  # by prospect

    @property
    def count(self) -> int:
        return len(self.prospect)

    def outcome(self, lines: list[int]) -> tuple[set[int], dict[str, int]]:
        """For the `lines` that arrived: the prospects who must have a lead (a message with
        the need and one with the phone arrived), and how many of the lines created a lead,
        updated one, or only filled a draft."""
        arrived: dict[int, list[int]] = {}
        for line in sorted(lines):
            arrived.setdefault(self.prospect[line], []).append(self.step[line])
        with_lead: set[int] = set()
        roles = {"create": 0, "update": 0, "draft": 0}
        for prospect, steps in arrived.items():
            convo = self.conversation[prospect]
            need = phone = saved = False
            for step in steps:
                need = need or step in convo.need_at
                phone = phone or step in convo.phone_at
                role = "update" if saved else "create" if need and phone else "draft"
                roles[role] += 1
                saved = need and phone
            if saved:
                with_lead.add(prospect)
        return with_lead, roles


def write_deliveries(path: Path, count: int, *, aes: bool) -> Plan:
    """Write `count` signed deliveries, one line each ("query string<TAB>body")."""
    sys.path.insert(0, str(ROOT))
    from app.devtools.simulator import build_text_xml, sign_delivery

    rng = random.Random(20240601)  # the same messages every run
    plan = Plan(path)
    now = int(time.time())
    # WINDOW slots, one prospect's conversation each: (prospect, conversation, its values,
    # the next message).
    slots: list[tuple[int, Conversation, dict[str, str], int] | None] = [None] * WINDOW
    prospects = 0
    with path.open("w", encoding="utf-8") as out:
        for line in range(count):
            slot = slots[line % WINDOW]
            if slot is None or slot[3] >= len(slot[1].texts):
                convo = CONVERSATIONS[rng.randrange(len(CONVERSATIONS))]
                slot = (prospects, convo, prospect_values(prospects, rng), 0)
                plan.conversation.append(convo)
                prospects += 1
            n, convo, values, step = slot
            slots[line % WINDOW] = (n, convo, values, step + 1)
            openid = openid_of(n)
            xml = build_text_xml(
                openid,
                convo.texts[step].format(**values),
                account=ACCOUNT,
                msg_id=MSG_ID_BASE + line,
                create_time=now,
            )
            signed = sign_delivery(
                xml,
                token=TOKEN,
                openid=openid,
                aes_key=AES_KEY if aes else None,
                appid=APP_ID,
                account=ACCOUNT,
                timestamp=str(now),
                nonce=str(rng.randrange(10**9, 10**10)),
            )
            if "\n" in signed.body or "\t" in signed.body:
                raise BenchError("a delivery must fit on one line of the file")
            out.write(urlencode(signed.params) + "\t" + signed.body + "\n")
            plan.prospect.append(n)
            plan.step.append(step)
    return plan


# --- load ---------------------------------------------------------------------------------------


@dataclass
class Result:
    """One wrk run against one app, and the lines of the deliveries file it used."""

    run: _common.WrkRun
    start: int  # its first line
    threads: int

    @property
    def taken(self) -> list[int]:
        """Lines each wrk thread took: thread t sent start + t, start + t + threads, ..."""
        return self.run.data["taken_per_thread"]

    @property
    def end(self) -> int:
        """The first line no thread of this run has taken."""
        return self.start + max(self.taken, default=0) * self.threads

    def sent(self, line: int) -> bool:
        offset = line - self.start
        return offset >= 0 and offset // self.threads < self.taken[offset % self.threads]

    @property
    def ok(self) -> int:
        return self.run.data["ok"]

    @property
    def empty(self) -> int:
        return self.run.data["empty"]

    @property
    def other(self) -> int:
        return self.run.data["other"]


def run_load(
    procs: Procs,
    url: str,
    plan: Plan,
    args: argparse.Namespace,
    *,
    name: str,
    start: int,
    seconds: int,
    mode: str,
    cpu_groups: dict[str, int] | None = None,
) -> Result:
    run = _common.run_wrk(
        procs,
        url,
        name=name,
        script=BENCH / "callback.lua",
        script_args=[
            str(plan.path),
            str(start),
            str(args.wrk_threads),
            "1" if mode == "bare" else "0",
            mode,
        ],
        seconds=seconds,
        connections=args.connections,
        threads=args.wrk_threads,
        db_name=DB_NAME,
        cpu_groups=cpu_groups,
    )
    if run.data["exhausted"]:
        raise BenchError(
            f"{name}: {run.data['exhausted']} requests found no unused delivery left of "
            f"{plan.count}: run again with a larger --messages"
        )
    return Result(run, start, args.wrk_threads)


def print_table(results: dict[str, Result]) -> None:
    print()
    head = f"{'target':<8}{'req/s':>10}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    print(head + f"{'ok':>9}{'success':>9}{'other':>7}{'sock err':>10}")
    for name, r in results.items():
        w = r.run
        print(
            f"{name:<8}{w.rps:>10.0f}{w.p50_ms:>9.2f}{w.p90_ms:>9.2f}{w.p99_ms:>9.2f}"
            f"{w.max_ms:>9.1f}{r.ok:>9}{r.empty:>9}{r.other:>7}{w.socket_errors:>10}"
        )
    print("ok: 201 from the bare app, 200 with a passive XML reply from the callback;")
    print("success: 200 'success', the callback's answer when handling a text message failed")
    print()
    print_cpu_table({name: r.run for name, r in results.items()})


# --- main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="WeChat callback benchmark: signed text messages to ParkLead's "
        "POST /wechat/callback vs the bare Flask app of bench/intake.py, same gunicorn."
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds measured per target")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per target")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--aes", action="store_true", help="safe mode: encrypted deliveries")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (<= 10)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument(
        "--messages",
        type=int,
        default=0,
        help=f"deliveries to write (default {MESSAGES_PER_SECOND} per second of load)",
    )
    parser.add_argument(
        "--pg-url",
        default="postgresql://postgres@127.0.0.1:5432/",
        help=f"PostgreSQL server (loopback); the database used is always {DB_NAME}",
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="Redis broker (loopback)")
    parser.add_argument(
        "--route-wait", type=int, default=30, help="seconds to wait for the worker afterwards"
    )
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="start no Celery worker (a diagnosis: the callback without routing's row locks; "
        "the leads stay unrouted)",
    )
    parser.add_argument(
        "--keep", action="store_true", help=f"keep the database {DB_NAME}, the logs and messages"
    )
    parser.add_argument(
        "--py-spy",
        metavar="OUT",
        help="record the callback's workers with py-spy (.svg/.json/.txt); py-spy on PATH",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.wrk_threads <= min(10, args.connections):
        parser.error("--wrk-threads must be between 1 and min(10, --connections)")
    if args.duration < 1 or args.warmup < 0 or args.workers < 1 or args.threads < 1:
        parser.error("--duration, --workers and --threads must be positive")
    if args.messages < 0:
        parser.error("--messages must not be negative")
    return args


SETTLED_SQL = (
    "SELECT (SELECT count(*) FROM inbound_message), "
    "(SELECT count(handled_at) FROM inbound_message), (SELECT count(*) FROM lead)"
)


def settle(db_url: str, since: float, limit: float) -> float:
    """Wait until the deliveries still in flight when wrk stopped are stored and handled (a
    handler may wait on a row lock for up to service.RETRY_WAIT_MS): until the rows, the
    handled rows and the leads have not changed for two seconds, or `limit` seconds after
    `since`. Returns the seconds waited."""
    last, same_since = None, time.monotonic()
    while time.monotonic() - since < limit:
        now = query_row(db_url, SETTLED_SQL)
        if now != last:
            last, same_since = now, time.monotonic()
        elif time.monotonic() - same_since >= 2.0:
            break
        time.sleep(0.5)
    return time.monotonic() - since


def bench(args: argparse.Namespace, procs: Procs) -> int:
    check_loopback(args.pg_url, "--pg-url")
    check_loopback(args.redis_url, "--redis-url")
    if not (BIN / "gunicorn").exists():
        raise BenchError(f"{BIN / 'gunicorn'} not found: run this with the project's .venv python")
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed: apt-get update && apt-get install -y wrk")
    if args.py_spy and shutil.which("py-spy") is None:
        raise BenchError("--py-spy needs py-spy on PATH (pip install py-spy)")

    count = args.messages or MESSAGES_PER_SECOND * (args.warmup + args.duration) + WINDOW
    mode = "safe mode (AES)" if args.aes else "plain mode"
    print(f"writing {count} signed deliveries ({mode})")
    plan = write_deliveries(procs.logdir / "deliveries.txt", count, aes=args.aes)

    db_url = database_url(args.pg_url, DB_NAME)
    print(f"database {DB_NAME}: recreating, migrating, seeding")
    recreate_database(db_url)
    clear_queue(args.redis_url, QUEUE)
    env = {
        **os.environ,
        "PARKLEAD_ENV": "production",
        "DATABASE_URL": db_url,
        "REDIS_URL": args.redis_url,
        "SECRET_KEY": "bench-only-secret-key-not-for-production",
        "PARKLEAD_CELERY_QUEUE": QUEUE,
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": APP_SECRET,
        "WECHAT_API_BASE_URL": WECHAT_API_BASE_URL,
        "PYTHONUNBUFFERED": "1",
        # The deliveries are signed once, before the run; the replay window still applies.
        "WECHAT_TIMESTAMP_TOLERANCE_SECONDS": "3600",
        # Benchmark the tree this script is in, whatever the venv's editable install points at.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("WECHAT_ENCODING_AES_KEY", None)
    if args.aes:
        env["WECHAT_ENCODING_AES_KEY"] = AES_KEY
    run_checked([str(BIN / "parklead"), "db", "upgrade"], env, "parklead db upgrade")
    run_checked([sys.executable, "-c", SEED], env, "seeding")

    node = f"bench-callback-{os.getpid()}@{socket.gethostname()}"
    worker = None
    if not args.no_worker:
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
    ports = {"bare": free_port(), "callback": free_port()}
    servers = {
        "bare": procs.start(
            "gunicorn-bare", gunicorn_argv("bare_app:create_app()", ports["bare"], args), env
        ),
        "callback": procs.start(
            "gunicorn-callback", gunicorn_argv("app:create_app()", ports["callback"], args), env
        ),
    }
    for name, proc in servers.items():
        wait_http(procs, proc, f"http://127.0.0.1:{ports[name]}/healthz")
    if worker is not None:
        wait_worker(procs, worker, args.redis_url, node, timeout=60)
    print(
        f"gunicorn gthread {args.workers} workers x {args.threads} threads, keep-alive 5s; "
        f"wrk {args.wrk_threads} threads x {args.connections} connections; "
        f"{args.warmup}s warm-up + {args.duration}s per target; logs in {procs.logdir}"
    )

    paths = {"bare": "/api/leads", "callback": "/wechat/callback"}
    results: dict[str, Result] = {}
    callback_runs: list[Result] = []
    for name in ("bare", "callback"):
        url = f"http://127.0.0.1:{ports[name]}{paths[name]}"
        groups = {"server": servers[name].popen.pid}
        if worker is not None:
            groups["celery"] = worker.popen.pid
        # The bare app keeps nothing and may reuse deliveries; ParkLead gets each one once.
        start = 0
        if args.warmup:
            warm = run_load(
                procs, url, plan, args, name=f"wrk-{name}-warmup", start=start,
                seconds=args.warmup, mode=name,
            )  # fmt: skip
            if name == "callback":
                callback_runs.append(warm)
                start = warm.end
        print(f"{name}: measuring {args.duration}s (load average {loadavg()})")
        spy_out = args.py_spy if name == "callback" else None
        with py_spy_recording(
            procs, spy_out, servers[name].popen.pid, args.duration, what="callback"
        ):
            result = run_load(
                procs, url, plan, args, name=f"wrk-{name}", start=start,
                seconds=args.duration, mode=name, cpu_groups=groups,
            )  # fmt: skip
        results[name] = result
        if name == "callback":
            callback_runs.append(result)
        procs.check_alive(servers[name])
    load_stopped = time.monotonic()

    # --- the database ---
    settled = settle(db_url, load_stopped, SETTLE_LIMIT)
    print_table(results)
    bare, cb = results["bare"], results["callback"]
    ratio = cb.run.rps / bare.run.rps if bare.run.rps else 0.0

    import psycopg

    with psycopg.connect(db_url, connect_timeout=5) as conn:
        stored = conn.execute("SELECT dedupe_key, handled_at IS NOT NULL FROM inbound_message")
        keys = [(key, handled) for key, handled in stored]
        rows = len(keys)
        unhandled, no_reply, distinct_keys = conn.execute(
            "SELECT count(*) FILTER (WHERE handled_at IS NULL), "
            "count(*) FILTER (WHERE coalesce(reply_xml, '') = ''), count(DISTINCT dedupe_key) "
            "FROM inbound_message"
        ).fetchone()
        leads, lead_openids, wechat_leads = conn.execute(
            "SELECT count(*), count(DISTINCT wechat_openid), "
            "count(*) FILTER (WHERE channel = 'wechat') FROM lead"
        ).fetchone()
    # Which lines of the file arrived: every key is "msg:<MSG_ID_BASE + line>".
    lines: list[int] = []
    handled_lines: list[int] = []
    strangers = 0
    for key, handled in keys:
        line = int(key.removeprefix("msg:")) - MSG_ID_BASE if key.startswith("msg:") else -1
        if any(r.sent(line) for r in callback_runs):
            lines.append(line)
            if handled:
                handled_lines.append(line)
        else:
            strangers += 1
    prospects = {plan.prospect[line] for line in lines}
    # A delivery whose handling failed (rolled back) changed nothing: only the handled count.
    with_lead, roles = plan.outcome(handled_lines)
    expected_leads = len(with_lead)
    answered = sum(r.ok + r.empty for r in callback_runs)
    taken_total = sum(sum(r.taken) for r in callback_runs)
    # The requests in flight when wrk stopped are sent (and handled) but not counted as
    # answered: at most one per connection and run.
    slack = len(callback_runs) * args.connections

    routed = query_one(db_url, "SELECT count(*) FROM lead WHERE routed_at IS NOT NULL")
    while (
        worker is not None and routed < leads and time.monotonic() - load_stopped < args.route_wait
    ):
        time.sleep(0.5)
        routed = query_one(db_url, "SELECT count(*) FROM lead WHERE routed_at IS NOT NULL")
    waited = time.monotonic() - load_stopped

    errors = sum(r.empty + r.other + r.run.socket_errors for r in callback_runs)
    checks = [
        (f"throughput ratio callback/bare = {ratio:.2f} (target >= {TARGET_RATIO})",
         ratio >= TARGET_RATIO),
        (f"callback p99 = {cb.run.p99_ms:.1f} ms (target < {TARGET_P99_MS:.0f} ms)",
         cb.run.p99_ms < TARGET_P99_MS),
        (f"the callback answered every delivery with a reply (warm-up and measurement: "
         f"{answered} answered, {sum(r.empty for r in callback_runs)} 'success', "
         f"{sum(r.other for r in callback_runs)} other, "
         f"{sum(r.run.socket_errors for r in callback_runs)} socket errors)",
         errors == 0),
        (f"every delivered message has exactly one inbound_message row: {answered} answered, "
         f"{rows} rows ({distinct_keys} distinct MsgIds, {strangers} not sent by this run), "
         f"{taken_total} lines taken by wrk (at most {slack} not delivered or not counted); "
         f"{unhandled} unhandled, {no_reply} without a reply",
         answered <= rows == distinct_keys == len(lines) <= taken_total <= rows + slack
         and strangers == 0 and unhandled == 0 and no_reply == 0),
        (f"leads: {leads}, one per prospect ({lead_openids} openids, {wechat_leads} from "
         f"WeChat) = {expected_leads} prospects whose messages with need and phone were "
         f"handled, <= {len(prospects)} prospects who wrote",
         leads == lead_openids == wechat_leads == expected_leads <= len(prospects)),
    ]  # fmt: skip
    if worker is not None:
        checks.append(
            (f"routed by the worker: {routed}/{leads} after {waited:.1f}s", routed == leads)
        )
    else:
        print("\n--no-worker: no lead was routed (not checked)")
    print(
        f"\ncallback deliveries stored: {len(lines)} from {len(prospects)} prospects (settled "
        f"{settled:.1f}s after the load); of the handled ones {roles['create']} created a lead, "
        f"{roles['update']} updated one, {roles['draft']} only filled a draft"
    )
    log = servers["callback"].log.read_text(errors="replace").splitlines()
    failed = [line for line in log if "could not be handled" in line]
    if failed:
        deadlocks = sum("DeadlockDetected" in line for line in failed)
        timeouts = sum("LockNotAvailable" in line for line in failed)
        print(
            f"deliveries the callback could not handle (its log): {len(failed)}, of them "
            f"{deadlocks} deadlocks and {timeouts} lock timeouts"
        )
    for r in callback_runs:
        if r.run.data["sample_other"]:
            print(f"last unexpected callback answer: {r.run.data['sample_other']}")
    return report_checks(checks)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logdir = Path(tempfile.mkdtemp(prefix="parklead-bench-callback-"))
    procs = Procs(logdir)

    def cleanup() -> None:
        procs.stop_all()
        with contextlib.suppress(Exception):
            clear_queue(args.redis_url, QUEUE)
        if args.keep:
            print(f"kept the database {DB_NAME}, the logs and the deliveries in {logdir}")
        else:
            with contextlib.suppress(Exception):
                drop_database(database_url(args.pg_url, DB_NAME))
            shutil.rmtree(logdir, ignore_errors=True)

    return run_with_cleanup(lambda: bench(args, procs), cleanup)


if __name__ == "__main__":
    sys.exit(main())
