"""Moving LINDI files to and from cloud storage: upload (object stores, HTTP ``PUT``, hooks).

This layer sits beside the byte sources (it uses the same obstore stores and configuration)
and under the front ends: ``hdmf_lindi.upload`` and ``hdmf-lindi upload``.
"""

from __future__ import annotations

from hdmf_lindi.transfer.blobs import LindiSource, LocalBlob, open_lindi_source
from hdmf_lindi.transfer.destination import Destination
from hdmf_lindi.transfer.upload import UploadHook, UploadResult, upload, upload_with_hooks

__all__ = [
    "Destination",
    "LindiSource",
    "LocalBlob",
    "UploadHook",
    "UploadResult",
    "open_lindi_source",
    "upload",
    "upload_with_hooks",
]
