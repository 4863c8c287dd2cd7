"""The engine before and after: an earlier commit's ``run_network`` against today's, interleaved.

The earlier engine package (every ``app/engine/*.py`` of COMMIT, read with ``git show``) is loaded
as a package of its own beside today's, so that its ``unroll.py`` runs with the cells it was
written for; both get today's prepared runs (specs, inputs, weights) and the same thread settings
(the server's defaults unless ``--tf-default-threads``). Default commit: 3cc71a9, the first engine
(one ``tf.function`` call per layer and direction, a masked time loop).

Usage: ``.venv/bin/python -m bench.engine_history [--commit 3cc71a9] [--quick]``.
"""

import argparse
import importlib
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import numpy as np
import tensorflow as tf

from app.engine import unroll
from app.engine.config import NetworkSpec
from app.engine.weights import seeded_weights
from app.executors.engine import _set_threads
from app.presets import presets
from app.settings import Settings
from app.validation import prepare_run
from bench.common import ROOT, interleaved, machine, median_ms, table


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def load_engine(commit: str) -> ModuleType:
    """COMMIT's ``app.engine`` as the package ``engine_COMMIT``; its ``unroll`` module."""
    name = f"engine_{commit}"
    package = Path(tempfile.mkdtemp()) / name
    package.mkdir()
    for path in git("ls-tree", "--name-only", f"{commit}:app/engine").split():
        if path.endswith(".py"):
            source = git("show", f"{commit}:app/engine/{path}")
            (package / path).write_text(source.replace("app.engine", name))
    sys.path.insert(0, str(package.parent))
    return importlib.import_module(f"{name}.unroll")


def main() -> None:
    parser = argparse.ArgumentParser(description="Engine latency: an earlier commit vs today.")
    parser.add_argument("--commit", default="3cc71a9")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--tf-default-threads", action="store_true")
    args = parser.parse_args()
    if not args.tf_default_threads:
        settings = Settings()
        _set_threads(tf, settings.intra_op_threads, settings.inter_op_threads)
    before = load_engine(args.commit)
    rounds, per_round = (3, 20) if args.quick else (5, 50)
    rows = []
    cases = [(name, prepare_run(p.config, Settings())) for name, p in presets().items()]
    for name, prepared in cases:
        arguments = (
            prepared.spec,
            prepared.inputs,
            prepared.lengths,
            prepared.weights,
            prepared.initial_state,
        )
        samples = interleaved(
            {
                "before": lambda a=arguments: before.run_network(*a),
                "after": lambda a=arguments: unroll.run_network(*a),
            },
            rounds,
            per_round,
        )
        rows.append((name, median_ms(samples["before"]), median_ms(samples["after"])))
    spec = NetworkSpec("lstm", 256)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 1000, 16)).astype(np.float32)
    large = (spec, x, np.array([1000, 1000], np.int32), seeded_weights(spec, 16, 0))
    samples = interleaved(
        {"before": lambda: before.run_network(*large), "after": lambda: unroll.run_network(*large)},
        2 if args.quick else 4,
        1,
    )
    rows.append(
        ("large: lstm B=2 T=1000 H=256", median_ms(samples["before"]), median_ms(samples["after"]))
    )
    threads = "TF default" if args.tf_default_threads else "1 intra-op, 1 inter-op"
    print(f"machine: {machine()}; threads: {threads}; before = {args.commit}\n")
    print(
        table(
            ("run", "before ms", "after ms", "before / after"),
            [(name, b, a, b / a) for name, b, a in rows],
        )
    )


if __name__ == "__main__":
    main()
