"""Object references as LINDI stores them: ``{"_REFERENCE": {...}}``.

The same JSON object is used for an attribute value, an element of an object-dtype dataset and a
field of a compound row::

    {"_REFERENCE": {"object_id": null, "path": "/grp", "source": ".", "source_object_id": null}}

``object_id`` is the ``object_id`` attribute of the target (``null`` when it has none),
``source`` the file the path is in (``"."`` for this file) and ``source_object_id`` the
``object_id`` of the root of that file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hdmf_lindi.conventions.keys import REFERENCE
from hdmf_lindi.conventions.model import Reference
from hdmf_lindi.errors import LindiFormatError

__all__ = ["is_reference_json", "reference_from_json", "reference_to_json"]


def reference_to_json(ref: Reference) -> dict[str, Any]:
    """The ``{"_REFERENCE": ...}`` object for ``ref`` (all four keys, as lindi 0.4.6 writes)."""
    return {
        REFERENCE: {
            "object_id": ref.object_id,
            "path": ref.path,
            "source": ref.source,
            "source_object_id": ref.source_object_id,
        }
    }


def is_reference_json(value: object) -> bool:
    """Whether ``value`` is a JSON object of the form ``{"_REFERENCE": {...}}``."""
    return isinstance(value, Mapping) and len(value) == 1 and REFERENCE in value


def reference_from_json(value: Any, *, where: str = "?") -> Reference:
    """Parse ``{"_REFERENCE": {...}}`` into a :class:`Reference`.

    Parameters
    ----------
    value
        The JSON object.
    where
        What holds the value (file, key, attribute), for error messages.

    Raises
    ------
    LindiFormatError
        When the object is not a reference or its fields have the wrong types.
    """
    if not is_reference_json(value):
        raise LindiFormatError(f"{where}: expected a {REFERENCE} object, got {_short(value)}")
    body = value[REFERENCE]
    if not isinstance(body, Mapping):
        raise LindiFormatError(f"{where}: {REFERENCE} must hold a JSON object, got {_short(body)}")
    path = body.get("path")
    if not isinstance(path, str) or not path:
        raise LindiFormatError(f"{where}: {REFERENCE} needs a non-empty string 'path'")
    source = body.get("source", ".")
    if source is None:
        source = "."
    if not isinstance(source, str):
        raise LindiFormatError(f"{where}: {REFERENCE} 'source' must be a string")
    object_id = body.get("object_id")
    source_object_id = body.get("source_object_id")
    for name, field in (("object_id", object_id), ("source_object_id", source_object_id)):
        if field is not None and not isinstance(field, str):
            raise LindiFormatError(f"{where}: {REFERENCE} {name!r} must be a string or null")
    return Reference(
        path=path, source=source, object_id=object_id, source_object_id=source_object_id
    )


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
