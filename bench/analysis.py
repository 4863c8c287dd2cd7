"""The analyses' cost (SPEC section 6) against the plain run, side by side in one run.

- **The private call**: ``run_network`` through ``fast_call`` (the traced graph's
  ``call_flat``) against the public ``tf.function`` (``compiled_layer(spec)(...)``), per preset,
  interleaved: the measurement behind keeping the private call behind one function.
- **Presets**: the engine (``run_network``, then ``analyse``, as the engine thread runs them) of
  the plain run, with connectivity, with trajectory and with both, interleaved; and end to end,
  ``POST /api/run`` to a local server (``uvicorn``, the cache off, so each request runs the
  engine and writes its result), in turns.
- **The long run**: T = 200, H = 64, a 2-layer bidirectional LSTM, B = 4, on text over the seed's
  vocabulary ``helo`` (D = 4) and over ``a-z`` and space (D = 27); engine and end to end.

Every call is warm (made once first: the analyses trace on their first use); medians.
Usage: ``.venv/bin/python -m bench.analysis [--quick]``.
"""

import argparse
import json

import httpx
import numpy as np
import tensorflow as tf

from app.engine import unroll
from app.engine.analysis import analyse
from app.engine.config import ANALYSES
from app.executors.engine import _set_threads
from app.presets import presets
from app.schemas import RunRequest
from app.settings import Settings
from app.validation import PreparedRun, prepare_run
from bench.common import Server, interleaved, machine, median_ms, table

KINDS = {"plain": (), "connectivity": ("connectivity",), "trajectory": ("trajectory",),
         "both": ANALYSES}  # fmt: skip


def engine_call(prepared: PreparedRun, names: tuple[str, ...]):
    """What the engine thread runs for ``prepared`` with the analyses ``names``."""

    def call():
        run = unroll.run_network(*prepared.run_arguments)
        return analyse(*prepared.run_arguments, run, names) if names else run

    return call


def private_call_table(rounds: int, per_round: int) -> str:
    rows = []
    for name, preset in presets().items():
        prepared = prepare_run(preset.config, Settings())
        key = prepared.spec.variant.key, len(prepared.spec.directions)
        private, public = unroll._layer_call(prepared.spec), unroll.compiled_layer(prepared.spec)

        def with_call(call, prepared=prepared, key=key):
            unroll._CALLS[key] = call
            return engine_call(prepared, ())()

        calls = {"private": private, "public": public}
        samples = interleaved(
            {label: (lambda c=call: with_call(c)) for label, call in calls.items()},
            rounds,
            per_round,
        )
        unroll._CALLS[key] = private
        a, b = median_ms(samples["private"]), median_ms(samples["public"])
        rows.append((name, a, b, b - a, b / a))
    return table(("preset", "call_flat ms", "tf.function ms", "difference ms", "ratio"), rows)


def post_times(server: Server, bodies: dict[str, dict], rounds: int) -> dict[str, float]:
    """Median ms of ``POST /api/run`` for each body, in turns (each once first, warm)."""
    with httpx.Client(base_url=server.url, timeout=120) as client:

        def post(body: dict):
            response = client.post("/api/run", content=json.dumps(body))
            assert response.status_code == 200, response.text
            return response

        samples = interleaved({k: (lambda b=b: post(b)) for k, b in bodies.items()}, rounds, 1)
    return {k: median_ms(v) for k, v in samples.items()}


def row(label: str, engine: dict, http: dict) -> tuple:
    return (
        label,
        *(engine[k] for k in KINDS),
        engine["both"] / engine["plain"],
        *(http[k] for k in KINDS),
        http["both"] / http["plain"],
    )


HEADERS = (
    "run",
    *(f"engine {k} ms" for k in KINDS),
    "engine both / plain",
    *(f"POST {k} ms" for k in KINDS),
    "POST both / plain",
)


def measure(
    server: Server, cases: dict[str, RunRequest], rounds: int, per_round: int, posts: int
) -> list:
    """A row per case: engine medians (interleaved) and POST medians (``posts`` in turns)."""
    rows = []
    for label, request in cases.items():
        prepared = prepare_run(request, Settings())
        engine = interleaved(
            {k: engine_call(prepared, names) for k, names in KINDS.items()}, rounds, per_round
        )
        body = request.model_dump(mode="json", exclude_none=True)
        http = post_times(
            server, {k: {**body, "analysis": list(n)} for k, n in KINDS.items()}, posts
        )
        rows.append(row(label, {k: median_ms(v) for k, v in engine.items()}, http))
    return rows


def long_runs() -> dict[str, RunRequest]:
    rng = np.random.default_rng(0)
    cases = {}
    for vocabulary in ("helo", "abcdefghijklmnopqrstuvwxyz "):
        text = ["".join(rng.choice(list(vocabulary), 200)) for _ in range(4)]
        request = {
            "cell": "lstm",
            "hidden_size": 64,
            "num_layers": 2,
            "bidirectional": True,
            "input": {"text": text, "vocabulary": vocabulary},
        }
        cases[f"lstm T=200 H=64 2 layers bidir B=4 D={len(vocabulary)}"] = (
            RunRequest.model_validate(request)
        )
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description="The analyses' cost against the plain run.")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    settings = Settings()
    _set_threads(tf, settings.intra_op_threads, settings.inter_op_threads)
    unroll.warm_up()
    print(f"machine: {machine()}; TensorFlow {tf.__version__}; numpy {np.__version__}")
    print("\n## The private call (plain runs, medians, interleaved)\n")
    print(private_call_table(*((3, 20) if args.quick else (5, 60))))
    preset_cases = {name: p.config for name, p in presets().items()}
    with Server({"RNNVIS_CACHE_ENTRIES": "0"}) as server:
        print("\n## Presets (medians; engine interleaved, POST in turns, cache off)\n")
        sizes = (3, 5, 9) if args.quick else (5, 20, 31)
        print(table(HEADERS, measure(server, preset_cases, *sizes)))
        print("\n## The long run\n")
        print(
            table(HEADERS, measure(server, long_runs(), *((1, 1, 1) if args.quick else (2, 1, 3))))
        )


if __name__ == "__main__":
    main()
