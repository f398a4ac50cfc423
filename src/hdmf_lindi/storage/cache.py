"""``LocalCache``: remote byte ranges kept on local disk in one SQLite database.

Keyed by ``(url, offset, size)`` (``size`` -1 for a whole object). The database uses WAL mode
and a busy timeout, so several threads and processes can share one cache directory. When the
stored bytes exceed ``max_size_bytes`` the least recently used entries are evicted (access
times are refreshed at most once a minute per entry, hence "LRU-ish").
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hdmf_lindi.errors import LindiSourceError

__all__ = ["DEFAULT_MAX_SIZE_BYTES", "LocalCache", "default_cache_dir"]

DEFAULT_MAX_SIZE_BYTES = 10 * 1024**3
_DATABASE_NAME = "byte_ranges.sqlite"
_TOUCH_INTERVAL_SECONDS = 60.0
_EVICT_TO_FRACTION = 0.9
_WHOLE_OBJECT = -1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ranges (
    url TEXT NOT NULL,
    offset INTEGER NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    accessed REAL NOT NULL,
    UNIQUE (url, offset, size)
);
CREATE INDEX IF NOT EXISTS ranges_by_access ON ranges (accessed);
CREATE TABLE IF NOT EXISTS totals (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO totals VALUES ('bytes', 0);
CREATE TRIGGER IF NOT EXISTS ranges_insert AFTER INSERT ON ranges BEGIN
    UPDATE totals SET value = value + length(NEW.data) WHERE name = 'bytes';
END;
CREATE TRIGGER IF NOT EXISTS ranges_update AFTER UPDATE OF data ON ranges BEGIN
    UPDATE totals SET value = value - length(OLD.data) + length(NEW.data) WHERE name = 'bytes';
END;
CREATE TRIGGER IF NOT EXISTS ranges_delete AFTER DELETE ON ranges BEGIN
    UPDATE totals SET value = value - length(OLD.data) WHERE name = 'bytes';
END;
"""


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/hdmf_lindi``, or ``~/.cache/hdmf_lindi``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hdmf_lindi"


class LocalCache:
    """A local on-disk cache of remote byte ranges.

    Parameters
    ----------
    cache_dir
        Directory holding the cache database (created if missing). Default:
        ``~/.cache/hdmf_lindi`` (or under ``$XDG_CACHE_HOME``).
    max_size_bytes
        Upper bound on the bytes stored; least recently used entries are evicted beyond it.
    max_item_bytes
        Ranges larger than this are not cached. Default: a quarter of ``max_size_bytes``.

    Examples
    --------
    >>> cache = LocalCache(cache_dir="lindi_cache")  # doctest: +SKIP
    >>> cache.put("https://example.org/f.nwb", 100, 4, b"abcd")  # doctest: +SKIP
    >>> cache.get("https://example.org/f.nwb", 100, 4)  # doctest: +SKIP
    b'abcd'
    """

    def __init__(
        self,
        cache_dir: str | os.PathLike[str] | None = None,
        *,
        max_size_bytes: int = DEFAULT_MAX_SIZE_BYTES,
        max_item_bytes: int | None = None,
    ) -> None:
        if max_size_bytes <= 0:
            raise ValueError(f"max_size_bytes must be positive, got {max_size_bytes}")
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.max_size_bytes = max_size_bytes
        self.max_item_bytes = max_item_bytes if max_item_bytes is not None else max_size_bytes // 4
        self._lock = threading.RLock()
        self._connection: sqlite3.Connection | None = None
        self._pid = -1

    @property
    def database_path(self) -> Path:
        """The SQLite database file."""
        return self.cache_dir / _DATABASE_NAME

    def __repr__(self) -> str:
        return f"LocalCache(cache_dir={str(self.cache_dir)!r}, max_size={self.max_size_bytes})"

    def __getstate__(self) -> dict[str, Any]:
        return {
            "cache_dir": self.cache_dir,
            "max_size_bytes": self.max_size_bytes,
            "max_item_bytes": self.max_item_bytes,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["cache_dir"],
            max_size_bytes=state["max_size_bytes"],
            max_item_bytes=state["max_item_bytes"],
        )

    # -- connection ----------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._connection is not None and self._pid == os.getpid():
            return self._connection
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self.database_path, timeout=60.0, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA busy_timeout = 60000")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise LindiSourceError(f"{self.database_path}: cannot open the cache: {exc}") from exc
        self._connection = connection
        self._pid = os.getpid()
        return connection

    def close(self) -> None:
        """Close the database connection (it is reopened on next use)."""
        with self._lock:
            if self._connection is not None and self._pid == os.getpid():
                self._connection.close()
            self._connection = None

    # -- reading -------------------------------------------------------------------------

    def get(self, url: str, offset: int, size: int | None) -> bytes | None:
        """The cached bytes of ``url`` at ``offset`` (``size`` None: the whole object).

        Parameters
        ----------
        url
            The remote URL the bytes came from.
        offset, size
            The byte range as it was stored with :meth:`put` (``size`` None: the whole
            object); only an exact match is a hit.

        Returns
        -------
        bytes or None
            The cached bytes, or None when they are not cached.

        Raises
        ------
        LindiSourceError
            When the cache database cannot be read.
        """
        return self.get_many([(url, offset, size)])[0]

    def get_many(self, keys: Sequence[tuple[str, int, int | None]]) -> list[bytes | None]:
        """``get`` for many keys in one transaction."""
        now = time.time()
        results: list[bytes | None] = []
        stale: list[int] = []
        touch: list[int] = []
        with self._lock:
            connection = self._connect()
            try:
                for url, offset, size in keys:
                    stored_size = _WHOLE_OBJECT if size is None else size
                    row = connection.execute(
                        "SELECT rowid, data, accessed FROM ranges "
                        "WHERE url = ? AND offset = ? AND size = ?",
                        (url, offset, stored_size),
                    ).fetchone()
                    if row is None:
                        results.append(None)
                        continue
                    rowid, data, accessed = row
                    if size is not None and len(data) != size:
                        stale.append(rowid)
                        results.append(None)
                        continue
                    if now - accessed > _TOUCH_INTERVAL_SECONDS:
                        touch.append(rowid)
                    results.append(bytes(data))
                if stale or touch:
                    connection.execute("BEGIN IMMEDIATE")
                    try:
                        connection.executemany(
                            "DELETE FROM ranges WHERE rowid = ?", [(r,) for r in stale]
                        )
                        connection.executemany(
                            "UPDATE ranges SET accessed = ? WHERE rowid = ?",
                            [(now, r) for r in touch],
                        )
                        connection.execute("COMMIT")
                    except BaseException:
                        _rollback(connection)
                        raise
            except sqlite3.Error as exc:
                raise LindiSourceError(f"{self.database_path}: cache read failed: {exc}") from exc
        return results

    # -- writing -------------------------------------------------------------------------

    def put(self, url: str, offset: int, size: int | None, data: bytes) -> None:
        """Store ``data`` as the bytes of ``url`` at ``offset`` (``size`` None: whole object).

        Entries larger than ``max_item_bytes`` are skipped; the least recently used entries
        are evicted when the cache grows over ``max_size_bytes``.

        Parameters
        ----------
        url
            The remote URL the bytes came from.
        offset, size
            The byte range (``size`` None: the whole object).
        data
            The bytes; ``len(data)`` must equal ``size`` when ``size`` is given.

        Raises
        ------
        ValueError
            When ``len(data) != size``.
        LindiSourceError
            When the cache database cannot be written.
        """
        self.put_many([(url, offset, size, data)])

    def put_many(self, items: Iterable[tuple[str, int, int | None, bytes]]) -> None:
        """``put`` for many entries in one transaction, then evict if over the size cap."""
        now = time.time()
        rows = []
        for url, offset, size, data in items:
            if size is not None and len(data) != size:
                raise ValueError(f"{url}: {len(data)} bytes given for a range of size {size}")
            if len(data) > self.max_item_bytes:
                continue
            rows.append((url, offset, _WHOLE_OBJECT if size is None else size, bytes(data), now))
        if not rows:
            return
        with self._lock:
            connection = self._connect()
            try:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    connection.executemany(
                        "INSERT INTO ranges (url, offset, size, data, accessed) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (url, offset, size) "
                        "DO UPDATE SET data = excluded.data, accessed = excluded.accessed",
                        rows,
                    )
                    self._evict(connection)
                    connection.execute("COMMIT")
                except BaseException:
                    _rollback(connection)
                    raise
            except sqlite3.Error as exc:
                raise LindiSourceError(f"{self.database_path}: cache write failed: {exc}") from exc

    def _evict(self, connection: sqlite3.Connection) -> None:
        total = connection.execute("SELECT value FROM totals WHERE name = 'bytes'").fetchone()[0]
        if total <= self.max_size_bytes:
            return
        target = int(self.max_size_bytes * _EVICT_TO_FRACTION)
        victims: list[tuple[int]] = []
        for rowid, nbytes in connection.execute(
            "SELECT rowid, length(data) FROM ranges ORDER BY accessed, rowid"
        ):
            if total <= target:
                break
            victims.append((rowid,))
            total -= nbytes
        connection.executemany("DELETE FROM ranges WHERE rowid = ?", victims)

    def clear(self) -> None:
        """Remove every entry. A database that cannot be opened or read (corrupt, not a
        SQLite file) is deleted and created anew: it is the cache's own file."""
        with self._lock:
            try:
                connection = self._connect()
                connection.execute("DELETE FROM ranges")
                connection.execute("VACUUM")
                return
            except (LindiSourceError, sqlite3.Error) as exc:
                failure: Exception = exc
            self.close()
            for suffix in ("", "-wal", "-shm", "-journal"):
                try:
                    os.remove(f"{self.database_path}{suffix}")
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    raise LindiSourceError(
                        f"{self.database_path}: cache clear failed ({failure}), and the "
                        f"database cannot be removed: {exc}"
                    ) from exc
            self._connect()

    # -- inspection ----------------------------------------------------------------------

    @property
    def total_bytes(self) -> int:
        """Bytes currently stored."""
        return int(self._query_one("SELECT value FROM totals WHERE name = 'bytes'"))

    def __len__(self) -> int:
        return int(self._query_one("SELECT count(*) FROM ranges"))

    def _query_one(self, sql: str) -> Any:
        with self._lock:
            try:
                return self._connect().execute(sql).fetchone()[0]
            except sqlite3.Error as exc:
                raise LindiSourceError(f"{self.database_path}: cache read failed: {exc}") from exc


def _rollback(connection: sqlite3.Connection) -> None:
    # A failed COMMIT (disk full) may already have ended the transaction; a ROLLBACK then
    # would raise "no transaction is active" and hide the real cause.
    if connection.in_transaction:
        connection.execute("ROLLBACK")
