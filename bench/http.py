"""HTTP latency and throughput of the presets against the server's own floor, side by side.

One server (``uvicorn app.main:app``, default settings, no access log) and a load generator in
another process (``bench/loadgen.py``, keep-alive connections on loopback). At concurrency 1, 8
and 32 it measures, in turns:

- the HTTP floor: ``GET /healthz`` of the same server;
- the presets by ``POST /api/run`` (what the app sends; after the first, from the cache) and by
  ``GET /api/run?preset=NAME`` (what an embedded chart sends), cycling through all ten;
- the presets never cached: a second server with ``RNNVIS_CACHE_ENTRIES=0`` and a new seed in
  every request, so each one runs the engine and serialises;

and the seed's TF1 way per example (``bench/tf1_seed.py``, one example at a time, so
``1000 / seed ms`` examples a second) for the ratio the issue asks for: by latency at
concurrency 1 (``seed ms / p50 ms``) and by throughput (``req/s / seed's examples/s``).

Usage: ``.venv/bin/python -m bench.http [--quick]``.
"""

import argparse
import json
import statistics
import subprocess
import tempfile
from pathlib import Path

from app.presets import presets
from bench.common import PYTHON, ROOT, Server, machine, percentile, seed_way_times, table

LEVELS = (1, 8, 32)


def load(port: int, requests: list, concurrency: int, count: int) -> dict:
    """Run the load generator in its own process; its result with p50, p99 and throughput."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(requests, handle)
    try:
        done = subprocess.run(
            [PYTHON, "-m", "bench.loadgen", str(port), handle.name]
            + ["--concurrency", str(concurrency), "--count", str(count), "--max-seconds", "60"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        Path(handle.name).unlink()
    result = json.loads(done.stdout)
    latencies = result["latencies"]
    assert set(result["statuses"]) == {"200"}, result["statuses"]
    return {
        "count": len(latencies),
        "p50": percentile(latencies, 50) * 1000,
        "p99": percentile(latencies, 99) * 1000,
        "rps": len(latencies) / result["wall_s"],
    }


def preset_requests() -> tuple[list, list]:
    posts, gets = [], []
    for name, preset in presets().items():
        body = json.dumps(preset.config.model_dump(mode="json", exclude_none=True))
        posts.append(["POST", "/api/run", body])
        gets.append(["GET", f"/api/run?preset={name}", None])
    return posts, gets


def fresh_requests(count: int) -> list:
    """The presets with a new seed each: never in any cache."""
    configs = [p.config.model_dump(mode="json", exclude_none=True) for p in presets().values()]
    return [
        ["POST", "/api/run", json.dumps({**configs[i % len(configs)], "seed": 1000 + i})]
        for i in range(count)
    ]


def seed_way_ms(repeats: int) -> float:
    """The seed's TF1 way: the median over the presets of each one's median, in ms."""
    times = seed_way_times(repeats)
    return statistics.median(statistics.median(s) for s in times.values()) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description="HTTP latency vs the server's floor.")
    parser.add_argument("--quick", action="store_true", help="fewer requests (about a minute)")
    args = parser.parse_args()
    count = 200 if args.quick else 1000
    posts, gets = preset_requests()
    floor = [["GET", "/healthz", None]]
    rows = []
    with Server() as server:
        for requests in (floor, posts, gets):  # warm: fill the cache, open the code paths
            load(server.port, requests, 1, len(requests))
        for level in LEVELS:
            base = load(server.port, floor, level, count)
            rows.append(("GET /healthz (floor)", level, base, base))
            for label, requests in (("POST presets", posts), ("GET ?preset=", gets)):
                rows.append((label, level, load(server.port, requests, level, count), base))
    with Server({"RNNVIS_CACHE_ENTRIES": "0"}) as server:
        fresh = fresh_requests(count * len(LEVELS) + 10)
        load(server.port, fresh[:10], 1, 10)
        for index, level in enumerate(LEVELS):
            base = load(server.port, floor, level, count)
            chunk = fresh[10 + index * count : 10 + (index + 1) * count]
            rows.append(
                ("POST presets, never cached", level, load(server.port, chunk, level, count), base)
            )
    seed = seed_way_ms(2 if args.quick else 5)
    print(f"machine: {machine()}")
    print(f"\nseed's TF1 way, median over the presets: {seed:.1f} ms per example\n")
    print(
        table(
            (
                "endpoint",
                "concurrency",
                "requests",
                "p50 ms",
                "p99 ms",
                "req/s",
                "p50 / floor p50",
                "floor req/s / req/s",
                "seed ms / p50 ms",
                "req/s / seed's examples/s",
            ),
            [
                (
                    label,
                    level,
                    r["count"],
                    r["p50"],
                    r["p99"],
                    r["rps"],
                    r["p50"] / base["p50"],
                    base["rps"] / r["rps"],
                    seed / r["p50"],
                    r["rps"] * seed / 1000,
                )
                for label, level, r, base in rows
            ],
        )
    )


if __name__ == "__main__":
    main()
