# ruff: noqa: E501  (corpus file names are long)
"""Corpus files hdmf_lindi refuses, with the error class and the start of the message after
the file name (object path and reason). Every other corpus file must convert with values equal
to h5py's."""

EXPECTED_REFUSALS: dict[str, tuple[str, str]] = {
    "h5py/h5py__tests__data__smpl_compound_chunked.hdf5": (
        "LindiUnsupportedError",
        "/CompoundChunked: compound field 'd_name' has dtype ('>i2', ",
    ),
    "h5py/h5py__tests__data_files__compound-dtype-complex.h5": (
        "LindiUnsupportedError",
        "/<c16: attribute 'c1': complex attribute values are not supp",
    ),
    "h5wasm/test__array.h5": (
        "LindiUnsupportedError",
        "/compound: compound field 'floaty' has dtype ('<f8', (2, 2))",
    ),
    "h5wasm/test__compressed.h5": (
        "LindiUnsupportedError",
        "/scaleoffset: HDF5 filter 6 (scaleoffset) has no numcodecs c",
    ),
    "h5wasm/test__empty.h5": (
        "LindiUnsupportedError",
        "/ attribute 'empty_attr': attribute has a NULL dataspace (h5",
    ),
    "h5wasm/test__vlen.h5": (
        "LindiUnsupportedError",
        "/float32_oneD: variable-length (ragged) float32 data is not ",
    ),
    "hdf5-json/data__hdf5__array_attr.h5": (
        "LindiUnsupportedError",
        "/DS1: dataset has a NULL dataspace",
    ),
    "hdf5-json/data__hdf5__array_dset.h5": (
        "LindiUnsupportedError",
        "/DS1: array dtype ('<i8', (3, 5)) is not supported",
    ),
    "hdf5-json/data__hdf5__arraytype.h5": (
        "LindiUnsupportedError",
        "/array: array dtype ('<f4', (2, 2)) is not supported",
    ),
    "hdf5-json/data__hdf5__bitfield_attr.h5": (
        "LindiUnsupportedError",
        "/DS1 attribute 'A1': h5py cannot read it (Can't synchronousl",
    ),
    "hdf5-json/data__hdf5__bitfield_dset.h5": (
        "LindiUnsupportedError",
        "/DS1: h5py cannot read the data (Can't synchronously read da",
    ),
    "hdf5-json/data__hdf5__committed_type.h5": (
        "LindiUnsupportedError",
        "/ attribute 'attr1': compound attribute values are not suppo",
    ),
    "hdf5-json/data__hdf5__comp_complex.h5": (
        "LindiUnsupportedError",
        "/n attribute 'REFERENCE_LIST': compound attribute values are",
    ),
    "hdf5-json/data__hdf5__compound_array.h5": (
        "LindiUnsupportedError",
        "/dset: compound field 'Concentration' has dtype ('<f4', (4,)",
    ),
    "hdf5-json/data__hdf5__compound_array_attr.h5": (
        "LindiUnsupportedError",
        "/DS1 attribute 'A1': compound attribute values are not suppo",
    ),
    "hdf5-json/data__hdf5__compound_array_dset.h5": (
        "LindiUnsupportedError",
        "/DS1: compound field '2x2' has dtype ('<f4', (2, 2)); not su",
    ),
    "hdf5-json/data__hdf5__compound_array_vlen_string.h5": (
        "LindiUnsupportedError",
        "/dset: compound field 'VALUE3' has dtype ('O', (8,)); not su",
    ),
    "hdf5-json/data__hdf5__compound_attr.h5": (
        "LindiUnsupportedError",
        "/ attribute 'weather': compound attribute values are not sup",
    ),
    "hdf5-json/data__hdf5__dim_scale.h5": (
        "LindiUnsupportedError",
        "/scale_x attribute 'REFERENCE_LIST': compound attribute valu",
    ),
    "hdf5-json/data__hdf5__enum_attr.h5": (
        "LindiUnsupportedError",
        "/DS1: dataset has a NULL dataspace",
    ),
    "hdf5-json/data__hdf5__fixed_string_attr.h5": (
        "LindiUnsupportedError",
        "/DS1: dataset has a NULL dataspace",
    ),
    "hdf5-json/data__hdf5__h5ex_d_extern.h5": (
        "LindiUnsupportedError",
        "/DS1: data is stored in external raw files",
    ),
    "hdf5-json/data__hdf5__h5ex_d_nbit.h5": (
        "LindiUnsupportedError",
        "/DS1: HDF5 filter 5 (nbit) has no numcodecs codec with the s",
    ),
    "hdf5-json/data__hdf5__h5ex_d_sofloat.h5": (
        "LindiUnsupportedError",
        "/DS1: HDF5 filter 6 (scaleoffset) has no numcodecs codec wit",
    ),
    "hdf5-json/data__hdf5__h5ex_d_soint.h5": (
        "LindiUnsupportedError",
        "/DS1: HDF5 filter 6 (scaleoffset) has no numcodecs codec wit",
    ),
    "hdf5-json/data__hdf5__h5ex_d_szip.h5": (
        "LindiUnsupportedError",
        "/DS1: HDF5 filter 4 (szip) has no numcodecs codec with the s",
    ),
    "hdf5-json/data__hdf5__null_space_attr.h5": (
        "LindiUnsupportedError",
        "/ attribute 'attr1': attribute has a NULL dataspace (h5py.Em",
    ),
    "hdf5-json/data__hdf5__null_space_dset.h5": (
        "LindiUnsupportedError",
        "/DS1: dataset has a NULL dataspace",
    ),
    "hdf5-json/data__hdf5__objref_attr.h5": (
        "LindiUnsupportedError",
        "/DS1: dataset has a NULL dataspace",
    ),
    "hdf5-json/data__hdf5__objref_dset.h5": (
        "LindiUnsupportedError",
        "/DS2: dataset has a NULL dataspace",
    ),
    "hdf5-json/data__hdf5__opaque_attr.h5": (
        "LindiUnsupportedError",
        "/DS1 attribute 'A1': h5py cannot read it (Can't synchronousl",
    ),
    "hdf5-json/data__hdf5__opaque_dset.h5": (
        "LindiUnsupportedError",
        "/DS1: opaque dtype |V7 is not supported",
    ),
    "hdf5-json/data__hdf5__regionref_attr.h5": (
        "LindiUnsupportedError",
        "/DS1 attribute 'A1': holds a region reference; LINDI cannot ",
    ),
    "hdf5-json/data__hdf5__regionref_dset.h5": (
        "LindiUnsupportedError",
        "/DS1: region references are not supported (LINDI cannot repr",
    ),
    "hdf5-json/data__hdf5__sample.h5": (
        "LindiUnsupportedError",
        "/dset3: variable-length (ragged) int32 data is not supported",
    ),
    "hdf5-json/data__hdf5__scalar_array_dset.h5": (
        "LindiUnsupportedError",
        "/DS1: array dtype ('<f4', (3, 2)) is not supported",
    ),
    "hdf5-json/data__hdf5__scalar_attr.h5": (
        "LindiUnsupportedError",
        "/DS1: dataset has a NULL dataspace",
    ),
    "hdf5-json/data__hdf5__tall_with_udlink.h5": (
        "LindiUnsupportedError",
        "/g2/udlink: link cannot be read (user-defined link?) (Unknow",
    ),
    "hdf5-json/data__hdf5__tallrw.h5": (
        "LindiUnsupportedError",
        "/myrefs: region references are not supported (LINDI cannot r",
    ),
    "hdf5-json/data__hdf5__tstr.h5": (
        "LindiUnsupportedError",
        "/comp1: compound field 'int_array' has dtype ('>i4', (8, 10)",
    ),
    "hdf5-json/data__hdf5__vlen_attr.h5": (
        "LindiUnsupportedError",
        "/DS1 attribute 'A1': attribute holds variable-length sequenc",
    ),
    "hdf5-json/data__hdf5__vlen_dset.h5": (
        "LindiUnsupportedError",
        "/DS1: variable-length (ragged) int32 data is not supported",
    ),
    "hdf5-json/data__hdf5__vlen_string_attr.h5": (
        "LindiUnsupportedError",
        "/DS1: dataset has a NULL dataspace",
    ),
    "hdf5-json/data__hdf5__vlen_string_nullterm_attr.h5": (
        "LindiUnsupportedError",
        "/DS1: dataset has a NULL dataspace",
    ),
    "hdf5-json/data__hdf5__vlen_unicode_attr.h5": (
        "LindiUnsupportedError",
        "/DS1: dataset has a NULL dataspace",
    ),
    "hdmf/test_SimpleMultiContainer.h5": (
        "LindiFormatError",
        "HDF5 file cannot be opened (truncated?) (Unable to synchrono",
    ),
    "matnwb/ecephys_tutorial.nwb": (
        "LindiUnsupportedError",
        "/units/spike_times_index: region references are not supporte",
    ),
    "matnwb/example.h5": (
        "LindiUnsupportedError",
        "/acquisition/LFP/test_ephys_data/electrodes: region referenc",
    ),
    "matnwb/test_output.nwb": (
        "LindiUnsupportedError",
        "/epochs/epochs: compound field 'timeseries' is a variable-le",
    ),
    "neuroconv-other-hdf5/behavior_testing_data__DLC__multi_subject_h5__log07-20-2023(1-XFN1-XFN3).1DLC_resnet50_SocialWSep18shuffle5_100000_el_stubbed.h5": (
        "LindiUnsupportedError",
        "/ attribute 'TITLE': attribute has a NULL dataspace (h5py.Em",
    ),
    "neuroconv-other-hdf5/behavior_testing_data__DLC__open_field_with_video__m3v1mp4DLC_resnet50_openfieldOct30shuffle1_1000.h5": (
        "LindiUnsupportedError",
        "/ attribute 'TITLE': attribute has a NULL dataspace (h5py.Em",
    ),
    "neuroconv-other-hdf5/behavior_testing_data__DLC__open_field_without_video__m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.h5": (
        "LindiUnsupportedError",
        "/ attribute 'TITLE': attribute has a NULL dataspace (h5py.Em",
    ),
    "neuroconv-other-hdf5/ephy_testing_data__maxwell__MaxOne_data__Activity_Scan__000008__data.raw.h5": (
        "LindiUnsupportedError",
        "/data_store/data0000/groups/routed/raw: HDF5 filter 401 (mxw",
    ),
    "neuroconv-other-hdf5/ephy_testing_data__maxwell__MaxOne_data__Network__000010__data.raw.h5": (
        "LindiUnsupportedError",
        "/data_store/data0000/groups/routed/raw: HDF5 filter 401 (mxw",
    ),
    "neuroconv-other-hdf5/ephy_testing_data__maxwell__MaxOne_data__Reording_non_assay.raw.h5": (
        "LindiUnsupportedError",
        "/data_store/data0000/groups/routed/raw: HDF5 filter 401 (mxw",
    ),
    "neuroconv-other-hdf5/ephy_testing_data__maxwell__MaxTwo_data__Activity_Scan__000021__data.raw.h5": (
        "LindiUnsupportedError",
        "/data_store/data0000/groups/routed/raw: HDF5 filter 401 (mxw",
    ),
    "neuroconv-other-hdf5/ephy_testing_data__neohdf5__neo_hdf5_example.h5": (
        "LindiUnsupportedError",
        "/Block_1/recordingchannelgroups/RecordingChannelGroup_0/chan",
    ),
    "nwb-explorer/test_data__nwb_test_file.nwb": (
        "LindiUnsupportedError",
        "/epochs/epochs: compound field 'timeseries' is a variable-le",
    ),
    "pyfive/attr_datatypes.hdf5": (
        "LindiUnsupportedError",
        "/ attribute 'vlen_float32': attribute holds variable-length ",
    ),
    "pyfive/dim_scales.hdf5": (
        "LindiUnsupportedError",
        "/dset1 attribute 'DIMENSION_LIST': attribute holds variable-",
    ),
    "pyfive/enum_variable.nc": (
        "LindiUnsupportedError",
        "/axis attribute 'REFERENCE_LIST': compound attribute values ",
    ),
    "pyfive/enums_from_netcdf.nc": (
        "LindiUnsupportedError",
        "/axis attribute 'REFERENCE_LIST': compound attribute values ",
    ),
    "pyfive/h5netcdf_test.hdf5": (
        "LindiUnsupportedError",
        "/enum_var attribute 'DIMENSION_LIST': attribute holds variab",
    ),
    "pyfive/issue23_A.nc": (
        "LindiUnsupportedError",
        "/bounds2 attribute 'REFERENCE_LIST': compound attribute valu",
    ),
    "pyfive/issue23_A_contiguous.nc": (
        "LindiUnsupportedError",
        "/bounds2 attribute 'REFERENCE_LIST': compound attribute valu",
    ),
    "pyfive/issue23_B.nc": (
        "LindiUnsupportedError",
        "/bounds attribute 'REFERENCE_LIST': compound attribute value",
    ),
    "pyfive/netcdf4_classic.nc": (
        "LindiUnsupportedError",
        "/var1 attribute 'DIMENSION_LIST': attribute holds variable-l",
    ),
    "pyfive/noy_AERmonZ_UKESM1-0-LL_piControl_r1i1p1f2_gnz_200001-200012.nc": (
        "LindiUnsupportedError",
        "/bnds attribute 'REFERENCE_LIST': compound attribute values ",
    ),
    "pyfive/opaque_datetime.hdf5": (
        "LindiUnsupportedError",
        "/opaque_datetimes: datetime64[s] (an HDF5 opaque type) is no",
    ),
    "pyfive/opaque_fixed.hdf5": (
        "LindiUnsupportedError",
        "/opaque_data: opaque dtype |V64 is not supported",
    ),
    "pyfive/references.hdf5": (
        "LindiUnsupportedError",
        "/ attribute 'dataset1_region_reference': holds a region refe",
    ),
}
