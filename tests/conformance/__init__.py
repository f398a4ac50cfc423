"""pynwb's own integration tests (``tests/integration/hdf5`` of its sdist) run with LindiIO in
place of NWBHDF5IO: see ``conftest.py``."""
