"""The h5py view of a file LindiIO reads: what ``dataset.file`` is for its datasets.

HDF5IO hands hdmf h5py datasets whose ``file`` is the ``h5py.File`` it opened; LindiIO's
:class:`~hdmf_lindi.io.datasets.LindiArrayDataset` answers with a
:class:`~hdmf_lindi.LindiH5pyFile` over the same open hierarchy, made on first use. Closing
it closes the file (as ``dataset.file.close()`` closes HDF5IO's file); closing the file
closes it. Making one is a few attribute assignments, so every open file has one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hdmf_lindi.hierarchy import Hierarchy

__all__ = ["H5pyFileView"]


class H5pyFileView:
    """One open file's h5py view.

    Parameters
    ----------
    hierarchy
        The open file's hierarchy.
    filename
        What the view's ``filename`` reports (the file's path or URL).
    close_file
        Closes the file (called when the view is closed by its user).
    """

    def __init__(self, hierarchy: Hierarchy, filename: str, close_file: Callable[[], None]) -> None:
        from hdmf_lindi.h5py_compat import LindiH5pyFile

        self.file = LindiH5pyFile(hierarchy, filename=filename, on_close=close_file)
        # saving is the business of the IO that opened the file, not of its view
        self.file._writable = False

    def detach(self) -> None:
        """Mark the view closed, the file being closed."""
        self.file._on_close = None
        self.file._close(commit=False)
