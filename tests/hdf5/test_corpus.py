"""Every file of ../shared/corpus converts with values equal to h5py's, or is refused with the
expected clear error (see ``corpus_expected.py``). One test per file."""

from __future__ import annotations

import json
import re
import shutil
import warnings

import h5py
import pytest

from hdmf_lindi.errors import LindiError
from hdmf_lindi.hdf5 import TranslateOptions, translate_source
from tests.conftest import SHARED_DIR
from tests.hdf5.corpus_expected import EXPECTED_REFUSALS
from tests.hdf5.lindi_check import check_file
from tests.helpers.http_server import ServedDirectory

try:
    import hdf5plugin  # noqa: F401  (lets h5py read blosc/zstd/lz4/bitshuffle for comparison)

    HAVE_PLUGINS = True
except ImportError:  # pragma: no cover - depends on the environment
    HAVE_PLUGINS = False

CORPUS = SHARED_DIR / "corpus"
_SKIP_SUFFIXES = {".md", ".tsv", ".txt", ".json", ".py"}


def _corpus_files() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(
        str(p.relative_to(CORPUS))
        for p in CORPUS.rglob("*")
        if p.is_file() and p.suffix not in _SKIP_SUFFIXES
    )


FILES = _corpus_files()

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not FILES, reason=f"{CORPUS} is not present"),
]


@pytest.mark.parametrize("name", FILES or ["<no corpus>"])
def test_corpus_file(name: str) -> None:
    path = CORPUS / name
    if name.startswith("kerchunk/") and not HAVE_PLUGINS:
        pytest.skip("hdf5plugin is not installed: h5py cannot read the reference values")
    options = TranslateOptions(num_chunks_threshold=None)
    expected = EXPECTED_REFUSALS.get(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # committed datatypes are skipped with a warning
        if expected is not None:
            error_class, fragment = expected
            with pytest.raises(LindiError) as caught:
                translate_source(path, options=options)
            message = str(caught.value)
            assert type(caught.value).__name__ == error_class, message
            assert name in message, message  # the file is named (symlinks may be resolved)
            assert re.escape(fragment) and fragment in message, message
            return
        ref_map = translate_source(path, options=options).reference_map
    with h5py.File(path) as f:
        counts = check_file(ref_map, f)
    assert counts["groups"] >= 1


def test_expectations_name_existing_files() -> None:
    missing = sorted(set(EXPECTED_REFUSALS) - set(FILES))
    assert not missing, missing


def test_summary(capsys: pytest.CaptureFixture[str]) -> None:
    refused = len(set(EXPECTED_REFUSALS) & set(FILES))
    with capsys.disabled():
        print(f"\ncorpus: {len(FILES)} files, {len(FILES) - refused} convert, {refused} refused")
    assert len(FILES) - refused > 300


HTTP_SAMPLE = [name for i, name in enumerate(FILES) if i % 8 == 0]


@pytest.mark.parametrize("name", HTTP_SAMPLE or ["<no corpus>"])
def test_corpus_file_over_http(name: str, http_server: ServedDirectory) -> None:
    """A sample of the corpus served over HTTP converts to the same JSON as the local file,
    up to the URL (or fails with the same error)."""
    path = CORPUS / name
    if name.startswith("kerchunk/") and not HAVE_PLUGINS:
        pytest.skip("hdf5plugin is not installed")
    served = http_server.root / path.name
    shutil.copy(path, served)
    url = http_server.url_for("/" + path.name)
    options = TranslateOptions(num_chunks_threshold=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name in EXPECTED_REFUSALS:
            with pytest.raises(LindiError) as local_error:
                translate_source(served, options=options)
            with pytest.raises(type(local_error.value)) as remote_error:
                translate_source(url, options=options)
            assert url in str(remote_error.value)
            return
        local = translate_source(served, options=options).reference_map.dumps()
        remote = translate_source(url, options=options).reference_map.dumps()
    local_url = json.dumps(str(served.resolve()))[1:-1].encode()
    local_view = remote.replace(json.dumps(url)[1:-1].encode(), local_url)
    # relative external links of a remote file are written as absolute URLs (docs/security.md)
    directory_url = json.dumps(http_server.url_for("/"))[1:-1].encode()
    assert local_view.replace(directory_url, b"") == local
