"""An ONNX recogniser's classes cut down in its own bytes: the protobuf wire format read and written directly.

PP-OCRv6's recogniser ends in one linear layer over 18,710 classes, 15,900
of them CJK ideographs. Keeping only the columns of the classes a site reads
makes that layer and its softmax seven times smaller, and the score tensors
each line batch allocates (6 x T x 18,710 floats, about 100 MB for a wide
batch) with them. ONNX Runtime cannot replace an initializer with one of
another shape, and the `onnx` package is not an app dependency, so the few
messages involved (ModelProto, GraphProto, TensorProto, ValueInfoProto,
StringStringEntryProto) are edited here on the wire.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from kiosk.errors import EngineError

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5
MODEL_GRAPH, MODEL_METADATA = 7, 14
GRAPH_INITIALIZER, GRAPH_OUTPUT, GRAPH_VALUE_INFO = 5, 12, 13
TENSOR_DIMS, TENSOR_TYPE, TENSOR_NAME, TENSOR_RAW = 1, 2, 8, 9
FLOAT = 1
NAME = 1  # ValueInfoProto.name, StringStringEntryProto.key
ENTRY_VALUE = 2


def _read_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf):
            raise EngineError("ONNX model truncated")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def fields(buf: bytes | memoryview) -> Iterator[tuple[int, int, int | memoryview]]:
    """(field number, wire type, value) of each field of one message: an int for varints, a view of the
    bytes otherwise (no copy: a recogniser is 20 MB)."""
    buf = memoryview(buf)
    pos = 0
    while pos < len(buf):
        key, pos = _read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == VARINT:
            value, pos = _read_varint(buf, pos)
            yield number, wire, value
        elif wire == LENGTH:
            size, pos = _read_varint(buf, pos)
            if pos + size > len(buf):
                raise EngineError("ONNX model truncated")
            yield number, wire, buf[pos : pos + size]
            pos += size
        elif wire in (FIXED64, FIXED32):
            size = 8 if wire == FIXED64 else 4
            yield number, wire, buf[pos : pos + size]
            pos += size
        else:
            raise EngineError(f"ONNX model unreadable: wire type {wire} at byte {pos}")


def field(number: int, wire: int, value: int | bytes | memoryview) -> bytes:
    """One field's bytes, the inverse of `fields`."""
    key = _varint(number << 3 | wire)
    if isinstance(value, int):
        return key + _varint(value)
    return b"".join((key, _varint(len(value)) if wire == LENGTH else b"", value))


Message = bytes | memoryview


def _messages(message: Message, number: int) -> list[memoryview]:
    """The length-delimited values (strings, bytes, sub-messages) of field `number`."""
    return [value for n, wire, value in fields(message) if n == number and wire == LENGTH and isinstance(value, memoryview)]


def _string(message: Message, number: int) -> str:
    found = _messages(message, number)
    return str(found[0], "utf-8") if found else ""


def _graph(model: Message) -> memoryview:
    graphs = _messages(model, MODEL_GRAPH)
    if not graphs:
        raise EngineError("ONNX model has no graph")
    return graphs[0]


def metadata(model: Message) -> dict[str, str]:
    """The model's metadata_props (PP-OCR keeps its character list there)."""
    return {_string(entry, NAME): _string(entry, ENTRY_VALUE) for entry in _messages(model, MODEL_METADATA)}


def _dims(tensor: Message) -> list[int]:
    dims: list[int] = []
    for number, wire, value in fields(tensor):
        if number != TENSOR_DIMS:
            continue
        if isinstance(value, int):
            dims.append(value)
        else:  # packed
            pos = 0
            while pos < len(value):
                dim, pos = _read_varint(value, pos)
                dims.append(dim)
    return dims


def _float_array(tensor: Message) -> np.ndarray:
    kinds = [value for number, wire, value in fields(tensor) if number == TENSOR_TYPE and wire == VARINT]
    raw = _messages(tensor, TENSOR_RAW)
    if kinds != [FLOAT] or len(raw) != 1:
        raise EngineError("ONNX initializer is not float32 raw data")
    return np.frombuffer(raw[0], dtype="<f4").reshape(_dims(tensor))


def _tensor(name: str, array: np.ndarray) -> bytes:
    array = np.ascontiguousarray(array, dtype="<f4")
    packed = b"".join(_varint(d) for d in array.shape)
    return (
        field(TENSOR_DIMS, LENGTH, packed)
        + field(TENSOR_TYPE, VARINT, FLOAT)
        + field(TENSOR_NAME, LENGTH, name.encode("utf-8"))
        + field(TENSOR_RAW, LENGTH, array.tobytes())
    )


def _shapeless_float_output(name: str) -> bytes:
    """A ValueInfoProto: `name`, a float tensor of any shape."""
    tensor_type = field(1, VARINT, FLOAT)  # TypeProto.Tensor.elem_type
    type_proto = field(1, LENGTH, tensor_type)  # TypeProto.tensor_type
    return field(NAME, LENGTH, name.encode("utf-8")) + field(2, LENGTH, type_proto)


def _cut(tensor: Message, keep: np.ndarray) -> bytes:
    """A weight (K, C) or bias (C,) initializer with only the columns `keep`."""
    return _tensor(_string(tensor, TENSOR_NAME), _float_array(tensor)[..., keep])


def restrict_classes(model: Message, classes: int, keep: np.ndarray) -> bytes:
    """`model` with its final linear layer over `classes` outputs cut to the columns `keep`.

    That layer is found by shape: the one weight (K, classes) and the one bias
    (classes,). The softmax after it then spreads over the kept classes only.
    Recorded intermediate shapes (value_info) are dropped and the graph outputs
    lose their shapes: ONNX Runtime infers them again.
    """
    keep = np.asarray(keep, dtype=np.int64)
    graph = _graph(model)
    initializers = _messages(graph, GRAPH_INITIALIZER)
    layer = {i for i, tensor in enumerate(initializers) if _dims(tensor)[-1:] == [classes]}
    if sorted(len(_dims(initializers[i])) for i in layer) != [1, 2]:
        raise EngineError(f"ONNX model has no single final layer over {classes} classes")
    parts: list[bytes | memoryview] = []
    initializer = -1
    for number, wire, value in fields(graph):
        if number == GRAPH_VALUE_INFO:
            continue
        if number == GRAPH_INITIALIZER and isinstance(value, memoryview):
            initializer += 1
            if initializer in layer:
                value = _cut(value, keep)
        elif number == GRAPH_OUTPUT and isinstance(value, memoryview):
            value = _shapeless_float_output(_string(value, NAME))
        parts.append(field(number, wire, value))
    new_graph = b"".join(parts)
    return b"".join(field(number, wire, new_graph if number == MODEL_GRAPH else value) for number, wire, value in fields(model))
