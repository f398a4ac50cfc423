"""Byte sources: read bytes by URL from local files, HTTP(S), S3/GCS/Azure, tar members and
directory blobs (all through obstore), with an optional local cache.

OWNED BY the byte-sources work. ``SourceRouter`` is the one entry point the rest of the package
uses; its signature is fixed (see the docstrings). ``RangeFile`` gives h5py a file object over
any URL the router reads.
"""

from hdmf_lindi.storage.sources.abc import ByteSource
from hdmf_lindi.storage.sources.file_like import RangeFile
from hdmf_lindi.storage.sources.http import HTTPSource
from hdmf_lindi.storage.sources.local import LocalFileSource
from hdmf_lindi.storage.sources.object_store import ObjectStoreSource
from hdmf_lindi.storage.sources.router import SourceRouter, is_remote_url

__all__ = [
    "ByteSource",
    "HTTPSource",
    "LocalFileSource",
    "ObjectStoreSource",
    "RangeFile",
    "SourceRouter",
    "is_remote_url",
]
