"""A class on one link, before and after, side by side: does ``/healthz`` stay instant while one
flight answers 200 clients at once?

Two servers on loopback (``make run``'s, default settings, child processes): *before* runs a
commit's tree (``git archive REF``), *after* this working tree. Each round, in turns, 200
clients ask each server at once for one uncached H = 512 link (``GET ?config=…&encoding=b64``,
5.6 MB, a new seed each round: never in either cache), while the probes of ``bench/overload.py``
(another process) ask for ``/healthz`` every 20 ms and a cached page every 50 ms. Medians over
the rounds of each round's figures are printed, and after/before.

The whole overload picture (first-time max-size runs, small requests, bodies, restart) is
``bench/overload.py``; this is its phase 2, repeated, against another tree.

Usage: ``python -m bench.classroom [--before REF] [--rounds N] [--clients N]``.
"""

import argparse
import asyncio
import statistics
import tempfile
from pathlib import Path

from bench.common import Server, export_tree, machine, percentile, table
from bench.overload import one_link, under_probes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="main", help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=200)
    args = parser.parse_args()
    columns = ["healthz p50 ms", "healthz p99 ms", "healthz max ms", "cached p99 ms",
               "last answer s", "not 200"]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        before_root = Path(tmp) / "before"
        export_tree(args.before, before_root)
        servers = {
            f"before ({args.before})": Server(
                root=before_root, env={"PYTHONPATH": str(before_root)}
            ),
            "after (this tree)": Server(),
        }
        samples: dict[str, list[list[float]]] = {name: [] for name in servers}
        try:
            for server in servers.values():
                server.start()
            for server in servers.values():
                server.wait_ready()
            for round_ in range(args.rounds):
                for name, server in servers.items():
                    load = one_link(server.port, args.clients, 90_000 + round_)
                    outcomes, probe = asyncio.run(under_probes(server.port, load))
                    health = [s * 1000 for s in probe.healthz]
                    samples[name].append([
                        percentile(health, 50), percentile(health, 99), max(health),
                        percentile([s * 1000 for s in probe.cached], 99),
                        max(o.seconds for o in outcomes),
                        sum(o.status != 200 for o in outcomes) + probe.failures,
                    ])  # fmt: skip
        finally:
            for server in servers.values():
                server.stop()
    print(f"{machine()}; {args.clients} clients on one uncached H = 512 link; "
          f"median of {args.rounds} rounds")  # fmt: skip
    rows = [
        [name] + [statistics.median(r[k] for r in runs) for k in range(len(columns))]
        for name, runs in samples.items()
    ]
    print(table(["server", *columns], rows))
    before, after = rows
    ratios = [
        f"{c} {a / b:.2f}" for c, b, a in zip(columns, before[1:], after[1:], strict=True) if b
    ]
    print("after/before: " + ", ".join(ratios))


if __name__ == "__main__":
    main()
