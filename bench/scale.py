"""Uncached runs through the local executor, Ray Serve with one replica and with two, side by side.

Three servers (``uvicorn app.main:app``, each a child process on a loopback port, the result
cache off so that every request runs the engine): ``executor=local``; ``executor=ray`` with
``ray_replicas=1``; and with 2. Each ``executor=ray`` server starts its own local Ray, kept on
loopback (``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``). A load generator in another process
(``bench/loadgen.py``) sends, in rounds that take turns between the servers so that they share
the machine's noise:

- **preset-sized**: the ten presets, each request with a new seed (never cached);
- **medium**: a 2-layer bidirectional LSTM, H = 64, 4 lines of 50 characters, a new seed each;

at concurrency 1 (latency: what Ray adds per request) and 8 (throughput: what a second replica
gives). It prints p50, p99 and requests per second (medians over the rounds), Ray's p50 over the
local executor's, 2 replicas' throughput over 1's; then each server's seconds from start to
``/readyz`` 200 and the resident memory (``VmRSS``) of its processes: the web tier, each engine
replica, and Ray's own (GCS, raylet, Serve's controller, agents).

Usage: ``.venv/bin/python -m bench.scale [--quick]``.
"""

import argparse
import json
import statistics
from pathlib import Path

from bench.common import Server, machine, table
from bench.http import fresh_requests, load

SERVERS = {
    "local": {},
    "ray, 1 replica": {"RNNVIS_EXECUTOR": "ray", "RNNVIS_RAY_REPLICAS": "1"},
    "ray, 2 replicas": {"RNNVIS_EXECUTOR": "ray", "RNNVIS_RAY_REPLICAS": "2"},
}
BASE_ENV = {"RNNVIS_CACHE_ENTRIES": "0", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
LEVELS = (1, 8)
MIB = 1024 * 1024


def medium_requests(count: int, first_seed: int) -> list:
    config = {"cell": "lstm", "hidden_size": 64, "num_layers": 2, "bidirectional": True}
    lines = ["abcdefghij" * 5] * 4
    return [
        ["POST", "/api/run", json.dumps({**config, "input": {"text": lines}, "seed": seed})]
        for seed in range(first_seed, first_seed + count)
    ]


def processes(root: int) -> dict[int, str]:
    """``root`` and every process below it: pid -> its name (``/proc/PID/comm``)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        try:
            found[pid] = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        todo.extend(parents.get(pid, []))
    return found


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def memory(server: Server) -> tuple[float, str, float]:
    """Resident MiB of the web tier, of each replica, and of Ray's own processes together."""
    assert server.process is not None
    web = server.process.pid
    tree = processes(web)
    replicas = [rss_mib(p) for p, name in tree.items() if name.startswith("ray::ServeRepl")]
    others = sum(rss_mib(p) for p, name in tree.items() if p != web and "ServeRepl" not in name)
    return rss_mib(web), " + ".join(f"{m:.0f}" for m in replicas) or "-", others


def main() -> None:
    parser = argparse.ArgumentParser(description="local vs Ray Serve, 1 and 2 replicas.")
    parser.add_argument("--quick", action="store_true", help="2 rounds of fewer requests")
    args = parser.parse_args()
    rounds, count = (2, 60) if args.quick else (3, 150)
    servers = {name: Server({**BASE_ENV, **env}) for name, env in SERVERS.items()}
    started: dict[str, float] = {}
    try:
        for server in servers.values():
            server.start()
        for name, server in servers.items():  # they start together; each is timed from its start
            started[name] = server.wait_ready(timeout_s=300)
        samples: dict[tuple[str, str, int], list[dict]] = {}
        seed = 10_000
        for _ in range(rounds):
            for workload in ("preset-sized", "medium"):
                for level in LEVELS:
                    for name, server in servers.items():
                        seed += count
                        if workload == "preset-sized":  # seeds 1000 + i: new in every cell
                            requests = fresh_requests(seed + count)[seed:]
                        else:
                            requests = medium_requests(count, seed)
                        load(server.port, requests[:10], level, 10)  # warm this shape
                        result = load(server.port, requests[10:], level, count - 10)
                        samples.setdefault((workload, name, level), []).append(result)
        sizes = {name: memory(server) for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()

    def median(key: tuple[str, str, int], field: str) -> float:
        return statistics.median(r[field] for r in samples[key])

    rows = []
    for workload, name, level in samples:
        local, one = (workload, "local", level), (workload, "ray, 1 replica", level)
        rows.append(
            (
                workload,
                name,
                level,
                median((workload, name, level), "p50"),
                median((workload, name, level), "p99"),
                median((workload, name, level), "rps"),
                median((workload, name, level), "p50") - median(local, "p50"),
                median((workload, name, level), "rps") / median(one, "rps"),
            )
        )
    print(f"machine: {machine()}\n")
    print(f"{rounds} rounds of {count - 10} uncached requests per cell (medians over rounds)\n")
    headers = ("runs", "executor", "concurrency", "p50 ms", "p99 ms", "req/s")
    headers += ("p50 - local p50 ms", "req/s / 1 replica's")
    print(table(headers, sorted(rows, key=lambda r: (r[0], r[2]))))
    print()
    print(
        table(
            ("server", "start to /readyz s", "web tier MiB", "replicas MiB", "Ray's own MiB"),
            [(name, started[name], *size) for name, size in sizes.items()],
        )
    )


if __name__ == "__main__":
    main()
