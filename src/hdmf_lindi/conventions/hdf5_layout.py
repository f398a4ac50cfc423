"""``_HDF5_LAYOUT``: the layout of a converted dataset in its source HDF5 file.

The converter inlines small datasets as one Zarr chunk and cuts contiguous datasets into
chunks of its own choosing, so the ``.zarray`` does not say how the source stored them; h5py
reports the source's ``chunks``, ``compression``, ``shuffle``, ... . The attribute records
them as a list of strings, so that lindi 0.4.6 reads it as an ordinary string-array attribute:

``["layout=chunked", "chunks=10,2", "compression=gzip", "compression_opts=4", "shuffle",
"fletcher32", "scaleoffset=0"]``

``layout`` (``chunked``, ``contiguous`` or ``compact``) comes first; ``chunks`` only for
``chunked``; the other items only when set (``compression_opts`` as comma-separated values,
integers where they parse as such). Unknown items are ignored on reading (later additions).
"""

from __future__ import annotations

from typing import Any

from hdmf_lindi.conventions import keys
from hdmf_lindi.conventions.model import HDF5Layout
from hdmf_lindi.errors import LindiFormatError

__all__ = ["decode_hdf5_layout", "encode_hdf5_layout"]

_LAYOUTS = ("chunked", "contiguous", "compact")


def encode_hdf5_layout(layout: HDF5Layout) -> list[str]:
    """The ``_HDF5_LAYOUT`` value of ``layout``."""
    if layout.layout not in _LAYOUTS:
        raise LindiFormatError(f"HDF5 layout must be one of {_LAYOUTS}, got {layout.layout!r}")
    items = [f"layout={layout.layout}"]
    if layout.chunks is not None:
        items.append("chunks=" + ",".join(str(int(c)) for c in layout.chunks))
    if layout.compression is not None:
        items.append(f"compression={layout.compression}")
    if layout.compression_opts is not None:
        opts = layout.compression_opts
        values = opts if isinstance(opts, (tuple, list)) else (opts,)
        items.append("compression_opts=" + ",".join(str(v) for v in values))
    if layout.shuffle:
        items.append("shuffle")
    if layout.fletcher32:
        items.append("fletcher32")
    if layout.scaleoffset is not None:
        items.append(f"scaleoffset={int(layout.scaleoffset)}")
    return items


def _int_or_str(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:
        return text


def decode_hdf5_layout(value: Any, *, where: str = "?") -> HDF5Layout:
    """The :class:`HDF5Layout` of an ``_HDF5_LAYOUT`` value.

    Raises
    ------
    LindiFormatError
        The value is not a list of strings starting with a known ``layout=``, or an item's
        value does not parse.
    """
    name = keys.HDF5_LAYOUT
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise LindiFormatError(f"{where}: {name} must be a non-empty list of strings")
    first = value[0].partition("=")
    if first[0] != "layout" or first[2] not in _LAYOUTS:
        raise LindiFormatError(f"{where}: {name} must start with 'layout=<one of {_LAYOUTS}>'")
    fields: dict[str, Any] = {"layout": first[2]}
    try:
        for item in value[1:]:
            key, _, text = item.partition("=")
            if key == "chunks":
                fields["chunks"] = tuple(int(c) for c in text.split(","))
            elif key == "compression":
                fields["compression"] = text
            elif key == "compression_opts":
                opts = tuple(_int_or_str(v) for v in text.split(","))
                fields["compression_opts"] = opts[0] if len(opts) == 1 else opts
            elif key in ("shuffle", "fletcher32"):
                fields[key] = True
            elif key == "scaleoffset":
                fields["scaleoffset"] = int(text)
    except ValueError:
        raise LindiFormatError(f"{where}: {name} item {item!r} does not parse") from None
    if (fields["layout"] == "chunked") != ("chunks" in fields):
        raise LindiFormatError(f"{where}: {name} gives 'chunks' exactly when 'layout=chunked'")
    return HDF5Layout(**fields)
