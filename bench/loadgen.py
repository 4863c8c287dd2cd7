"""A small HTTP/1.1 load generator, run as its own process by ``bench/http.py`` (loopback only).

``concurrency`` keep-alive connections each send requests one after another, cycling through
the given list, until ``count`` requests are done or ``max_seconds`` pass. Requests are encoded
once, up front; responses are read by ``Content-Length``. Prints JSON: status counts, the
latency of every request (seconds) and the wall time.

Usage: ``python -m bench.loadgen PORT REQUESTS.json --concurrency 8 --count 1000``, where
REQUESTS.json is a list of ``[method, path, body or null]``.
"""

import argparse
import asyncio
import itertools
import json
import time
from collections import Counter
from pathlib import Path

HOST = "127.0.0.1"


def encode(method: str, path: str, body: str | None, port: int) -> bytes:
    payload = (body or "").encode()
    head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
    return (head + "\r\n").encode() + payload


async def read_response(reader: asyncio.StreamReader) -> int:
    """Read one response; its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def connection(
    port: int,
    requests: itertools.cycle,
    budget: list[int],
    deadline: float,
    latencies: list[float],
    statuses: Counter,
) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while budget[0] > 0 and time.perf_counter() < deadline:
            budget[0] -= 1
            raw = next(requests)
            started = time.perf_counter()
            writer.write(raw)
            statuses[await read_response(reader)] += 1
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


async def run(port: int, raw: list[bytes], concurrency: int, count: int, seconds: float) -> dict:
    requests = itertools.cycle(raw)
    budget, latencies, statuses = [count], [], Counter()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(
            connection(port, requests, budget, deadline, latencies, statuses)
            for _ in range(concurrency)
        )
    )
    return {
        "wall_s": time.perf_counter() - started,
        "statuses": {str(k): v for k, v in statuses.items()},
        "latencies": latencies,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("requests", type=Path)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--max-seconds", type=float, default=30.0)
    args = parser.parse_args()
    raw = [encode(m, p, b, args.port) for m, p, b in json.loads(args.requests.read_text())]
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(run(args.port, raw, args.concurrency, args.count, args.max_seconds))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
