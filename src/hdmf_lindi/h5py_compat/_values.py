"""Values of ``LindiH5pyDataset`` reads and writes, in h5py's conventions (selections are
checked in :mod:`hdmf_lindi.h5py_compat._selection`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import h5py
import numpy as np

from hdmf_lindi.conventions.model import DataKind, DatasetInfo, Reference
from hdmf_lindi.conventions.values import refuse_embedded_nul
from hdmf_lindi.errors import (
    LindiDtypeError,
    LindiOverflowError,
    LindiShapeError,
    LindiTextEncodeError,
    LindiUnsupportedError,
)
from hdmf_lindi.h5py_compat.reference import to_model_values

__all__ = [
    "chunk_slices",
    "coerce_values",
    "compound_array",
    "numbers_with_bytes",
    "object_array",
    "refuse_text_lindi_changes",
    "split_field_names",
    "str_to_bytes",
    "values_as_dtype",
]


def split_field_names(args: Any) -> tuple[tuple[str, ...], Any]:
    """Separate compound field names from the index part of an h5py selection."""
    parts = args if isinstance(args, tuple) else (args,)
    names = tuple(x for x in parts if isinstance(x, str))
    if not names:
        return (), args
    rest = tuple(x for x in parts if not isinstance(x, str))
    return names, (rest[0] if len(rest) == 1 else rest)


def compound_str_to_bytes(values: Any) -> Any:
    """The variable-length string fields of compound values as h5py returns them from
    datasets: ``bytes``."""
    dtype = getattr(values, "dtype", None)
    if dtype is None or dtype.names is None or not isinstance(values, np.ndarray | np.void):
        return values
    fields = [
        name
        for name in dtype.names
        if dtype[name].kind == "O" and h5py.check_ref_dtype(dtype[name]) is None
    ]
    if not fields:
        return values
    out = np.array(values, dtype=dtype, copy=True)
    for name in fields:
        out[name] = str_to_bytes(np.asarray(out[name]))
    return out[()] if isinstance(values, np.void) else out


def str_to_bytes(values: Any) -> Any:
    """Variable-length strings as h5py returns them from datasets: ``bytes``."""
    if isinstance(values, str):
        return values.encode("utf-8")
    if isinstance(values, np.ndarray) and values.dtype.kind in "OU":
        out = np.empty(values.shape, dtype=object)
        flat_in, flat_out = values.reshape(-1), out.reshape(-1)
        for i in range(flat_in.size):
            item = flat_in[i]
            flat_out[i] = item.encode("utf-8") if isinstance(item, str) else item
        return out
    return values


def values_as_dtype(values: Any, dtype: np.dtype[Any]) -> Any:
    """``values`` read through ``ds.astype(dtype)``."""
    if np.asarray(values).dtype.kind == "c" and dtype.kind != "c":
        # numpy would drop the imaginary part; HDF5 has no such conversion and h5py fails
        raise LindiUnsupportedError(
            f"cannot read complex values as {dtype}: no conversion path (it would drop the "
            "imaginary part)"
        )
    if dtype.kind == "T":
        decoded = np.asarray(values, dtype=object)
        decoded = (
            np.vectorize(
                lambda v: v.decode("utf-8") if isinstance(v, bytes) else v, otypes=[object]
            )(decoded)
            if decoded.size
            else decoded
        )
        result = np.asarray(decoded).astype(dtype)
        return result[()] if result.ndim == 0 and not isinstance(values, np.ndarray) else result
    array = np.asarray(values)
    if array.dtype.kind in "iuf" and dtype.kind in "iuf" and array.dtype != dtype:
        converted = hdf5_converted(array, dtype)  # clamped as HDF5 converts, not wrapped
    else:
        converted = array.astype(dtype)
    return converted if isinstance(values, np.ndarray) else converted[()]


def chunk_slices(
    bounds: list[tuple[int, int]],
    chunks: tuple[int, ...],
    axis: int,
    prefix: tuple[slice, ...],
) -> Iterator[tuple[slice, ...]]:
    if axis == len(bounds):
        yield prefix
        return
    start, stop = bounds[axis]
    size = chunks[axis]
    position = start
    while position < stop:
        end = min(stop, (position // size + 1) * size)
        yield from chunk_slices(bounds, chunks, axis + 1, (*prefix, slice(position, end, 1)))
        position = end


def coerce_values(
    val: Any, info: DatasetInfo, *, where: str = "?", check_text: bool = True
) -> np.ndarray:
    """``val`` (numpy array, list, scalar, list of row tuples, h5py references) as a numpy
    array that the conventions can store for a dataset described by ``info`` (``where`` names
    it in errors). ``check_text``: apply :func:`refuse_text_lindi_changes` to strings.

    Raises
    ------
    LindiOverflowError
        A Python integer out of the range of an integer type of ``info`` (numpy's
        ``OverflowError``, which h5py raises).
    """
    try:
        return _coerced(val, info, where=where, check_text=check_text)
    except OverflowError as exc:
        raise LindiOverflowError(f"{where}: {exc}") from None


def _coerced(val: Any, info: DatasetInfo, *, where: str, check_text: bool) -> np.ndarray:
    if isinstance(val, h5py.Dataset):
        val = val[()]
    val = to_model_values(val)
    dtype = info.dtype
    if info.kind is DataKind.COMPOUND or dtype.names is not None:
        rows = compound_array(val, dtype)
        refuse_embedded_nul(rows, where=where)
        return rows
    if info.kind in (DataKind.VLEN_STRING, DataKind.VLEN_BYTES):
        strings = object_array(val)
        refuse_embedded_nul(strings, where=where)
        if info.kind is DataKind.VLEN_STRING and check_text:
            refuse_text_lindi_changes(strings, dtype, where=where)
        return strings
    if info.kind is DataKind.REFERENCE:
        return object_array(val)
    if dtype.kind in "biufc" and not isinstance(val, np.ndarray):
        # what h5py does with anything that is not an array: numpy converts it (out-of-range
        # Python integers raise OverflowError)
        return np.asarray(val, dtype=dtype, order="C")
    array = np.asarray(val)
    if array.dtype.kind == "O" and dtype.kind != "O":
        array = array.astype(dtype)
    if dtype.kind in "SU" and array.dtype.kind in "SU":
        return array.astype(dtype)
    if array.dtype.kind in "iuf" and dtype.kind in "iuf" and array.dtype != dtype:
        return hdf5_converted(array, dtype)
    if array.dtype != dtype:
        try:
            array = array.astype(dtype, casting="unsafe")
        except (TypeError, ValueError) as exc:
            raise LindiShapeError(
                f"cannot convert values of dtype {array.dtype} to {dtype}"
            ) from exc
    return array


def refuse_text_lindi_changes(strings: np.ndarray, dtype: np.dtype[Any], *, where: str) -> None:
    """Refuse what a variable-length string dataset would not give back: ``str`` that its
    ASCII encoding cannot hold (h5py's ``UnicodeEncodeError``) and ``bytes`` that are not
    UTF-8 (LINDI stores text; they would read back as the UTF-8 of their Latin-1 text)."""
    ascii_only = (h5py.check_string_dtype(dtype) or h5py.string_dtype()).encoding == "ascii"
    for item in strings.flat:
        try:
            if isinstance(item, bytes):
                item.decode("utf-8")
            elif ascii_only and isinstance(item, str):
                item.encode("ascii")
        except UnicodeEncodeError as exc:
            raise LindiTextEncodeError(f"{where}: {exc}", exc) from None
        except UnicodeDecodeError:
            raise LindiUnsupportedError(
                f"{where}: {item!r:.60} is not UTF-8: a variable-length string dataset of a "
                "LINDI file holds text (use a fixed-width bytes dtype)"
            ) from None


def hdf5_converted(array: np.ndarray, dtype: np.dtype[Any]) -> np.ndarray:
    """``array`` converted to ``dtype`` by the HDF5 library, as h5py writes a numpy array of
    another numeric type: out-of-range values are clamped to the target's range, floats are
    truncated toward zero, NaN becomes 0 (numpy's ``astype`` would wrap around)."""
    source = np.ascontiguousarray(array).reshape(np.shape(array))  # keeps 0-d arrays 0-d
    count = source.size
    buffer = np.zeros(max(source.dtype.itemsize, dtype.itemsize) * count, dtype=np.uint8)
    buffer[: source.nbytes] = source.reshape(-1).view(np.uint8)
    h5py.h5t.convert(h5py.h5t.py_create(source.dtype), h5py.h5t.py_create(dtype), count, buffer)
    return buffer[: dtype.itemsize * count].view(dtype).reshape(source.shape)


def object_array(val: Any) -> np.ndarray:
    if isinstance(val, np.ndarray):
        return val if val.dtype.kind == "O" else val.astype(object)
    if isinstance(val, (list, tuple)):
        out = np.empty(len(val), dtype=object)
        for i, item in enumerate(val):
            out[i] = item
        if len(val) and isinstance(val[0], (list, tuple, np.ndarray)):
            return np.array(val, dtype=object)
        return out
    out = np.empty((), dtype=object)
    out[()] = val
    return out


def compound_array(val: Any, dtype: np.dtype[Any]) -> np.ndarray:
    if isinstance(val, np.ndarray) and val.dtype.names is not None:
        if val.dtype == dtype:
            return val
        out = np.empty(val.shape, dtype=dtype)
        for name in dtype.names or ():
            out[name] = val[name]
        return out
    if isinstance(val, np.void):
        return np.array(val.item(), dtype=dtype)
    if isinstance(val, tuple):
        return np.array(val, dtype=dtype)
    try:
        return np.array(val, dtype=dtype)  # rows as tuples, nested for more dimensions
    except (TypeError, ValueError):
        pass
    rows = [tuple(row) for row in val]  # rows as lists
    out = np.empty(len(rows), dtype=dtype)
    for i, row in enumerate(rows):
        out[i] = row
    return out


def refuse_items_without_hdf5_type(data: Any, *, where: str) -> None:
    """Raise :class:`~hdmf_lindi.errors.LindiDtypeError` (a ``TypeError``; or numpy's
    ``UnicodeDecodeError``), as h5py, for a value without an HDF5 type: an object array (not
    tagged with an h5py dtype) whose items are not all ``str``, all ``bytes`` or all references
    (an empty one included), a list mixing ``str`` with other items (numpy makes it a ``<U``
    array; numbers with ``bytes`` make fixed-width bytes, which h5py stores), or another object
    numpy can only hold as an object (a ``dict``)."""
    if isinstance(data, np.ndarray):
        if data.dtype.kind != "O" or any(
            check(data.dtype) is not None
            for check in (h5py.check_string_dtype, h5py.check_vlen_dtype, h5py.check_ref_dtype)
        ):
            return
        types = {type(item) for item in data.flat}
        if types in ({str}, {bytes}):
            return
        references = {t for t in types if issubclass(t, h5py.Reference | Reference)}
        if references and types <= references | {type(None)}:
            return  # None: a null reference
        raise LindiDtypeError(f"{where}: object dtype {data.dtype} has no native HDF5 equivalent")
    if not isinstance(data, list | tuple):
        # an array-like with a dtype (h5py, zarr, dask) is not read here
        if (
            data is not None
            and not hasattr(data, "dtype")
            and not isinstance(data, str | bytes | int | float | complex)
            and not isinstance(data, h5py.Reference | Reference)
            and np.asarray(data).dtype.kind == "O"
        ):
            raise LindiDtypeError(f"{where}: {type(data).__name__} has no HDF5 equivalent")
        return
    leaves = _leaves(data)
    if (
        any(isinstance(leaf, str | bytes) for leaf in leaves)
        and len({type(leaf) for leaf in leaves}) > 1
    ):
        kind = np.asarray(data).dtype  # raises numpy's error for bytes that are not ASCII
        if kind.kind == "S":
            return  # numbers with bytes: numpy's fixed-width bytes, which h5py stores
        raise LindiDtypeError(f"{where}: no HDF5 type for a list of mixed items ({kind})")


def numbers_with_bytes(items: list[Any] | tuple[Any, ...]) -> bool:
    """Whether the (nested) ``items`` mix ``bytes`` with numbers, which numpy makes a
    fixed-width bytes array that h5py stores (``[1, b"x"]``: ``|S21``)."""
    leaves = _leaves(items)
    if all(isinstance(leaf, bytes) for leaf in leaves) or not any(
        isinstance(leaf, bytes) for leaf in leaves
    ):
        return False
    try:
        return np.asarray(items).dtype.kind == "S"
    except ValueError:  # ragged
        return False


def _leaves(items: list[Any] | tuple[Any, ...]) -> list[Any]:
    found: list[Any] = []
    for item in items:
        if isinstance(item, list | tuple):
            found.extend(_leaves(item))
        else:
            found.append(item)
    return found
