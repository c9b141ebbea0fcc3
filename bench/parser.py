"""Throughput of the Chinese enquiry parser on one core.

    .venv/bin/python bench/parser.py [--rounds 20] [--min-seconds 0.1]

Parses the labelled enquiries (tests/wechat/enquiries.jsonl) over and over in this one
process, then longer texts made by joining several enquiries. Each figure is the best of
several rounds, measured in process CPU time (so other load on the machine inflates it less)
and in wall time. The target is 20,000 messages/s for typical 30–80 character enquiries.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.wechat.parsing import load_districts, parse_enquiry  # noqa: E402

TARGET_PER_SECOND = 20_000


def _measure(
    texts: list[str], parse: Callable[[str], object], rounds: int, min_seconds: float
) -> tuple[float, float]:
    """Best (CPU seconds, wall seconds) per message over ``rounds`` rounds."""
    for text in texts:  # warm caches (regex, district list) outside the timed rounds
        parse(text)
    best_cpu = best_wall = float("inf")
    for _ in range(rounds):
        done = 0
        cpu0, wall0 = time.process_time(), time.perf_counter()
        while True:
            for text in texts:
                parse(text)
            done += len(texts)
            cpu = time.process_time() - cpu0
            if cpu >= min_seconds:
                break
        wall = time.perf_counter() - wall0
        best_cpu = min(best_cpu, cpu / done)
        best_wall = min(best_wall, wall / done)
    return best_cpu, best_wall


def _reference_ms() -> float:
    """CPU milliseconds for a fixed pure-Python loop (10 million additions), best of 3."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        total = 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.process_time() - start)
    return best * 1000


def _line(label: str, texts: list[str], cpu: float, wall: float) -> str:
    chars = sum(len(t) for t in texts) / len(texts)
    return (
        f"{label:34} {len(texts):5} texts  {chars:7.0f} chars avg  "
        f"{1 / cpu:9,.0f} msg/s cpu  {1 / wall:9,.0f} msg/s wall  {cpu * 1e6:8.1f} µs/msg"
    )


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--rounds", type=int, default=20)
    args.add_argument("--min-seconds", type=float, default=0.1)
    args.add_argument("--districts", default="zhuzhou")
    opts = args.parse_args()

    districts = load_districts(opts.districts)

    def parse(text: str) -> object:
        return parse_enquiry(text, districts)

    with (ROOT / "tests" / "wechat" / "enquiries.jsonl").open(encoding="utf-8") as f:
        labelled = [json.loads(line)["text"] for line in f if line.strip()]
    typical = [t for t in labelled if 30 <= len(t) <= 80]
    rng = random.Random(20261124)
    joined = ["。".join(rng.sample(labelled, 8)) for _ in range(50)]
    long_chat = ["你好在吗?" * 20 + "。".join(rng.sample(labelled, 30)) for _ in range(10)]

    print(f"parser throughput, one process, best of {opts.rounds} rounds")
    # Shared machines vary a lot: print the load and a fixed pure-Python workload so figures
    # from different runs and machines can be compared.
    print(f"load average {os.getloadavg()[0]:.1f}; reference loop {_reference_ms():.0f} ms")
    for label, texts in (
        ("labelled set (all)", labelled),
        ("labelled set, 30–80 chars", typical),
        ("8 enquiries joined", joined),
        ("long chat logs", long_chat),
    ):
        cpu, wall = _measure(texts, parse, opts.rounds, opts.min_seconds)
        print(_line(label, texts, cpu, wall))
        if label.startswith("labelled set, 30"):
            verdict = "meets" if 1 / cpu >= TARGET_PER_SECOND else "MISSES"
            print(f"{'':34} {verdict} the {TARGET_PER_SECOND:,} msg/s target (cpu time)")


if __name__ == "__main__":
    main()
