"""Object references as h5py returns them, backed by LINDI ``_REFERENCE`` values."""

from __future__ import annotations

from typing import Any

import h5py
import numpy as np

from hdmf_lindi.conventions.model import Reference

__all__ = ["LindiH5pyReference", "null_references_as_h5py", "to_h5py_values", "to_model_values"]


class LindiH5pyReference(h5py.h5r.Reference):
    """An HDF5 object reference into a LINDI file.

    It is an ``h5py.Reference`` (so ``isinstance`` checks in hdmf/pynwb pass) holding the LINDI
    reference: the target path, the source (``"."`` for the same file) and the ``object_id``
    values that let a reader check it still points where it pointed when written.

    Parameters
    ----------
    reference
        The LINDI reference.
    """

    def __init__(self, reference: Reference) -> None:
        self._reference = reference

    @property
    def reference(self) -> Reference:
        """The LINDI reference (path, source, object ids)."""
        return self._reference

    @property
    def path(self) -> str:
        """Absolute path of the referenced object."""
        return self._reference.path

    @property
    def typecode(self) -> int:
        """``h5py.h5r.OBJECT``: always an object reference."""
        return int(h5py.h5r.OBJECT)

    def __bool__(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LindiH5pyReference):
            return self._reference == other._reference
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._reference)

    def __repr__(self) -> str:
        return f"<LindiH5pyReference to {self._reference.path!r}>"

    __str__ = __repr__

    def __reduce__(self) -> tuple[Any, ...]:
        return (LindiH5pyReference, (self._reference,))


def _to_h5py_scalar(value: Any) -> Any:
    if isinstance(value, Reference):
        return LindiH5pyReference(value)
    return value


def _to_model_scalar(value: Any) -> Any:
    if isinstance(value, LindiH5pyReference):
        return value.reference
    if isinstance(value, h5py.h5r.Reference):
        if not value:
            return None
        raise TypeError(
            "an h5py.Reference into an HDF5 file cannot be stored in a LINDI file; "
            "take the reference from the LINDI file (obj.ref)"
        )
    return value


def _map_object_array(array: np.ndarray, convert: Any) -> np.ndarray:
    out = np.empty(array.shape, dtype=array.dtype)
    flat_in = array.reshape(-1)
    flat_out = out.reshape(-1)
    for i in range(flat_in.size):
        flat_out[i] = convert(flat_in[i])
    return out


def _convert(value: Any, convert: Any) -> Any:
    if isinstance(value, np.ndarray):
        if value.dtype.names is not None:
            names = [n for n in value.dtype.names if value.dtype[n].kind == "O"]
            if not names:
                return value
            out = value.copy()
            for name in names:
                out[name] = _map_object_array(np.asarray(value[name]), convert)
            return out
        if value.dtype.kind == "O":
            return _map_object_array(value, convert)
        return value
    if isinstance(value, np.void) and value.dtype.names is not None:
        return _convert(np.array(value, dtype=value.dtype), convert)[()]
    if isinstance(value, list):
        return [_convert(v, convert) for v in value]
    if isinstance(value, tuple):
        return tuple(_convert(v, convert) for v in value)
    return convert(value)


def to_h5py_values(value: Any) -> Any:
    """Replace LINDI references (also inside object and compound arrays) by
    :class:`LindiH5pyReference` objects."""
    return _convert(value, _to_h5py_scalar)


def to_model_values(value: Any) -> Any:
    """Replace :class:`LindiH5pyReference` objects (also inside arrays, lists, tuples) by the
    LINDI references they hold."""
    return _convert(value, _to_model_scalar)


def _null_as_h5py(value: Any) -> Any:
    return h5py.h5r.Reference() if value is None else value


def null_references_as_h5py(values: Any, dtype: np.dtype[Any]) -> Any:
    """``values`` of a dataset of ``dtype`` (a reference or compound dtype) with ``None`` (a
    null reference as LINDI reads it) in reference positions replaced by h5py's null
    reference, which h5py returns for a reference never written."""
    if dtype.names is None:
        if h5py.check_ref_dtype(dtype) is None:
            return values
        if values is None:
            return h5py.h5r.Reference()
        if isinstance(values, np.ndarray):
            return _map_object_array(values, _null_as_h5py)
        return values
    names = [n for n in dtype.names if h5py.check_ref_dtype(dtype[n]) is not None]
    if not names or not isinstance(values, np.ndarray | np.void):
        return values
    if isinstance(values, np.void):
        return null_references_as_h5py(np.array(values, dtype=values.dtype), dtype)[()]
    out = values.copy()
    for name in names:
        out[name] = _map_object_array(np.asarray(values[name]), _null_as_h5py)
    return out
