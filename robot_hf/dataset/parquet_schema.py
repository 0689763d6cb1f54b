"""Arrow schemas for data files, matching what LeRobot (through HF `datasets`) writes and reads."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from robot_hf.dataset.features import numpy_dtype

_ARROW = {
    "float32": pa.float32(),
    "float64": pa.float64(),
    "int64": pa.int64(),
    "int32": pa.int32(),
    "int16": pa.int16(),
    "int8": pa.int8(),
    "uint8": pa.uint8(),
    "bool": pa.bool_(),
    "string": pa.string(),
}

IMAGE_STRUCT = pa.struct([("bytes", pa.binary()), ("path", pa.string())])


def _is_scalar(ft: Mapping[str, Any]) -> bool:
    return list(ft["shape"]) == [1]


def arrow_type(key: str, ft: Mapping[str, Any]) -> pa.DataType:
    if ft["dtype"] == "image":
        return IMAGE_STRUCT
    if ft["dtype"] not in _ARROW:
        raise ValueError(f"feature {key!r}: dtype {ft['dtype']!r} cannot be stored in a data file")
    base = _ARROW[ft["dtype"]]
    if _is_scalar(ft):
        return base
    if len(ft["shape"]) != 1:
        raise ValueError(f"feature {key!r}: only 1-d arrays are supported in data files, got shape {ft['shape']}")
    return pa.list_(pa.field("element", base), int(ft["shape"][0]))


def _hf_feature(ft: Mapping[str, Any]) -> dict:
    if ft["dtype"] == "image":
        return {"_type": "Image"}
    value = {"dtype": ft["dtype"], "_type": "Value"}
    if _is_scalar(ft):
        return value
    return {"feature": value, "length": int(ft["shape"][0]), "_type": "List"}


def data_schema(features: Mapping[str, Mapping[str, Any]]) -> pa.Schema:
    """Schema of data/chunk-*/file-*.parquet: every feature but videos, in declaration order."""
    stored = {k: ft for k, ft in features.items() if ft["dtype"] != "video"}
    fields = [pa.field(k, arrow_type(k, ft)) for k, ft in stored.items()]
    hf = {"info": {"features": {k: _hf_feature(ft) for k, ft in stored.items()}}}
    return pa.schema(fields, metadata={b"huggingface": json.dumps(hf).encode()})


def column_to_numpy(column: pa.ChunkedArray | pa.Array, ft: Mapping[str, Any]) -> np.ndarray:
    """A data column as an (N,) or (N, D) numpy array of the feature's dtype."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if ft["dtype"] == "string":
        return np.asarray(column.to_pylist(), dtype=object)
    dtype = numpy_dtype(ft["dtype"])
    if _is_scalar(ft):
        return column.to_numpy(zero_copy_only=False).astype(dtype, copy=False)
    width = int(ft["shape"][0])
    if len(column) == 0:
        return np.zeros((0, width), dtype=dtype)
    flat = column.flatten().to_numpy(zero_copy_only=False)
    return flat.reshape(len(column), width).astype(dtype, copy=False)


def numpy_to_column(values: np.ndarray | list, key: str, ft: Mapping[str, Any]) -> pa.Array:
    typ = arrow_type(key, ft)
    if ft["dtype"] in ("string", "image"):
        return pa.array(list(values), type=typ)
    values = np.asarray(values, dtype=numpy_dtype(ft["dtype"]))
    if _is_scalar(ft):
        return pa.array(values.reshape(-1), type=typ)
    flat = pa.array(values.reshape(-1), type=typ.value_type)
    return pa.FixedSizeListArray.from_arrays(flat, type=typ)
