"""obstore stores shared process-wide: building one costs ~20 ms (a new HTTP client and its
TLS setup), and sharing one keeps its connection pool warm across routers."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["options_key", "shared_store"]

_MAX_STORES = 256
_lock = threading.Lock()
_stores: OrderedDict[tuple[Any, ...], Any] = OrderedDict()


def options_key(options: Mapping[str, Any] | None) -> str:
    """A hashable, order-independent spelling of a (nested) options mapping."""
    if not options:
        return ""
    return repr(
        sorted(
            (k, options_key(v) if isinstance(v, Mapping) else repr(v)) for k, v in options.items()
        )
    )


def shared_store[T](key: tuple[Any, ...], build: Callable[[], T]) -> T:
    """The store for ``key``, built with ``build()`` the first time (least recently used
    stores beyond a few hundred are dropped)."""
    with _lock:
        store = _stores.get(key)
        if store is not None:
            _stores.move_to_end(key)
            return store
    built = build()
    with _lock:
        store = _stores.setdefault(key, built)
        _stores.move_to_end(key)
        while len(_stores) > _MAX_STORES:
            _stores.popitem(last=False)
        return store
