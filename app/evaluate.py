"""How ParkLead does, through its public HTTP interfaces, on labelled sets written by someone
who never saw the code that answers them (docs/listings.md and docs/wechat-bot.md,
"Held-out evaluation").

    .venv/bin/python -m app.evaluate                  # both sets, on a ParkLead of its own
    .venv/bin/python -m app.evaluate matching         # one set
    .venv/bin/python -m app.evaluate matching --file MY.jsonl   # a set of your own
    .venv/bin/python -m app.evaluate conversations --file MINE.jsonl --misses  # and its misses
    .venv/bin/python -m app.evaluate --url http://127.0.0.1:5000 \\
        --login admin --password PW --wechat-token TOKEN      # a running ParkLead instead

Without `--url` it starts ParkLead in this process on a fresh SQLite database in a temporary
folder and serves it over real HTTP on a free loopback port, with an admin of its own.

- **Matching** (tests/listings/heldout/matching.jsonl): per scenario, the listings are created
  with `POST /api/listings` (and `POST /api/listings/<id>/status` when a scenario needs one
  not available), the lead with `POST /api/leads`, and its matches read from
  `GET /api/leads/<id>/matches`. Each label is one decision: a listing labelled excluded must
  be absent, one labelled included present, an ordered pair present in that order, and a land
  threshold shown as met or below. The listings are withdrawn afterwards, so no scenario sees
  another's.
- **Conversations** (tests/wechat/heldout_conversations/conversations.jsonl): each turn is a
  signed text message to `POST /wechat/callback` from a prospect of its own; afterwards the
  lead is looked up by its phone (`GET /api/leads?phone=`) and every labelled field is one
  decision (numbers within 1 %, text exactly); a conversation labelled without a lead is right
  when it created none; where the label says the bot should be asking for a phone, the reply
  to that turn must ask for one.

Only aggregate figures are printed (per kind of decision and per style): the sets' misses are
never shown, so nobody tunes the product on them (the sets' HELDOUT.md). A development set
of your own (`--file`) can show its wrong decisions with `--misses`: each with the item's id,
what was expected and found, and for a conversation the talk (the turns and the bot's replies).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import re
import secrets
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

from app.devtools import simulator
from app.wechat.parsing.evaluate import Score  # right decisions of all, as the parser's

ROOT = Path(__file__).resolve().parents[1]
SETS = {
    "matching": ROOT / "tests" / "listings" / "heldout" / "matching.jsonl",
    "conversations": ROOT / "tests" / "wechat" / "heldout_conversations" / "conversations.jsonl",
}
# What a reply asking for the prospect's phone says (zh or en).
ASKS_PHONE = ("电话", "手机", "联系方式", "phone", "mobile")
LOCAL_TOKEN = "evaluation-token"  # noqa: S105 - the local server's WeChat token, not a secret


class EvaluationError(Exception):
    """ParkLead answered something the evaluation cannot go on from."""


@dataclass
class Report:
    name: str
    items: int = 0
    overall: Score = field(default_factory=Score)
    per_kind: dict[str, Score] = field(default_factory=dict)
    per_style: dict[str, Score] = field(default_factory=dict)
    errors: int = 0  # items ParkLead refused (their decisions count as wrong)
    # The wrong decisions, each with what it was about: printed only for a set of your own
    # (`--misses` with `--file`), never for the held-out sets.
    misses: list[dict[str, Any]] = field(default_factory=list)

    def add(self, kind: str, style: str, ok: bool, **about: Any) -> None:
        if not ok:
            self.misses.append({"decision": kind, "style": style, **about})
        self.overall.add(ok)
        self.per_kind.setdefault(kind, Score()).add(ok)
        self.per_style.setdefault(style, Score()).add(ok)


def _figure(score: Score) -> str:
    return f"{score.accuracy:6.1%} ({score.right}/{score.total})"


def render(report: Report) -> str:
    lines = [f"{report.name}: {report.items} items, {_figure(report.overall)} of decisions right"]
    if report.errors:
        lines.append(f"  refused by ParkLead: {report.errors} items (their decisions count wrong)")
    for title, scores in (("per decision", report.per_kind), ("per style", report.per_style)):
        lines.append(f"  {title}:")
        lines += [f"    {name:<24} {_figure(score)}" for name, score in sorted(scores.items())]
    return "\n".join(lines)


def load(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError) as exc:
        raise EvaluationError(f"cannot read {path}: {exc}") from None


# --- talking to ParkLead ---------------------------------------------------------------------


class Client:
    """ParkLead's JSON API and WeChat callback at `base_url`, as an admin."""

    def __init__(self, base_url: str, *, login: str, password: str, wechat_token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.wechat_token = wechat_token
        self.http = requests.Session()
        self.http.headers["Accept-Language"] = "en"
        status, body = self.call("POST", "/api/auth/token", {"login": login, "password": password})
        if status != 200:
            raise EvaluationError(f"could not log in as {login!r}: HTTP {status}")
        self.http.headers["Authorization"] = f"Bearer {body['token']}"

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        try:
            response = self.http.request(method, self.base_url + path, json=body, timeout=30)
        except requests.RequestException as exc:
            raise EvaluationError(f"{method} {path}: {exc}") from None
        if response.status_code >= 500:
            raise EvaluationError(f"{method} {path} answered HTTP {response.status_code}")
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None

    def say(self, openid: str, text: str) -> str:
        """One text message from `openid`; the text of the bot's reply."""
        xml = simulator.build_text_xml(openid, text)
        url = self.base_url + "/wechat/callback"
        try:
            return simulator.deliver(url, xml, token=self.wechat_token, session=self.http).text
        except simulator.SimulatorError as exc:
            raise EvaluationError(str(exc)) from None

    def newest_lead_id(self) -> int:
        status, body = self.call("GET", "/api/leads?limit=1")
        if status != 200:
            raise EvaluationError(f"GET /api/leads answered HTTP {status}")
        items = body["items"]
        return int(items[0]["id"]) if items else 0


@contextlib.contextmanager
def local_parklead() -> Iterator[Client]:
    """ParkLead on a fresh SQLite database of its own, served over HTTP on a free port."""
    from alembic import command
    from werkzeug.serving import make_server

    from app import create_app
    from app.accounts import service as accounts
    from app.accounts.models import Role
    from app.core.db import db
    from app.core.migrate import alembic_config

    with tempfile.TemporaryDirectory(prefix="parklead-evaluate-") as tmp:
        password = secrets.token_urlsafe(16)
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp}/parklead.db",
                "INSTANCE_PATH": tmp,
                "REDIS_URL": None,
                "INTAKE_RATE_LIMIT": "off",
                "WECHAT_TOKEN": LOCAL_TOKEN,
                "WECHAT_APP_ID": "wx0000000000000000",
                "WECHAT_APP_SECRET": "evaluation",
                "LOG_LEVEL": "ERROR",
            }
        )
        with app.app_context():
            command.upgrade(alembic_config(app), "head")
            with db.transaction():
                team = accounts.ensure_default_team()
                accounts.create_agent(
                    login="evaluator", password=password, role=Role.ADMIN, team=team
                )
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Client(
                f"http://127.0.0.1:{server.server_port}",
                login="evaluator",
                password=password,
                wechat_token=LOCAL_TOKEN,
            )
        finally:
            server.shutdown()
            thread.join(timeout=5)


# --- matching ---------------------------------------------------------------------------------


def _land_threshold(item: dict[str, Any] | None, words: str) -> str | None:
    """ "met" or "below" as the match item shows the threshold named `words` (English)."""
    if item is None:
        return None
    if any(words in note and "meets" in note for note in item["reasons"]):
        return "met"
    if any(words in note and "below" in note for note in item["warnings"]):
        return "below"
    return None


def _scenario(client: Client, scenario: dict[str, Any], report: Report) -> None:
    style = scenario.get("style", "?")
    expect = scenario["expect"]
    status, lead = client.call("POST", "/api/leads", scenario["lead"])
    ids: dict[str, int] = {}
    refused = status != 201
    for key, body in scenario["listings"].items():
        if refused:
            break
        wanted = body.get("status", "available")
        fields = {k: v for k, v in body.items() if k != "status"}
        status, listing = client.call("POST", "/api/listings", fields)
        if status != 201:
            refused = True
            break
        ids[key] = listing["id"]
        if wanted != "available":
            change: dict[str, Any] = {"to": wanted, "reason": "evaluation"}
            if wanted == "reserved":  # let and sold name no lead: this one has not signed
                change["lead_id"] = lead["id"]
            status, _ = client.call("POST", f"/api/listings/{listing['id']}/status", change)
            refused = refused or status != 200
    items: dict[str, dict[str, Any]] = {}
    rank: dict[str, int] = {}
    if not refused:
        status, matches = client.call("GET", f"/api/leads/{lead['id']}/matches?limit=50")
        refused = status != 200
        by_id = {key_id: key for key, key_id in ids.items()}
        for position, item in enumerate([] if refused else matches["items"]):
            key = by_id.get(item["listing"]["id"])
            if key is not None:
                items[key] = item
                rank[key] = position
    report.items += 1
    report.errors += refused
    about = {"id": scenario.get("id"), "ranked": sorted(rank, key=rank.__getitem__)}
    for key in expect.get("excluded", []):
        report.add("excluded", style, not refused and key not in rank, listing=key, **about)
    for key in expect.get("included", []):
        report.add("included", style, key in rank, listing=key, **about)
    for better, worse in expect.get("order", []):
        ok = better in rank and worse in rank and rank[better] < rank[worse]
        report.add("order", style, ok, listings=[better, worse], **about)
    lands = [k for k, body in scenario["listings"].items() if body.get("kind") == "land"]
    for label, words in (("land_tax", "tax per mu"), ("land_investment", "investment intensity")):
        if expect.get(label) is not None and lands:
            shown = _land_threshold(items.get(lands[0]), words)
            report.add(label, style, shown == expect[label], shown=shown, **about)
    for listing_id in ids.values():  # out of the next scenarios' way
        client.call("POST", f"/api/listings/{listing_id}/status", {"to": "withdrawn"})


def evaluate_matching(client: Client, scenarios: list[dict[str, Any]]) -> Report:
    report = Report("matching")
    for scenario in scenarios:
        _scenario(client, scenario, report)
    return report


# --- conversations ----------------------------------------------------------------------------


def same_value(expected: Any, got: Any) -> bool:
    """Numbers within 1 %, text exactly (surrounding spaces aside)."""
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        if not isinstance(got, int | float) or isinstance(got, bool):
            return False
        return abs(float(expected) - float(got)) <= 0.01 * max(abs(expected), abs(got))
    if isinstance(expected, str) and isinstance(got, str):
        return expected.strip() == got.strip()
    return bool(expected == got)


def _conversation(client: Client, conversation: dict[str, Any], report: Report) -> None:
    style = conversation.get("style", "?")
    expect = conversation["expect"]
    openid = simulator.random_openid()
    before = client.newest_lead_id()
    asks_after = expect.get("asks_phone_after_turn")
    replies: list[str] = []
    about: dict[str, Any] = {"id": conversation.get("id"), "talk": replies}
    for index, text in enumerate(conversation["turns"]):
        reply = client.say(openid, text)
        replies += [f"> {text}", f"< {_reply_text(reply)}"]
        if index == asks_after:
            report.add("asks_phone", style, any(w in reply.lower() for w in ASKS_PHONE), **about)
    report.items += 1
    wanted = expect.get("lead")
    if wanted is None:
        report.add("no_lead", style, client.newest_lead_id() == before, **about)
        return
    found: dict[str, Any] = {}
    phone = wanted.get("phone")
    if phone:
        status, body = client.call("GET", "/api/leads?" + urlencode({"phone": phone}))
        newer = [lead for lead in body["items"] if lead["id"] > before] if status == 200 else []
        found = newer[0] if newer else {}
    for name, value in wanted.items():
        ok = name in found and same_value(value, found[name])
        report.add(name, style, ok, expected=value, got=found.get(name, "(no lead)"), **about)


def _reply_text(reply_xml: str) -> str:
    """The text of a passive reply (its Content), or the body as it came."""
    match = re.search(r"<Content><!\[CDATA\[(.*?)\]\]></Content>", reply_xml, re.S)
    return match.group(1) if match else reply_xml


def evaluate_conversations(client: Client, conversations: list[dict[str, Any]]) -> Report:
    report = Report("conversations")
    for conversation in conversations:
        _conversation(client, conversation, report)
    return report


EVALUATIONS: dict[str, Callable[[Client, list[dict[str, Any]]], Report]] = {
    "matching": evaluate_matching,
    "conversations": evaluate_conversations,
}


def run(names: list[str], client: Client, files: dict[str, Path]) -> list[Report]:
    return [EVALUATIONS[name](client, load(files.get(name, SETS[name]))) for name in names]


def as_json(report: Report, *, misses: bool = False) -> dict[str, Any]:
    def score(s: Score) -> dict[str, int]:
        return {"right": s.right, "total": s.total}

    shown = {"misses": report.misses} if misses else {}
    return {
        **shown,
        "name": report.name,
        "items": report.items,
        "errors": report.errors,
        "overall": score(report.overall),
        "per_kind": {k: score(v) for k, v in report.per_kind.items()},
        "per_style": {k: score(v) for k, v in report.per_style.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="*", metavar="SET", help=f"{', '.join(SETS)} (default: all)")
    parser.add_argument("--url", help="a running ParkLead (default: one of its own)")
    parser.add_argument("--login", help="an admin's login on --url")
    parser.add_argument("--password", help="that admin's password")
    parser.add_argument("--wechat-token", help="--url's WECHAT_TOKEN")
    parser.add_argument(
        "--file", type=Path, help="evaluate this file instead of the one set named (one set)"
    )
    parser.add_argument("--json", action="store_true", help="the figures as JSON")
    parser.add_argument(
        "--misses",
        action="store_true",
        help="also print each wrong decision (only with --file: a held-out set's misses are "
        "never shown)",
    )
    args = parser.parse_args(argv)
    names = args.sets or list(SETS)
    unknown = [name for name in names if name not in SETS]
    if unknown:
        parser.error(f"unknown set {', '.join(unknown)}; choose from {', '.join(SETS)}")
    if args.file and len(names) != 1:
        parser.error("--file takes the name of the one set it replaces")
    if args.misses and (
        not args.file or args.file.resolve() in {p.resolve() for p in SETS.values()}
    ):
        parser.error("--misses needs --file naming a set of your own, not a held-out set")
    files = {names[0]: args.file} if args.file else {}
    try:
        if args.url:
            if not (args.login and args.password and args.wechat_token):
                parser.error("--url needs --login, --password and --wechat-token")
            client = Client(
                args.url, login=args.login, password=args.password, wechat_token=args.wechat_token
            )
            reports = run(names, client, files)
        else:
            with local_parklead() as client:
                reports = run(names, client, files)
    except EvaluationError as exc:
        print(f"evaluation stopped: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([as_json(report, misses=args.misses) for report in reports]))
    else:
        for report in reports:
            print(render(report))
            for miss in report.misses if args.misses else ():
                print(json.dumps(miss, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
