"""``obj.attrs``: the attributes of a group or dataset, as h5py's AttributeManager."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from hdmf_lindi.conventions.values import bytes_to_text, refuse_embedded_nul
from hdmf_lindi.errors import LindiUnsupportedError
from hdmf_lindi.h5py_compat._values import hdf5_converted
from hdmf_lindi.h5py_compat.reference import to_h5py_values, to_model_values

if TYPE_CHECKING:
    from hdmf_lindi.h5py_compat.file import LindiH5pyFile

__all__ = ["LindiH5pyAttributes"]


class LindiH5pyAttributes(h5py.AttributeManager):
    """The attributes of one object (dict-like, as ``h5py.AttributeManager``).

    Values come back as h5py returns them: ``str`` for strings, numpy scalars and arrays,
    object arrays of ``str`` for string lists, :class:`LindiH5pyReference` for references.
    Writes need a file opened in a writable mode.

    Parameters
    ----------
    file
        The open file.
    path
        Real path (links resolved) of the object the attributes belong to.
    """

    def __init__(self, file: LindiH5pyFile, path: str) -> None:
        # h5py's own __init__ needs an HDF5 identifier; not called on purpose.
        self._file = file
        self._path = path

    def _current(self) -> dict[str, Any]:
        return self._file._node_attrs(self._path)

    def __getitem__(self, name: str) -> Any:
        attrs = self._current()
        if name not in attrs:
            raise KeyError(
                f"{self._file.filename}: object {self._path!r} has no attribute {name!r}"
            )
        return to_h5py_values(attrs[name])

    def get(self, name: str, default: Any = None) -> Any:
        """The attribute ``name``, or ``default`` when absent."""
        attrs = self._current()
        if name not in attrs:
            return default
        return to_h5py_values(attrs[name])

    def __contains__(self, name: object) -> bool:
        return name in self._current()

    def __len__(self) -> int:
        return len(self._current())

    def __iter__(self) -> Iterator[str]:
        # h5py's default order (no track_order): by name
        yield from sorted(self._current())

    def __setitem__(self, name: str, value: Any) -> None:
        self.create(name, value)

    def create(self, name: str, data: Any, shape: Any = None, dtype: Any = None) -> None:
        """Create (or replace) the attribute ``name`` with value ``data``, optionally cast to
        ``dtype`` and reshaped to ``shape``."""
        self._file._check_writable(f"set attribute {name!r} of {self._path!r}")
        value = _normalized_attr_value(data, shape=shape, dtype=dtype)
        refuse_embedded_nul(value, where=f"{self._file.filename}: {self._path}: attribute {name!r}")
        self._file._set_attrs(self._path, {name: value})

    def modify(self, name: str, value: Any) -> None:
        """Change the value of ``name`` keeping its type and shape, as h5py: the value is
        converted to the existing attribute's dtype (``OverflowError`` for a Python integer
        out of its range; numpy arrays converted as HDF5 converts them); a value of another
        shape raises ``TypeError``. An absent attribute is created."""
        self._file._check_writable(f"modify attribute {name!r} of {self._path!r}")
        attrs = self._current()
        if name not in attrs:
            self.create(name, value)
            return
        existing = attrs[name]
        if isinstance(existing, str) or (
            isinstance(existing, np.ndarray) and existing.dtype.kind == "O"
        ):
            converted = _as_text(value, existing)
        elif isinstance(existing, (np.ndarray, np.generic)) and existing.dtype.kind != "O":
            converted = _as_dtype_of(value, existing)
        else:
            self.create(name, value)
            return
        existing_shape = np.shape(existing)
        converted_shape = np.shape(converted)
        if converted_shape != existing_shape:
            if not (np.size(converted) == 1 and int(np.prod(existing_shape)) == 1):
                raise TypeError(
                    f"{self._file.filename}: Shape of data is incompatible with existing "
                    f"attribute {name!r} of {self._path!r} ({converted_shape} vs {existing_shape})"
                )
            converted = np.reshape(converted, existing_shape)
            if isinstance(existing, (str, np.generic)):
                converted = converted[()]
        refuse_embedded_nul(
            converted, where=f"{self._file.filename}: {self._path}: attribute {name!r}"
        )
        self._file._set_attrs(self._path, {name: converted})

    def get_id(self, name: str) -> Any:
        """HDF5 attribute identifiers (``h5py.h5a.AttrID``) do not exist in LINDI files.

        Raises
        ------
        KeyError
            When there is no attribute ``name`` (as h5py).
        LindiUnsupportedError
            Otherwise.
        """
        if name not in self._current():
            raise KeyError(
                f"{self._file.filename}: Unable to open attribute (can't locate attribute "
                f"{name!r} of {self._path!r})"
            )
        raise LindiUnsupportedError(
            f"{self._file.filename}: attribute {name!r} of {self._path!r} has no HDF5 "
            "identifier in a LINDI file"
        )

    def __delitem__(self, name: str) -> None:
        self._file._check_writable(f"delete attribute {name!r} of {self._path!r}")
        if name not in self._current():
            raise KeyError(
                f"{self._file.filename}: object {self._path!r} has no attribute {name!r}"
            )
        self._file._delete_attr(self._path, name)

    def __repr__(self) -> str:
        return f"<Attributes of LINDI object {self._path!r}>"


def _as_dtype_of(value: Any, existing: np.ndarray | np.generic) -> Any:
    """``value`` converted to the dtype of the numeric or fixed-width attribute ``existing``
    as h5py's ``modify`` converts it."""
    dtype = existing.dtype
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iuf" and dtype.kind in "iuf":
            converted = hdf5_converted(value, dtype)
        else:
            converted = value.astype(dtype)
    else:
        converted = np.asarray(value, dtype=dtype)
    return converted[()] if converted.ndim == 0 else converted


def _as_text(value: Any, existing: Any) -> Any:
    """``value`` as the text of a variable-length string attribute (``bytes`` decoded as
    UTF-8, or Latin-1 when not valid UTF-8, as an attribute set to bytes is);
    ``TypeError`` for anything else, as h5py."""

    def text(item: Any) -> str:
        if isinstance(item, (bytes, np.bytes_)):
            return bytes_to_text(bytes(item))
        if isinstance(item, (str, np.str_)):
            return str(item)
        raise TypeError("Can't implicitly convert non-string objects to strings")

    if isinstance(value, (list, tuple, np.ndarray)):
        items = np.asarray(value, dtype=object)
        out = np.empty(items.shape, dtype=object)
        for index in np.ndindex(items.shape):
            out[index] = text(items[index])
        return out if isinstance(existing, np.ndarray) or out.ndim else out[()]
    return text(value) if isinstance(existing, str) else np.array(text(value), dtype=object)


def _normalized_attr_value(data: Any, *, shape: Any, dtype: Any) -> Any:
    """Bring an attribute value into the forms the conventions encode: references as LINDI
    references, sequences as numpy arrays (``str`` items in object arrays)."""
    value = to_model_values(data)
    if isinstance(value, (list, tuple)) and dtype is not None and np.dtype(dtype).kind in "biuf":
        value = np.asarray(value, dtype=dtype)  # not through float64 (uint64 would round)
    if isinstance(value, (list, tuple)):
        items = list(value)
        if items and all(isinstance(v, (str, bytes)) for v in items):
            value = np.array(items, dtype=object)
        elif any(not isinstance(v, (int, float, complex, bool, np.generic)) for v in items):
            value = np.array(items, dtype=object) if items else np.array(items)
        else:
            value = np.array(items)
    if dtype is not None:
        target = np.dtype(dtype)
        if h5py.check_dtype(vlen=target) in (str, bytes) or h5py.check_dtype(ref=target):
            value = np.asarray(value, dtype=object)
        else:
            value = np.asarray(value, dtype=target)
    if shape is not None:
        value = np.asarray(value).reshape(shape)
    if isinstance(value, np.ndarray) and value.dtype.kind == "U":
        value = value.astype(object)
    return value
