"""Failures of pynwb's integration tests that belong to work in progress elsewhere (issue 8),
each applied as ``xfail(strict=True)``: when a fix lands, its entries XPASS and fail the run,
so remove them then.

Keys are test ids within one container run (``test_io.py::TestH5DataIO::test_...``), for all
three containers, or prefixed with the container (``lindi.json::test_io.py::...``) for one.
"""

from __future__ import annotations

_FILTERS = (
    "h5py view: shuffle/fletcher32 read False although the .zarray has the filter, and "
    "H5DataIO(fletcher32=True) is dropped on write"
)
_LINKED_REFERENCES = (
    "object references inside an externally linked LINDI file are resolved in the linking "
    "file ('reference ... was made in file X, not this one')"
)
_LINKED_DATASETS = (
    "a dataset read through an external link has no .file/.id naming the target file, and "
    "H5DataIO(<dataset of another LINDI file>, link_data=True) copies instead of linking"
)

KNOWN_FAILURES: dict[str, str] = {
    "test_io.py::TestH5DataIO::test_write_dataset_custom_compress": _FILTERS,
    "test_io.py::TestH5DataIO::test_write_dataset_datachunkiterator_with_compression": _FILTERS,
    "test_file_copy.py::TestFileCopy::test_copy_file_link_timeintervals_timeseries": (
        _LINKED_REFERENCES
    ),
    "test_modular_storage.py::TestTimeSeriesModular::test_roundtrip": _LINKED_DATASETS,
}


def reason_for(container: str, test_id: str) -> str | None:
    """Why ``test_id`` is expected to fail on ``container`` (``"lindi.tar"``, ...), or
    ``None``."""
    return KNOWN_FAILURES.get(f"{container}::{test_id}") or KNOWN_FAILURES.get(test_id)
