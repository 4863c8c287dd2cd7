"""Reading a JSON request body with memory in proportion to its bytes, not to its numbers.

A JSON array of numbers parsed the ordinary way costs a Python object per number: 24-32 bytes for
a number that took 2-6 bytes of the body, so an 8 MB body of weights or values grew the process by
hundreds of megabytes before any rule could refuse it. Here, every array of numbers longer than
``BIG_ARRAY_BYTES`` is cut out of the body before parsing and read row by row straight into a
float32 numpy array (4 bytes a number); the rest of the body, now small, is parsed by the
standard library, which also lets us refuse what a lenient parser would accept silently:

- a key given twice in one object (the last one would win without a word);
- a string with a lone surrogate such as ``"\\ud800"`` (no UTF-8 form: it cannot be echoed back).

Rows are parsed by ``orjson`` (a strict JSON parser), a bounded piece at a time, so the numbers'
syntax is checked exactly as for any other JSON and no piece holds the interpreter for long.
Every failure is an ``InputError`` whose ``loc`` names the field.
"""

import bisect
import json
import re
import secrets
from typing import Any

import numpy as np
import orjson

from app.errors import InputError, Loc

BIG_ARRAY_BYTES = 16_384  # arrays of numbers longer than this are read into numpy
ROW_PIECE_BYTES = 262_144  # longest piece of one row handed to the parser at once

# Possessive: no backtracking state kept per character (the plain form holds ~700 bytes a char).
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
# A run of the characters an array of numbers is made of, starting at a bracket (with NaN and
# Infinity, which the row parser then refuses, rather than leave them to a parse per number).
_NUMBERS_RUN = re.compile(rb"\[[\[\]\d\s.,eE+\-NaIinfty]{%d,}" % BIG_ARRAY_BYTES)
_OPEN, _CLOSE = ord("["), ord("]")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InputError((key,), "is given twice in one object: give each field once")
        result[key] = value
    return result


def _balanced_ends(run: bytes) -> list[tuple[int, int]]:
    """``(start, end)`` of the outermost complete arrays in ``run`` (a run of number-array
    characters): the run's own array when its brackets balance, else the complete arrays inside
    it, found the same way one level down (a run is cut short by a non-number, e.g. ``true``)."""
    codes = np.frombuffer(run, np.uint8)
    where = np.flatnonzero((codes == _OPEN) | (codes == _CLOSE))
    steps = np.where(codes[where] == _OPEN, 1, -1)
    depth = np.cumsum(steps)  # after each bracket
    closed = np.flatnonzero(depth == 0)
    if closed.size:  # the run's first array is complete
        return [(0, int(where[closed[0]]) + 1)]
    found: list[tuple[int, int]] = []
    opens = np.flatnonzero((depth == 2) & (steps == 1))  # arrays one level down
    for k in opens:
        back = np.flatnonzero(depth[k:] == 1)
        if back.size:
            start, end = int(where[k]), int(where[k + back[0]]) + 1
            if end - start > BIG_ARRAY_BYTES:
                found.extend((start + a, start + b) for a, b in _balanced_ends(run[start:end]))
    return found


def _big_arrays(body: bytes) -> list[tuple[int, int]]:
    """Spans of the arrays of numbers longer than ``BIG_ARRAY_BYTES``, outside strings."""
    strings = [m.span() for m in _STRING.finditer(body)] if b'"' in body else []
    starts = [s for s, _ in strings]
    spans: list[tuple[int, int]] = []
    for match in _NUMBERS_RUN.finditer(body):
        k = bisect.bisect_right(starts, match.start()) - 1
        if k >= 0 and strings[k][1] > match.start():
            continue  # inside a string
        spans.extend(
            (match.start() + a, match.start() + b)
            for a, b in _balanced_ends(match.group())
            if b - a > BIG_ARRAY_BYTES
        )
    return spans


def _parse_row(content: bytes) -> np.ndarray:
    """The numbers of one innermost array's content as float32 (each rounded once, as
    ``numpy.asarray(..., float32)`` rounds a parsed float), parsed a bounded piece at a time."""
    pieces = []
    start = 0
    while start < len(content):
        end = len(content)
        if end - start > ROW_PIECE_BYTES:
            comma = content.find(b",", start + ROW_PIECE_BYTES)
            end = comma if comma >= 0 else end
        with np.errstate(over="ignore"):  # overflow to inf is refused by the field's rules
            pieces.append(np.asarray(orjson.loads(b"[" + content[start:end] + b"]"), np.float32))
        start = end + 1
    return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)


def _first_ragged(structure: Any, loc: Loc) -> tuple[Loc, str] | None:
    """Where nested lists (leaves: row lengths) stop being rectangular, and how."""
    if not isinstance(structure, list):
        return None
    first: Any = structure[0] if structure else None
    for index, item in enumerate(structure):
        if isinstance(item, int) != isinstance(first, int):
            return (*loc, index), "mixes numbers and arrays"
        size, expected = (item, first) if isinstance(item, int) else (len(item), len(first))
        if size != expected:
            return (*loc, index), f"has {size} entries, expected {expected}"
        found = _first_ragged(item, (*loc, index))
        if found:
            return found
    return None


def _shape(structure: Any) -> tuple[int, ...]:
    """The shape of rectangular nested lists whose leaves are row lengths."""
    shape: list[int] = []
    while isinstance(structure, list):
        shape.append(len(structure))
        if not structure:
            return tuple(shape)
        structure = structure[0]
    return (*shape, structure)


def _with_lengths(structure: Any, lengths: list[int], loc: Loc) -> Any:
    """The skeleton with each row (the string "#") replaced by its length, in order."""
    if structure == "#":
        return lengths.pop(0)
    if isinstance(structure, list):
        return [_with_lengths(item, lengths, (*loc, k)) for k, item in enumerate(structure)]
    raise InputError(loc, "must hold arrays of numbers only")


def parse_number_array(span: bytes, loc: Loc) -> np.ndarray:
    """A JSON array of numbers (any depth, rectangular) as a float32 array of its shape."""
    codes = np.frombuffer(span, np.uint8)
    where = np.flatnonzero((codes == _OPEN) | (codes == _CLOSE))
    kinds = codes[where]
    innermost = np.flatnonzero((kinds[:-1] == _OPEN) & (kinds[1:] == _CLOSE))  # rows
    rows: list[np.ndarray] = []
    skeleton, last = [], 0
    try:
        for k in innermost:
            start, end = int(where[k]), int(where[k + 1]) + 1
            content = span[start + 1 : end - 1]
            rows.append(_parse_row(content) if content.strip() else np.empty(0, np.float32))
            skeleton += [span[last:start], b'"#"']  # each row becomes "#": the rest stays JSON
            last = end
        skeleton.append(span[last:])
        structure = orjson.loads(b"".join(skeleton))
    except orjson.JSONDecodeError as error:
        msg = f"is not a valid JSON array of numbers ({error})"
        raise InputError(loc, msg, "json_invalid") from None
    structure = _with_lengths(structure, [len(row) for row in rows], loc)
    ragged = _first_ragged(structure, loc)
    if ragged:
        where_, msg = ragged
        raise InputError(where_, f"{msg}: every row of an array must have the same length")
    shape = _shape(structure)
    array = np.empty(shape, np.float32)
    if array.size:
        flat = array.reshape(len(rows), -1)  # a row of the array per parsed row
        for index, row in enumerate(rows):
            flat[index] = row
    return array


def _check_text(value: Any, loc: Loc) -> None:
    """Refuse strings (and keys) with a lone surrogate: they have no UTF-8 form."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            char = value[error.start]
            raise InputError(
                loc,
                f"has a lone surrogate {char.encode('unicode_escape').decode()} at position "
                f"{error.start}: not valid Unicode text",
            ) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, loc)
            _check_text(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_text(item, (*loc, index))


def _put_arrays(value: Any, arrays: dict[str, bytes], loc: Loc) -> Any:
    if isinstance(value, str) and value in arrays:
        return parse_number_array(arrays[value], loc)
    if isinstance(value, dict):
        return {key: _put_arrays(item, arrays, (*loc, key)) for key, item in value.items()}
    if isinstance(value, list):
        return [_put_arrays(item, arrays, (*loc, index)) for index, item in enumerate(value)]
    return value


def read_json(body: bytes) -> Any:
    """The JSON ``body`` as Python values; long arrays of numbers come as float32 ndarrays.

    Raises ``InputError`` for anything that is not strict JSON (see the module docstring).
    """
    spans = _big_arrays(body)
    token = "\x00" + secrets.token_hex(8)
    arrays: dict[str, bytes] = {}
    pieces, last = [], 0
    for index, (start, end) in enumerate(spans):
        name = f"{token}:{index}"
        arrays[name] = body[start:end]
        pieces += [body[last:start], json.dumps(name).encode()]
        last = end
    pieces.append(body[last:])
    try:
        # NaN and Infinity (not JSON) are read as floats: the fields' rules refuse them, by name.
        value = json.loads(b"".join(pieces), object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError:
        raise InputError((), "could not be read as UTF-8 JSON", "json_invalid") from None
    except json.JSONDecodeError as error:
        raise InputError((), f"is not valid JSON: {error.msg}", "json_invalid") from None
    except RecursionError:
        raise InputError((), "nests arrays or objects too deeply", "json_invalid") from None
    _check_text(value, ())
    return _put_arrays(value, arrays, ())
