"""What the conformance harness swaps into pynwb's integration tests, for one LINDI container.

The tests keep their file names (``test_TimeSeries.nwb``, ...): files are created with
``container_kind=`` and recognised by their content when read, so every path, ``os.path``
check and error message of the tests stays as written. The swaps:

- ``NWBHDF5IO`` and hdmf's ``HDF5IO`` -> LindiIO (with their own parameter orders);
- ``h5py.File(path)`` / ``from h5py import File`` -> ``LindiH5pyFile`` (an HDF5 file the tests
  made themselves is opened with ``from_hdf5_file``); ``import h5py`` inside a test function
  gets that ``h5py`` too (``sys.modules``), file-like objects still open with h5py;
- ``pynwb.validate(path=...)`` -> ``pynwb.validate(io=LindiIO(path))``;
- removing a test file also removes a ``.lindi.d`` directory (``remove_test_file``, and
  ``os.remove`` in the test modules);
- ``urllib.request.urlopen`` in the test modules raises ``URLError``: tests may only reach
  servers they start on 127.0.0.1, and the one test that streams from DANDI skips itself when
  DANDI cannot be reached.
"""

from __future__ import annotations

import os
import shutil
import types
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import h5py
import pynwb

from hdmf_lindi.h5py_compat import LindiH5pyFile
from hdmf_lindi.io import LindiIO
from hdmf_lindi.opening import ContainerKind, FileKind, file_kind

#: test id parameter -> the container files are written in
CONTAINERS: dict[str, ContainerKind] = {
    "lindi.json": "json",
    "lindi.tar": "tar",
    "lindi.d": "directory",
}


def nwbhdf5io_class(kind: ContainerKind) -> type[LindiIO]:
    """LindiIO standing in for ``pynwb.NWBHDF5IO`` (whose parameter order LindiIO shares)."""

    class NWBHDF5IO(LindiIO):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("container_kind", kind)
            super().__init__(*args, **kwargs)

    return NWBHDF5IO


def hdf5io_class(kind: ContainerKind) -> type[LindiIO]:
    """LindiIO standing in for hdmf's ``HDF5IO``: its parameter order, no cached namespaces
    loaded (hdmf's HDF5IO uses the manager it is given)."""

    class HDF5IO(LindiIO):
        def __init__(
            self,
            path: Any = None,
            mode: str = "r",
            manager: Any = None,
            comm: Any = None,
            file: Any = None,
            driver: str | None = None,
            aws_region: str | None = None,
            herd_path: str | None = None,
            **kwargs: Any,
        ) -> None:
            kwargs.setdefault("container_kind", kind)
            super().__init__(
                path, mode, False, manager, file, comm, driver, aws_region, herd_path, **kwargs
            )

    return HDF5IO


def h5py_file_function(kind: ContainerKind) -> Callable[..., Any]:
    """``h5py.File(name, mode)`` opening LINDI files (new ones in ``kind``)."""

    def File(name: Any, mode: str = "r", **kwargs: Any) -> Any:
        if not isinstance(name, (str, os.PathLike)):
            return h5py.File(name, mode, **kwargs)  # a file-like object (our own RangeFile)
        if kwargs:
            raise TypeError(f"the conformance harness's h5py.File takes no {sorted(kwargs)}")
        path = os.fspath(name)
        creating = mode in ("w", "w-", "x") or not os.path.exists(path)
        if not creating and file_kind(path) is FileKind.HDF5:
            return LindiH5pyFile.from_hdf5_file(path, mode="r" if mode == "r" else "r+")
        return LindiH5pyFile.from_lindi_file(path, mode, container_kind=kind)  # type: ignore[arg-type]

    return File


def h5py_module(kind: ContainerKind) -> types.ModuleType:
    """``h5py`` with :func:`h5py_file_function` as ``File``."""
    module = types.ModuleType("h5py")
    module.__dict__.update(h5py.__dict__)
    module.File = h5py_file_function(kind)  # type: ignore[attr-defined]
    return module


def validate_function(io_class: type[LindiIO]) -> Callable[..., list[Any]]:
    """``pynwb.validate``, validating a ``path=`` through ``io=LindiIO(path)``."""

    def validate(*args: Any, **kwargs: Any) -> list[Any]:
        path = kwargs.pop("path", None)
        if path is None or kwargs.get("io") is not None or args:
            return pynwb.validate(*args, path=path, **kwargs)
        with io_class(path, mode="r") as io:
            errors: list[Any] = pynwb.validate(io=io, **kwargs)
        return errors

    return validate


def _remove(path: Any) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.remove(path)


def remove_test_file(path: Any) -> None:
    """pynwb.testing's ``remove_test_file``, for ``.lindi.d`` directories too."""
    clean = os.getenv("CLEAN_NWB", True) not in ("False", "false", "FALSE", "0", 0, False)
    if os.path.exists(path) and clean:
        _remove(path)


def os_module() -> types.ModuleType:
    """``os`` whose ``remove`` also removes a ``.lindi.d`` directory."""
    module = types.ModuleType("os")
    module.__dict__.update(os.__dict__)
    module.remove = _remove  # type: ignore[attr-defined]
    return module


def _no_outside_network(url: Any, *args: Any, **kwargs: Any) -> Any:
    raise urllib.error.URLError(
        f"{url}: the test suite reaches no server it did not start on 127.0.0.1"
    )


def urllib_module() -> types.ModuleType:
    """``urllib`` whose ``request.urlopen`` refuses every address."""
    request = types.ModuleType("urllib.request")
    request.__dict__.update(urllib.request.__dict__)
    request.urlopen = _no_outside_network  # type: ignore[attr-defined]
    module = types.ModuleType("urllib")
    module.request = request  # type: ignore[attr-defined]
    module.error = urllib.error  # type: ignore[attr-defined]
    return module


def module_swaps(kind: ContainerKind) -> dict[str, Any]:
    """Module-global name -> what replaces it, in pynwb.testing and the test modules."""
    nwb_io = nwbhdf5io_class(kind)
    return {
        "NWBHDF5IO": nwb_io,
        "HDF5IO": hdf5io_class(kind),
        "File": h5py_file_function(kind),
        "h5py": h5py_module(kind),
        "validate": validate_function(nwb_io),
        "pynwb_validate": validate_function(nwb_io),
        "remove_test_file": remove_test_file,
        "os": os_module(),
        "urllib": urllib_module(),
    }
