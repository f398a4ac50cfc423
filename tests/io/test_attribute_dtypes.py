"""LindiIO returns what the file stores, with the dtype h5py reports: never narrower, never
rounded. A file whose dtypes differ from its spec is read through LindiIO as the ``.nwb`` itself,
as our converted ``.lindi.json``, as a ``.lindi.tar`` LindiIO wrote, and as the ``.lindi.json``
lindi 0.4.6 made of it; every attribute and dataset of every object, and every field of every
container, is compared with what ``pynwb.NWBHDF5IO`` reads from the ``.nwb``."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pynwb
import pytest

import hdmf_lindi as lindi
from hdmf_lindi.h5py_compat import LindiH5pyFile
from tests.h5py_compat.test_corpus_pynwb import CORPUS
from tests.h5py_compat.test_corpus_pynwb import _files as corpus_files
from tests.helpers.upstream_lindi import UpstreamUnavailable, run_upstream
from tests.io.dtype_files import EXTRA_ATTRIBUTES, make_mixed_dtype_nwb
from tests.io.exact_snapshot import builder_snapshot, container_snapshot, exact

UPSTREAM_CONVERT = r"""
import json, sys
import lindi
source, dest = sys.argv[1], sys.argv[2]
lindi.LindiH5pyFile.from_hdf5_file(source, url=source).write_lindi_file(dest)
print(json.dumps({"written": dest}))
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("dtypes")
    source = folder / "mixed.nwb"
    make_mixed_dtype_nwb(source)
    converted = folder / "converted.nwb.lindi.json"
    lindi.convert(source, converted)
    written = folder / "written.nwb.lindi.tar"
    exported = folder / "exported.nwb"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pynwb.NWBHDF5IO(source, "r") as src:
            lindi.LindiIO.export_io(written, src_io=src)
        with pynwb.NWBHDF5IO(source, "r") as src, pynwb.NWBHDF5IO(exported, "w") as dst:
            dst.export(src_io=src)
    return {
        "nwb": source,
        "converted": converted,
        "lindi_io_tar": written,
        "nwb_export": exported,
    }


def _snapshots(io: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return builder_snapshot(io.read_builder()), container_snapshot(io.read())


def _ascii_strings_as_text(snapshot: dict[str, Any]) -> dict[str, Any]:
    """h5py returns the elements of variable-length *ASCII* string datasets
    (``file_create_date``) as bytes; lindi 0.4.6 stores every variable-length string as text
    without recording the encoding (our ``_STRING_ENCODING``), so from its files they read as
    ``str``. The containers are the same (hdmf decodes them)."""

    def text(value: Any) -> Any:
        if isinstance(value, tuple) and value[:1] == ("bytes",):
            return ("str", value[1].decode("ascii"))
        if isinstance(value, tuple):
            return tuple(text(v) for v in value)
        if isinstance(value, list):
            return [text(v) for v in value]
        return value

    out: dict[str, Any] = {}
    for path, entry in snapshot.items():
        out[path] = dict(entry)
        if entry.get("dtype") == "object" and "data" in entry:
            out[path]["data"] = text(entry["data"])
    return out


@pytest.fixture(scope="module")
def expected(files: dict[str, Path]) -> tuple[dict[str, Any], dict[str, Any]]:
    with pynwb.NWBHDF5IO(files["nwb"], "r") as io:
        return _snapshots(io)


def _differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    out = []
    for path in sorted(set(expected) | set(actual)):
        want, got = expected.get(path), actual.get(path)
        if want == got:
            continue
        if not isinstance(want, dict) or not isinstance(got, dict):
            out.append(f"{path}: expected {want!r:.200}, got {got!r:.200}")
            continue
        for field in sorted(set(want) | set(got)):
            if want.get(field) != got.get(field):
                out.append(
                    f"{path} {field}: expected {want.get(field)!r:.300}, "
                    f"got {got.get(field)!r:.300}"
                )
    return out


@pytest.mark.parametrize("source", ["nwb", "converted", "lindi_io_tar"])
def test_lindi_io_reads_values_and_dtypes_as_nwbhdf5io(
    source: str, files: dict[str, Path], expected: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    with lindi.LindiIO(files[source], "r") as io:
        builders, containers = _snapshots(io)
    assert _differences(expected[0], builders) == []
    assert _differences(expected[1], containers) == []


def test_the_deliberate_dtypes_are_in_the_comparison(
    files: dict[str, Path], expected: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """The file holds what the comparison is about (and NWBHDF5IO reads it so)."""
    builders, containers = expected
    data = builders["/acquisition/ts/data"]["attributes"]
    assert data["conversion"] == ("np", "float64", 0.077)
    assert data["resolution"] == ("np", "float32", float(np.float32(0.1)))
    assert builders["/acquisition/ts/starting_time"]["attributes"]["rate"][1] == "float64"
    assert builders["/acquisition/tst/timestamps"]["attributes"]["interval"][1] == "int64"
    channel = builders["/acquisition/ElectricalSeries/channel_conversion"]
    assert channel["attributes"]["axis"] == ("np", "uint8", 1)
    assert channel["data"][1] == "float64"
    plane = builders["/general/optophysiology/ImagingPlane/excitation_lambda"]
    assert plane["data"] == ("np", "float64", 0.077)
    extra = builders["/acquisition/ts"]["attributes"]
    for name, value in EXTRA_ATTRIBUTES.items():
        if isinstance(value, np.bytes_):
            assert extra[name] == ("str", value.decode())  # hdmf decodes bytes attributes
        else:
            assert extra[name] == exact(value), name
    assert containers["TimeSeries:/ts"]["conversion"] == ("np", "float64", 0.077)


def _h5py_attributes(path: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def visit(name: str, obj: Any) -> None:
        out["/" + name] = {key: exact(obj.attrs[key]) for key in obj.attrs}

    with h5py.File(path, "r") as f:
        out["/"] = {key: exact(f.attrs[key]) for key in f.attrs}
        f.visititems(visit)
    return out


def _lindi_attributes(f: LindiH5pyFile) -> dict[str, Any]:
    out: dict[str, Any] = {"/": {key: exact(f.attrs[key]) for key in f.attrs}}

    def visit(name: str, obj: Any) -> None:
        out["/" + name] = {key: exact(obj.attrs[key]) for key in obj.attrs}

    f.visititems(visit)
    return out


def _comparable(attributes: dict[str, Any]) -> dict[str, Any]:
    # references compare by type only: h5py's and ours are different objects
    return {
        path: {
            key: "<reference>" if value[:1] == ("type",) else value for key, value in attrs.items()
        }
        for path, attrs in attributes.items()
        if not path.startswith("/specifications")
    }


@pytest.mark.parametrize("source", ["nwb", "converted", "lindi_io_tar"])
def test_h5py_view_attributes_are_h5pys(source: str, files: dict[str, Path]) -> None:
    """``LindiH5pyFile`` gives every attribute h5py's type and dtype, on the HDF5 file itself,
    on the converted file and on the file LindiIO exported (compared with the file NWBHDF5IO
    exported: hdmf hands both the same builders, e.g. bytes attributes decoded to ``str``)."""
    reference = files["nwb_export" if source == "lindi_io_tar" else "nwb"]
    expected = _comparable(_h5py_attributes(reference))
    path = files[source]
    opener = LindiH5pyFile.from_hdf5_file if source == "nwb" else LindiH5pyFile.from_lindi_file
    with opener(path) as f:
        actual = _comparable(_lindi_attributes(f))
    assert _differences(expected, actual) == []


# ------------------------------------------------------------------------- lindi 0.4.6's file
@pytest.mark.upstream
def test_file_of_lindi_046_keeps_values_and_casts_to_the_spec_only_where_exact(
    files: dict[str, Path], expected: tuple[dict[str, Any], dict[str, Any]], tmp_path: Path
) -> None:
    """lindi 0.4.6 writes attribute numbers as bare JSON numbers (no dtype record). LindiIO
    returns every value unchanged; a number gets its spec's dtype only when that cast is exact,
    else JSON's natural type (int64, float64): 0.077 stays float64 where the spec says float32."""
    dest = tmp_path / "original.nwb.lindi.json"
    try:
        run_upstream(UPSTREAM_CONVERT, os.fspath(files["nwb"]), os.fspath(dest))
    except UpstreamUnavailable as exc:
        pytest.skip(str(exc))
    with lindi.LindiIO(dest, "r") as io:
        builders, containers = _snapshots(io)
    text = _ascii_strings_as_text(expected[0])
    assert _differences(_values_only(text), _values_only(builders)) == []
    assert _differences(_values_only(expected[1]), _values_only(containers)) == []

    data = builders["/acquisition/ts/data"]["attributes"]
    assert data["conversion"] == ("np", "float64", 0.077)  # not float32(0.0769999995)
    assert data["resolution"] == ("np", "float32", float(np.float32(0.1)))  # exact: cast
    assert builders["/acquisition/ts/starting_time"]["attributes"]["rate"] == (
        "np",
        "float64",
        0.077,
    )
    assert builders["/acquisition/tst/timestamps"]["attributes"]["interval"] == ("np", "int32", 1)
    channel = builders["/acquisition/ElectricalSeries/channel_conversion"]
    assert channel["attributes"]["axis"] == ("np", "int32", 1)
    assert channel["data"][1] == "float64"  # datasets keep their .zarray dtype
    plane = builders["/general/optophysiology/ImagingPlane/excitation_lambda"]
    assert plane["data"] == ("np", "float64", 0.077)
    extra = builders["/acquisition/ts"]["attributes"]  # no spec: JSON's natural types
    assert extra["u8"] == ("np", "int64", 200)
    assert extra["f32"] == ("np", "float64", float(np.float32(0.1)))
    assert extra["fixed"] == ("str", "abc")


def _values_only(snapshot: dict[str, Any]) -> dict[str, Any]:
    """Numbers without their width (what a file without a dtype record cannot keep)."""

    def strip(value: Any) -> Any:
        if isinstance(value, tuple) and len(value) == 3 and value[0] == "np":
            return ("number", value[2])
        if isinstance(value, tuple) and len(value) == 4 and value[0] == "array":
            kind = np.dtype(value[1]).kind
            items = value[3]
            if kind == "O" and all(isinstance(x, tuple) and x[0] == "str" for x in items):
                return ("array", value[2], [x[1] for x in items])
            if kind in "biufS":
                return ("array", value[2], _decoded(items) if kind == "S" else items)
        if isinstance(value, tuple) and value[:1] == ("dataset",):
            return ("dataset", strip(value[2]) if len(value) > 2 else None)
        if isinstance(value, tuple):
            return tuple(strip(v) for v in value)
        if isinstance(value, list):
            return [strip(v) for v in value]
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()}
        return value

    return {path: strip(entry) for path, entry in snapshot.items()}


def _decoded(items: Any) -> Any:
    if isinstance(items, list):
        return [_decoded(x) for x in items]
    return items.decode() if isinstance(items, bytes) else items


def test_without_records_numbers_get_the_spec_dtype_only_where_exact(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """Our converted file with every ``_ATTRIBUTE_DTYPES`` record removed reads as a file of
    lindi 0.4.6 does (the same rule, without needing its environment)."""
    document = json.loads(files["converted"].read_text())
    for key, value in document["refs"].items():
        if key.endswith(".zattrs") and isinstance(value, dict):
            value.pop("_ATTRIBUTE_DTYPES", None)
    stripped = tmp_path / "stripped.nwb.lindi.json"
    stripped.write_text(json.dumps(document))
    with lindi.LindiIO(stripped, "r") as io:
        builders, containers = _snapshots(io)
    data = builders["/acquisition/ts/data"]["attributes"]
    assert data["conversion"] == ("np", "float64", 0.077)
    assert data["resolution"] == ("np", "float32", float(np.float32(0.1)))
    timestamps = builders["/acquisition/tst/timestamps"]["attributes"]
    assert timestamps["interval"] == ("np", "int32", 1)
    assert builders["/acquisition/ts"]["attributes"]["u8"] == ("np", "int64", 200)
    assert containers["TimeSeries:/ts"]["conversion"] == ("np", "float64", 0.077)
    assert containers["TimeSeries:/ts"]["resolution"] == ("np", "float32", float(np.float32(0.1)))


# ------------------------------------------------------------------------------ the corpus
def _corpus_cases() -> list[Any]:
    return corpus_files() or ["<none>"]


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")
@pytest.mark.parametrize("name", _corpus_cases())
def test_lindi_io_reads_corpus_files_as_nwbhdf5io(name: str) -> None:
    """Real files, written by many tools and versions: LindiIO on the ``.nwb`` gives every
    builder and container field NWBHDF5IO gives, with the same types and dtypes."""
    path = CORPUS / name
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pynwb.NWBHDF5IO(path, "r", load_namespaces=True) as io:
                builders, containers = _snapshots(io)
    except Exception as exc:  # pynwb cannot read the HDF5 itself
        pytest.skip(f"pynwb cannot read the HDF5 file: {type(exc).__name__}")
    with lindi.LindiIO(path, "r") as io:
        actual_builders, actual_containers = _snapshots(io)
    assert _differences(builders, actual_builders) == []
    assert _differences(containers, actual_containers) == []
