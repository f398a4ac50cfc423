"""Options of the HDF5 -> LINDI translation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["TranslateOptions"]


@dataclass(frozen=True, slots=True)
class TranslateOptions:
    """How an HDF5 file is laid out as LINDI.

    Parameters
    ----------
    inline_threshold
        Datasets whose data is smaller than this many bytes are stored inline in the JSON
        (compact datasets always are; so are strings, references and compound data, whose HDF5
        bytes are not self-contained).
    max_chunk_bytes
        Largest chunk a contiguous dataset is split into (chunked datasets keep their chunks).
    num_chunks_threshold
        A chunked dataset whose chunk grid (``ceil(shape / chunks)``, allocated or not, as
        lindi 0.4.6 counts) has more chunks than this becomes an ``_EXTERNAL_ARRAY_LINK`` (read
        later through h5py) instead of listing every chunk; ``None`` lists them all.
    unsupported
        What to do with a dataset LINDI cannot describe (a filter without a numcodecs
        equivalent, a virtual dataset, a region or null reference, a ragged dtype): ``"error"``
        raises :class:`~hdmf_lindi.errors.LindiUnsupportedError`; ``"external_link"`` writes an
        ``_EXTERNAL_ARRAY_LINK`` to it.
    creation_time
        Written as ``generationMetadata.creationDate`` when given; left out by default so that
        the output is the same bytes for the same input and options.
    """

    inline_threshold: int = 4096
    max_chunk_bytes: int = 20_000_000
    num_chunks_threshold: int | None = 1000
    unsupported: Literal["error", "external_link"] = "error"
    creation_time: str | None = None

    def __post_init__(self) -> None:
        if self.inline_threshold < 0:
            raise ValueError(f"inline_threshold must be >= 0, got {self.inline_threshold}")
        if self.max_chunk_bytes < 1:
            raise ValueError(f"max_chunk_bytes must be >= 1, got {self.max_chunk_bytes}")
        if self.num_chunks_threshold is not None and self.num_chunks_threshold < 0:
            raise ValueError(
                f"num_chunks_threshold must be >= 0 or None, got {self.num_chunks_threshold}"
            )
        if self.unsupported not in ("error", "external_link"):
            raise ValueError(
                f"unsupported must be 'error' or 'external_link', got {self.unsupported!r}"
            )
