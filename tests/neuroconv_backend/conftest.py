"""The neuroconv backend tests run in their own environment (``bash .ci/neuroconv``, or ``tox -e
neuroconv``): neuroconv 0.10.2 pins ``numcodecs<0.16`` and reads ``zarr.codec_registry``, which
zarr 3 removed (catalystneuro/neuroconv#2062). The shim below stands in for it until neuroconv
releases a fix; where neuroconv is not installed the tests are skipped."""

from __future__ import annotations

import importlib.util

import numcodecs.registry
import zarr

NEUROCONV_INSTALLED = importlib.util.find_spec("neuroconv") is not None

if NEUROCONV_INSTALLED and not hasattr(zarr, "codec_registry"):
    zarr.codec_registry = numcodecs.registry.codec_registry  # type: ignore[attr-defined]
