"""A document copied to a new place (download, transcode, convert) names the same files as at
its source, and a remote document's copy never reads local files: chunk refs, external links
and external array links, in both flavours, however the local target is spelled."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from hdmf_lindi import LindiH5pyFile, convert
from hdmf_lindi.errors import LindiSecurityError
from hdmf_lindi.storage.reference_map import ReferenceMap
from hdmf_lindi.transcode import transcode
from hdmf_lindi.transfer.download import download
from tests.helpers.http_server import ServedDirectory

SECRET = 4242
KINDS = ["only.lindi.json", "mirrored.lindi.json", "copy.lindi.tar", "copy.lindi.d"]


def _secret_h5(directory: Path) -> Path:
    directory.mkdir(exist_ok=True)
    path = directory / "secret.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("d", data=np.array([SECRET], dtype="<i8"))
    return path


def _contiguous_offset(path: Path) -> int:
    with h5py.File(path, "r") as f:
        offset = f["d"].id.get_offset()
    assert offset is not None
    return int(offset)


_ZARRAY = {
    "zarr_format": 2,
    "shape": [1],
    "chunks": [1],
    "dtype": "<i8",
    "order": "C",
    "compressor": None,
    "filters": None,
    "fill_value": 0,
}


def _serve(server: ServedDirectory, name: str, refs: dict[str, Any], **extra: Any) -> str:
    document = {"version": 1, "refs": {".zgroup": {"zarr_format": 2}, ".zattrs": {}, **refs}}
    document.update(extra)
    (server.root / name).write_text(json.dumps(document))
    return server.url_for(f"/{name}")


def _download(url: str, tmp_path: Path, kind: str, **options: Any) -> Path:
    dest = tmp_path / "out" / kind
    dest.parent.mkdir(exist_ok=True)
    mirror = tmp_path / "out" / "mirror" if kind.startswith("mirrored") else None
    download(url, dest, mirror=mirror, progress=False, **options)
    return dest


def _never_reads(dest: Path) -> None:
    assert not dest.exists()


# ------------------------------------------------------------------------ chunk refs
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("spelling", ["absolute", "file-url", "template", "home"])
def test_download_refuses_local_chunk_refs_of_a_remote_document(
    tmp_path: Path,
    http_server: ServedDirectory,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    spelling: str,
) -> None:
    secret = _secret_h5(tmp_path / "private")
    offset = _contiguous_offset(secret)
    extra: dict[str, Any] = {}
    if spelling == "absolute":
        url = str(secret)
    elif spelling == "file-url":
        url = secret.as_uri()
    elif spelling == "template":
        url, extra = "{{u}}", {"templates": {"u": str(secret)}}
    else:
        monkeypatch.setenv("HOME", str(tmp_path))
        url = "~/private/secret.h5"
    refs = {"x/.zarray": _ZARRAY, "x/.zattrs": {}, "x/0": [url, offset, 8]}
    source = _serve(http_server, "refs.lindi.json", refs, **extra)
    with pytest.raises(LindiSecurityError, match=r"x/0|local file"):
        _download(source, tmp_path, kind)
    _never_reads(tmp_path / "out" / kind)


def test_document_only_download_makes_relative_refs_remote(
    tmp_path: Path, http_server: ServedDirectory
) -> None:
    """A relative ref not spelled ``./`` names a file beside the remote document, not one
    beside the copy."""
    blob = np.array([7], dtype="<i8").tobytes()
    (http_server.root / "blobs").mkdir()
    (http_server.root / "blobs" / "x0").write_bytes(blob)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "blobs").mkdir()
    (tmp_path / "out" / "blobs" / "x0").write_bytes(np.array([SECRET], "<i8").tobytes())
    refs = {"x/.zarray": _ZARRAY, "x/.zattrs": {}, "x/0": ["blobs/x0", 0, 8]}
    source = _serve(http_server, "rel.lindi.json", refs)
    dest = _download(source, tmp_path, "only.lindi.json")
    assert ReferenceMap.load(dest).get_raw("x/0")[0] == http_server.url_for("/blobs/x0")
    with LindiH5pyFile.from_lindi_file(dest) as f:
        assert f["x"][0] == 7


# -------------------------------------------------------------------- external links
def _link_refs_v1(target: str) -> dict[str, Any]:
    return {"ext/.zgroup": {"zarr_format": 2}, "ext/.zattrs": {"_EXTERNAL_LINK": [target, "/d"]}}


def _v3_document(server: ServedDirectory, name: str, target: str) -> str:
    links = [{"name": "ext", "source": target, "path": "/d"}]
    refs = {"zarr.json": {"zarr_format": 3, "node_type": "group", "attributes": {"_LINKS": links}}}
    (server.root / name).write_text(json.dumps({"version": 1, "refs": refs}))
    return server.url_for(f"/{name}")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("flavour", ["lindi-v1", "unified-zarr-v3"])
@pytest.mark.parametrize("spelling", ["absolute", "file-url"])
def test_download_refuses_local_external_links_of_a_remote_document(
    tmp_path: Path, http_server: ServedDirectory, kind: str, flavour: str, spelling: str
) -> None:
    secret = _secret_h5(tmp_path / "private")
    target = str(secret) if spelling == "absolute" else secret.as_uri()
    if flavour == "lindi-v1":
        source = _serve(http_server, "links.lindi.json", _link_refs_v1(target))
    else:
        source = _v3_document(http_server, "links.lindi.json", target)
    with pytest.raises(LindiSecurityError, match=r"/ext: .*refusing to open the local file"):
        _download(source, tmp_path, kind)
    _never_reads(tmp_path / "out" / kind)
    # the caller may opt in: the copy then names the local file, absolutely
    dest = _download(source, tmp_path, kind, allow_local=True)
    with LindiH5pyFile.from_lindi_file(dest) as f:
        assert f["ext"][0] == SECRET
        assert f.get("ext", getlink=True).filename == str(secret)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("flavour", ["lindi-v1", "unified-zarr-v3"])
def test_download_makes_relative_external_links_remote(
    tmp_path: Path, http_server: ServedDirectory, kind: str, flavour: str
) -> None:
    with h5py.File(http_server.root / "sibling.h5", "w") as f:
        f.create_dataset("d", data=np.array([5]))
    (tmp_path / "out").mkdir()
    with h5py.File(tmp_path / "out" / "sibling.h5", "w") as f:  # beside the copy: not read
        f.create_dataset("d", data=np.array([SECRET]))
    if flavour == "lindi-v1":
        source = _serve(http_server, "links.lindi.json", _link_refs_v1("sibling.h5"))
    else:
        source = _v3_document(http_server, "links.lindi.json", "sibling.h5")
    dest = _download(source, tmp_path, kind)
    with LindiH5pyFile.from_lindi_file(dest) as f:
        assert f.get("ext", getlink=True).filename == http_server.url_for("/sibling.h5")
        assert f["ext"][0] == 5


def test_download_of_a_local_document_keeps_its_links_working(tmp_path: Path) -> None:
    """A local document copied to another directory: its relative link names the same file."""
    source_dir = tmp_path / "a"
    _secret_h5(source_dir)
    document = source_dir / "x.lindi.json"
    document.write_text(
        json.dumps(
            {
                "version": 1,
                "refs": {".zgroup": {"zarr_format": 2}, **_link_refs_v1("secret.h5")},
            }
        )
    )
    for kind in KINDS:
        dest = _download(str(document), tmp_path, kind)
        with LindiH5pyFile.from_lindi_file(dest) as f:
            assert f.get("ext", getlink=True).filename == str(source_dir / "secret.h5")
            assert f["ext"][0] == SECRET


# -------------------------------------------------------------- external array links
def _array_link_refs(url: str) -> dict[str, Any]:
    link = {"link_type": "hdf5_dataset", "url": url, "name": "/d"}
    return {"x/.zarray": _ZARRAY, "x/.zattrs": {"_EXTERNAL_ARRAY_LINK": link}}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("spelling", ["absolute", "file-url"])
def test_download_refuses_local_external_array_links_of_a_remote_document(
    tmp_path: Path, http_server: ServedDirectory, kind: str, spelling: str
) -> None:
    secret = _secret_h5(tmp_path / "private")
    url = str(secret) if spelling == "absolute" else secret.as_uri()
    source = _serve(http_server, "arrays.lindi.json", _array_link_refs(url))
    with pytest.raises(LindiSecurityError, match=r"/x: _EXTERNAL_ARRAY_LINK"):
        _download(source, tmp_path, kind)
    _never_reads(tmp_path / "out" / kind)


def test_document_only_download_makes_relative_external_array_links_remote(
    tmp_path: Path, http_server: ServedDirectory
) -> None:
    with h5py.File(http_server.root / "sibling.h5", "w") as f:
        f.create_dataset("d", data=np.array([5], dtype="<i8"))
    (tmp_path / "out").mkdir()
    with h5py.File(tmp_path / "out" / "sibling.h5", "w") as f:  # beside the copy: not read
        f.create_dataset("d", data=np.array([SECRET], dtype="<i8"))
    source = _serve(http_server, "arrays.lindi.json", _array_link_refs("sibling.h5"))
    for kind in ("only.lindi.json", "mirrored.lindi.json"):
        dest = _download(source, tmp_path, kind)
        link = ReferenceMap.load(dest).get_json("x/.zattrs")["_EXTERNAL_ARRAY_LINK"]
        assert link["url"] == http_server.url_for("/sibling.h5")
        with LindiH5pyFile.from_lindi_file(dest) as f:
            assert f["x"][0] == 5


# ------------------------------------------------------------- transcode and convert
@pytest.mark.parametrize("conventions", ["lindi-v1", "unified-zarr-v3"])
def test_transcode_of_a_remote_document_refuses_local_links(
    tmp_path: Path, http_server: ServedDirectory, conventions: str
) -> None:
    secret = _secret_h5(tmp_path / "private")
    dest = tmp_path / "out.lindi.json"
    for refs, pattern in [
        (_link_refs_v1(str(secret)), r"/ext: .*refusing to open the local file"),
        (_array_link_refs(str(secret)), r"/x: _EXTERNAL_ARRAY_LINK"),
    ]:
        source = _serve(http_server, "t.lindi.json", refs)
        with pytest.raises(LindiSecurityError, match=pattern):
            transcode(source, dest, conventions=conventions)
        assert not dest.exists()


def test_transcode_of_a_remote_document_makes_relative_links_remote(
    tmp_path: Path, http_server: ServedDirectory
) -> None:
    with h5py.File(http_server.root / "sibling.h5", "w") as f:
        f.create_dataset("d", data=np.array([5], dtype="<i8"))
    refs = {**_link_refs_v1("sibling.h5"), **_array_link_refs("sibling.h5")}
    source = _serve(http_server, "t.lindi.json", refs)
    dest = tmp_path / "out.lindi.json"
    transcode(source, dest)
    with LindiH5pyFile.from_lindi_file(dest) as f:
        assert f.get("ext", getlink=True).filename == http_server.url_for("/sibling.h5")
        assert f["ext"][0] == 5
        assert f["x"][0] == 5


def test_v3_convert_of_a_remote_file_refuses_a_local_link(
    tmp_path: Path, http_server: ServedDirectory
) -> None:
    """The check holds for the unified v3 flavour, whose links sit in the parent's
    ``_LINKS``."""
    secret = _secret_h5(tmp_path / "private")
    with h5py.File(http_server.root / "remote.h5", "w") as f:
        f["ext"] = h5py.ExternalLink(str(secret), "/d")
    dest = tmp_path / "out.lindi.json"
    with pytest.raises(LindiSecurityError, match=r"/ext: .*refusing to open the local file"):
        convert(http_server.url_for("/remote.h5"), dest, conventions="unified-zarr-v3")
    assert not dest.exists()


# ------------------------------------------- links a walk from the root does not reach
def _hidden_link_documents(server: ServedDirectory, secret: Path) -> dict[str, dict[str, Any]]:
    """Documents with a local external link where a walk from the root does not go, but a
    reader finds it by its path: below a root that is a link, below a dataset, below an
    external link to a remote file (which is kept)."""
    link = {"_EXTERNAL_LINK": [str(secret), "/d"]}
    group = {"zarr_format": 2}
    return {
        "root soft link": {
            ".zattrs": {"_SOFT_LINK": {"path": "/"}},
            "ext/.zgroup": group,
            "ext/.zattrs": link,
        },
        "root external link": {
            ".zattrs": {"_EXTERNAL_LINK": [server.url_for("/x.h5"), "/"]},
            "ext/.zgroup": group,
            "ext/.zattrs": link,
        },
        "below a dataset": {
            "ds/.zarray": _ZARRAY,
            "ds/.zattrs": {},
            "ds/ext/.zgroup": group,
            "ds/ext/.zattrs": link,
        },
        "below an external link": {
            "acq/.zgroup": group,
            "acq/.zattrs": {"_EXTERNAL_LINK": [server.url_for("/x.h5"), "/acq"]},
            "acq/ext/.zgroup": group,
            "acq/ext/.zattrs": link,
        },
    }


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "case", ["root soft link", "root external link", "below a dataset", "below an external link"]
)
def test_download_refuses_local_links_a_walk_does_not_reach(
    tmp_path: Path, http_server: ServedDirectory, kind: str, case: str
) -> None:
    """Every node the metadata describes is checked, not only those a walk from the root
    reaches: the copy's reader finds the others by their path."""
    secret = _secret_h5(tmp_path / "private")
    refs = _hidden_link_documents(http_server, secret)[case]
    document = {"version": 1, "refs": {".zgroup": {"zarr_format": 2}, ".zattrs": {}, **refs}}
    (http_server.root / "hidden.lindi.json").write_text(json.dumps(document))
    source = http_server.url_for("/hidden.lindi.json")
    with pytest.raises(LindiSecurityError, match=r"/ext: .*refusing to open the local file"):
        _download(source, tmp_path, kind)
    _never_reads(tmp_path / "out" / kind)


@pytest.mark.parametrize("kind", ["only.lindi.json", "mirrored.lindi.json"])
def test_copy_of_a_remote_document_never_lets_a_remote_hdf5_file_read_local_files(
    tmp_path: Path, http_server: ServedDirectory, kind: str
) -> None:
    """An external array link to a *remote* HDF5 file whose dataset keeps its values in a
    local file (external raw storage), or is an HDF5 external link or a virtual dataset
    naming one: the copy is a local document, but the HDF5 file came from a URL, so it is
    refused as the original refuses it."""
    secret = _secret_h5(tmp_path / "private")
    raw = tmp_path / "private" / "raw.bin"
    raw.write_bytes(np.array([777], "<i8").tobytes())
    with h5py.File(http_server.root / "evil.h5", "w") as f:
        f["ext"] = h5py.ExternalLink(str(secret), "/d")
        layout = h5py.VirtualLayout(shape=(1,), dtype="<i8")
        layout[:] = h5py.VirtualSource(str(secret), "d", shape=(1,))
        f.create_virtual_dataset("vds", layout, fillvalue=-1)
        f.create_dataset("efl", shape=(1,), dtype="<i8", external=[(str(raw), 0, 8)])
    refs: dict[str, Any] = {}
    for name in ("ext", "vds", "efl"):
        link = {
            "link_type": "hdf5_dataset",
            "url": http_server.url_for("/evil.h5"),
            "name": f"/{name}",
        }
        refs[f"{name}/.zarray"] = _ZARRAY
        refs[f"{name}/.zattrs"] = {"_EXTERNAL_ARRAY_LINK": link}
    source = _serve(http_server, "evil.lindi.json", refs)
    dest = _download(source, tmp_path, kind)
    with LindiH5pyFile.from_lindi_file(dest) as f:
        for name in ("ext", "vds", "efl"):
            with pytest.raises(LindiSecurityError, match=r"external|virtual"):
                f[name][()]
    with LindiH5pyFile.from_lindi_file(dest, allow_local=True) as f:
        assert f["efl"][0] == 777  # the caller may opt in


def _tar_with_hdf5_member(path: Path) -> None:
    """A ``.lindi.tar`` whose dataset ``x`` is an ``_EXTERNAL_ARRAY_LINK`` to dataset ``/d``
    (``[5]``) of its member ``blobs/x.h5``."""
    import io

    from hdmf_lindi.storage.containers.tar import TarContainer

    member = io.BytesIO()
    with h5py.File(member, "w") as f:
        f.create_dataset("d", data=np.array([5], dtype="<i8"))
    link = {"link_type": "hdf5_dataset", "url": "./blobs/x.h5", "name": "/d"}
    refs = {
        ".zgroup": {"zarr_format": 2},
        ".zattrs": {},
        "x/.zarray": _ZARRAY,
        "x/.zattrs": {"_EXTERNAL_ARRAY_LINK": link},
    }
    tar = TarContainer(str(path))
    tar.create(ReferenceMap.from_dict({"version": 1, "refs": {".zgroup": {"zarr_format": 2}}}))
    tar.write_blob("x.h5", member.getvalue())
    tar.save(ReferenceMap.from_dict({"version": 1, "refs": refs}))
    tar.close()


@pytest.mark.parametrize("kind", ["only.lindi.json", "mirrored.lindi.json"])
def test_copy_refuses_external_array_links_to_members_of_the_source_container(
    tmp_path: Path, http_server: ServedDirectory, kind: str
) -> None:
    """A link to ``./blobs/x.h5`` inside a remote ``.lindi.tar`` names a member of that tar;
    a ``.lindi.json`` copy would look for it beside itself, on the local disk."""
    from hdmf_lindi.errors import LindiUnsupportedError

    _tar_with_hdf5_member(http_server.root / "src.lindi.tar")
    (tmp_path / "out").mkdir()
    _secret_h5(tmp_path / "out" / "blobs").rename(tmp_path / "out" / "blobs" / "x.h5")
    with pytest.raises(LindiUnsupportedError, match="member of the source's container"):
        _download(http_server.url_for("/src.lindi.tar"), tmp_path, kind)
    _never_reads(tmp_path / "out" / kind)


@pytest.mark.parametrize("remote", [False, True])
def test_hdf5_member_of_a_lindi_tar_is_read(
    tmp_path: Path, http_server: ServedDirectory, remote: bool
) -> None:
    """An ``_EXTERNAL_ARRAY_LINK`` to ``./blobs/x.h5`` inside a ``.lindi.tar`` reads that
    member, locally and over HTTP (h5py reads it as a file, so the router gives members a size;
    it refused: "the size of a container member is not known here"); a download to a
    ``.lindi.tar`` stores its values."""
    path = http_server.root / "member.lindi.tar"
    _tar_with_hdf5_member(path)
    location = http_server.url_for("/member.lindi.tar") if remote else str(path)
    with LindiH5pyFile.from_lindi_file(location) as f:
        assert f["x"][()].tolist() == [5]
    copy = tmp_path / "copy.lindi.tar"
    download(location, copy, progress=False)
    with LindiH5pyFile.from_lindi_file(copy) as f:
        assert f["x"][()].tolist() == [5]
        assert f.hierarchy.node("/x").dataset.external_array_link is None  # type: ignore[union-attr]
