"""``obj.attrs``: the attributes of a group or dataset, as h5py's AttributeManager."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from hdmf_lindi.conventions.attribute_dtypes import user_value
from hdmf_lindi.conventions.model import Reference
from hdmf_lindi.conventions.values import refuse_embedded_nul
from hdmf_lindi.errors import (
    LindiArgumentError,
    LindiConversionError,
    LindiDtypeError,
    LindiNotFoundError,
    LindiOverflowError,
    LindiReadOnlyDeleteError,
    LindiShapeError,
    LindiTextEncodeError,
    LindiUnsupportedError,
)
from hdmf_lindi.h5py_compat._values import numbers_with_bytes, refuse_items_without_hdf5_type
from hdmf_lindi.h5py_compat.reference import to_h5py_values, to_model_values

if TYPE_CHECKING:
    from hdmf_lindi.h5py_compat.file import LindiH5pyFile

__all__ = ["LindiH5pyAttributes", "surrogates_as_bytes"]


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

    def _name_of(self, name: object) -> str:
        """An attribute name as a ``str``: ``bytes`` are UTF-8, as h5py encodes ``str``;
        anything else raises :class:`~hdmf_lindi.errors.LindiArgumentError` (a ``TypeError``,
        as h5py's)."""
        if isinstance(name, bytes):
            return name.decode("utf-8", errors="surrogateescape")
        if not isinstance(name, str):
            raise LindiArgumentError(
                f"{self._file.filename}: attributes of {self._path!r}: a name should be string "
                f"or bytes, not {type(name)}"
            )
        return name

    def _value(self, stored: Any) -> Any:
        value = to_h5py_values(user_value(stored))
        # a new array on every read, as h5py's: changing it changes nothing stored
        return value.copy() if isinstance(value, np.ndarray) else value

    def __getitem__(self, name: str | bytes) -> Any:
        name = self._name_of(name)
        attrs = self._current()
        if name not in attrs:
            raise LindiNotFoundError(
                f"{self._file.filename}: object {self._path!r} has no attribute {name!r}"
            )
        return self._value(attrs[name])

    def get(self, name: str | bytes, default: Any = None) -> Any:
        """The attribute ``name``, or ``default`` when absent."""
        name = self._name_of(name)
        attrs = self._current()
        if name not in attrs:
            return default
        return self._value(attrs[name])

    def __contains__(self, name: object) -> bool:
        return self._name_of(name) in self._current()

    def __len__(self) -> int:
        return len(self._current())

    def __iter__(self) -> Iterator[str]:
        # h5py's default order (no track_order): by name
        yield from sorted(self._current())

    def __setitem__(self, name: str | bytes, value: Any) -> None:
        self.create(name, value)

    def create(self, name: str | bytes, data: Any, shape: Any = None, dtype: Any = None) -> None:
        """Create (or replace) the attribute ``name`` with value ``data``, optionally cast to
        ``dtype`` and reshaped to ``shape``."""
        name = self._name_of(name)
        where = f"{self._file.filename}: {self._path}: attribute {name!r}"
        if data is None:
            raise LindiDtypeError(f"{where}: None has no HDF5 type (h5py's object dtype)")
        if dtype is None:
            refuse_items_without_hdf5_type(data, where=where)
        try:
            value = _normalized_attr_value(data, shape=shape, dtype=dtype)
        except OverflowError as exc:
            raise LindiOverflowError(f"{where}: {exc}") from None
        except ValueError as exc:
            if shape is None or isinstance(exc, UnicodeError):
                raise
            raise LindiShapeError(
                f"{where}: shape {shape} conflicts with the shape of the data "
                f"{np.shape(data)}: {exc}"
            ) from None
        _refuse_invalid_text(value, where=where)
        refuse_embedded_nul(value, where=where)
        # as h5py: the value is checked before the file's write intent
        self._file._check_writable(f"set attribute {name!r} of {self._path!r}")
        self._file._set_attrs(self._path, {name: value})

    def modify(self, name: str | bytes, value: Any) -> None:
        """Change the value of ``name`` keeping its type and shape, as h5py: a numpy array is
        converted by HDF5 from its own dtype (``OSError``, here
        :class:`~hdmf_lindi.errors.LindiConversionError`, when HDF5 has no conversion path),
        anything else by numpy to the attribute's dtype (``OverflowError``, here
        :class:`~hdmf_lindi.errors.LindiOverflowError`, for a Python integer out of its
        range); a value of another shape raises ``TypeError`` (a 1-element value fits a
        1-element attribute of any shape). An absent attribute is created.

        The conversion is h5py's own, made on a copy of the attribute in an in-memory HDF5
        file, so that the stored value is the one h5py would store.
        """
        name = self._name_of(name)
        self._file._check_writable(f"modify attribute {name!r} of {self._path!r}")
        attrs = self._current()
        if name not in attrs:
            self.create(name, value)
            return
        hdf5_type = _hdf5_type_of(attrs[name])
        where = f"{self._file.filename}: attribute {name!r} of {self._path!r}"
        if hdf5_type is None:  # references: replaced by references of the same shape
            self.create(name, _references_for(np.shape(attrs[name]), value, where=where))
            return
        converted = _modified_as_h5py(*hdf5_type, value, where=where)
        self._file._set_attrs(self._path, {name: converted})

    def get_id(self, name: str | bytes) -> Any:
        """HDF5 attribute identifiers (``h5py.h5a.AttrID``) do not exist in LINDI files.

        Raises
        ------
        LindiNotFoundError
            When there is no attribute ``name`` (a ``KeyError``, as h5py's).
        LindiUnsupportedError
            Otherwise.
        """
        name = self._name_of(name)
        if name not in self._current():
            raise LindiNotFoundError(
                f"{self._file.filename}: Unable to open attribute (can't locate attribute "
                f"{name!r} of {self._path!r})"
            )
        raise LindiUnsupportedError(
            f"{self._file.filename}: attribute {name!r} of {self._path!r} has no HDF5 "
            "identifier in a LINDI file"
        )

    def __delitem__(self, name: str | bytes) -> None:
        name = self._name_of(name)
        if not self._file._writable:
            # h5py raises KeyError here (so MutableMapping.clear() stops quietly, as h5py's)
            raise LindiReadOnlyDeleteError(
                f"{self._file.filename}: opened read-only (mode 'r'); cannot delete attribute "
                f"{name!r} of {self._path!r}"
            )
        self._file._check_writable(f"delete attribute {name!r} of {self._path!r}")
        if name not in self._current():
            raise LindiNotFoundError(
                f"{self._file.filename}: object {self._path!r} has no attribute {name!r}"
            )
        self._file._delete_attr(self._path, name)

    def __repr__(self) -> str:
        return f"<Attributes of LINDI object {self._path!r}>"


def _hdf5_type_of(value: Any) -> tuple[np.dtype[Any], tuple[int, ...]] | None:
    """The dtype and shape h5py stores the attribute ``value`` (as it reads back) with, or
    ``None`` when h5py could not hold it (references)."""
    if isinstance(value, str):
        return h5py.string_dtype(), ()
    if isinstance(value, np.ndarray) and value.dtype.kind == "O":
        if all(isinstance(item, str) for item in value.reshape(-1)):
            return h5py.string_dtype(), value.shape
        return None
    if isinstance(value, np.ndarray | np.generic) and value.dtype.kind in "biufS":
        return value.dtype, np.shape(value)
    return None


def _references_for(shape: tuple[int, ...], value: Any, *, where: str) -> Any:
    """``value`` written over a reference attribute of ``shape`` as h5py writes it: object
    references (a 1-element value fits a 1-element attribute), else ``TypeError``."""
    sequence = isinstance(value, (list, tuple, np.ndarray))
    items = np.empty(np.shape(value) if sequence else (), dtype=object)
    items[...] = value
    if not all(isinstance(item, (h5py.Reference, Reference)) for item in items.flat):
        raise LindiShapeError(
            f"{where}: Can't convert incompatible object to HDF5 object reference"
        )
    if items.shape != shape and not (items.size == 1 == math.prod(shape)):
        raise LindiShapeError(f"{where}: Shape of data is incompatible with existing attribute")
    return items.reshape(shape)[()] if not shape else items.reshape(shape)


def _modified_as_h5py(
    dtype: np.dtype[Any], shape: tuple[int, ...], value: Any, *, where: str
) -> Any:
    """What h5py reads back after ``attrs.modify`` with ``value`` of an attribute of ``dtype``
    and ``shape``, or the error h5py raises as a :class:`~hdmf_lindi.errors.LindiError`
    (naming the attribute ``where``)."""
    # HDF5's in-memory driver: no Python file object for h5py to call back into under its lock
    scratch_name = f"lindi-attribute-{uuid.uuid4().hex}.h5"
    with h5py.File(scratch_name, "w", driver="core", backing_store=False) as scratch:
        blank = np.full(shape, "", dtype=object) if dtype.kind == "O" else np.zeros(shape, dtype)
        scratch.attrs.create("a", blank, dtype=dtype)
        try:
            scratch.attrs.modify("a", value)
        except UnicodeEncodeError as exc:
            raise LindiTextEncodeError(f"{where}: {exc}", exc) from None
        except OSError as exc:
            raise LindiConversionError(f"{where}: cannot convert {value!r:.100}: {exc}") from None
        except (TypeError, ValueError) as exc:
            if isinstance(exc, UnicodeError):
                exc.add_note(where)
                raise
            raise LindiShapeError(f"{where}: cannot store {value!r:.100}: {exc}") from None
        except OverflowError as exc:
            raise LindiOverflowError(f"{where}: {exc}") from None
        modified = scratch.attrs["a"]
        # h5py reads a fixed-width scalar with its content's width; the attribute keeps its own
        return np.array(modified, dtype=dtype) if dtype.kind == "S" and not shape else modified


def surrogates_as_bytes(value: Any) -> Any:
    """An attribute value read from one file as a value to write to another (a copy): strings
    holding lone surrogates, as h5py reads bytes that are not valid UTF-8, as those bytes
    (h5py refuses such strings, not the bytes, which read back as the same strings); in an
    array, every string then (h5py refuses an array mixing strings and bytes)."""

    def needs_bytes(item: Any) -> bool:
        if isinstance(item, str) and not item.isascii():
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        return False

    if isinstance(value, np.ndarray) and value.dtype.kind == "O":
        if not any(needs_bytes(item) for item in value.flat):
            return value
        out = np.empty(value.shape, dtype=object)
        for index in np.ndindex(value.shape):
            item = value[index]
            out[index] = (
                item.encode("utf-8", errors="surrogateescape") if isinstance(item, str) else item
            )
        return out
    return value.encode("utf-8", errors="surrogateescape") if needs_bytes(value) else value


def _refuse_invalid_text(value: Any, *, where: str) -> None:
    """Raise :class:`~hdmf_lindi.errors.LindiTextEncodeError` when ``value`` (a ``str`` or an
    object array) holds a string that is not valid Unicode, as h5py."""
    if isinstance(value, str):
        items: Any = (value,)
    elif isinstance(value, np.ndarray) and value.dtype.kind == "O":
        items = value.reshape(-1)
    else:
        return
    for item in items:
        if isinstance(item, str) and not item.isascii():
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise LindiTextEncodeError(f"{where}: {exc}", exc) from None


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
        elif numbers_with_bytes(items):
            value = np.asarray(items)  # numpy's fixed-width bytes, which h5py stores
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
