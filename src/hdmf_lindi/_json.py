"""JSON encoding used everywhere: orjson, sorted keys, compact, deterministic."""

from __future__ import annotations

from typing import Any

import orjson

_DUMP_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY


def dumps(value: Any) -> bytes:
    """Serialize ``value`` to compact JSON bytes with sorted keys.

    Non-finite floats must already have been encoded by the conventions layer (orjson would
    write them as ``null``); :func:`check_finite` refuses them where values enter a map.
    """
    return orjson.dumps(value, option=_DUMP_OPTIONS)


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Parse JSON text; ``NaN``/``Infinity`` literals (as Python's json writes) are accepted.
    Raises ``ValueError`` for invalid JSON, including JSON nested more than 1024 levels."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        import json

        text = data if isinstance(data, str) else bytes(data).decode("utf-8")
        try:
            return json.loads(text)
        except RecursionError:
            # orjson stops at 1024 levels; Python's parser would recurse until it fails
            raise ValueError("JSON nested too deeply (more than 1024 levels)") from None


def check_finite(value: Any, *, where: str) -> None:
    """Raise ``ValueError`` naming ``where`` when ``value`` holds a NaN or infinite float (JSON
    cannot hold them; the LINDI conventions write them as ``"NaN"``/``"Infinity"``)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if item != item or item in (float("inf"), float("-inf")):
                raise ValueError(f"{where}: {item!r} cannot be stored in JSON")
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def check_text(value: Any, *, where: str) -> None:
    """Raise ``ValueError`` naming ``where`` when a string (key or value) in ``value`` cannot
    be encoded as UTF-8 (a lone surrogate such as ``"\\ud800"``; h5py refuses it too)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError as exc:
                    message = f"{where}: text {item!r} is not valid Unicode ({exc})"
                    raise ValueError(message) from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
