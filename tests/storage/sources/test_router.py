"""``SourceRouter``: scheme dispatch, relative refs, tar members, security policy, cache,
batching and the sync API."""

from __future__ import annotations

import asyncio
import threading
import warnings
from collections.abc import Iterable
from pathlib import Path

import pytest

from hdmf_lindi.errors import LindiSecurityError, LindiSourceError
from hdmf_lindi.storage.cache import LocalCache
from hdmf_lindi.storage.sources import SourceRouter
from hdmf_lindi.storage.sources.abc import ContainerMember
from hdmf_lindi.storage.sources.local import LocalFileSource
from hdmf_lindi.storage.sources.router import is_remote_url
from tests.helpers.http_server import ServedDirectory
from tests.storage.sources.conftest import FAST_RETRIES, PAYLOAD

BLOB = b"blob-bytes-0123456789"


@pytest.fixture
def lindi_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "x.lindi.d"
    (directory / "blobs" / "grp" / "ds").mkdir(parents=True)
    (directory / "blobs" / "grp" / "ds" / "0.0").write_bytes(BLOB)
    (directory / "lindi.json").write_text("{}")
    return directory


# -- scheme dispatch and local files ------------------------------------------------------


def test_is_remote_url() -> None:
    assert is_remote_url("https://a/b")
    assert is_remote_url("s3://bucket/key")
    assert is_remote_url("gs://bucket/key")
    assert is_remote_url("az://container/key")
    assert not is_remote_url("/abs/path")
    assert not is_remote_url("./rel")
    assert not is_remote_url("file:///abs")
    assert not is_remote_url("C:\\data\\x.h5")


def test_local_absolute_path_and_file_url(tmp_path: Path) -> None:
    path = tmp_path / "a file.bin"
    path.write_bytes(PAYLOAD)
    router = SourceRouter()
    assert router.read_sync(str(path), 5, 10) == PAYLOAD[5:15]
    assert router.read_sync(path.as_uri(), 5, 10) == PAYLOAD[5:15]
    assert router.read_sync(str(path)) == PAYLOAD
    assert router.size_sync(path.as_uri()) == len(PAYLOAD)


def test_unsupported_scheme() -> None:
    with pytest.raises(LindiSourceError, match="unsupported URL scheme 'ftp'"):
        SourceRouter().read_sync("ftp://host/x", 0, 1)


def test_size_without_offset_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"abc")
    with pytest.raises(LindiSourceError, match="without an offset"):
        SourceRouter().read_sync(str(tmp_path / "f"), None, 2)


# -- relative refs ------------------------------------------------------------------------


def test_relative_ref_against_lindi_d_directory(lindi_dir: Path) -> None:
    router = SourceRouter(base_url=str(lindi_dir))
    assert router.resolve("./blobs/grp/ds/0.0") == str(lindi_dir / "blobs/grp/ds/0.0")
    assert router.read_sync("./blobs/grp/ds/0.0", 0, len(BLOB)) == BLOB
    assert router.read_sync("./blobs/grp/../grp/ds/0.0", 5, 5) == BLOB[5:10]


def test_relative_ref_against_a_lindi_json_file(lindi_dir: Path) -> None:
    router = SourceRouter(base_url=str(lindi_dir / "lindi.json"))
    assert router.read_sync("./blobs/grp/ds/0.0", 0, 4) == BLOB[:4]


def test_not_yet_existing_lindi_d_is_a_directory(tmp_path: Path) -> None:
    router = SourceRouter(base_url=str(tmp_path / "new.lindi.d"))
    assert router.resolve("./blobs/a") == str(tmp_path / "new.lindi.d" / "blobs" / "a")
    router.write_sync("./blobs/a", b"written")
    assert (tmp_path / "new.lindi.d" / "blobs" / "a").read_bytes() == b"written"


@pytest.mark.parametrize(
    "ref", ["./blobs/../../x", "../x", "./../x", "blobs/../../../etc/passwd", "..", "./a/../.."]
)
def test_relative_ref_escaping_the_base_is_refused(lindi_dir: Path, ref: str) -> None:
    router = SourceRouter(base_url=str(lindi_dir))
    with pytest.raises(LindiSecurityError, match="escapes"):
        router.read_sync(ref, 0, 1)
    remote = SourceRouter(base_url="https://example.org/data/x.lindi.d")
    with pytest.raises(LindiSecurityError, match="escapes"):
        remote.resolve(ref)


def test_relative_ref_against_remote_base(http_server: ServedDirectory) -> None:
    blob_dir = http_server.root / "x.lindi.d" / "blobs" / "g"
    blob_dir.mkdir(parents=True)
    (blob_dir / "0 1").write_bytes(BLOB)
    (http_server.root / "x.lindi.json").write_text("{}")
    for base in (
        http_server.url_for("x.lindi.d"),
        http_server.url_for("x.lindi.d/"),
        http_server.url_for("x.lindi.d/lindi.json"),
    ):
        router = SourceRouter(base_url=base, retry_config=FAST_RETRIES)
        assert router.resolve("./blobs/g/0 1") == http_server.url + "/x.lindi.d/blobs/g/0%201"
        assert router.read_sync("./blobs/g/0 1", 2, 4) == BLOB[2:6]
    router = SourceRouter(base_url=http_server.url_for("x.lindi.json"))
    assert router.resolve("./x.lindi.d/blobs/g/0") == http_server.url_for("x.lindi.d/blobs/g/0")


# -- security -----------------------------------------------------------------------------


def test_remote_lindi_file_may_not_read_local_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"secret")
    router = SourceRouter(base_url="https://example.org/f.lindi.json")
    assert not router.local_allowed
    for ref in (str(secret), secret.as_uri()):
        with pytest.raises(LindiSecurityError, match="allow_local=True") as info:
            router.read_sync(ref, 0, 6)
        assert str(secret) in str(info.value)
    allowed = SourceRouter(base_url="https://example.org/f.lindi.json", allow_local=True)
    assert allowed.read_sync(str(secret), 0, 6) == b"secret"


def test_allow_local_false_refuses_local_and_relative(lindi_dir: Path) -> None:
    router = SourceRouter(base_url=str(lindi_dir), allow_local=False)
    with pytest.raises(LindiSecurityError):
        router.read_sync("./blobs/grp/ds/0.0", 0, 1)
    with pytest.raises(LindiSecurityError):
        router.read_sync(str(lindi_dir / "lindi.json"))


def test_local_allowed_by_default_for_local_or_no_base(lindi_dir: Path) -> None:
    assert SourceRouter().local_allowed
    assert SourceRouter(base_url=str(lindi_dir)).local_allowed


# -- tar members ----------------------------------------------------------------------------


def test_member_resolver_adds_member_offset(tmp_path: Path) -> None:
    container = tmp_path / "x.lindi.tar"
    container.write_bytes(b"H" * 512 + BLOB + b"\0" * 100)
    seen: list[str] = []

    def resolver(ref: str) -> ContainerMember | None:
        seen.append(ref)
        if ref == "./blobs/grp/ds/0.0":
            return ContainerMember(str(container), 512, len(BLOB))
        return None

    router = SourceRouter(base_url=str(container), member_resolver=resolver)
    assert router.read_sync("./blobs/grp/ds/0.0", 0, len(BLOB)) == BLOB
    assert router.read_sync("./blobs/grp/ds/0.0", 4, 3) == BLOB[4:7]
    assert router.read_many_sync(
        [("./blobs/grp/ds/0.0", 0, 2), ("./blobs/grp/./ds/0.0", 10, 2)]
    ) == [BLOB[:2], BLOB[10:12]]
    assert seen[-1] == "./blobs/grp/ds/0.0"
    with pytest.raises(LindiSourceError, match="no such member"):
        router.read_sync("./blobs/missing", 0, 1)
    with pytest.raises(LindiSecurityError):
        router.read_sync("./blobs/../../x", 0, 1)
    # a member is read whole, and has a size, as a file has
    assert router.read_sync("./blobs/grp/ds/0.0") == BLOB
    assert router.read_sync("./blobs/grp/ds/0.0", 5) == BLOB[5:]
    assert router.size_blocking("./blobs/grp/ds/0.0") == len(BLOB)
    with pytest.raises(LindiSourceError, match="pass the end of the container member"):
        router.read_sync("./blobs/grp/ds/0.0", 4, len(BLOB))


def test_member_of_a_remote_tar(http_server: ServedDirectory) -> None:
    (http_server.root / "x.lindi.tar").write_bytes(b"H" * 1024 + BLOB)
    url = http_server.url_for("x.lindi.tar")
    router = SourceRouter(
        base_url=url,
        member_resolver=lambda ref: ContainerMember(url, 1024, len(BLOB)),
        retry_config=FAST_RETRIES,
    )
    assert router.read_sync("./blobs/a/0", 3, 5) == BLOB[3:8]
    assert http_server.requests_for("/x.lindi.tar", "GET")[-1].range == "bytes=1027-1031"
    assert router.size_blocking("./blobs/a/0") == len(BLOB)
    assert router.read_sync("./blobs/a/0") == BLOB


# -- cache ----------------------------------------------------------------------------------


def test_cache_hits_avoid_requests(payload_server: ServedDirectory, tmp_path: Path) -> None:
    cache = LocalCache(cache_dir=tmp_path / "cache")
    url = payload_server.url_for("data.bin")
    requests: list[tuple[str, int | None, int | None]] = [(url, i * 1000, 1000) for i in range(8)]
    first = SourceRouter(local_cache=cache, retry_config=FAST_RETRIES)
    assert first.read_many_sync(requests) == [PAYLOAD[i * 1000 : (i + 1) * 1000] for i in range(8)]
    assert first.read_sync(url) == PAYLOAD
    assert len(payload_server.requests_for("/data.bin", "GET")) == 2
    assert cache.get(url, 3000, 1000) == PAYLOAD[3000:4000]

    payload_server.requests.clear()
    second = SourceRouter(local_cache=LocalCache(cache_dir=tmp_path / "cache"))
    assert second.read_many_sync(requests) == first.read_many_sync(requests)
    assert second.read_sync(url) == PAYLOAD
    assert payload_server.requests == []
    # A range not cached yet still goes to the server.
    assert second.read_sync(url, 10, 10) == PAYLOAD[10:20]
    assert len(payload_server.requests_for("/data.bin", "GET")) == 1


def test_local_files_are_not_cached(tmp_path: Path) -> None:
    (tmp_path / "f.bin").write_bytes(PAYLOAD)
    cache = LocalCache(cache_dir=tmp_path / "cache")
    router = SourceRouter(local_cache=cache)
    assert router.read_sync(str(tmp_path / "f.bin"), 0, 10) == PAYLOAD[:10]
    assert len(cache) == 0


def test_errors_are_not_cached(payload_server: ServedDirectory, tmp_path: Path) -> None:
    cache = LocalCache(cache_dir=tmp_path / "cache")
    router = SourceRouter(local_cache=cache, retry_config=FAST_RETRIES)
    url = payload_server.url_for("data.bin")
    router.size_sync(url)
    payload_server.fail("/data.bin", 404)
    with pytest.raises(LindiSourceError, match="404"):
        router.read_sync(url, 0, 10)
    assert len(cache) == 0


class _ReadOnlyCache(LocalCache):
    """A cache whose writes always fail, as on a full disk."""

    def put_many(self, items: Iterable[tuple[str, int, int | None, bytes]]) -> None:
        raise LindiSourceError(f"{self.database_path}: cache write failed: disk full")


def test_cache_write_failure_warns_once_and_reads_go_on(
    payload_server: ServedDirectory, tmp_path: Path
) -> None:
    cache = _ReadOnlyCache(cache_dir=tmp_path / "full-cache")
    router = SourceRouter(local_cache=cache, retry_config=FAST_RETRIES)
    url = payload_server.url_for("data.bin")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert router.read_sync(url, 0, 100) == PAYLOAD[:100]
        assert router.read_sync(url, 5000, 100) == PAYLOAD[5000:5100]
        assert router.read_sync(url) == PAYLOAD
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1
    assert str(tmp_path / "full-cache") in messages[0]
    assert "disk full" in messages[0]
    assert len(cache) == 0


def test_corrupt_cache_is_a_miss_and_reads_go_on(
    payload_server: ServedDirectory, tmp_path: Path
) -> None:
    directory = tmp_path / "corrupt-cache"
    directory.mkdir()
    (directory / "byte_ranges.sqlite").write_bytes(b"this is not a SQLite database" * 100)
    cache = LocalCache(cache_dir=directory)
    router = SourceRouter(local_cache=cache, retry_config=FAST_RETRIES)
    url = payload_server.url_for("data.bin")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert router.read_sync(url, 0, 100) == PAYLOAD[:100]
        assert router.read_many_blocking([(url, 100, 50)]) == [PAYLOAD[100:150]]
        assert router.read_sync(url) == PAYLOAD
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert any("cannot read the local cache" in m and str(directory) in m for m in messages)
    assert len([m for m in messages if "cannot read" in m]) == 1


# -- batching and the sync API -------------------------------------------------------------


def test_reads_of_one_turn_are_batched(payload_server: ServedDirectory) -> None:
    router = SourceRouter(retry_config=FAST_RETRIES)
    url = payload_server.url_for("data.bin")

    async def main() -> list[bytes]:
        await router.size(url)
        payload_server.requests.clear()
        return list(await asyncio.gather(*(router.read(url, i * 10, 10) for i in range(20))))

    assert asyncio.run(main()) == [PAYLOAD[i * 10 : (i + 1) * 10] for i in range(20)]
    assert [r.range for r in payload_server.requests] == ["bytes=0-199"]


def test_errors_reach_every_reader_of_a_batch(payload_server: ServedDirectory) -> None:
    router = SourceRouter(retry_config=FAST_RETRIES)
    url = payload_server.url_for("data.bin")

    async def main() -> list[bytes | BaseException]:
        await router.size(url)
        payload_server.fail("/data.bin", 403)
        reads = (router.read(url, i * 10, 10) for i in range(4))
        return list(await asyncio.gather(*reads, return_exceptions=True))

    results = asyncio.run(main())
    assert all(isinstance(r, LindiSourceError) and "403" in str(r) for r in results)


def test_read_sync_works_inside_a_running_loop(payload_server: ServedDirectory) -> None:
    router = SourceRouter(retry_config=FAST_RETRIES)
    url = payload_server.url_for("data.bin")

    async def main() -> bytes:
        return router.read_sync(url, 7, 3)

    assert asyncio.run(main()) == PAYLOAD[7:10]


def test_one_router_on_several_loops(payload_server: ServedDirectory) -> None:
    router = SourceRouter(retry_config=FAST_RETRIES)
    url = payload_server.url_for("data.bin")
    for i in range(3):
        assert asyncio.run(router.read(url, i, 2)) == PAYLOAD[i : i + 2]
        assert router.read_sync(url, i, 2) == PAYLOAD[i : i + 2]


class _ClosingSource(LocalFileSource):
    def __init__(self) -> None:
        super().__init__()
        self.closed_in: list[threading.Thread] = []

    async def close(self) -> None:
        self.closed_in.append(threading.current_thread())


def test_close_blocking_closes_in_the_calling_thread() -> None:
    source = _ClosingSource()
    SourceRouter(sources={"local": source}).close_blocking()
    assert source.closed_in == [threading.current_thread()]


def test_close_blocking_inside_a_running_loop_does_not_wait() -> None:
    source = _ClosingSource()
    router = SourceRouter(sources={"local": source})

    async def main() -> int:
        router.close_blocking()
        scheduled = len(source.closed_in)
        await asyncio.sleep(0)
        return scheduled

    assert asyncio.run(main()) == 0
    assert source.closed_in == [threading.current_thread()]
