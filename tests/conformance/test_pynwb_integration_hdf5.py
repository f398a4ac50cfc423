"""Anchor of the conformance suite: ``conftest.py`` collects pynwb 4.2.0's
``tests/integration/hdf5`` here, once per LINDI container, with LindiIO in place of
NWBHDF5IO. This module itself holds no tests."""
