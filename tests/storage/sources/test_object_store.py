"""S3 URLs through obstore against a moto server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from unittest import mock

import pytest

from hdmf_lindi.errors import LindiSourceError
from hdmf_lindi.io import LindiIO
from hdmf_lindi.storage.sources import SourceRouter
from hdmf_lindi.storage.sources.object_store import ObjectStoreSource
from tests.helpers.s3_server import S3Bucket
from tests.storage.sources.conftest import FAST_RETRIES, PAYLOAD


@pytest.fixture
def s3_router(s3_bucket: S3Bucket) -> SourceRouter:
    return SourceRouter(
        s3_options=s3_bucket.store_options,
        client_options=s3_bucket.client_options,
        retry_config=FAST_RETRIES,
    )


def test_get_range_size_and_whole(s3_bucket: S3Bucket, s3_router: SourceRouter) -> None:
    s3_bucket.put_object("dir/data.bin", PAYLOAD)
    url = s3_bucket.url("dir/data.bin")
    assert s3_router.read_sync(url, 0, 1) == PAYLOAD[:1]
    assert s3_router.read_sync(url, len(PAYLOAD) - 1, 1) == PAYLOAD[-1:]
    assert s3_router.read_sync(url, 1000, 5000) == PAYLOAD[1000:6000]
    assert s3_router.read_sync(url, 10, 0) == b""
    assert s3_router.size_sync(url) == len(PAYLOAD)
    assert s3_router.read_sync(url) == PAYLOAD


def test_read_many_coalesces_and_keeps_order(s3_bucket: S3Bucket, s3_router: SourceRouter) -> None:
    s3_bucket.put_object("data.bin", PAYLOAD)
    url = s3_bucket.url("data.bin")
    offsets = (200000, 0, 100, 50000, 300)
    requests: list[tuple[str, int | None, int | None]] = [(url, o, 100) for o in offsets]
    assert s3_router.read_many_sync(requests) == [PAYLOAD[o : o + 100] for o in offsets]


def test_put_then_read(s3_bucket: S3Bucket, s3_router: SourceRouter) -> None:
    url = s3_bucket.url("written/blob")
    s3_router.write_sync(url, b"hello s3")
    assert s3_bucket.get_object("written/blob") == b"hello s3"
    assert s3_router.read_sync(url, 6, 2) == b"s3"
    assert s3_router.size_sync(url) == 8


def test_missing_object_names_url(s3_bucket: S3Bucket, s3_router: SourceRouter) -> None:
    url = s3_bucket.url("missing.bin")
    with pytest.raises(LindiSourceError) as info:
        s3_router.read_sync(url, 0, 10)
    assert url in str(info.value)
    assert "404" in str(info.value) or "not found" in str(info.value)


def test_range_past_the_end(s3_bucket: S3Bucket, s3_router: SourceRouter) -> None:
    s3_bucket.put_object("small.bin", b"abc")
    with pytest.raises(LindiSourceError, match="expected 10 bytes"):
        s3_router.read_sync(s3_bucket.url("small.bin"), 0, 10)


def test_relative_refs_against_an_s3_base(s3_bucket: S3Bucket) -> None:
    s3_bucket.put_object("x.lindi.d/blobs/a/0", b"blob")
    router = SourceRouter(
        base_url=s3_bucket.url("x.lindi.d"),
        s3_options=s3_bucket.store_options,
        client_options=s3_bucket.client_options,
        retry_config=FAST_RETRIES,
    )
    assert not router.local_allowed
    assert router.read_sync("./blobs/a/0", 0, 4) == b"blob"


def test_anonymous_when_no_credentials() -> None:
    source = ObjectStoreSource()
    with mock.patch.dict(os.environ, {}, clear=True):
        assert source._config_for("s3") == {"skip_signature": True}
    with mock.patch.dict(os.environ, {"AWS_ACCESS_KEY_ID": "x"}, clear=True):
        assert source._config_for("s3") == {}
    explicit = ObjectStoreSource(s3_options={"access_key_id": "a", "secret_access_key": "b"})
    with mock.patch.dict(os.environ, {}, clear=True):
        assert "skip_signature" not in explicit._config_for("s3")


def test_not_an_object_store_url() -> None:
    with pytest.raises(LindiSourceError, match="not an object-store URL"):
        asyncio.run(ObjectStoreSource().get_range("http://x/y", 0, 1))


def test_gcs_and_azure_urls_map_to_bucket_and_key() -> None:
    source = ObjectStoreSource(
        gcs_options={"skip_signature": True},
        azure_options={"account_name": "account", "skip_signature": True},
    )
    gcs_store, gcs_path = source._locate("gs://bucket/dir/a%20b.bin")
    assert gcs_path == "dir/a b.bin"
    assert type(gcs_store).__name__ == "GCSStore"
    azure_store, azure_path = source._locate("az://container/dir/x")
    assert azure_path == "dir/x"
    assert type(azure_store).__name__ == "AzureStore"
    again, _ = source._locate("gs://bucket/other")
    assert again is gcs_store  # one store per bucket and options


def _environment_for(s3_bucket: S3Bucket) -> dict[str, str]:
    """The standard AWS_* variables a user of an S3-compatible service on plain HTTP sets."""
    return {
        "AWS_ENDPOINT_URL": s3_bucket.endpoint_url,
        "AWS_ALLOW_HTTP": "true",
        "AWS_REGION": s3_bucket.region,
        "AWS_ACCESS_KEY_ID": s3_bucket.access_key_id,
        "AWS_SECRET_ACCESS_KEY": s3_bucket.secret_access_key,
    }


@pytest.mark.parametrize("client_options", [None, {}, {"timeout": "30s"}])
def test_environment_alone_configures_an_http_endpoint(
    s3_bucket: S3Bucket, client_options: dict[str, str] | None
) -> None:
    """obstore ignores AWS_ALLOW_HTTP once any client options are passed (even ``{}``): the
    source must honour it anyway (the bug: "HTTP error: builder error")."""
    s3_bucket.put_object("env/data.bin", PAYLOAD)
    source = ObjectStoreSource(client_options=client_options, retry_config=FAST_RETRIES)
    with mock.patch.dict(os.environ, _environment_for(s3_bucket), clear=True):
        assert asyncio.run(source.get_range(s3_bucket.url("env/data.bin"), 10, 5)) == PAYLOAD[10:15]
        router = SourceRouter(client_options=client_options, retry_config=FAST_RETRIES)
        assert router.read_sync(s3_bucket.url("env/data.bin"), 0, 3) == PAYLOAD[:3]


def test_allow_http_from_the_environment_is_merged_under_explicit_options() -> None:
    source = ObjectStoreSource(client_options={"timeout": "5s"})
    with mock.patch.dict(os.environ, {"AWS_ALLOW_HTTP": "true"}, clear=True):
        options = source._client_options_for("s3")
        assert options.items() >= {"allow_http": True, "timeout": "5s"}.items()
    with mock.patch.dict(os.environ, {"AWS_ALLOW_HTTP": "false"}, clear=True):
        options = source._client_options_for("s3")
        assert options.items() >= {"allow_http": False, "timeout": "5s"}.items()
    with mock.patch.dict(os.environ, {"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, clear=True):
        assert source._client_options_for("s3")["allow_http"] is True
        gcs = source._client_options_for("gcs")
        assert gcs["timeout"] == "5s" and "allow_http" not in gcs
    explicit = ObjectStoreSource(client_options={"allow_http": False})
    with mock.patch.dict(os.environ, {"AWS_ALLOW_HTTP": "true"}, clear=True):
        assert explicit._client_options_for("s3")["allow_http"] is False
    with mock.patch.dict(os.environ, {"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:1"}, clear=True):
        assert source._config_for("s3")["endpoint"] == "http://127.0.0.1:1"


def test_store_is_rebuilt_when_the_environment_changes(s3_bucket: S3Bucket) -> None:
    s3_bucket.put_object("k.bin", b"abc")
    source = ObjectStoreSource(retry_config=FAST_RETRIES)
    url = s3_bucket.url("k.bin")
    with mock.patch.dict(os.environ, {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, clear=True):
        wrong, _ = source._locate(url)
    with mock.patch.dict(os.environ, _environment_for(s3_bucket), clear=True):
        right, _ = source._locate(url)
        assert right is not wrong
        assert asyncio.run(source.get(url)) == b"abc"


def test_lindi_io_reads_s3_url_configured_by_the_environment(
    s3_bucket: S3Bucket, tmp_path: Path
) -> None:
    from tests.io.test_lindi_io import make_nwbfile

    path = tmp_path / "f.nwb.lindi.json"
    with LindiIO(str(path), "w") as io:
        io.write(make_nwbfile("from-s3"))
    s3_bucket.put_object("dir/f.nwb.lindi.json", path.read_bytes())
    with (
        mock.patch.dict(os.environ, _environment_for(s3_bucket), clear=True),
        LindiIO(s3_bucket.url("dir/f.nwb.lindi.json")) as io,
    ):
        nwbfile = io.read()
        assert nwbfile.identifier == "from-s3"
        assert list(nwbfile.acquisition["ts"].data[:]) == list(range(50))


def test_gcs_and_azure_endpoints_from_their_own_variables() -> None:
    """GCS's endpoint is ``base_url`` / ``GOOGLE_BASE_URL`` (a plain-HTTP one allows HTTP, as
    ``AWS_ENDPOINT_URL`` does for S3); ``GOOGLE_ALLOW_HTTP`` / ``AZURE_ALLOW_HTTP`` are merged
    under explicit options like ``AWS_ALLOW_HTTP``."""
    source = ObjectStoreSource(client_options={"timeout": "5s"})
    with mock.patch.dict(os.environ, {"GOOGLE_BASE_URL": "http://127.0.0.1:1"}, clear=True):
        assert source._client_options_for("gcs")["allow_http"] is True
        assert "allow_http" not in source._client_options_for("azure")
    explicit = ObjectStoreSource(gcs_options={"base_url": "http://127.0.0.1:1"})
    with mock.patch.dict(os.environ, {}, clear=True):
        assert explicit._client_options_for("gcs")["allow_http"] is True
    for variable, family in (("GOOGLE_ALLOW_HTTP", "gcs"), ("AZURE_ALLOW_HTTP", "azure")):
        with mock.patch.dict(os.environ, {variable: "true"}, clear=True):
            options = source._client_options_for(family)
            assert options.items() >= {"allow_http": True, "timeout": "5s"}.items()


def test_azure_store_is_rebuilt_when_the_emulator_moves() -> None:
    """``AZURITE_BLOB_STORAGE_URL`` is part of what configures an Azure store: a store built
    for another emulator address is not reused."""
    source = ObjectStoreSource()
    base = {"AZURE_STORAGE_USE_EMULATOR": "true"}
    with mock.patch.dict(
        os.environ, {**base, "AZURITE_BLOB_STORAGE_URL": "http://127.0.0.1:1"}, clear=True
    ):
        first, _ = source._locate("az://container/x")
    with mock.patch.dict(
        os.environ, {**base, "AZURITE_BLOB_STORAGE_URL": "http://127.0.0.1:2"}, clear=True
    ):
        second, _ = source._locate("az://container/x")
    assert second is not first
