"""Matching benchmark: a lead's best listings and a new listing's best open leads, on
PostgreSQL with 100,000 listings and 200,000 open leads (docs/listings.md "Matching").

    .venv/bin/python bench/matching.py [--listings 100000] [--leads 200000] [--keep]

1. Drops and creates `parklead_bench_matching` (on --pg-url's server), migrates it, adds a
   team of agents, and loads with COPY (secondary indexes rebuilt afterwards):
   - --listings listings: factories (标准/单层), warehouses (冷库...), land, offices and
     incubator seats across Zhuzhou's districts and parks, areas log-normal per kind, some
     divisible, building figures, EIA categories, excluded industries, rents, land prices
     and admission thresholds; 75 % available, the rest reserved, let, sold or withdrawn;
   - --leads open leads (need, deal, area range, district, industry, tax, investment, and
     each requirement filled for a share of the leads, as prospects state them).
2. VACUUM ANALYZE, then times through ParkLead's own code, in this process:
   - a lead's matches: `GET /api/leads/<id>/matches?limit=10` (Flask test client: auth,
     matching, JSON) for --runs random open leads; target p99 < 20 ms. The service call
     alone (`match_listings_for_lead`) is shown beside it;
   - a new listing's matching open leads: a random listing created (`create_listing`) and
     `match_leads_for_listing(limit=10)` run on it, rolled back; --runs times; target
     p99 < 300 ms. `GET /api/listings/<id>/matches` on existing listings is shown beside it;
   - the lead page: `GET /app/leads/<id>` with an admin's session, the whole page with its
     匹配载体 panel, for the same --runs leads; target p99 < 50 ms.
3. EXPLAIN (ANALYZE, BUFFERS) of the statements of one call of each, with the indexes used.
4. PASS/FAIL per target (bench/_common.py `report_checks`) and the load average.

Exit status: 0 when the targets are met, 1 when one is missed, 2 when it could not run, 130
on Ctrl-C. The database is dropped afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import atexit
import json
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from _common import (  # noqa: E402
    BenchError,
    database_url,
    drop_database,
    recreate_database,
    report_checks,
    run_with_cleanup,
)
from reports import explain, loadavg, percentile  # noqa: E402

DB_NAME = "parklead_bench_matching"
TARGET_LEAD_P99_MS = 20.0
TARGET_LISTING_P99_MS = 300.0
TARGET_LEAD_PAGE_P99_MS = 50.0
NULL = "\\N"

DISTRICTS = ("天元区", "芦淞区", "荷塘区", "石峰区", "渌口区", "醴陵市", "攸县", "茶陵县", "炎陵县")
PARKS = ("株洲高新区", "天易科技城", "董家塅高科园", "荷塘工业园", "石峰工业园", "渌口经开区",
         "醴陵经开区", "攸县工业集中区")  # fmt: skip
INDUSTRIES = ("新能源电池", "轨道交通装备", "航空零部件", "陶瓷", "服装", "电子信息",
              "生物医药", "硬质合金", "物流仓储", "食品加工", "新材料", "汽车零部件",
              "精细化工", "电镀")  # fmt: skip
EIA = ("一般", "喷涂", "电镀", "化工", "食品", "医药")
# (kind, weight, median area ㎡, sigma, subtypes)
KINDS = (
    ("factory", 45, 3000, 0.9, ("standard", "single_storey", "custom_built")),
    ("warehouse", 20, 4000, 0.9, ("ambient", "cold_storage", "bonded")),
    ("land", 15, 20000, 0.8, ("",)),
    ("office", 12, 300, 0.9, ("grade_a", "general_office")),
    ("incubator", 8, 40, 0.8, ("desk", "private_room")),
)
NEEDS = (("factory", 40), ("warehouse", 15), ("land", 15), ("office", 12), ("incubator", 7),
         ("registration", 4), ("investment", 4), ("other", 3))  # fmt: skip
LISTING_STATUSES = (("available", 75), ("reserved", 5), ("let", 12), ("sold", 3), ("withdrawn", 5))
OPEN = ("new", "assigned", "contacted", "qualified", "site_visit", "negotiating")


def say(text: str = "") -> None:
    print(text, flush=True)


def weighted(pairs: tuple[tuple[str, int], ...]) -> list[str]:
    return [value for value, weight in pairs for _ in range(weight)]


def cell(value: Any) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False).replace("\\", "\\\\")
    return str(value)


# --- generating ----------------------------------------------------------------------------


class Generator:
    LISTING_COLUMNS = (
        "id", "kind", "subtype", "for_rent", "for_sale", "land_term_years", "land_use", "title",
        "park", "district", "address", "area_m2", "available_m2", "min_split_m2", "floors",
        "ceiling_height_m", "floor_load_t_m2", "crane_t", "power_kva", "fire_class",
        "eia_categories", "own_yard", "dormitory", "canteen", "truck_access",
        "excluded_industries", "plot_ratio_min", "plot_ratio_max", "min_investment_wan_per_mu",
        "min_tax_wan_per_mu", "rent_yuan_m2_month", "sale_price_yuan_m2", "land_price_wan_per_mu",
        "status", "published", "created_at", "updated_at", "version",
    )  # fmt: skip
    LEAD_COLUMNS = (
        "id", "channel", "source", "need_type", "deal", "area_min_m2", "area_max_m2", "industry",
        "tax_wan", "investment_wan", "district", "company", "phone", "message", "status",
        "score", "team_id", "agent_id", "created_at", "routed_at", "last_activity_at",
        "stage_reached", "sla_level", "version", "ceiling_height_min_m", "crane_t", "power_kva",
        "floor_load_t_m2", "eia_category", "budget_rent_yuan_m2_month", "budget_land_wan_per_mu",
    )  # fmt: skip

    def __init__(self, seed: int, agent_ids: list[int], team_id: int) -> None:
        self.rng = random.Random(seed)
        self.kinds = weighted(tuple((k[0], k[1]) for k in KINDS))
        self.kind_info = {k[0]: k for k in KINDS}
        self.needs = weighted(NEEDS)
        self.statuses = weighted(LISTING_STATUSES)
        self.agent_ids, self.team_id = agent_ids, team_id
        self.now = time.time()

    def _ts(self, days_back: float) -> str:
        import datetime as dt

        return dt.datetime.fromtimestamp(self.now - days_back * 86400, dt.UTC).isoformat(sep=" ")

    def _area(self, kind: str) -> float:
        _k, _w, median, sigma, _s = self.kind_info[kind]
        return round(max(5.0, self.rng.lognormvariate(math.log(median), sigma)), 2)

    def listing(self, listing_id: int) -> str:
        rng = self.rng
        kind = rng.choice(self.kinds)
        subtype = rng.choice(self.kind_info[kind][4]) or None
        area = self._area(kind)
        available = area if rng.random() < 0.8 else round(area * rng.uniform(0.3, 1.0), 2)
        split = round(available / rng.choice((2, 3, 4, 6)), 2) if rng.random() < 0.35 else None
        building = kind in ("factory", "warehouse")
        district = rng.choice(DISTRICTS)
        for_rent = kind != "land" and rng.random() < 0.9
        for_sale = kind == "land" or rng.random() < 0.25
        row = {
            "id": listing_id,
            "kind": kind,
            "subtype": subtype,
            "for_rent": for_rent,
            "for_sale": for_sale,
            "land_term_years": 50 if kind == "land" else None,
            "land_use": "industrial" if kind == "land" else None,
            "title": f"{district}{subtype or kind}{listing_id}",
            "park": rng.choice(PARKS),
            "district": district,
            "address": f"{district}某路{rng.randint(1, 999)}号",
            "area_m2": area,
            "available_m2": available,
            "min_split_m2": split,
            "floors": rng.randint(1, 6) if building else None,
            "ceiling_height_m": round(rng.uniform(4, 16), 1)
            if building and rng.random() < 0.85
            else None,
            "floor_load_t_m2": round(rng.uniform(0.5, 5), 1)
            if building and rng.random() < 0.7
            else None,
            "crane_t": rng.choice((0, 0, 5, 10, 16, 20, 32))
            if building and rng.random() < 0.6
            else None,
            "power_kva": rng.choice((250, 400, 630, 800, 1250, 2000))
            if kind != "incubator" and rng.random() < 0.7
            else None,
            "fire_class": rng.choice(("丙", "丁", "戊")) if building else None,
            "eia_categories": rng.sample(EIA, rng.randint(0, 3)) if kind != "office" else [],
            "own_yard": rng.random() < 0.2 if building else None,
            "dormitory": rng.random() < 0.4 if building else None,
            "canteen": rng.random() < 0.3 if building else None,
            "truck_access": rng.random() < 0.7 if building else None,
            "excluded_industries": rng.sample(
                ("精细化工", "电镀", "印染", "冶炼"), rng.randint(0, 2)
            ),
            "plot_ratio_min": 1.0 if kind == "land" else None,
            "plot_ratio_max": 2.5 if kind == "land" else None,
            "min_investment_wan_per_mu": rng.choice((150, 200, 250, 300))
            if kind == "land"
            else None,
            "min_tax_wan_per_mu": rng.choice((8, 10, 15, 20, 30)) if kind == "land" else None,
            "rent_yuan_m2_month": round(rng.uniform(8, 60 if kind == "office" else 30), 1)
            if for_rent
            else None,
            "sale_price_yuan_m2": round(rng.uniform(2500, 6000))
            if for_sale and kind != "land"
            else None,
            "land_price_wan_per_mu": round(rng.uniform(15, 45), 1) if kind == "land" else None,
            "status": rng.choice(self.statuses),
            "published": rng.random() < 0.6,
            "created_at": self._ts(rng.uniform(0, 720)),
            "updated_at": self._ts(rng.uniform(0, 30)),
            "version": 1,
        }
        return "\t".join(cell(row[c]) for c in self.LISTING_COLUMNS) + "\n"

    def lead(self, lead_id: int) -> str:
        rng = self.rng
        need = rng.choice(self.needs)
        kind = {"registration": "office", "investment": None, "other": None}.get(need, need)
        low = high = None
        if kind is not None and rng.random() < 0.85:
            low = self._area(kind)
            high = round(low * rng.uniform(1.0, 1.8), 2) if rng.random() < 0.7 else None
            if rng.random() < 0.2:
                low, high = None, high or low
        building = need in ("factory", "warehouse")
        industry = rng.choice(INDUSTRIES) if rng.random() < 0.7 else None
        district = rng.choice(DISTRICTS) if rng.random() < 0.6 else None
        created = rng.uniform(0, 365)
        deal = rng.choice(("rent", "rent", "buy", "any", None))
        if need == "land":
            deal = rng.choice(("buy", "buy", None))
        row = {
            "id": lead_id,
            "channel": rng.choice(("web_form", "wechat", "phone")),
            "source": {},
            "need_type": need,
            "deal": deal,
            "area_min_m2": low,
            "area_max_m2": high,
            "industry": industry,
            "tax_wan": round(rng.lognormvariate(math.log(200), 1.2), 2)
            if rng.random() < 0.5
            else None,
            "investment_wan": round(rng.lognormvariate(math.log(3000), 1.3), 2)
            if rng.random() < 0.4
            else None,
            "district": district,
            "company": f"株洲{lead_id}科技有限公司",
            "phone": f"+86138{lead_id:08d}",
            "message": "需要独门独院，有宿舍" if rng.random() < 0.1 else None,
            "status": rng.choice(OPEN),
            "score": rng.randint(0, 100),
            "team_id": self.team_id,
            "agent_id": rng.choice(self.agent_ids),
            "created_at": self._ts(created),
            "routed_at": self._ts(created),
            "last_activity_at": self._ts(created * rng.random()),
            "stage_reached": 1,
            "sla_level": 0,
            "version": 1,
            "ceiling_height_min_m": rng.choice((6, 8, 9, 10, 12))
            if building and rng.random() < 0.25
            else None,
            "crane_t": rng.choice((5, 10, 16, 20)) if building and rng.random() < 0.1 else None,
            "power_kva": rng.choice((250, 400, 630, 1000)) if rng.random() < 0.15 else None,
            "floor_load_t_m2": rng.choice((1, 2, 3)) if building and rng.random() < 0.1 else None,
            "eia_category": rng.choice(EIA) if building and rng.random() < 0.1 else None,
            "budget_rent_yuan_m2_month": rng.choice((10, 12, 15, 18, 20, 25, 40))
            if need != "land" and rng.random() < 0.3
            else None,
            "budget_land_wan_per_mu": rng.choice((20, 25, 30, 40))
            if need == "land" and rng.random() < 0.3
            else None,
        }
        return "\t".join(cell(row[c]) for c in self.LEAD_COLUMNS) + "\n"


def psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def load(url: str, gen: Generator, listings: int, leads: int) -> None:
    chunk = 20_000
    with psycopg.connect(psycopg_url(url)) as conn:
        conn.execute("SET session_replication_role = replica")  # no FK triggers during the load
        indexes = conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.tablename IN ('listing', 'lead') AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        ).fetchall()
        for name, _definition in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        for table, total, make, columns in (
            ("listing", listings, gen.listing, Generator.LISTING_COLUMNS),
            ("lead", leads, gen.lead, Generator.LEAD_COLUMNS),
        ):
            started = time.perf_counter()
            for first in range(1, total + 1, chunk):
                rows = "".join(make(i) for i in range(first, min(first + chunk, total + 1)))
                with (
                    conn.cursor() as cur,
                    cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
                ):
                    copy.write(rows)
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {total})")
            conn.commit()
            say(f"loaded {total:,} rows into {table} in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            conn.execute(definition)
        conn.commit()
        say(f"rebuilt {len(indexes)} indexes in {time.perf_counter() - started:.1f} s")
    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        for table in ("listing", "lead", "agent", "team"):
            conn.execute(f"VACUUM (ANALYZE) {table}")


def build_app(url: str, instance: Path) -> Any:
    from app import create_app
    from config import load_config

    settings = {**load_config("testing"), "DATABASE_URL": url, "INSTANCE_PATH": str(instance)}
    settings["LOG_LEVEL"] = "WARNING"
    return create_app(settings)


def add_staff(app: Any) -> tuple[int, list[int], str]:
    from app.accounts import service as accounts
    from app.accounts.models import Role
    from app.core.db import db

    with app.app_context():
        team = accounts.ensure_default_team()
        agents = [
            accounts.create_agent(login=f"agent{i}", password="bench-password", team=team)
            for i in range(20)
        ]
        admin = accounts.create_agent(login="admin", password="bench-password", role=Role.ADMIN)
        db.session.commit()
        return team.id, [a.id for a in agents], accounts.issue_token(admin)


# --- measuring -----------------------------------------------------------------------------


@dataclass
class Timing:
    name: str
    samples_ms: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p99(self) -> float:
        return percentile(self.samples_ms, 99)

    def line(self) -> str:
        return (
            f"{self.name:<52} p50 {self.p50:7.2f} ms   p99 {self.p99:7.2f} ms   "
            f"max {max(self.samples_ms):7.2f} ms   ({len(self.samples_ms)} runs)"
        )


def timed(name: str, calls: list[Callable[[], Any]], warmup: int = 50) -> Timing:
    from app.core.db import db

    for call in calls[:warmup]:
        call()
        db.session.remove()
    samples = []
    for call in calls:
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
        db.session.remove()  # a fresh session per call, as per request
    return Timing(name, samples)


def measure(app: Any, token: str, args: argparse.Namespace) -> list[tuple[str, bool]]:
    from app.core.db import db
    from app.leads.models import Lead
    from app.listings import service
    from app.listings.models import Listing

    rng = random.Random(args.seed + 1)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    engine = app.extensions["db_engine"]
    with app.app_context():
        lead_ids = list(db.session.scalars(sa.select(Lead.id)))
        listing_ids = list(db.session.scalars(sa.select(Listing.id)))
        db.session.remove()
    sample_leads = [rng.choice(lead_ids) for _ in range(args.runs)]
    sample_listings = [rng.choice(listing_ids) for _ in range(max(50, args.runs // 4))]
    gen = Generator(args.seed + 2, [], 0)

    def api_lead(lead_id: int) -> Callable[[], Any]:
        def call() -> Any:
            response = client.get(f"/api/leads/{lead_id}/matches?limit=10", headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)
            return response

        return call

    def service_lead(lead_id: int) -> Callable[[], Any]:
        return lambda: service.match_listings_for_lead(db.session.get(Lead, lead_id), limit=10)

    def new_listing() -> Callable[[], Any]:
        fields = random_listing_fields(gen)

        def call() -> Any:
            listing = service.create_listing(fields, by=None)
            found = service.match_leads_for_listing(listing, limit=10)
            db.session.rollback()
            return found

        return call

    def api_listing(listing_id: int) -> Callable[[], Any]:
        def call() -> Any:
            response = client.get(f"/api/listings/{listing_id}/matches?limit=10", headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)
            return response

        return call

    with app.app_context():
        lead_api = timed(
            "GET /api/leads/<id>/matches (limit 10)", [api_lead(i) for i in sample_leads]
        )
        lead_service = timed(
            "  match_listings_for_lead (service)", [service_lead(i) for i in sample_leads]
        )
        new = timed(
            "new listing: create + match_leads_for_listing",
            [new_listing() for _ in range(args.runs // 2)],
        )
        listing_api = timed(
            "GET /api/listings/<id>/matches (limit 10)", [api_listing(i) for i in sample_listings]
        )
        page = lead_page_calls(app, sample_leads)
        found = [
            len(service.match_listings_for_lead(db.session.get(Lead, i), limit=10))
            for i in sample_leads[:200]
        ]
        db.session.remove()
        for timing in (lead_api, lead_service, new, listing_api, page):
            say(timing.line())
        say(f"listings found per lead (limit 10, 200 leads): mean {statistics.mean(found):.1f}, "
            f"none for {found.count(0)}")  # fmt: skip
        if not args.no_explain:
            say("\nplans (EXPLAIN ANALYZE, BUFFERS):")
            summaries = explain(engine, "lead matches", service_lead(sample_leads[0]))
            summaries += explain(engine, "new listing's leads", new_listing())
            say("\nplans in short:")
            for line in summaries:
                say(f"  {line}")
    return [
        (f"a lead's matches p99 {lead_api.p99:.2f} ms < {TARGET_LEAD_P99_MS:.0f} ms",
         lead_api.p99 < TARGET_LEAD_P99_MS),
        (f"a new listing's matching open leads p99 {new.p99:.2f} ms < "
         f"{TARGET_LISTING_P99_MS:.0f} ms", new.p99 < TARGET_LISTING_P99_MS),
        (f"the lead page with its 匹配载体 panel p99 {page.p99:.2f} ms < "
         f"{TARGET_LEAD_PAGE_P99_MS:.0f} ms", page.p99 < TARGET_LEAD_PAGE_P99_MS),
    ]  # fmt: skip


def lead_page_calls(app: Any, lead_ids: list[int]) -> Timing:
    """`GET /app/leads/<id>` as an admin logged in with a session: the whole lead page
    (timeline, forms) with its 匹配载体 panel (the best 8 listings, reservations, shortlists)."""
    import re

    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page)
    assert token, "the login form carries a CSRF token"
    response = client.post(
        "/login", data={"login": "admin", "password": "bench-password", "csrf_token": token[1]}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]

    def page(lead_id: int) -> Callable[[], Any]:
        def call() -> Any:
            response = client.get(f"/app/leads/{lead_id}")
            assert response.status_code == 200, response.get_data(as_text=True)[:500]
            assert 'id="listings"' in response.get_data(as_text=True)
            return response

        return call

    return timed("GET /app/leads/<id> (lead page, 匹配载体 panel)", [page(i) for i in lead_ids])


def random_listing_fields(gen: Generator) -> dict[str, Any]:
    """A listing as an office would enter it (the generator's row, as API fields)."""
    row = dict(zip(Generator.LISTING_COLUMNS, gen.listing(0).rstrip("\n").split("\t"), strict=True))
    fields: dict[str, Any] = {}
    for name, raw in row.items():
        if name in ("id", "status", "created_at", "updated_at", "version") or raw == NULL:
            continue
        if name in ("for_rent", "for_sale", "published", "own_yard", "dormitory", "canteen",
                    "truck_access"):  # fmt: skip
            fields[name] = raw == "t"
        elif name in ("eia_categories", "excluded_industries"):
            fields[name] = json.loads(raw)
        else:
            fields[name] = raw
    deals = [
        d for d, on in (("rent", fields.pop("for_rent")), ("sale", fields.pop("for_sale"))) if on
    ]
    fields["deals"] = deals or ["sale"]
    if fields.get("subtype") == "":
        fields.pop("subtype")
    fields.pop("fire_class", None) if fields.get("kind") not in ("factory", "warehouse") else None
    return fields


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--leads", type=int, default=200_000, help="open leads")
    parser.add_argument("--runs", type=int, default=1000, help="timed calls per measure")
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--pg-url", default=os.environ.get(
        "BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/"),
        help=f"PostgreSQL server (the database is always {DB_NAME})")  # fmt: skip
    parser.add_argument("--no-explain", action="store_true", help="skip the plans")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = database_url(args.pg_url, DB_NAME).replace("postgresql://", "postgresql+psycopg://", 1)
    instance = Path(tempfile.mkdtemp(prefix="parklead-bench-matching-"))
    atexit.register(shutil.rmtree, instance, ignore_errors=True)
    state: dict[str, Any] = {}

    def bench() -> int:
        from alembic import command

        from app.core.migrate import alembic_config

        recreate_database(psycopg_url(url))
        state["created"] = True
        app = build_app(url, instance)
        state["app"] = app
        with app.app_context():
            command.upgrade(alembic_config(app), "head")
        team_id, agent_ids, token = add_staff(app)
        started = time.perf_counter()
        load(url, Generator(args.seed, agent_ids, team_id), args.listings, args.leads)
        say(f"database ready in {time.perf_counter() - started:.0f} s; "
            f"{os.cpu_count()} CPUs; {loadavg()}")  # fmt: skip
        say(f"\n== {args.listings:,} listings, {args.leads:,} open leads ==")
        checks = measure(app, token, args)
        say(f"\n{loadavg()}")
        return report_checks(checks)

    def cleanup() -> None:
        app = state.get("app")
        if app is not None:
            app.extensions["db_engine"].dispose()
        if state.get("created") and not args.keep:
            try:
                drop_database(psycopg_url(url))
            except BenchError as exc:
                say(f"could not drop {DB_NAME}: {exc}")

    return run_with_cleanup(bench, cleanup)


if __name__ == "__main__":
    sys.exit(main())
