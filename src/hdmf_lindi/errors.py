"""Exceptions raised by hdmf_lindi.

Every error names the file, URL or key it is about and says what was wrong.
"""

from __future__ import annotations

__all__ = [
    "LindiConversionError",
    "LindiCopyExistsError",
    "LindiCopyNotFoundError",
    "LindiDanglingLinkError",
    "LindiDtypeError",
    "LindiError",
    "LindiExistsError",
    "LindiExtentError",
    "LindiFormatError",
    "LindiIndexError",
    "LindiLimitError",
    "LindiLinkCycleError",
    "LindiLinkError",
    "LindiLinkExistsError",
    "LindiLockedError",
    "LindiMaxshapeError",
    "LindiNotAGroupError",
    "LindiNotFoundError",
    "LindiReadOnlyDeleteError",
    "LindiReadOnlyError",
    "LindiSecurityError",
    "LindiShapeError",
    "LindiSourceError",
    "LindiTextEncodeError",
    "LindiTooManyLinksError",
    "LindiUnsupportedError",
]


class LindiError(Exception):
    """Base class of every error hdmf_lindi raises on purpose."""


class LindiFormatError(LindiError, ValueError):
    """A LINDI document, key or value is malformed."""


class LindiLimitError(LindiFormatError):
    """The input asks for more than a limit allows: a chunk decoding (or declaring) more bytes
    than its array's ``.zarray`` needs, a ref naming more bytes than a chunk can hold, a
    document nested or sized past what is accepted. See ``docs/security.md``."""


class LindiSourceError(LindiError, OSError):
    """Bytes could not be read from (or written to) a local file, URL or object store."""


class LindiSecurityError(LindiError, PermissionError):
    """A reference would read something it is not allowed to (a local file from a remote
    LINDI file, or a path escaping a ``.lindi.d`` directory)."""


class LindiLockedError(LindiError, BlockingIOError):
    """A LINDI file is open for writing elsewhere (another process, or another writer in this
    one): a second writer is refused rather than allowed to corrupt the file or lose updates."""


class LindiReadOnlyError(LindiError, PermissionError, ValueError, RuntimeError):
    """A write was attempted on something opened read-only. h5py raises ``OSError`` for some
    writes to a read-only file (dataset values, attributes, soft links), ``ValueError`` for
    others (creating groups and datasets, moving) and ``RuntimeError`` for the rest (resizing,
    copying, external links): this is all three."""


class LindiReadOnlyDeleteError(LindiReadOnlyError, KeyError):
    """A delete in a file opened read-only (h5py raises ``KeyError`` there)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class LindiUnsupportedError(LindiError, NotImplementedError):
    """A feature of the input (an HDF5 filter, a link type, a dtype) cannot be represented."""


class LindiExistsError(LindiError, ValueError):
    """An object (group, dataset, link) already exists where a new one was to be created
    (h5py raises ``ValueError`` there)."""


class LindiShapeError(LindiError, ValueError, TypeError):
    """Values do not fit a dataset or selection: a shape that cannot be broadcast, a resize
    beyond ``maxshape``, data whose size disagrees with the requested shape (h5py raises
    ``TypeError`` or ``ValueError`` for these)."""


class LindiLinkExistsError(LindiExistsError, OSError, RuntimeError):
    """A link (soft, external, or a second name of an object) cannot be made: the name is taken
    (h5py raises ``OSError`` there, ``RuntimeError`` for an external link)."""


class LindiNotAGroupError(LindiError, TypeError, ValueError, OSError, RuntimeError):
    """A path goes through a dataset where a group is needed (h5py raises ``TypeError`` to
    create a dataset there, ``ValueError`` to create a group or move an object there,
    ``OSError`` to make a link there and ``RuntimeError`` to copy there)."""


class LindiMaxshapeError(LindiShapeError, RuntimeError):
    """A resize beyond the dataset's ``maxshape`` (h5py raises ``RuntimeError`` there)."""


class LindiCopyExistsError(LindiExistsError, RuntimeError):
    """The destination of a ``copy`` already exists (h5py raises ``RuntimeError`` there)."""


class LindiNotFoundError(LindiError, KeyError, ValueError):
    """No object has the name an operation needs (``move`` of a missing name: h5py raises
    ``ValueError``; a ``KeyError`` too, as for any lookup of a missing name)."""

    def __str__(self) -> str:
        # KeyError's str() is the repr of its argument; this is a sentence
        return str(self.args[0]) if self.args else ""


class LindiDanglingLinkError(LindiNotFoundError, OSError, RuntimeError):
    """A path goes through a soft link that names nothing. h5py raises ``KeyError`` to open or
    delete such a path, ``ValueError`` to move or create a group there, ``OSError`` to make a
    link there and ``RuntimeError`` to copy it or to test it with ``in`` when the link's
    target's own group is missing."""


class LindiLinkCycleError(LindiError, RuntimeError, OSError):
    """Soft links that lead back to themselves (or a chain of them): a path's traversal would
    follow more than HDF5's 16 soft links, the last of them 11 or more deep, each followed
    inside the one before (h5py raises ``RuntimeError``, "too many links"; ``OSError`` to
    create a dataset at such a name)."""


class LindiTooManyLinksError(LindiLinkCycleError, KeyError):
    """A path's traversal would follow more than HDF5's 16 soft links, the last of them fewer
    than 11 deep (soft links standing for groups on the way, followed one after the other, as
    in a cycle ``/g/l`` -> ``/g/s/l`` with ``/g/s`` -> ``/g``): h5py raises ``KeyError``, so
    ``get`` gives its default."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class LindiCopyNotFoundError(LindiNotFoundError, RuntimeError):
    """The source of a ``copy`` does not exist (h5py raises ``RuntimeError`` there)."""


class LindiLinkError(LindiError, ValueError):
    """A link operation cannot be done (moving a group into itself; h5py raises
    ``ValueError``)."""


class LindiDtypeError(LindiError, TypeError):
    """A value has no HDF5 type (an object array of other items than strings or references, a
    list mixing strings with other items): h5py raises ``TypeError``."""


class LindiArgumentError(LindiError, ValueError, TypeError):
    """An argument h5py refuses: a gzip level outside 0-9, ``compression_opts`` without a
    compression, a field name that the dataset's compound type does not have or on a dataset
    that is not compound (h5py raises ``ValueError`` for some, ``TypeError`` for others)."""


class LindiOverflowError(LindiError, OverflowError):
    """A number does not fit the integer type it is written to (a Python integer of 1000 to an
    ``int8`` attribute or dataset): h5py raises numpy's ``OverflowError``."""


class LindiIndexError(LindiError, IndexError):
    """An index is out of range for a dataset's shape (h5py raises ``IndexError``)."""


class LindiExtentError(LindiIndexError, OSError):
    """A selection reaches past the end of a dataset although h5py's own index checks let it
    through (an index list may name the axis length itself): HDF5 refuses it when the read or
    write comes to touch those elements, and h5py raises ``OSError``."""


class LindiConversionError(LindiError, OSError):
    """A value cannot be converted to the HDF5 type of the attribute it is written to (HDF5 has
    no conversion path, e.g. from a float array to a boolean; h5py raises ``OSError``)."""


class LindiTextEncodeError(LindiError, UnicodeEncodeError):
    """Text to be stored is not valid Unicode (a lone surrogate such as ``"\\udc80"``): h5py
    raises the ``UnicodeEncodeError`` of encoding it as UTF-8, and so does this.

    Parameters
    ----------
    message
        What was to be stored where (file, object, attribute).
    cause
        The error of encoding the text.
    """

    def __init__(self, message: str, cause: UnicodeEncodeError) -> None:
        UnicodeEncodeError.__init__(
            self, cause.encoding, cause.object, cause.start, cause.end, cause.reason
        )
        self.message = message

    def __str__(self) -> str:
        return self.message
