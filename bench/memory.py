"""Server memory under many distinct configurations: RSS after 200 requests and after 5,000.

200 distinct configurations (every cell variant, 1-3 layers, one or two directions, sizes and
lengths varying, each with its own seed) are sent once, then cycled until 5,000 requests in all,
through ``bench/loadgen.py`` at concurrency 8. The server's resident memory (``VmRSS``) after the
first 200 is the baseline; the growth after 5,000 is what the target bounds. Twice: with the
default cache (256 entries: every result stays cached, so the cache's share is in the baseline
and later requests are hits) and with the cache off (``RNNVIS_CACHE_ENTRIES=0``: all 5,000 run
the engine).

Usage: ``.venv/bin/python -m bench.memory [--quick]``.
"""

import argparse
import json

from bench.common import Server, machine, table
from bench.http import load

CELLS = [("rnn", True), ("lstm", True), ("gru", True), ("gru", False)]


def configs(count: int) -> list:
    requests = []
    for i in range(count):
        cell, reset_after = CELLS[i % 4]
        batch, steps, size = 1 + i % 3, 2 + i % 11, 1 + i % 5
        config = {
            "cell": cell,
            "reset_after": reset_after,
            "hidden_size": 1 + i % 9,
            "num_layers": 1 + (i // 4) % 3,
            "bidirectional": bool((i // 12) % 2),
            "input": {
                "values": [
                    [[((b + 2 * t + 3 * d) % 7) / 7 for d in range(size)] for t in range(steps)]
                    for b in range(batch)
                ]
            },
            "sequence_length": [steps - (b * i) % steps for b in range(batch)],
            "seed": i,
        }
        requests.append(["POST", "/api/run", json.dumps(config)])
    return requests


def main() -> None:
    parser = argparse.ArgumentParser(description="RSS after 5,000 requests vs after 200.")
    parser.add_argument("--quick", action="store_true", help="2,000 requests instead of 5,000")
    args = parser.parse_args()
    total = 2000 if args.quick else 5000
    requests = configs(200)
    rows = []
    mib = 1024 * 1024
    for label, env in (("cache on", {}), ("cache off", {"RNNVIS_CACHE_ENTRIES": "0"})):
        with Server(env) as server:
            started = server.rss_bytes()
            load(server.port, requests, 8, len(requests))
            first = server.rss_bytes()
            load(server.port, requests, 8, total - len(requests))
            last = server.rss_bytes()
        rows += [
            (label, "ready", started / mib, "-"),
            (label, "after 200 distinct", first / mib, "-"),
            (label, f"after {total}", last / mib, f"{(last - first) / first:+.1%}"),
        ]
    print(f"machine: {machine()}\n")
    print(table(("server", "point", "RSS MiB", "growth vs after 200"), rows))


if __name__ == "__main__":
    main()
