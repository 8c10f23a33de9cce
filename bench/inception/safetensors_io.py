"""safetensors written and read by hand (the `safetensors` package is not needed): u64 LE header length N, N bytes of
UTF-8 JSON ({"__metadata__": {str: str}, NAME: {"dtype", "shape", "data_offsets"}}, space-padded to a multiple of 8),
then the tensors' little-endian bytes back to back."""
import json
import os
import struct

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I64": np.dtype("<i8"), "U8": np.dtype("u1")}
NAMES = {v: k for k, v in DTYPES.items()}


def write(path, tensors, metadata):
    """tensors: name -> numpy array (F32, F64, I64 or U8), written in the given order; metadata: str -> str.
    Written to PATH.tmp and renamed, so a failed run leaves no half file."""
    header = {"__metadata__": {str(k): str(v) for k, v in metadata.items()}}
    blobs, offset = [], 0
    for name, a in tensors.items():
        dt = a.dtype.newbyteorder("<") if a.dtype.itemsize > 1 else a.dtype
        if dt not in NAMES:
            raise ValueError(f"{name}: unsupported dtype {a.dtype}")
        b = np.ascontiguousarray(a, dtype=dt).tobytes()
        header[name] = {"dtype": NAMES[dt], "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read(path):
    """(tensors: name -> numpy array, metadata: dict), checking that the tensors tile the data buffer exactly."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: shorter than 8 bytes")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    buf = data[8 + n:]
    out, spans = {}, []
    for name, e in header.items():
        dt = DTYPES[e["dtype"]]
        b0, b1 = e["data_offsets"]
        count = int(np.prod(e["shape"])) if e["shape"] else 1
        if b1 - b0 != count * dt.itemsize:
            raise ValueError(f"{path}: {name}: {b1 - b0} bytes for shape {e['shape']} {e['dtype']}")
        out[name] = np.frombuffer(buf[b0:b1], dtype=dt).reshape(e["shape"])
        spans.append((b0, b1))
    end = 0
    for b0, b1 in sorted(spans):
        if b0 != end:
            raise ValueError(f"{path}: data buffer has a hole or overlap at byte {b0}")
        end = b1
    if end != len(buf):
        raise ValueError(f"{path}: data buffer is {len(buf)} bytes, tensors cover {end}")
    return out, meta
