"""Errors LindiIO raises where ``NWBHDF5IO`` raises hdmf's ``UnsupportedOperation``: each is
both that (so code written for NWBHDF5IO catches it) and a
:class:`~hdmf_lindi.errors.LindiError`."""

from __future__ import annotations

from hdmf.backends.errors import UnsupportedOperation

from hdmf_lindi.errors import LindiError, LindiFormatError, LindiReadOnlyError, LindiSourceError

__all__ = [
    "LindiFileModeError",
    "LindiIOReadOnlyError",
    "LindiNotNWBError",
    "LindiUnsupportedOperation",
]


class LindiUnsupportedOperation(LindiError, UnsupportedOperation):
    """The operation does not fit the mode the file was opened in (read a file opened
    ``"w"``, export to a file not opened ``"w"``)."""


class LindiFileModeError(LindiSourceError, UnsupportedOperation):
    """The file is missing (mode ``"r"``/``"r+"``) or already exists (``"w-"``/``"x"``)."""


class LindiIOReadOnlyError(LindiReadOnlyError, UnsupportedOperation):
    """A write to a file opened ``"r"``."""


class LindiNotNWBError(LindiFormatError, TypeError):
    """The file has no ``nwb_version`` or one older than 2: a ``TypeError`` with
    ``NWBHDF5IO.read``'s message, as code written for NWBHDF5IO expects."""
