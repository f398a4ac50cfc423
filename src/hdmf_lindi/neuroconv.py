"""A ``"lindi"`` backend for neuroconv: ``run_conversion(..., backend="lindi")``.

neuroconv has no plugin hook; its backends live in three dictionaries
(``BACKEND_NWB_IO``, ``BACKEND_CONFIGURATIONS``, ``DATASET_IO_CONFIGURATIONS``). :func:`register`
adds LINDI to each, and teaches neuroconv that a dataset already in the LINDI file being
appended to is written (neuroconv recognises only h5py datasets and zarr arrays as written, and
would rewrite every other one)::

    import hdmf_lindi.neuroconv

    hdmf_lindi.neuroconv.register()
    converter.run_conversion(nwbfile_path="session.nwb.lindi.tar", backend="lindi")

New files, appends (``overwrite=False``, the file opened in ``r+``),
``get_default_backend_configuration(nwbfile, backend="lindi")`` with
``apply_global_compression`` and ``configure_and_write_nwbfile`` work. Chunking and compression
defaults are neuroconv's Zarr ones (numcodecs codecs, stored as lindi chunks), written through
:class:`~hdmf_lindi.io.LindiDataIO`.

neuroconv 0.10.2 does not import with zarr 3 (catalystneuro/neuroconv#2062: it reads
``zarr.codec_registry``, which zarr 3 removed); until a release fixes it, set
``zarr.codec_registry = numcodecs.registry.codec_registry`` before importing neuroconv.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, ClassVar, Final, Literal

from hdmf_lindi.errors import LindiError
from hdmf_lindi.io.data_io import LindiDataIO
from hdmf_lindi.io.datasets import LindiDataset
from hdmf_lindi.io.lindi_io import LindiIO
from hdmf_lindi.opening import FileKind, file_kind

__all__ = ["BACKEND", "NeuroconvLindiIO", "register"]

BACKEND: Final = "lindi"
"""The name of the backend in neuroconv's registries."""

_APPENDING_MODES = ("r+", "a")


class NeuroconvLindiIO(LindiIO):
    """:class:`~hdmf_lindi.io.LindiIO` as neuroconv's ``"lindi"`` backend: it claims only LINDI
    files, so that neuroconv's "exactly one backend can read the file" check holds for an HDF5
    ``.nwb`` (which ``NWBHDF5IO`` claims)."""

    @classmethod
    def can_read(cls, path: str | os.PathLike[str]) -> bool:
        """Whether ``path`` is a LINDI file (``.lindi.json``, ``.lindi.tar``, ``.lindi.d``)."""
        try:
            return file_kind(os.fspath(path)) is FileKind.LINDI and super().can_read(path)
        except (LindiError, OSError):
            return False


def _is_written_to_appended_lindi_file(candidate_dataset: Any) -> bool:
    dataset_io = getattr(candidate_dataset, "io", None)
    return (
        isinstance(candidate_dataset, LindiDataset)
        and isinstance(dataset_io, LindiIO)
        and dataset_io.is_open()
        and dataset_io.mode in _APPENDING_MODES
    )


def _recognising_lindi_datasets(original: Callable[..., bool]) -> Callable[..., bool]:
    def is_dataset_written_to_file(
        candidate_dataset: Any, backend: str | None, existing_file_path: str | None
    ) -> bool:
        if _is_written_to_appended_lindi_file(candidate_dataset):
            return True
        return original(
            candidate_dataset=candidate_dataset,
            backend=backend,
            existing_file_path=existing_file_path,
        )

    is_dataset_written_to_file.__wrapped__ = original  # type: ignore[attr-defined]
    return is_dataset_written_to_file


def _configuration_classes() -> tuple[type[Any], type[Any]]:
    from neuroconv.tools.nwb_helpers._configuration_models._zarr_backend import (
        ZarrBackendConfiguration,
    )
    from neuroconv.tools.nwb_helpers._configuration_models._zarr_dataset_io import (
        ZarrDatasetIOConfiguration,
    )
    from pydantic import Field

    class LindiDatasetIOConfiguration(ZarrDatasetIOConfiguration):
        """How one dataset is chunked and compressed in a LINDI file: neuroconv's Zarr model
        (numcodecs codecs in ``compressors``/``filters``), written with ``LindiDataIO``."""

    class LindiBackendConfiguration(ZarrBackendConfiguration):
        """neuroconv's backend configuration for LINDI files."""

        backend: ClassVar[Literal["lindi"]] = BACKEND
        pretty_backend_name: ClassVar[Literal["LINDI"]] = "LINDI"
        data_io_class: ClassVar[type[LindiDataIO]] = LindiDataIO

        dataset_configurations: dict[str, LindiDatasetIOConfiguration] = Field(
            description="Object locations -> their chunking and compression in the LINDI file."
        )

        def apply_global_compression(self, *args: Any, **kwargs: Any) -> None:
            """Apply a codec pipeline to every dataset (as for the Zarr backend: numcodecs
            codec names such as ``["shuffle", "Blosc"]``)."""
            # neuroconv validates the codec names by comparing ``self.backend`` with "hdf5"
            # and "zarr"; a Zarr configuration of the same datasets validates them, and the
            # codecs it settles on are copied back.
            as_zarr = ZarrBackendConfiguration.model_construct(
                dataset_configurations=self.dataset_configurations,
                **{
                    name: getattr(self, name)
                    for name in type(self).model_fields
                    if name != "dataset_configurations"
                },
            )
            ZarrBackendConfiguration.apply_global_compression(as_zarr, *args, **kwargs)

    return LindiDatasetIOConfiguration, LindiBackendConfiguration


def register() -> None:
    """Add the ``"lindi"`` backend to neuroconv's registries (idempotent).

    Raises
    ------
    ImportError
        When neuroconv is not installed (or does not import: see the module's note on zarr 3).
    """
    from neuroconv.tools import nwb_helpers
    from neuroconv.tools.nwb_helpers import _dataset_configuration

    if BACKEND in nwb_helpers.BACKEND_NWB_IO:
        return
    dataset_configuration, backend_configuration = _configuration_classes()
    nwb_helpers.BACKEND_NWB_IO[BACKEND] = NeuroconvLindiIO
    nwb_helpers.BACKEND_CONFIGURATIONS[BACKEND] = backend_configuration
    nwb_helpers.DATASET_IO_CONFIGURATIONS[BACKEND] = dataset_configuration
    _dataset_configuration._is_dataset_written_to_file = _recognising_lindi_datasets(
        _dataset_configuration._is_dataset_written_to_file
    )
