"""ReferenceMap: loading, validation, templates, deterministic and atomic dumps."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hdmf_lindi.errors import LindiFormatError
from hdmf_lindi.storage.reference_map import (
    InlineRef,
    ReferenceMap,
    UrlRef,
    atomic_write_bytes,
    decode_inline_string,
    encode_inline_bytes,
)

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "upstream-lindi-0.4.6"


def test_templates_expand_on_load_and_are_chosen_again_on_dump() -> None:
    doc = {
        "version": 1,
        "templates": {"u1": "http://example.org/a.h5"},
        "refs": {
            ".zgroup": {"zarr_format": 2},
            "x/0": ["{{u1}}", 10, 5],
            "x/1": ["{{ u1 }}", 15, 5],
            "y/0": ["http://other/b.h5", 0, 3],
        },
    }
    rmap = ReferenceMap.from_dict(doc)
    assert rmap.resolve("x/0") == UrlRef("http://example.org/a.h5", 10, 5)
    assert rmap.resolve("x/1") == UrlRef("http://example.org/a.h5", 15, 5)
    out = rmap.to_dict()
    assert out["templates"] == {"u1": "http://example.org/a.h5"}
    assert out["refs"]["x/0"] == ["{{u1}}", 10, 5]
    assert out["refs"]["y/0"] == ["http://other/b.h5", 0, 3]
    assert ReferenceMap.from_dict(out).to_dict() == out


_EVERY_ACCESS_TO_A_REF = {
    "get_raw": lambda rmap, key: rmap.get_raw(key),
    "resolve": lambda rmap, key: rmap.resolve(key),
    "get_json": lambda rmap, key: rmap.get_json(key),
    "validate": lambda rmap, key: rmap.validate(),
    "dumps": lambda rmap, key: rmap.dumps(),
    "set_json elsewhere": lambda rmap, key: rmap.set_json("other/.zattrs", {}),
    "copy, then get_raw": lambda rmap, key: rmap.copy().get_raw(key),
}


@pytest.mark.parametrize("access", list(_EVERY_ACCESS_TO_A_REF))
def test_undefined_template_is_an_error_naming_the_key(access: str) -> None:
    rmap = ReferenceMap.from_dict(
        {"version": 1, "refs": {"x/0": ["{{u9}}", 0, 1], "x/1": ["a", 0, 1]}}, source="f.json"
    )
    assert rmap.get_raw("x/1") == ["a", 0, 1]  # the other refs stay readable
    with pytest.raises(LindiFormatError, match=r"f\.json: ref 'x/0'.*undefined template 'u9'"):
        _EVERY_ACCESS_TO_A_REF[access](rmap, "x/0")


@pytest.mark.parametrize("access", list(_EVERY_ACCESS_TO_A_REF))
@pytest.mark.parametrize(
    "value",
    [5, None, True, ["url", 1], ["url", -1, 3], ["url", 0, 1.5], [1, 2, 3], ["url", True, 2]],
)
def test_malformed_refs_are_rejected_with_the_key(value: object, access: str) -> None:
    """A malformed ref is reported on the first read of its key, or when every ref is
    checked (validate, dump, change); until then the keys can be listed."""
    document = {"version": 1, "refs": {".zgroup": {}, "a/0": value, "a/1": ["u", 0, 1]}}
    rmap = ReferenceMap.from_bytes(json.dumps(document).encode(), source="bad.json")
    assert rmap.list_dir("a") == ["0", "1"] and "a/0" in rmap and len(rmap) == 3
    assert rmap.get_raw("a/1") == ["u", 0, 1]
    with pytest.raises(LindiFormatError, match=r"bad\.json: ref 'a/0'"):
        _EVERY_ACCESS_TO_A_REF[access](rmap, "a/0")
    with pytest.raises(LindiFormatError, match=r"bad\.json: ref 'a/0'"):
        rmap.get_raw("a/0")  # and again: nothing was cached


def test_a_validated_map_holds_templated_refs_and_hands_out_plain_urls() -> None:
    document = {
        "version": 1,
        "templates": {"u1": "https://h/a.nwb"},
        "refs": {"x/0": ["{{u1}}", 0, 4], "x/1": ["{{u1}}"], "x/.zattrs": ["{{u1}}", 0, 1]},
    }
    rmap = ReferenceMap.from_bytes(json.dumps(document).encode())
    before = {key: rmap.get_raw(key) for key in rmap}
    rmap.validate()
    after = {key: rmap.get_raw(key) for key in rmap}
    assert (
        before
        == after
        == {
            "x/0": ["https://h/a.nwb", 0, 4],
            "x/1": ["https://h/a.nwb"],
            "x/.zattrs": ["{{u1}}", 0, 1],  # a metadata key's JSON array is kept as it is
        }
    )
    # a new ref spelled like a loaded template means that text, not the template
    rmap.set_url("y/0", "{{u1}}", 0, 1)
    assert rmap.get_raw("y/0") == ["{{u1}}", 0, 1]
    assert rmap.get_raw("x/0") == ["https://h/a.nwb", 0, 4]
    assert rmap.resolve("x/1") == UrlRef("https://h/a.nwb")


def test_from_dict_keeps_the_callers_lists_out_of_the_map() -> None:
    ref = ["https://h/a", 0, 4]
    rmap = ReferenceMap.from_dict({"version": 1, "refs": {"x/0": ref}})
    ref[1] = -1
    rmap.validate()
    assert rmap.get_raw("x/0") == ["https://h/a", 0, 4]


def test_bad_documents() -> None:
    with pytest.raises(LindiFormatError, match="version"):
        ReferenceMap.from_dict({"version": 2, "refs": {}})
    with pytest.raises(LindiFormatError, match="'refs' must be"):
        ReferenceMap.from_dict({"version": 1, "refs": []})
    with pytest.raises(LindiFormatError, match="not a valid JSON"):
        ReferenceMap.from_bytes(b"{nope", source="x.lindi.json")
    with pytest.raises(LindiFormatError, match="invalid key"):
        ReferenceMap.from_dict({"version": 1, "refs": {"/abs/.zgroup": {}}})


def test_inline_values() -> None:
    rmap = ReferenceMap()
    rmap.set_inline("a/0", b"hello")
    rmap.set_inline("a/1", b"\x00\xff\x10")
    rmap.set_inline("a/2", b"base64:looks-like-a-prefix")
    assert rmap.get_raw("a/0") == "hello"
    assert str(rmap.get_raw("a/1")).startswith("base64:")
    for key, data in [("a/0", b"hello"), ("a/1", b"\x00\xff\x10")]:
        assert rmap.resolve(key) == InlineRef(data)
    assert rmap.resolve("a/2") == InlineRef(b"base64:looks-like-a-prefix")
    with pytest.raises(LindiFormatError, match="invalid base64"):
        decode_inline_string("base64:@@@", key="k")


@given(st.binary(max_size=300))
def test_inline_bytes_round_trip(data: bytes) -> None:
    assert decode_inline_string(encode_inline_bytes(data)) == data


def test_metadata_keys_are_json_objects() -> None:
    rmap = ReferenceMap.from_dict(
        {"version": 1, "refs": {".zattrs": '{"a": 1}', "g/.zattrs": {"b": [1, 2]}}}
    )
    assert rmap.get_json(".zattrs") == {"a": 1}
    assert rmap.get_json("g/.zattrs") == {"b": [1, 2]}
    assert rmap.get_json("missing/.zattrs") is None
    assert rmap.resolve("g/.zattrs") == InlineRef(b'{"b":[1,2]}')


def test_list_dir_and_prefix_follow_mutations() -> None:
    rmap = ReferenceMap()
    rmap.set_json(".zgroup", {"zarr_format": 2})
    rmap.set_json("a/.zgroup", {"zarr_format": 2})
    rmap.set_json("a/b/.zarray", {})
    rmap.set_inline("a/b/0.0", b"x")
    assert rmap.list_dir("") == [".zgroup", "a"]
    assert rmap.list_dir("a") == [".zgroup", "b"]
    assert rmap.list_dir("a/") == [".zgroup", "b"]
    assert rmap.list_dir("a/b") == [".zarray", "0.0"]
    rmap.set_json("c/.zgroup", {"zarr_format": 2})
    assert rmap.list_dir("") == [".zgroup", "a", "c"]
    rmap.delete("a/b/0.0")
    rmap.delete("a/b/.zarray")
    assert rmap.list_dir("a") == [".zgroup"]
    assert not rmap.has_dir("a/b")
    assert rmap.list_prefix("a/") == ["a/.zgroup"]


_KEY_PARTS = st.sampled_from(["a", "b", ".zattrs", "0"])


@given(
    st.lists(
        st.tuples(st.booleans(), st.lists(_KEY_PARTS, min_size=1, max_size=4).map("/".join)),
        max_size=40,
    )
)
def test_listing_kept_up_to_date_equals_one_built_afresh(
    operations: list[tuple[bool, str]],
) -> None:
    """The directory index follows sets and deletes (a key may also be a directory) exactly
    as an index built from the keys left."""
    rmap = ReferenceMap()
    rmap.list_dir("")  # the index exists from the start and is kept up to date
    for is_set, key in operations:
        if is_set:
            rmap.set_inline(key, b"x")
        elif key in rmap:
            rmap.delete(key)
        fresh = ReferenceMap()
        for existing in rmap:
            fresh.set_inline(existing, b"x")
        directories = {"", *(k.rpartition("/")[0] for k in operations_keys(rmap))}
        for directory in sorted(directories | {"a", "a/b", "b", "a/a"}):
            assert rmap.list_dir(directory) == fresh.list_dir(directory), directory
            assert rmap.has_dir(directory) == fresh.has_dir(directory), directory


def operations_keys(rmap: ReferenceMap) -> list[str]:
    """Every key and each of its directories."""
    found = []
    for key in rmap:
        parts = key.split("/")
        found.extend("/".join(parts[: i + 1]) for i in range(len(parts)))
    return found


def test_dump_is_deterministic_and_sorted() -> None:
    a = ReferenceMap()
    b = ReferenceMap()
    items = [("z/0", b"1"), ("a/0", b"2"), ("m/.zattrs", None)]
    for key, data in items:
        if data is None:
            a.set_json(key, {"y": 1, "x": 2})
        else:
            a.set_inline(key, data)
    for key, data in reversed(items):
        if data is None:
            b.set_json(key, {"x": 2, "y": 1})
        else:
            b.set_inline(key, data)
    assert a.dumps() == b.dumps()
    keys = list(json.loads(a.dumps())["refs"])
    assert keys == sorted(keys)


def test_atomic_write_keeps_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "x.lindi.json"
    atomic_write_bytes(target, b"old")

    with pytest.raises(TypeError):
        atomic_write_bytes(target, 12345)  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.lindi.json"]


def test_write_and_load(tmp_path: Path) -> None:
    rmap = ReferenceMap(generation_metadata={"generatedBy": "test"})
    rmap.set_json(".zgroup", {"zarr_format": 2})
    rmap.set_url("d/0", "http://h/f.h5", 3, 4)
    rmap.set_url("d/1", "http://h/f.h5", 7, 4)
    rmap.set_url("e/0", "./blobs/e/0")
    path = tmp_path / "f.lindi.json"
    rmap.write(path)
    again = ReferenceMap.load(path)
    assert again.source == os.fspath(path)
    assert again.resolve("d/1") == UrlRef("http://h/f.h5", 7, 4)
    assert again.resolve("e/0") == UrlRef("./blobs/e/0")
    assert again.generation_metadata == {"generatedBy": "test"}
    assert again.dumps() == rmap.dumps()


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared fixtures not present")
@pytest.mark.parametrize("name", ["features.lindi.json", "pynwb_written.nwb.lindi.json"])
def test_upstream_fixture_documents_load_and_round_trip(name: str) -> None:
    original = json.loads((FIXTURES / name).read_text())
    rmap = ReferenceMap.load(FIXTURES / name)
    assert len(rmap) == len(original["refs"])
    out = rmap.to_dict()
    assert out["refs"] == original["refs"]
    assert out.get("templates", {}) == original.get("templates", {})


def test_atomic_write_gives_ordinary_file_modes(tmp_path: Path) -> None:
    target = tmp_path / "m.lindi.json"
    atomic_write_bytes(target, b"{}")
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    target.chmod(0o640)
    atomic_write_bytes(target, b"{}")
    assert target.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize(
    "bad", [float("nan"), float("inf"), [1.0, float("-inf")], {"a": {"b": float("nan")}}]
)
def test_set_json_refuses_non_finite_floats(bad: object) -> None:
    rmap = ReferenceMap(source="m.json")
    with pytest.raises(LindiFormatError, match=r"m\.json: 'g/\.zattrs'.*cannot be stored in JSON"):
        rmap.set_json("g/.zattrs", {"x": bad})
    assert "g/.zattrs" not in rmap


def test_set_json_refuses_text_that_is_not_unicode() -> None:
    ref_map = ReferenceMap(source="mem.lindi.json")
    with pytest.raises(LindiFormatError, match=r"'g/\.zattrs'.*not valid Unicode"):
        ref_map.set_json("g/.zattrs", {"title": "a\ud800b"})
    assert ref_map.get_raw("g/.zattrs") is None
    ref_map.dumps()
