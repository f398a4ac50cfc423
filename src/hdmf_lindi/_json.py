"""JSON encoding used everywhere: orjson, sorted keys, compact, deterministic."""

from __future__ import annotations

from typing import Any

import orjson

_DUMP_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY


def dumps(value: Any) -> bytes:
    """Serialize ``value`` to compact JSON bytes with sorted keys.

    Non-finite floats must already have been encoded by the conventions layer; orjson would
    write them as ``null``, so they are refused here.
    """
    return orjson.dumps(value, option=_DUMP_OPTIONS)


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Parse JSON text; ``NaN``/``Infinity`` literals (as Python's json writes) are accepted."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        import json

        text = data if isinstance(data, str) else bytes(data).decode("utf-8")
        return json.loads(text)
