#!/usr/bin/python3
"""Checks that ember's safetensors files are what other readers expect, using only numpy.

  check_safetensors_interop.py read PATH    parse a file (ember's), check it against the format
                                            and the reference writer's habits, print it, and
                                            compare it with sample() when it holds those names
  check_safetensors_interop.py write PATH   write sample() the way a different writer might
                                            (json.dumps spacing, header order != data order)

The hidden Catch2 test "safetensors: interop with an independent numpy reader and writer"
([.interop] in tests/test_serialize.cpp) runs both directions.
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I64": np.dtype("<i8"), "BOOL": np.dtype("?")}


def sample():
    """The tensors both sides agree on (tests/test_serialize.cpp builds the same ones)."""
    return {
        "f32": (np.arange(6, dtype=np.float32).reshape(2, 3) * np.float32(0.5)),
        "f64": np.array([1e-300, -2.5, np.pi], dtype=np.float64),
        "i64": np.array([-(2 ** 40), 7], dtype=np.int64),
        "bool": np.array([True, False, True]),
        "scalar": np.array(3.25, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.float32),
    }, {"writer": "numpy", "unicode": "\u00e9\u4e2d"}


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    assert len(blob) >= 8, "shorter than the length field"
    (n,) = struct.unpack("<Q", blob[:8])
    assert 8 + n <= len(blob), "header runs past the end"
    raw = blob[8 : 8 + n]
    assert n % 8 == 0, "header not padded to a multiple of 8 (the reference writer pads)"
    assert raw.rstrip(b" ") == raw.rstrip(), "padding must be spaces"
    text = raw.decode("utf-8")

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), "duplicate keys"
        return dict(pairs)

    header = json.loads(text, object_pairs_hook=no_duplicates)
    metadata = header.pop("__metadata__", {})
    assert all(isinstance(v, str) for v in metadata.values()), "metadata values must be strings"
    data = blob[8 + n :]
    tensors, regions = {}, []
    for name, info in header.items():
        assert set(info) == {"dtype", "shape", "data_offsets"}, (name, info)
        dt = DTYPES[info["dtype"]]
        shape = tuple(info["shape"])
        b, e = info["data_offsets"]
        assert e - b == int(np.prod(shape, dtype=np.int64)) * dt.itemsize, (name, "size mismatch")
        regions.append((b, e, name))
        tensors[name] = np.frombuffer(data[b:e], dtype=dt).reshape(shape)
    pos = 0
    for b, e, name in sorted(regions):
        assert b == pos, f"{name}: regions must tile the data section (gap or overlap at {pos})"
        pos = e
    assert pos == len(data), "trailing bytes"
    # ember's habits: keys in sorted order, data in the same order.
    keys = list(header)
    assert keys == sorted(keys), "ember writes keys sorted"
    nonempty = [r for r in regions if r[0] != r[1]]
    assert [r[2] for r in sorted(nonempty)] == sorted(r[2] for r in nonempty), "ember packs data in key order"
    return tensors, metadata


def write(path):
    tensors, metadata = sample()
    names = list(reversed(sorted(tensors)))  # header order: reversed
    data_order = sorted(tensors)  # data order: sorted, so it differs from the header's
    offsets, pos = {}, 0
    for name in data_order:
        nbytes = tensors[name].nbytes
        offsets[name] = [pos, pos + nbytes]
        pos += nbytes
    header = {"__metadata__": metadata}
    for name in names:
        t = tensors[name]
        dt = next(k for k, v in DTYPES.items() if v == t.dtype.newbyteorder("<"))
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": offsets[name]}
    text = json.dumps(header, indent=1).encode("utf-8")  # spaces, newlines, \u escapes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name in data_order:
            f.write(np.ascontiguousarray(tensors[name]).astype(tensors[name].dtype.newbyteorder("<")).tobytes())


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("read", "write"):
        print(__doc__)
        return 2
    if sys.argv[1] == "write":
        write(sys.argv[2])
        print(f"wrote {sys.argv[2]}")
        return 0
    tensors, metadata = read(sys.argv[2])
    print("metadata:", metadata)
    for name, t in sorted(tensors.items()):
        print(f"{name}: {t.dtype} {list(t.shape)} {t.ravel()[:6].tolist()}")
    expected, expected_meta = sample()
    if set(expected) <= set(tensors):
        for name, want in expected.items():
            got = tensors[name]
            assert got.dtype == want.dtype and got.shape == want.shape, (name, got.dtype, got.shape)
            assert np.array_equal(got, want), (name, got, want)
        for k, v in expected_meta.items():
            assert metadata.get(k) == v, (k, metadata.get(k), v)
        print("matches the sample")
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
