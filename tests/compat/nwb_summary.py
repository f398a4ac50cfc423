"""A JSON summary of an NWB file read with pynwb, computed the same way in our environment and in
lindi 0.4.6's (the source text is executed on both sides)."""

from __future__ import annotations

from typing import Any

NWB_SUMMARY_SOURCE = r"""
import numpy as np

def nwb_summary(nwbfile):
    def plain(value):
        value = np.asarray(value)
        if value.dtype.kind == "f":
            value = value.round(6)
        if value.dtype.kind in "SO":
            return [x.decode() if isinstance(x, bytes) else str(x) for x in value.ravel().tolist()]
        return value.tolist()

    series = nwbfile.acquisition["ElectricalSeries"]
    behavior = nwbfile.processing["behavior"]
    return {
        "session_description": nwbfile.session_description,
        "identifier": nwbfile.identifier,
        "session_start_time": nwbfile.session_start_time.isoformat(),
        "experimenter": list(nwbfile.experimenter),
        "subject": [nwbfile.subject.subject_id, nwbfile.subject.species, nwbfile.subject.age],
        "electrodes": plain(nwbfile.electrodes["x"][:]),
        "electrode locations": plain(nwbfile.electrodes["location"][:]),
        "electrode groups": [g.name for g in nwbfile.electrodes["group"][:]],
        "ElectricalSeries shape": list(series.data.shape),
        "ElectricalSeries rows": plain(series.data[100:103, :]),
        "ElectricalSeries rate": series.rate,
        "ElectricalSeries conversion": series.conversion,
        "ElectricalSeries electrodes": plain(series.electrodes.data[:]),
        "units": len(nwbfile.units),
        "spike times": [plain(nwbfile.units["spike_times"][i]) for i in range(len(nwbfile.units))],
        "trials": plain(nwbfile.trials["start_time"][:]),
        "trials correct": plain(nwbfile.trials["correct"][:]),
        "position": plain(behavior["Position"]["position"].data[:5]),
        "speed timestamps": plain(behavior["speed"].timestamps[:5]),
        "misc series": sorted(nwbfile.processing["misc"].data_interfaces),
        "objects": len(nwbfile.objects),
    }
"""

_namespace: dict[str, Any] = {}
exec(NWB_SUMMARY_SOURCE, _namespace)
nwb_summary = _namespace["nwb_summary"]
