"""docs/conventions.md shows exactly what the code writes."""

from __future__ import annotations

import json

import pytest

from tests.conventions.doc_examples import DOC_PATH, EXAMPLES, documented, render


def test_every_example_is_in_the_document() -> None:
    assert DOC_PATH.is_file()
    assert sorted(documented()) == sorted(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_is_current(name: str) -> None:
    shown = documented()[name]
    assert shown == render(name), (
        f"docs/conventions.md example {name!r} is out of date: "
        "run `python -m tests.conventions.doc_examples`"
    )
    json.loads(shown)  # the example is valid JSON


def test_examples_read_back() -> None:
    """Each example's refs are read by the conventions without error."""
    from hdmf_lindi.conventions.lindi_v1 import LindiV1Conventions
    from hdmf_lindi.storage.reference_map import ReferenceMap

    conventions = LindiV1Conventions()
    for name in EXAMPLES:
        refs = json.loads(render(name))
        meta = ReferenceMap({".zgroup": {"zarr_format": 2}, **refs})
        paths = {"/" + key.rsplit("/", 1)[0] for key in refs}
        for path in paths:
            assert conventions.read_node(meta, path) is not None, (name, path)
