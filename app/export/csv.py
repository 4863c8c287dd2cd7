"""The CSV export: one row per number of every layer and direction's outputs, states and gates.

``layer,direction,example,t,quantity,unit,value``: ``layer``, ``example``, ``t`` and ``unit``
count from 0, ``direction`` is ``forward`` or ``backward``, ``quantity`` is ``output``, a state
(``h``, ``c``) or a gate (``i f g o``, ``z r n``). Rows go array by array (a layer's forward
outputs, its states, its gates, then its backward ones, then the next layer), each array in
``example, t, unit`` order. Each value is written as the JSON result writes it (the shortest
decimal that reads back as the same float32), so both parse to the same numbers.

A run at the limits carries about 6 M such numbers (some 200 MB of CSV): ``rows`` yields the
text a piece of about ``PIECE_NUMBERS`` numbers at a time, for a streamed response.
"""

from collections.abc import Iterator
from typing import Any

import numpy as np
import orjson

HEADER = "layer,direction,example,t,quantity,unit,value\n"
PIECE_NUMBERS = 65_536


def _quantities(run: dict[str, Any]) -> Iterator[tuple[str, np.ndarray]]:
    yield "output", run["outputs"]
    yield from run["states"].items()
    yield from run["gates"].items()


def _values(array: np.ndarray) -> list[str]:
    """The numbers of ``array`` (C order) as the JSON result writes them."""
    text = orjson.dumps(np.ascontiguousarray(array).reshape(-1), option=orjson.OPT_SERIALIZE_NUMPY)
    return text[1:-1].decode().split(",") if array.size else []


def rows(result: dict[str, Any]) -> Iterator[str]:
    """The CSV of a run result, the header first, then pieces of rows (module docstring)."""
    yield HEADER
    for index, layer in enumerate(result["layers"]):
        for direction, run in layer.items():
            for quantity, array in _quantities(run):
                B, T, H = array.shape
                units = [f"{u}," for u in range(H)]
                per_piece = max(1, PIECE_NUMBERS // max(1, H))  # (b, t) rows of H numbers
                for start in range(0, B * T, per_piece):
                    stop = min(B * T, start + per_piece)
                    values = _values(array.reshape(B * T, H)[start:stop])
                    lines = []
                    for k, bt in enumerate(range(start, stop)):
                        prefix = f"{index},{direction},{bt // T},{bt % T},{quantity},"
                        row = values[k * H : (k + 1) * H]
                        lines += [f"{prefix}{u}{v}\n" for u, v in zip(units, row, strict=True)]
                    yield "".join(lines)
