"""The exact nearest-rank median and p90 of the time to first contact (docs/reports.md "Time to
first contact"), per group and over all groups, without sorting every contacted lead.

The values come from two places, as the report's counts do (app/reports/rollup.py): the
`report_contact` rows of the materialized days, and `lead` for the rest of the range. Both give
each lead's exact seconds (the database's own difference of the two timestamps) and its minute
band, computed by the same SQL. Two passes:

1. Count the leads of each group by band (no sort): whole months (whole weeks for weekly
   groups) from `report_contact_block`, already counted by team, value and band; the other
   materialized days from `report_contact`; the rest from `lead`. Walk each group's bands in
   order to the band holding each rank and the rank within that band.
2. Read only the leads of those bands and pick the rank among them.

Bands are intervals of seconds in order, so the value picked is the one a sort of every lead
would give at that rank (tests/reports/test_first_contact.py compares them).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    SQLColumnExpression,
    and_,
    bindparam,
    func,
    literal,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.dialects import postgresql

from app.core.db import db
from app.reports import rollup
from app.reports.models import ReportContact, ReportContactBlock

PERCENTS = {"median": 50, "p90": 90}
Percentiles = dict[str, float | None]
NO_PERCENTILES: Percentiles = {"median": None, "p90": None}

# The report's grouping in report_contact_block.
BLOCK_DIMS = {"none": "all", "week": "week", "agent": "agent", "channel": "channel"}
BLOCK_DIMS |= {"need_type": "need_type", "district": "district"}

# The report's grouping, read from the rollup's rows.
ROLLED_KEYS: dict[str, Any] = {
    "none": literal("all"),
    "week": ReportContact.week,
    "channel": ReportContact.channel,
    "need_type": ReportContact.need_type,
    "district": ReportContact.district,
    "agent": ReportContact.agent_id,
}


class _AllGroups:
    """The key of the figures over all groups (no group's key can be it)."""

    def __repr__(self) -> str:
        return "<all groups>"


_ALL = _AllGroups()


@dataclass(frozen=True, slots=True)
class _Source:
    key: SQLColumnExpression[Any]
    seconds: SQLColumnExpression[Any]
    band: SQLColumnExpression[Any]
    where: tuple[Any, ...]
    count: Any = None  # leads per row: one, or report_contact_block.n


def _rolled(group_by: str, runs: list[tuple[dt.date, dt.date]], team_id: int | None) -> _Source:
    where: list[Any] = [
        or_(*(and_(ReportContact.day >= a, ReportContact.day <= b) for a, b in runs))
    ]
    if team_id is not None:
        where.append(ReportContact.team_id == team_id)
    key = ROLLED_KEYS[group_by]
    return _Source(key, ReportContact.seconds, ReportContact.band, tuple(where))


def _counting_sources(
    group_by: str,
    runs: list[tuple[dt.date, dt.date]],
    team_id: int | None,
    live: _Source | None,
) -> list[_Source]:
    """Where the first pass counts by band: whole months (or weeks, for weekly groups) from
    report_contact_block, the other materialized days from report_contact, the rest live."""
    weeks = group_by == "week"
    firsts, rest = rollup.whole_periods(runs, weeks=weeks)
    sources = []
    if firsts:
        block = ReportContactBlock
        dim = BLOCK_DIMS[group_by]
        where = [block.dim == dim, block.first_day.in_(firsts)]
        if team_id is not None:
            where.append(block.team_id == team_id)
        key = {"none": literal("all"), "week": block.first_day}.get(group_by, block.value)
        sources.append(_Source(key, literal(None), block.band, tuple(where), func.sum(block.n)))
    # One statement per leftover run: PostgreSQL scans an index by one range, not by an OR.
    sources += [_rolled(group_by, [run], team_id) for run in rest]
    if live is not None:
        sources.append(live)
    return sources


def _live(live_key: ColumnElement[Any], live_scope: list[ColumnElement[bool]]) -> _Source:
    seconds = rollup.contact_seconds()
    where = (*live_scope, rollup.contacted())
    return _Source(live_key, seconds, rollup.contact_band(seconds), where)


def _rows_sources(
    group_by: str, runs: list[tuple[dt.date, dt.date]], team_id: int | None, live: _Source | None
) -> list[_Source]:
    sources = [_rolled(group_by, runs, team_id)] if runs else []
    return [*sources, live] if live is not None else sources


def _pick(
    wanted: dict[tuple[Any, int], dict[str, int]],
    sources: list[_Source],
    execute: Callable[[Any], Any],
    key_of: Callable[[Any], Any],
) -> dict[Any, dict[str, float]]:
    """The second pass: the leads of the bands holding a rank, numbered by seconds within their
    group and band and within their band, and only the rows at a wanted number returned."""
    needed = sorted({band for _key, band in wanted})
    leads = union_all(
        *(
            select(s.key.label("key"), s.band.label("band"), s.seconds.label("seconds")).where(
                *s.where, s.band.in_(needed)
            )
            for s in sources
        )
    ).subquery()
    by_seconds = leads.c.seconds
    numbered = select(
        leads.c.key,
        leads.c.band,
        by_seconds,
        func.row_number().over(partition_by=(leads.c.band, leads.c.key), order_by=by_seconds),
        func.row_number().over(partition_by=leads.c.band, order_by=by_seconds),
    ).subquery()
    _key, band, _seconds, in_group, in_band = numbered.c
    group_ranks = {
        (b, r) for (k, b), ranks in wanted.items() if k is not _ALL for r in ranks.values()
    }
    band_ranks = {(b, r) for (k, b), ranks in wanted.items() if k is _ALL for r in ranks.values()}
    at_rank = [_at(band, in_band, band_ranks)]
    if group_ranks:
        at_rank.append(_at(band, in_group, group_ranks))
    picked: dict[Any, dict[str, float]] = defaultdict(dict)
    for raw, band_of, seconds, group_rank, band_rank in execute(
        select(numbered).where(or_(*at_rank))
    ).all():
        for group, rank in ((key_of(raw), group_rank), (_ALL, band_rank)):
            for name, within in wanted.get((group, band_of), {}).items():
                if within == rank:
                    picked[group][name] = seconds
    return picked


# Up to this many (band, rank) pairs are an IN list; more are two arrays (`_at`).
_LISTED_PAIRS = 16


def _at(
    band: ColumnElement[Any], rank: ColumnElement[Any], pairs: set[tuple[int, int]]
) -> ColumnElement[bool]:
    """(band, rank) is one of `pairs`. On PostgreSQL many pairs are a subquery that it hashes
    once, where an IN list of pairs is a chain of ORs tried on every numbered row (a hundred
    pairs, 27,000 rows by week on a million leads); a few pairs stay a list, which costs less
    than the hash. SQLite has no arrays, and numbers far fewer rows."""
    ordered = sorted(pairs)
    if len(pairs) <= _LISTED_PAIRS or db.session.get_bind().dialect.name != "postgresql":
        return tuple_(band, rank).in_(ordered)
    # Two arrays unnested side by side (one text whatever the number of pairs: SQLAlchemy
    # compiles the statement once, where a VALUES list of the data is compiled per call).
    bands = bindparam(None, [b for b, _ in ordered], type_=postgresql.ARRAY(Integer))
    ranks = bindparam(None, [r for _, r in ordered], type_=postgresql.ARRAY(Integer))
    return tuple_(band, rank).in_(select(func.unnest(bands), func.unnest(ranks)))


def _rank(n: int, percent: int) -> int:
    """Nearest rank: ceil(percent/100 * n), at least 1, in integer arithmetic."""
    return max(1, (n * percent + 99) // 100)


def _locate(bands: dict[int, int], rank: int) -> tuple[int, int]:
    """The band holding the rank-th value, and its rank within the band."""
    for band in sorted(bands):
        if rank <= bands[band]:
            return band, rank
        rank -= bands[band]
    raise ValueError("rank past the count")


def first_contact_percentiles(
    group_by: str,
    *,
    runs: list[tuple[dt.date, dt.date]],
    team_id: int | None,
    live_key: ColumnElement[Any],
    live_scope: list[ColumnElement[bool]] | None,
    normalize: Callable[[Any], Any],
    minutes: Callable[[Any, Any], Percentiles],
) -> tuple[dict[Any, Percentiles], Percentiles]:
    """Median and p90 per group key (normalized by `normalize`) and over all groups, in
    minutes (`minutes` turns the two values in seconds into the report's figures).

    `runs` are the materialized days of the range, `live_scope` the conditions on `lead` of
    the rest (None when nothing is live)."""
    live = _live(live_key, live_scope) if live_scope is not None else None
    known: dict[Any, Any] = {}  # raw key -> normalized key, once per key, not once per row

    def key_of(raw: Any) -> Any:
        if raw not in known:
            text_id = group_by == "agent" and isinstance(raw, str)  # block values are text
            known[raw] = normalize(int(raw) if text_id else raw)
        return known[raw]

    # Core rows (a connection's, not the ORM session's): tens of thousands of small tuples.
    execute = db.session.connection().execute
    counts: dict[Any, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for source in _counting_sources(group_by, runs, team_id, live):
        n = source.count if source.count is not None else func.count()
        stmt = (
            select(source.key, source.band, n)
            .where(*source.where)
            .group_by(source.key, source.band)
        )
        for key, band, n in execute(stmt).all():
            counts[key_of(key)][band] += int(n)
    overall: dict[int, int] = defaultdict(int)
    for bands in counts.values():
        for band, n in bands.items():
            overall[band] += n

    # Where each rank lies: (group, band) -> ranks within the band wanted, per percentile.
    wanted: dict[tuple[Any, int], dict[str, int]] = defaultdict(dict)
    grouped = group_by != "none"
    groups = list(counts.items()) if grouped else []
    for key, bands in [*groups, (_ALL, overall)]:
        total = sum(bands.values())
        if total:
            for name, percent in PERCENTS.items():
                band, within = _locate(bands, _rank(total, percent))
                wanted[key, band][name] = within
    if not wanted:
        return {}, dict(NO_PERCENTILES)

    picked = _pick(wanted, _rows_sources(group_by, runs, team_id, live), execute, key_of)
    per_key = {key: minutes(p["median"], p["p90"]) for key, p in picked.items() if key is not _ALL}
    total_percentiles = minutes(picked[_ALL]["median"], picked[_ALL]["p90"])
    if not grouped:
        per_key = {"all": total_percentiles}
    return per_key, total_percentiles
