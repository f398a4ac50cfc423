"""A zarr-python 3 data type for Zarr v2 object arrays encoded with the ``json2`` codec.

lindi 0.4.6 (through zarr 2) stores variable-length strings, reference datasets and compound rows
as ``"dtype": "|O"`` arrays whose filter is numcodecs' ``JSON`` codec (id ``json2``). zarr-python
3 knows the ``vlen-utf8`` and ``vlen-bytes`` object codecs only, and refuses to open these
arrays ("No Zarr data type found that matches {'name': '|O', 'object_codec_id': 'json2'}").
:class:`JSONObject` fills that gap: its scalars are arbitrary JSON values (held in a numpy
object array); its fill value is any JSON value (lindi writes ``0``).

Call :func:`register_zarr_dtypes` once (``import hdmf_lindi`` does); it is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal, Self, TypeGuard, overload

import numpy as np
from zarr.core.dtype import data_type_registry
from zarr.core.dtype.common import (
    DTypeConfig_V2,
    DTypeJSON,
    HasObjectCodec,
    check_dtype_spec_v2,
)
from zarr.core.dtype.wrapper import ZDType
from zarr.errors import DataTypeValidationError

if TYPE_CHECKING:
    from zarr.core.common import JSON, ZarrFormat
    from zarr.core.dtype.wrapper import TBaseDType

__all__ = ["JSON2_CODEC_ID", "JSONObject", "JSONObjectJSON_V2", "register_zarr_dtypes"]

JSON2_CODEC_ID: Literal["json2"] = "json2"


class JSONObjectJSON_V2(DTypeConfig_V2[Literal["|O"], Literal["json2"]]):
    """The Zarr v2 form of :class:`JSONObject`: ``{"name": "|O", "object_codec_id": "json2"}``."""


def _to_json_value(value: object) -> JSON:
    """``value`` with numpy scalars and arrays turned into plain JSON-ready Python values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return _to_json_value(value.tolist())
    if isinstance(value, dict):
        return {str(k): _to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json_value(v) for v in value]
    return value  # type: ignore[return-value]


def _is_json_value(value: object) -> bool:
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, np.generic):
        return value.dtype.kind in "biufU"
    return isinstance(value, list | tuple | dict | np.ndarray)


@dataclass(frozen=True, kw_only=True)
class JSONObject(ZDType[np.dtypes.ObjectDType, object], HasObjectCodec):  # type: ignore[type-var]
    """Arbitrary JSON values in a numpy object array, stored through the ``json2`` codec.

    Only meaningful for Zarr format 2 (``"dtype": "|O"`` with a ``json2`` filter). The Zarr v3
    name ``hdmf_lindi.json_object`` exists so that the class can sit in zarr's registry; it is not
    a published Zarr v3 data type.
    """

    dtype_cls = np.dtypes.ObjectDType
    _zarr_v3_name: ClassVar[Literal["hdmf_lindi.json_object"]] = "hdmf_lindi.json_object"
    object_codec_id: ClassVar[Literal["json2"]] = JSON2_CODEC_ID

    @classmethod
    def from_native_dtype(cls, dtype: TBaseDType) -> Self:
        """Accept the numpy object dtype (zarr never infers it: object dtype is ambiguous)."""
        if cls._check_native_dtype(dtype):
            return cls()
        raise DataTypeValidationError(
            f"Invalid data type: {dtype}. Expected an instance of {cls.dtype_cls}"
        )

    def to_native_dtype(self) -> np.dtypes.ObjectDType:
        """The numpy object dtype."""
        return self.dtype_cls()

    @classmethod
    def _check_json_v2(cls, data: DTypeJSON) -> TypeGuard[JSONObjectJSON_V2]:
        return (
            check_dtype_spec_v2(data)
            and data["name"] == "|O"
            and data["object_codec_id"] == cls.object_codec_id
        )

    @classmethod
    def _from_json_v2(cls, data: DTypeJSON) -> Self:
        if cls._check_json_v2(data):
            return cls()
        raise DataTypeValidationError(
            f"Invalid JSON representation of {cls.__name__}. Got {data!r}, expected "
            f"{{'name': '|O', 'object_codec_id': {cls.object_codec_id!r}}}"
        )

    @classmethod
    def _from_json_v3(cls, data: DTypeJSON) -> Self:
        if data == cls._zarr_v3_name:
            return cls()
        raise DataTypeValidationError(
            f"Invalid JSON representation of {cls.__name__}. Got {data!r}, expected "
            f"{cls._zarr_v3_name!r}"
        )

    @overload
    def to_json(self, zarr_format: Literal[2]) -> JSONObjectJSON_V2: ...
    @overload
    def to_json(self, zarr_format: Literal[3]) -> str: ...

    def to_json(self, zarr_format: ZarrFormat) -> JSONObjectJSON_V2 | str:
        """``{"name": "|O", "object_codec_id": "json2"}`` for Zarr v2."""
        if zarr_format == 2:
            return {"name": "|O", "object_codec_id": self.object_codec_id}
        if zarr_format == 3:
            return self._zarr_v3_name
        raise ValueError(f"zarr_format must be 2 or 3, got {zarr_format}")  # pragma: no cover

    def default_scalar(self) -> object:
        """``None``: an unwritten element of a JSON object array."""
        return None

    def _check_scalar(self, data: object) -> bool:
        return _is_json_value(data)

    def cast_scalar(self, data: object) -> object:
        """Any JSON-compatible value, unchanged but for numpy scalars made plain."""
        if self._check_scalar(data):
            return _to_json_value(data)
        raise TypeError(
            f"Cannot convert object {data!r} with type {type(data)} to a JSON value for {self}."
        )

    def from_json_scalar(self, data: JSON, *, zarr_format: ZarrFormat) -> object:
        """A fill value as stored (any JSON value, e.g. lindi's ``0``)."""
        return data

    def to_json_scalar(self, data: object, *, zarr_format: ZarrFormat) -> JSON:
        """A fill value as JSON."""
        return _to_json_value(data)


def register_zarr_dtypes() -> None:
    """Register :class:`JSONObject` in zarr's data type registry (idempotent)."""
    data_type_registry.register(JSONObject._zarr_v3_name, JSONObject)  # type: ignore[arg-type]
