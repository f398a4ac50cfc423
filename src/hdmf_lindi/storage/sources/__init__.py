"""Byte sources: read bytes by URL from local files, HTTP(S), S3/GCS/Azure, tar members and
directory blobs (all through obstore), with an optional local cache.

OWNED BY the byte-sources work. ``SourceRouter`` is the one entry point the rest of the package
uses; its signature is fixed (see the docstrings).
"""

from hdmf_lindi.storage.sources.abc import ByteSource
from hdmf_lindi.storage.sources.router import SourceRouter

__all__ = ["ByteSource", "SourceRouter"]
