"""h5py values (attributes, non-numeric dataset contents) as values of the object model.

Object references become :class:`~hdmf_lindi.conventions.model.Reference` with the target's
absolute path and, like lindi 0.4.6, the target's ``object_id`` attribute when it has one. A
null object reference in a dataset (or a compound field) becomes ``None``, which LINDI stores as
``null``. Null references in attributes and region references are refused with
:class:`~hdmf_lindi.errors.LindiUnsupportedError` naming the object: an attribute has no
representation for a null reference, nor does LINDI for a dataspace selection, and dropping the
selection would silently turn a region into the whole dataset.
(``TranslateOptions.unsupported="external_link"`` keeps such datasets readable through h5py.)
"""

from __future__ import annotations

from typing import Any

import h5py
import numpy as np

from hdmf_lindi.conventions.model import Reference
from hdmf_lindi.errors import LindiFormatError, LindiUnsupportedError

__all__ = ["ReferenceResolver", "attribute_value", "dataset_values"]


class ReferenceResolver:
    """Turns h5py object references of one file into model references (cached per target)."""

    def __init__(self, h5file: h5py.File) -> None:
        self._file = h5file
        self._object_ids: dict[str, str | None] = {}
        # HDF5 finds a dereferenced object's name by searching the groups (milliseconds a call):
        # each target's path is looked up once, by object address
        self._paths: dict[int, str | None] = {}

    def __call__(self, ref: Any, *, where: str) -> Reference:
        if isinstance(ref, h5py.RegionReference):
            raise LindiUnsupportedError(
                f"{where}: holds a region reference; LINDI cannot represent dataspace selections"
            )
        if not isinstance(ref, h5py.Reference):
            raise LindiFormatError(f"{where}: expected an object reference, got {ref!r}")
        if not ref:
            raise LindiUnsupportedError(
                f"{where}: holds a null object reference; LINDI v1 has no null reference"
            )
        try:
            object_id = h5py.h5r.dereference(ref, self._file.id)
            address = h5py.h5o.get_info(object_id).addr
        except (KeyError, ValueError, OSError) as exc:
            raise LindiFormatError(
                f"{where}: object reference points to no object ({exc})"
            ) from exc
        if address not in self._paths:
            name = h5py.h5i.get_name(object_id)
            self._paths[address] = name.decode("utf-8") if name is not None else None
        path = self._paths[address]
        if path is None:
            raise LindiUnsupportedError(f"{where}: references an object that has no path")
        if path not in self._object_ids:
            self._object_ids[path] = _object_id(self._file[path])
        return Reference(path=path, object_id=self._object_ids[path])


def _object_id(obj: Any) -> str | None:
    value = obj.attrs.get("object_id") if "object_id" in obj.attrs else None
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    return str(value) if value is not None else None


def _is_null_object_reference(item: Any) -> bool:
    return (
        isinstance(item, h5py.Reference) and not isinstance(item, h5py.RegionReference) and not item
    )


def _convert_object(item: Any, resolver: ReferenceResolver, where: str) -> Any:
    if isinstance(item, (h5py.Reference, h5py.RegionReference)):
        return resolver(item, where=where)
    return item


def attribute_value(value: Any, resolver: ReferenceResolver, *, where: str) -> Any:
    """An attribute value as read by h5py, with references resolved.

    Compound and NULL-dataspace (``h5py.Empty``) attributes are refused.
    """
    if isinstance(value, h5py.Empty):
        raise LindiUnsupportedError(
            f"{where}: attribute has a NULL dataspace (h5py.Empty); LINDI v1 cannot store it"
        )
    if isinstance(value, (h5py.Reference, h5py.RegionReference)):
        return resolver(value, where=where)
    if isinstance(value, (np.void, np.ndarray)) and value.dtype.names:
        raise LindiUnsupportedError(
            f"{where}: compound attribute values are not supported by LINDI v1"
        )
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "O":
            out = np.empty(value.shape, dtype=object)
            for index, item in np.ndenumerate(value):
                if isinstance(item, np.ndarray):
                    raise LindiUnsupportedError(
                        f"{where}: attribute holds variable-length sequences; not supported"
                    )
                out[index] = _convert_object(item, resolver, where)
            return out
        if value.dtype.subdtype is not None or value.dtype.kind == "V":
            raise LindiUnsupportedError(f"{where}: attribute dtype {value.dtype} not supported")
    return value


def dataset_values(
    dataset: h5py.Dataset, resolver: ReferenceResolver, *, where: str, kind: str
) -> np.ndarray:
    """All values of a non-numeric dataset (or a small numeric one) in model form:
    str for variable-length strings, Reference/None for references, a structured array with
    object fields for compound data."""
    if kind == "vlen_string":
        try:
            raw = dataset.asstr()[()]
        except UnicodeDecodeError as exc:
            raise LindiUnsupportedError(f"{where}: string data is not valid UTF-8 ({exc})") from exc
        return np.asarray(raw, dtype=object)
    raw = dataset[()]
    if kind == "reference":
        array = np.asarray(raw, dtype=object)
        out = np.empty(array.shape, dtype=object)
        for index, item in np.ndenumerate(array):
            out[index] = None if _is_null_object_reference(item) else resolver(item, where=where)
        return out
    if kind == "compound":
        return _compound_values(np.asarray(raw), resolver, where)
    return np.asarray(raw)


def _compound_values(raw: np.ndarray, resolver: ReferenceResolver, where: str) -> np.ndarray:
    names = raw.dtype.names or ()
    converted_fields: list[tuple[str, Any]] = []
    for name in names:
        field_dtype = raw.dtype.fields[name][0]  # type: ignore[index]
        if field_dtype.kind == "O":
            converted_fields.append((name, object))
        else:
            converted_fields.append((name, field_dtype))
    out = np.empty(raw.shape, dtype=np.dtype(converted_fields))
    for name in names:
        column = raw[name]
        if column.dtype.kind != "O":
            out[name] = column
            continue
        values = np.empty(column.shape, dtype=object)
        for index, item in np.ndenumerate(column):
            if _is_null_object_reference(item):
                values[index] = None
            elif isinstance(item, (h5py.Reference, h5py.RegionReference)):
                values[index] = resolver(item, where=f"{where} field {name!r}")
            elif isinstance(item, bytes):
                values[index] = item.decode("utf-8")
            else:
                values[index] = item
        out[name] = values
    return out
