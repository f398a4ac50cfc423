"""The LINDI conventions: HDF5 features Zarr lacks, as special attributes and value encodings.

Use :func:`get_conventions` to pick a flavour by name and :func:`detect_conventions` to find the
flavour of an existing reference map.
"""

from __future__ import annotations

from hdmf_lindi.conventions.abc import Conventions, MetadataMap
from hdmf_lindi.errors import LindiUnsupportedError

__all__ = [
    "DEFAULT_CONVENTIONS",
    "UNIFIED_ZARR_V3_CONVENTIONS",
    "Conventions",
    "detect_conventions",
    "get_conventions",
]

DEFAULT_CONVENTIONS = "lindi-v1"
UNIFIED_ZARR_V3_CONVENTIONS = "unified-zarr-v3"


def get_conventions(name: str = DEFAULT_CONVENTIONS) -> Conventions:
    """The conventions flavour called ``name``.

    Parameters
    ----------
    name
        ``"lindi-v1"`` (today's LINDI, Zarr v2 keys, compatible with lindi 0.4.6).

    Raises
    ------
    LindiUnsupportedError
        For the unified Zarr v3 flavour (not implemented yet) and unknown names.
    """
    if name == DEFAULT_CONVENTIONS:
        from hdmf_lindi.conventions.lindi_v1 import LindiV1Conventions

        return LindiV1Conventions()
    if name == UNIFIED_ZARR_V3_CONVENTIONS:
        raise LindiUnsupportedError(
            f"the {UNIFIED_ZARR_V3_CONVENTIONS!r} conventions (Zarr v3 keys) "
            "are not implemented yet"
        )
    raise LindiUnsupportedError(
        f"unknown LINDI conventions {name!r}; known: {DEFAULT_CONVENTIONS!r}"
    )


def detect_conventions(meta: MetadataMap) -> Conventions:
    """The flavour of an existing map, from its keys.

    Zarr v2 keys (``.zgroup``, ``.zarray``) -> lindi-v1; ``zarr.json`` keys -> the unified Zarr
    v3 flavour (raises :class:`LindiUnsupportedError` naming it). An empty map is lindi-v1.
    """
    if ".zgroup" in meta or ".zattrs" in meta:
        return get_conventions(DEFAULT_CONVENTIONS)
    if "zarr.json" in meta:
        return get_conventions(UNIFIED_ZARR_V3_CONVENTIONS)
    pending = [""]
    while pending:
        prefix = pending.pop()
        for name in meta.list_dir(prefix):
            key = f"{prefix}/{name}" if prefix else name
            if name in (".zgroup", ".zarray"):
                return get_conventions(DEFAULT_CONVENTIONS)
            if name == "zarr.json":
                return get_conventions(UNIFIED_ZARR_V3_CONVENTIONS)
            if meta.has_dir(key):
                pending.append(key)
    return get_conventions(DEFAULT_CONVENTIONS)
