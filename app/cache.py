"""A bounded in-memory cache of serialised run results, shared by identical concurrent requests.

Results are deterministic: the same normalised configuration always gives the same bytes, so a
result is cached under its key (``PreparedRun.key`` and the encoding). Entries are evicted least
recently used first, past ``max_entries`` entries or ``max_bytes`` bytes. A key being computed is
computed once: every request for it meanwhile awaits the same run (a classroom opening one preset
costs one run, not two hundred queued ones).

Aliases map a digest of a request as it arrived to its key, so a repeated request finds its
result without being prepared again (validation, seeded weights); they are bounded too.
"""

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable


class ResultCache:
    """LRU of ``key -> bytes``, bounded in count and bytes; shares in-flight runs (one loop)."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._running: dict[str, asyncio.Future[bytes]] = {}
        self._aliases: OrderedDict[str, str] = OrderedDict()
        self.max_aliases = 4 * max_entries

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """Bytes held by the cached results."""
        return self._size

    def get(self, key: str) -> bytes | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def alias(self, name: str, key: str) -> None:
        """Remember that the request digested as ``name`` has the key ``key``."""
        self._aliases[name] = key
        self._aliases.move_to_end(name)
        while len(self._aliases) > self.max_aliases:
            self._aliases.popitem(last=False)

    def resolve(self, name: str) -> str | None:
        """The key of the request digested as ``name``, if it was seen (and is remembered)."""
        return self._aliases.get(name)

    def put(self, key: str, value: bytes) -> None:
        """Keep ``value`` unless it alone is over a bound; evict the oldest entries to fit."""
        if key in self._entries:
            self._size -= len(self._entries.pop(key))
        if self.max_entries == 0 or len(value) > self.max_bytes:
            return
        self._entries[key] = value
        self._size += len(value)
        while len(self._entries) > self.max_entries or self._size > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._size -= len(evicted)

    async def get_or_compute(
        self, key: str, compute: Callable[[], Awaitable[bytes]]
    ) -> tuple[bytes, str]:
        """The value for ``key`` and where it came from: ``"hit"``, ``"shared"`` or ``"miss"``.

        ``compute()`` runs once per key at a time; requests arriving meanwhile await its result.
        A failed computation is not cached: its error goes to every request that awaited it. If
        the computing request is cancelled, a waiting one computes instead.
        """
        while True:
            value = self.get(key)
            if value is not None:
                return value, "hit"
            running = self._running.get(key)
            if running is None:
                break
            try:
                value = await asyncio.shield(running)
            except asyncio.CancelledError:
                if running.cancelled():
                    continue  # the computing request went away, not this one
                raise
            return value, "shared"
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            value = await compute()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waited
            raise
        finally:
            del self._running[key]
        future.set_result(value)
        self.put(key, value)
        return value, "miss"
