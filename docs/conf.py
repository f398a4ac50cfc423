"""Sphinx configuration: ``bash .ci/with-env sphinx-build -W -b html docs docs/_build/html``.

The tutorials are MyST notebooks executed during the build (against a sample NWB file and a
local HTTP server on 127.0.0.1; nothing is fetched from the internet)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "src"))

import hdmf_lindi  # noqa: E402

project = "hdmf_lindi"
author = "the hdmf_lindi developers"
copyright = "2026, the hdmf_lindi developers"
release = hdmf_lindi.__version__

extensions = [
    "myst_nb",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
]
source_suffix = {".md": "myst-nb"}
exclude_patterns = ["_build", "jupyter_execute", ".jupyter_cache"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

nb_execution_mode = "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True

autodoc_member_order = "bysource"
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_validation_checks: set[str] = set()

html_theme = "pydata_sphinx_theme"
html_title = "hdmf_lindi"
html_theme_options = {"navigation_with_keys": False}
