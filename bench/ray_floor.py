"""What a Ray call costs on this machine before any work: the floor under ``bench.scale``'s
"p50 - local p50" (issue 12's target: at most 2 ms added at p50 for the presets).

In one process, side by side in turns: an ``await`` of a coroutine that returns its argument
(the in-process floor), the same through a plain Ray actor, and through a Ray Serve deployment
handle, with the settings the app uses (``app.executors.ray.SERVE_ENV``: the router on the
caller's loop, the handler on the replica's). The payload is a preset-sized request's arrays
(four 8 x 8 float32 matrices) both ways. A local Ray on this machine's cores, no dashboard.

Usage: ``python -m bench.ray_floor [--calls N]``
"""

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np

from bench.common import machine, table

from app.executors.ray import SERVE_ENV  # isort: skip  (sets Ray Serve's environment first)

import ray  # noqa: E402
from ray import serve  # noqa: E402

assert all(os.environ[name] == value for name, value in SERVE_ENV.items())


@serve.deployment(ray_actor_options={"num_cpus": 1})
class EchoDeployment:
    async def run(self, payload: Any) -> Any:
        return payload


@ray.remote(num_cpus=0)
class EchoActor:
    async def run(self, payload: Any) -> Any:
        return payload


async def echo(payload: Any) -> Any:
    return payload


async def timings(call: Callable[[], Awaitable[Any]], calls: int) -> list[float]:
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


async def measure(calls: int, rounds: int) -> dict[str, list[float]]:
    handle = serve.run(EchoDeployment.bind(), name="floor", route_prefix=None)
    actor = EchoActor.remote()  # type: ignore[attr-defined]
    payload = {"weights": [np.random.rand(8, 8).astype(np.float32) for _ in range(4)]}
    ways: dict[str, Callable[[], Awaitable[Any]]] = {
        "in-process await": lambda: echo(payload),
        "Ray actor": lambda: actor.run.remote(payload),
        "Ray Serve handle": lambda: handle.run.remote(payload),
    }
    for call in ways.values():  # warm: connections, the router's replica list
        await timings(call, 50)
    samples: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(rounds):  # in turns, so the machine's moments are shared
        for name, call in ways.items():
            samples[name] += await timings(call, calls // rounds)
    await serve.shutdown_async()  # on this loop: the handle's router lives on it
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=600)
    args = parser.parse_args()
    ray.init(include_dashboard=False, log_to_driver=False)
    try:
        samples = asyncio.run(measure(args.calls, rounds=3))
    finally:
        ray.shutdown()
    print(f"{machine()}; {args.calls} calls each, in 3 turns")
    floor = statistics.median(samples["in-process await"])
    rows = []
    for name, ms in samples.items():
        ms.sort()
        p50 = statistics.median(ms)
        rows.append([name, p50, ms[int(0.99 * (len(ms) - 1))], p50 - floor])
    print(table(["call", "p50 ms", "p99 ms", "p50 - in-process ms"], rows))


if __name__ == "__main__":
    main()
