"""Overload: what a hostile stranger or a classroom of 200 does to one server (issue 8).

One server (``make run``'s, default settings, a child process on a loopback port) and this
process as the load: asyncio connections on 127.0.0.1 only, every phase bounded in requests and
in seconds. While each load phase runs, two probes, in a process of their own, keep asking:
``GET /healthz`` every 20 ms and a cached page every 50 ms (``GET /api/run?preset=lstm_batch``
and ``GET /embed``, in turn); their p50/p99 are printed beside the phase.

Phases, in one run:

1. **40 first-time max-size runs at once**: bidirectional LSTM, H = 512, one text line, the
   longest ``max_numbers`` allows (460 characters, about 6 M numbers), 40 different seeds,
   POSTed as the front end does (``?encoding=b64``). Each must be a 200, or a 503 with
   ``Retry-After``, within ``request_timeout_s`` + 2 s.
2. **200 clients on one uncached H = 512 link** (``GET ?config=…&encoding=b64``): all 200 must
   get the result within 10 s.
3. **2,000 small requests** at concurrency 64, then 128: half cached presets (GET), half small
   configurations never seen (POST, a new seed each).
4. **Bodies up to ``max_body_bytes``**: a text line of 8 MB, 7.7 MB of values (refused by
   ``max_numbers``), 4.4 MB of values that run, 7 MB of weights of the wrong shape; the server's
   peak resident memory above its level before each (``VmHWM`` after resetting it through
   ``/proc/PID/clear_refs``; sampled ``VmRSS`` where that is not allowed).
5. **kill -9 and restart**: seconds from the restart to ``/readyz`` 200, beside a bare
   ``import tensorflow`` in a fresh process.

Usage: ``.venv/bin/python -m bench.overload [--quick]`` (``--quick``: 10 first-time runs, 50
clients, 500 small requests; about a minute).
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
import subprocess
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.common import PYTHON, ROOT, Server, machine, percentile, table
from bench.loadgen import HOST, encode

TIMEOUT_S = 30.0  # the server's request_timeout_s (default)
MB = 1 << 20


@dataclass
class Outcome:
    status: int
    seconds: float
    retry_after: bool
    size: int


@dataclass
class Probe:
    healthz: list[float] = field(default_factory=list)
    cached: list[float] = field(default_factory=list)
    failures: int = 0


async def exchange(port: int, raw: bytes, limit_s: float) -> Outcome:
    """One request on its own connection; status, seconds, whether Retry-After came, bytes."""
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), limit_s)
        try:
            writer.write(raw)
            outcome = await asyncio.wait_for(read(reader), limit_s)
        finally:
            writer.close()
    except (TimeoutError, OSError):
        return Outcome(0, time.perf_counter() - started, False, 0)
    status, headers, size = outcome
    return Outcome(status, time.perf_counter() - started, "retry-after" in headers, size)


async def read(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], int]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", 0))
    left = length
    while left:  # read and drop: the load process keeps no body, so its own loop stays light
        chunk = await reader.read(min(left, 1 << 20))
        if not chunk:
            raise asyncio.IncompleteReadError(b"", left)
        left -= len(chunk)
    return int(lines[0].split()[1]), headers, length


async def probe(port: int, stop: asyncio.Event, result: Probe) -> None:
    """Keep asking /healthz (every 20 ms) and a cached page (every 50 ms) until ``stop``."""
    health = encode("GET", "/healthz", None, port)
    pages = [
        encode("GET", "/api/run?preset=lstm_batch", None, port),
        encode("GET", "/embed?preset=lstm_batch", None, port),
    ]

    async def every(interval: float, requests: list[bytes], into: list[float]) -> None:
        k = 0
        while not stop.is_set():
            outcome = await exchange(port, requests[k % len(requests)], 10)
            if outcome.status != 200:
                result.failures += 1
            into.append(outcome.seconds)
            k += 1
            await asyncio.sleep(max(0.0, interval - outcome.seconds))

    await asyncio.gather(every(0.02, [health], result.healthz), every(0.05, pages, result.cached))


def _probe_process(port: int, stop: Any, results: Any) -> None:
    """The probes, in a process of their own: the load's reading of hundreds of megabytes must
    not delay the probes' own event loop, or the probes would measure the load, not the server."""

    async def run() -> Probe:
        done, result = asyncio.Event(), Probe()

        async def watch() -> None:
            while not stop.is_set():
                await asyncio.sleep(0.01)
            done.set()

        await asyncio.gather(watch(), probe(port, done, result))
        return result

    result = asyncio.run(run())
    results.put((result.healthz, result.cached, result.failures))


async def under_probes(port: int, load: Coroutine[Any, Any, list[Outcome]]) -> tuple[list, Probe]:
    """``load``'s outcomes, and what the probes (another process) saw while it ran."""
    context = multiprocessing.get_context("spawn")
    stop, results = context.Event(), context.Queue()
    prober = context.Process(target=_probe_process, args=(port, stop, results), daemon=True)
    prober.start()
    outcomes = await load
    stop.set()
    healthz, cached, failures = await asyncio.to_thread(results.get, True, 60)
    prober.join(10)
    return outcomes, Probe(healthz, cached, failures)


def max_size_body(seed: int) -> str:
    """The largest bidirectional LSTM (H = 512) run ``max_numbers`` allows on one text line."""
    from app.engine.config import NetworkSpec
    from app.settings import Settings
    from app.validation import count_numbers

    pangram = "the quick brown fox jumps over the lazy dog "
    spec, size = NetworkSpec("lstm", 512, bidirectional=True), len(set(pangram))
    limit = Settings().max_numbers
    steps = max(t for t in range(1, 1001) if count_numbers(spec, 1, t, size) <= limit)
    text = (pangram * (steps // len(pangram) + 1))[:steps]
    config = {"cell": "lstm", "hidden_size": 512, "bidirectional": True, "seed": seed}
    return json.dumps({**config, "input": {"text": [text]}})


async def first_time_runs(port: int, count: int) -> list[Outcome]:
    requests = [
        encode("POST", "/api/run?encoding=b64", max_size_body(1000 + k), port) for k in range(count)
    ]
    return list(await asyncio.gather(*(exchange(port, r, TIMEOUT_S + 30) for r in requests)))


async def one_link(port: int, clients: int, seed: int = 4242) -> list[Outcome]:
    """``clients`` at once on one H = 512 link (uncached the first time its ``seed`` is asked)."""
    config = {"cell": "lstm", "hidden_size": 512, "seed": seed, "input": {"text": ["classroom"]}}
    path = f"/api/run?config={quote(json.dumps(config))}&encoding=b64"
    raw = encode("GET", path, None, port)
    return list(await asyncio.gather(*(exchange(port, raw, 60) for _ in range(clients))))


async def small_requests(port: int, count: int, concurrency: int, offset: int) -> list[Outcome]:
    names = ["one_cell", "hello_sequence", "lstm_batch", "gru_batch", "bidirectional_lstm"]
    requests = []
    for k in range(count):
        if k % 2:
            requests.append(encode("GET", f"/api/run?preset={names[k % len(names)]}", None, port))
        else:
            config = {
                "cell": "gru",
                "hidden_size": 4,
                "seed": offset + k,
                "input": {"text": ["hi"]},
            }
            requests.append(encode("POST", "/api/run", json.dumps(config), port))
    queue = asyncio.Queue()
    for raw in requests:
        queue.put_nowait(raw)
    outcomes: list[Outcome] = []

    async def worker() -> None:
        while not queue.empty():
            outcomes.append(await exchange(port, queue.get_nowait(), 60))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return outcomes


def summary(outcomes: list[Outcome]) -> dict[str, object]:
    statuses: dict[int, int] = {}
    for o in outcomes:
        statuses[o.status] = statuses.get(o.status, 0) + 1
    seconds = [o.seconds for o in outcomes]
    return {
        "statuses": statuses,
        "p50_s": percentile(seconds, 50),
        "p99_s": percentile(seconds, 99),
        "max_s": max(seconds),
    }


def probe_row(name: str, probe_: Probe) -> list[str]:
    ms = [
        f"{percentile(values, q) * 1000:.1f}"
        for values in (probe_.healthz, probe_.cached)
        for q in (50, 99)
    ]
    return [name, *ms, str(len(probe_.healthz) + len(probe_.cached)), str(probe_.failures)]


# ---- memory ---------------------------------------------------------------------------------


def bodies() -> list[tuple[str, str, bytes]]:
    def values(batch: int, steps: int, size: int, number: str) -> bytes:
        row = "[" + ",".join([number] * size) + "]"
        block = "[" + ",".join([row] * steps) + "]"
        examples = ",".join([block] * batch)
        return f'{{"cell": "rnn", "hidden_size": 1, "input": {{"values": [{examples}]}}}}'.encode()

    kernel = "[" + ",".join(["[" + ",".join(["0.5"] * 2048) + "]"] * 680) + "]"
    weights = (
        '{"cell": "lstm", "hidden_size": 512, "input": {"text": ["hi"]}, "weights": {"layers": '
        f'[{{"forward": {{"kernel": {kernel}, "recurrent_kernel": [[0.5]], "bias": [0.5]}}}}]}}}}'
    ).encode()
    text_body = json.dumps({"input": {"text": ["ab" * 3_999_900]}}).encode()
    return [
        ("text line, 8 MB (refused)", "/api/run", text_body),
        ("values, 7.7 MB (refused)", "/api/run", values(16, 1000, 240, "1")),
        ("values, 4.4 MB (run)", "/api/run?encoding=b64", values(8, 1000, 110, "0.25")),
        ("weights, 7 MB (refused)", "/api/run", weights),
    ]  # fmt: skip


def peak_rss(pid: int) -> tuple[int, bool]:
    """The process's peak resident bytes since the last reset, and whether that is exact."""
    status = Path(f"/proc/{pid}/status").read_text()
    field_ = "VmHWM:" if "VmHWM:" in status else "VmRSS:"
    line = next(line for line in status.splitlines() if line.startswith(field_))
    return int(line.split()[1]) * 1024, field_ == "VmHWM:"


def reset_peak(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


async def body_memory(server: Server) -> list[list[str]]:
    assert server.process is not None
    pid = server.process.pid
    rows = []
    for name, path, body in bodies():
        before = server.rss_bytes()
        exact = reset_peak(pid)
        samples = [before]
        raw = encode("POST", path, body.decode(), server.port)
        task = asyncio.ensure_future(exchange(server.port, raw, 60))
        while not task.done():
            samples.append(server.rss_bytes())
            await asyncio.sleep(0.005)
        outcome = task.result()
        peak = peak_rss(pid)[0] if exact else max(samples)
        rows.append([
            name, f"{len(body) / MB:.1f}", str(outcome.status), f"{(peak - before) / MB:.1f}",
            "VmHWM" if exact else "sampled",
        ])  # fmt: skip
    return rows


# ---- kill -9 ----------------------------------------------------------------------------------


def import_seconds() -> float:
    code = "import time; t = time.perf_counter(); import tensorflow; print(time.perf_counter() - t)"
    done = subprocess.run(
        [PYTHON, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    return float(done.stdout.strip().splitlines()[-1])


def kill_and_restart(server: Server) -> float:
    assert server.process is not None
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    server.start()
    return server.wait_ready()


# ---- the run ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    first, clients, small = (10, 50, 500) if args.quick else (40, 200, 2000)
    print(f"# Overload — {machine()}\n")
    with Server() as server:
        port = server.port

        def phase(coroutine):
            return asyncio.run(under_probes(port, coroutine))

        runs, probe1 = phase(first_time_runs(port, first))
        late = [o for o in runs if o.seconds > TIMEOUT_S + 2]
        bad = [
            o for o in runs if o.status not in (200, 503) or (o.status == 503 and not o.retry_after)
        ]
        s = summary(runs)
        print(f"## {first} first-time max-size runs at once")
        print(f"statuses {s['statuses']}; p50 {s['p50_s']:.1f} s, max {s['max_s']:.1f} s; "
              f"past {TIMEOUT_S + 2:g} s: {len(late)}; not a 200 or a 503 with Retry-After: "
              f"{len(bad)}; bytes of a 200: {max(o.size for o in runs) / MB:.1f} MB\n")  # fmt: skip

        link, probe2 = phase(one_link(port, clients))
        s = summary(link)
        print(f"## {clients} clients on one uncached H = 512 link")
        print(f"statuses {s['statuses']}; last answer after {s['max_s']:.2f} s "
              f"(p50 {s['p50_s']:.2f} s); {link[0].size / MB:.1f} MB each\n")  # fmt: skip

        rows = [["phase", "healthz p50 ms", "healthz p99 ms", "cached p50 ms", "cached p99 ms",
                 "probes", "probe failures"]]  # fmt: skip
        rows += [probe_row(f"{first} first-time runs", probe1)]
        rows += [probe_row(f"{clients} clients, one link", probe2)]
        small_rows = [["concurrency", "requests", "statuses", "p50 ms", "p99 ms", "req/s"]]
        for concurrency in (64, 128):
            started = time.perf_counter()
            outcomes, probe3 = phase(small_requests(port, small, concurrency, 10_000 * concurrency))
            wall = time.perf_counter() - started
            s = summary(outcomes)
            p50, p99 = s["p50_s"] * 1000, s["p99_s"] * 1000  # type: ignore[operator]
            rate = len(outcomes) / wall
            statuses = json.dumps(s["statuses"])
            small_rows.append(
                [concurrency, len(outcomes), statuses, f"{p50:.1f}", f"{p99:.1f}", f"{rate:.0f}"]
            )
            rows.append(probe_row(f"{small} small, concurrency {concurrency}", probe3))
        print(f"## {small} small requests (half cached presets, half new small configurations)")
        print(table(small_rows[0], small_rows[1:]))
        print("\n## Probes during each phase (healthz every 20 ms, a cached page every 50 ms)")
        print(table(rows[0], rows[1:]))

        print("\n## Bodies up to max_body_bytes: peak RSS above the level before each")
        memory = asyncio.run(body_memory(server))
        print(table(["body", "MB", "status", "peak RSS added MB", "measured by"], memory))

        print("\n## kill -9, then restart")
        ready = kill_and_restart(server)
        bare = import_seconds()
        headers = ["restart to /readyz s", "import tensorflow s", "beyond the import s"]
        print(table(headers, [[f"{ready:.2f}", f"{bare:.2f}", f"{ready - bare:.2f}"]]))


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
