"""Where a GPU starts to pay: engine latency on the CPU and, when TensorFlow sees one, the GPU.

LSTM runs of T = 100 steps at growing batch x hidden size, each labelled with its step size in
multiply-adds (``app.executors.engine.step_macs``, what ``gpu_min_step_macs`` compares). On a
machine with a GPU the last column shows the ratio; set ``RNNVIS_GPU_MIN_STEP_MACS`` near the
first size where the GPU wins. Without a GPU it prints the CPU side only.

Usage: ``.venv/bin/python -m bench.gpu_threshold [--quick]``.
"""

import argparse

import numpy as np
import tensorflow as tf

from app.engine.config import NetworkSpec
from app.engine.unroll import run_network
from app.engine.weights import seeded_weights
from app.executors.engine import CPU, GPU, _set_threads
from app.settings import Settings
from bench.common import interleaved, machine, median_ms, table

SIZES = [(1, 16), (4, 64), (8, 128), (16, 256), (16, 512)]  # (batch, hidden)


def main() -> None:
    parser = argparse.ArgumentParser(description="CPU vs GPU latency by step size.")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    settings = Settings()
    _set_threads(tf, settings.intra_op_threads, settings.inter_op_threads)
    devices = [CPU] + ([GPU] if tf.config.list_physical_devices("GPU") else [])
    steps, size = 100, 16
    rows = []
    for batch, hidden in SIZES:
        spec = NetworkSpec("lstm", hidden)
        x = np.random.default_rng(0).normal(size=(batch, steps, size)).astype(np.float32)
        arguments = (spec, x, np.full(batch, steps, np.int32), seeded_weights(spec, size, 0))
        samples = interleaved(
            {d: lambda d=d, a=arguments: run_network(*a, device=d) for d in devices},
            2 if args.quick else 4,
            2 if args.quick else 5,
        )
        times = [median_ms(samples[d]) for d in devices]
        ratio = [times[0] / times[1]] if len(times) > 1 else ["no GPU"]
        rows.append((batch, hidden, batch * hidden * 4 * hidden, *times, *ratio))
    headers = ["batch", "hidden", "step MACs", *(f"{d} ms" for d in devices), "CPU / GPU"]
    print(f"machine: {machine()}; LSTM, T={steps}, D={size}\n")
    print(table(headers, rows))


if __name__ == "__main__":
    main()
