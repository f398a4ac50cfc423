"""The LINDI conventions: HDF5 features Zarr lacks, as special attributes and value encodings.

Use :func:`get_conventions` to pick a flavour by name and :func:`detect_conventions` to find the
flavour of an existing reference map.
"""

from __future__ import annotations

from hdmf_lindi.conventions.abc import Conventions, MetadataMap
from hdmf_lindi.errors import LindiFormatError, LindiUnsupportedError

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
        ``"lindi-v1"`` (today's LINDI, Zarr v2 keys, compatible with lindi 0.4.6) or
        ``"unified-zarr-v3"`` (the NWB unified Zarr v3 convention, as hdmf-zarr 0.14 reads
        and writes it).

    Raises
    ------
    LindiUnsupportedError
        For unknown names.
    """
    if name == DEFAULT_CONVENTIONS:
        from hdmf_lindi.conventions.lindi_v1 import LindiV1Conventions

        return LindiV1Conventions()
    if name == UNIFIED_ZARR_V3_CONVENTIONS:
        from hdmf_lindi.conventions.unified_v3 import UnifiedZarrV3Conventions

        return UnifiedZarrV3Conventions()
    raise LindiUnsupportedError(
        f"unknown LINDI conventions {name!r}; known: {DEFAULT_CONVENTIONS!r}, "
        f"{UNIFIED_ZARR_V3_CONVENTIONS!r}"
    )


def detect_conventions(meta: MetadataMap) -> Conventions:
    """The flavour of an existing map, from its keys.

    Zarr v2 keys (``.zgroup``, ``.zarray``) -> lindi-v1; ``zarr.json`` keys -> the unified Zarr
    v3 flavour (the root ``zarr.json`` must say ``"zarr_format": 3``). An empty map is
    lindi-v1.

    Raises
    ------
    LindiFormatError
        For a map holding both Zarr v2 and Zarr v3 metadata keys at the root, or a root
        ``zarr.json`` that is not Zarr v3.
    """
    v2 = ".zgroup" in meta or ".zattrs" in meta or ".zarray" in meta
    v3 = "zarr.json" in meta
    if v2 and v3:
        raise LindiFormatError(
            f"{getattr(meta, 'source', '<map>')}: holds both Zarr v2 (.zgroup) and Zarr v3 "
            "(zarr.json) metadata at the root; which conventions apply is ambiguous"
        )
    if v3:
        root = meta.get_json("zarr.json")
        if not isinstance(root, dict) or root.get("zarr_format") != 3:
            raise LindiFormatError(
                f"{getattr(meta, 'source', '<map>')}: zarr.json is not Zarr v3 metadata"
            )
        return get_conventions(UNIFIED_ZARR_V3_CONVENTIONS)
    if v2:
        return get_conventions(DEFAULT_CONVENTIONS)
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
