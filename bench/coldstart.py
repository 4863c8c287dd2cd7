"""Cold start and the first request of a never-seen configuration, each in a fresh process.

- ``import tensorflow`` alone, in a new interpreter (the baseline);
- ``uvicorn app.main:app`` from process start to the first 200 of ``/readyz`` (TensorFlow
  loaded, every cell variant traced, every preset run);
- on that fresh server: the first request of a configuration unlike any preset (another
  structure, sizes and lengths), then the same structure again with another seed. A new
  configuration costs no trace: the compiled network is shape- and structure-polymorphic.

Usage: ``.venv/bin/python -m bench.coldstart [--quick]``.
"""

import argparse
import json
import statistics
import subprocess
import time
import urllib.request

from bench.common import PYTHON, ROOT, Server, machine, table

NEVER_SEEN = {
    "cell": "gru",
    "reset_after": False,
    "hidden_size": 7,
    "num_layers": 5,
    "bidirectional": True,
    "input": {
        "values": [[[0.1 * (b + t + d) for d in range(6)] for t in range(13)] for b in range(3)]
    },
    "sequence_length": [13, 4, 0],
    "seed": 123,
}


def import_tensorflow_s() -> float:
    started = time.perf_counter()
    subprocess.run(
        [PYTHON, "-c", "import tensorflow"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def post_ms(server: Server, config: dict) -> float:
    request = urllib.request.Request(
        server.url + "/api/run",
        data=json.dumps(config).encode(),
        headers={"Content-Type": "application/json"},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        response.read()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description="Cold start and never-seen configurations.")
    parser.add_argument("--quick", action="store_true", help="one start instead of five")
    args = parser.parse_args()
    rows, firsts, agains = [], [], []
    for attempt in range(1 if args.quick else 5):
        baseline = import_tensorflow_s()
        server = Server().start()
        try:
            ready = server.wait_ready()
            firsts.append(post_ms(server, NEVER_SEEN))
            agains.append(post_ms(server, {**NEVER_SEEN, "seed": 124}))
        finally:
            server.stop()
        rows.append((attempt + 1, baseline, ready, ready - baseline))
    print(f"machine: {machine()}\n")
    print(
        table(
            ("start", "import tensorflow s", "start to /readyz s", "beyond import tensorflow s"),
            rows,
        )
    )
    print(
        "\nnever-seen configuration (5-layer bidirectional TF1 GRU, B=3, T=13, D=6, H=7), "
        "HTTP round trip on the fresh server:\n"
    )
    print(
        table(
            ("request", "median ms", "all ms"),
            [
                (
                    "first (never seen)",
                    statistics.median(firsts),
                    " ".join(f"{v:.1f}" for v in firsts),
                ),
                (
                    "same structure, new seed",
                    statistics.median(agains),
                    " ".join(f"{v:.1f}" for v in agains),
                ),
            ],
        )
    )


if __name__ == "__main__":
    main()
