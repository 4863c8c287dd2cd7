"""Engine latency, side by side in one run: the engine, the numpy floor and the seed's TF1 way.

- every preset: ``run_network`` (what the engine thread calls) against ``bench/floor.py`` (the same
  math in float32 numpy, interleaved in the same process) and the seed's way (a TF1 graph and
  session per example, ``bench/tf1_seed.py`` in a child process);
- the large run: LSTM, T = 1000, H = 256, the largest batch that ``max_numbers`` allows,
  against the floor; and the response size of that run in bytes per number, per encoding.

Both the engine and numpy run on one thread (``intra_op_threads = inter_op_threads = 1``, the
server's defaults, and ``OPENBLAS_NUM_THREADS=1``, set in ``bench/__init__.py``): one core each,
the other core left to the HTTP server as in production.

Usage: ``.venv/bin/python -m bench.engine [--quick]``.
"""

import argparse
import time

import numpy as np
import tensorflow as tf

from app.engine.config import NetworkSpec
from app.engine.unroll import run_network
from app.executors.engine import _set_threads
from app.presets import presets
from app.results import build_result, to_json
from app.schemas import RunRequest
from app.settings import Settings
from app.validation import PreparedRun, count_numbers, prepare_run
from bench import floor
from bench.common import interleaved, machine, median_ms, seed_way_times, table


def seed_way(names: list[str], repeats: int) -> dict[str, float]:
    """Median seconds per example of the seed's TF1 way, by preset."""
    times = seed_way_times(repeats, names)
    return {name: float(np.median(samples)) for name, samples in times.items()}


def engine_call(prepared: PreparedRun):
    return lambda: run_network(
        prepared.spec, prepared.inputs, prepared.lengths, prepared.weights, prepared.initial_state
    )


def floor_call(prepared: PreparedRun):
    return lambda: floor.run_network(
        prepared.spec, prepared.inputs, prepared.lengths, prepared.weights, prepared.initial_state
    )


def presets_table(quick: bool) -> str:
    settings = Settings()
    names = list(presets())
    rounds, per_round = (3, 20) if quick else (7, 60)
    seed = seed_way(names, 2 if quick else 5)
    rows = []
    for name in names:
        prepared = prepare_run(presets()[name].config, settings)
        samples = interleaved(
            {"engine": engine_call(prepared), "floor": floor_call(prepared)}, rounds, per_round
        )
        engine, numpy_floor = median_ms(samples["engine"]), median_ms(samples["floor"])
        rows.append(
            (
                name,
                engine,
                numpy_floor,
                engine / numpy_floor,
                seed[name] * 1000,
                seed[name] * 1000 / engine,
            )
        )
    headers = (
        "preset",
        "engine ms",
        "numpy floor ms",
        "engine / floor",
        "seed TF1 ms",
        "seed / engine",
    )
    return table(headers, rows)


def largest_batch(spec: NetworkSpec, steps: int, size: int, settings: Settings) -> int:
    batch = 1
    while (
        batch < settings.max_batch
        and count_numbers(spec, batch + 1, steps, size) <= settings.max_numbers
    ):
        batch += 1
    return batch


def large_table(quick: bool) -> str:
    settings = Settings()
    spec, steps, size = NetworkSpec("lstm", 256), 1000, 16
    batch = largest_batch(spec, steps, size, settings)
    rng = np.random.default_rng(0)
    values = rng.normal(size=(batch, steps, size)).round(3).tolist()
    request = {"cell": "lstm", "hidden_size": 256, "input": {"values": values}}
    prepared = prepare_run(RunRequest.model_validate(request), settings)
    samples = interleaved(
        {"engine": engine_call(prepared), "floor": floor_call(prepared)},
        2 if quick else 5,
        1 if quick else 2,
    )
    engine, numpy_floor = median_ms(samples["engine"]), median_ms(samples["floor"])
    numbers = count_numbers(spec, batch, steps, size)
    network = engine_call(prepared)()
    rows = [
        (
            f"lstm B={batch} T={steps} D={size} H=256",
            engine,
            numpy_floor,
            engine / numpy_floor,
        )
    ]
    sizes = []
    for encoding in ("json", "b64"):
        started = time.perf_counter()
        body = to_json(build_result(prepared, network, {"compute_ms": 0.0}), encoding)
        sizes.append(
            (
                encoding,
                numbers,
                len(body),
                len(body) / numbers,
                (time.perf_counter() - started) * 1000,
            )
        )
    return (
        table(("large run", "engine ms", "numpy floor ms", "engine / floor"), rows)
        + "\n\n"
        + table(("encoding", "numbers", "bytes", "bytes / number", "serialise ms"), sizes)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Engine latency vs the numpy floor and TF1.")
    parser.add_argument("--quick", action="store_true", help="fewer repeats (about a minute)")
    args = parser.parse_args()
    settings = Settings()
    _set_threads(tf, settings.intra_op_threads, settings.inter_op_threads)
    print(f"machine: {machine()}; TensorFlow {tf.__version__}; numpy {np.__version__}")
    print("\n## Presets (medians, interleaved)\n")
    print(presets_table(args.quick))
    print("\n## Large run\n")
    print(large_table(args.quick))


if __name__ == "__main__":
    main()
