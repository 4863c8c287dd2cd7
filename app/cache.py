"""A bounded in-memory cache of run results and their serialised forms.

Results are deterministic: the same normalised configuration always gives the same numbers, so
a result is cached under its key (``PreparedRun.key``). An entry holds the result's arrays (so a
second encoding is written without running again) and the bytes of each encoding written so far.
Entries are evicted least recently used first, past ``max_entries`` entries or ``max_bytes``
bytes (arrays and encodings together).

Aliases map the digest of a request as it arrived (``post:<digest>`` of a body, ``get:<digest>``
of a query string) to its key; they are bounded too.
"""

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def nbytes(value: Any) -> int:
    """Bytes held by the arrays in ``value`` (nested dicts and lists)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, dict):
        return sum(nbytes(item) for item in value.values())
    if isinstance(value, list):
        return sum(nbytes(item) for item in value)
    return 0


@dataclass
class _Entry:
    result: dict[str, Any] | None = None
    encoded: dict[str, bytes] = field(default_factory=dict)
    size: int = 0


class ResultCache:
    """LRU of ``key -> result and its encodings``, bounded in count and bytes."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._size = 0
        self._aliases: OrderedDict[str, str] = OrderedDict()
        self.max_aliases = 4 * max_entries

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """Bytes held by the cached results."""
        return self._size

    def _get(self, key: str) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def get_bytes(self, key: str, encoding: str) -> bytes | None:
        entry = self._get(key)
        return entry.encoded.get(encoding) if entry else None

    def get_result(self, key: str) -> dict[str, Any] | None:
        entry = self._get(key)
        return entry.result if entry else None

    def put_result(self, key: str, result: dict[str, Any]) -> None:
        self._add(key, lambda entry: setattr(entry, "result", result), nbytes(result))

    def put_bytes(self, key: str, encoding: str, value: bytes) -> None:
        self._add(key, lambda entry: entry.encoded.__setitem__(encoding, value), len(value))

    def _add(self, key: str, store: Any, size: int) -> None:
        """Store into ``key``'s entry (made if missing) unless it alone is over a bound; evict
        the oldest entries to fit."""
        if self.max_entries == 0 or size > self.max_bytes:
            return
        entry = self._entries.pop(key, None) or _Entry()
        self._size -= entry.size
        store(entry)
        entry.size = nbytes(entry.result) + sum(len(b) for b in entry.encoded.values())
        if entry.size > self.max_bytes:
            return
        self._entries[key] = entry
        self._size += entry.size
        while len(self._entries) > self.max_entries or self._size > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._size -= evicted.size

    def alias(self, name: str, key: str) -> None:
        """Remember that the request digested as ``name`` has the key ``key``."""
        self._aliases[name] = key
        self._aliases.move_to_end(name)
        while len(self._aliases) > self.max_aliases:
            self._aliases.popitem(last=False)

    def resolve(self, name: str) -> str | None:
        """The key of the request digested as ``name``, if it was seen (and is remembered)."""
        return self._aliases.get(name)
