"""Link objects as ``Group.get(name, getlink=True)`` returns them."""

from __future__ import annotations

import h5py

__all__ = ["LindiH5pyExternalLink", "LindiH5pyHardLink", "LindiH5pySoftLink"]


class LindiH5pyHardLink(h5py.HardLink):
    """A hard link: the name is the object itself (``isinstance(x, h5py.HardLink)`` holds)."""


class LindiH5pySoftLink(h5py.SoftLink):
    """A soft link to an absolute path in the same file (an ``h5py.SoftLink``)."""

    def __repr__(self) -> str:
        return f"<LindiH5pySoftLink to {self.path!r}>"


class LindiH5pyExternalLink(h5py.ExternalLink):
    """An external link to ``path`` in ``filename`` (an ``h5py.ExternalLink``)."""
