#!/usr/bin/python3
"""Writes the fuzzers' seed corpora (python3 standard library only).

  fuzz/gen_corpus.py OUT_DIR     -> OUT_DIR/safetensors/*, OUT_DIR/cifar10/*, OUT_DIR/shapes/*, OUT_DIR/pt/*

Seeds are small valid inputs (and a few near misses) so the fuzzers start deep in the code.
"""
import json
import os
import struct
import sys
import zipfile


def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, raw bytes), packed in order."""
    header, pos = {}, 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [pos, pos + len(raw)]}
        pos += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(t[3] for t in tensors)


def f32(*v):
    return struct.pack("<%df" % len(v), *v)


def f64(*v):
    return struct.pack("<%dd" % len(v), *v)


def i64(*v):
    return struct.pack("<%dq" % len(v), *v)


def main(out):
    st = os.path.join(out, "safetensors")
    cf = os.path.join(out, "cifar10")
    os.makedirs(st, exist_ok=True)
    os.makedirs(cf, exist_ok=True)
    seeds = {
        "empty_header": safetensors([]),
        "one_f32": safetensors([("x", "F32", [2], f32(1, 2))]),
        "all_dtypes": safetensors(
            [("a", "F32", [], f32(3.5)), ("b", "F64", [2], f64(1, -1)), ("c", "I64", [1], i64(-5)),
             ("d", "BOOL", [3], b"\x01\x00\x01"), ("e", "F32", [0, 3], b"")],
            {"k": "v"}),
        "tiny_module": safetensors(
            [("bn.bias", "F32", [3], f32(0, 0, 0)), ("bn.num_batches_tracked", "I64", [], i64(0)),
             ("bn.running_mean", "F32", [3], f32(0, 0, 0)), ("bn.running_var", "F32", [3], f32(1, 1, 1)),
             ("bn.weight", "F32", [3], f32(1, 1, 1)), ("fc.bias", "F32", [3], f32(0, 0, 0)),
             ("fc.weight", "F32", [3, 2], f32(1, 2, 3, 4, 5, 6))]),
        "sgd_state": safetensors(
            [("state.0.momentum_buffer", "F32", [3, 2], f32(1, 2, 3, 4, 5, 6))],
            {"optimizer": "SGD", "param_groups": "1", "param_groups.0.num_params": "4",
             "param_groups.0.lr": "0.1", "param_groups.0.momentum": "0.9", "param_groups.0.dampening": "0",
             "param_groups.0.weight_decay": "0", "param_groups.0.nesterov": "false"}),
        "rng_state": safetensors([("rng", "I64", [629], i64(*([5489] * 624 + [1, 0, 5489, 0, 0])))]),
        "escapes": safetensors([("\u00e9\\\"x\n", "F32", [1], f32(0))], {"\u4e2d": "\ud83d\ude00"}),
    }
    for name, data in seeds.items():
        with open(os.path.join(st, name), "wb") as f:
            f.write(data)
    record = bytes([3]) + bytes(range(256)) * 12  # label 3, 3072 pixel bytes
    cifar = {
        "one_record": record,
        "two_records": record + bytes([9]) + bytes(3072),
        "bad_label": bytes([10]) + bytes(3072),
        "truncated": record[:100],
    }
    for name, data in cifar.items():
        with open(os.path.join(cf, name), "wb") as f:
            f.write(data)
    # fuzz_shapes reads a mode byte (factory, view, expand, from_blob, broadcast), then shapes
    # whose sizes are tagged bytes: small(k) is k, pow2(k) is 2^k (fuzz/fuzz_shapes.cpp, Reader).
    sh = os.path.join(out, "shapes")
    os.makedirs(sh, exist_ok=True)
    small = lambda k: k << 2
    pow2 = lambda k: k << 2 | 1
    raw = lambda v: [3] + list(struct.pack(">q", v))
    shapes = {
        "empty_2x3": [0, 0, 2, small(2), small(3)],
        "zeros_2p32_squared": [0, 4, 2, pow2(32), pow2(32)],
        "empty_2p62_f32": [0, 0, 1, pow2(62)],
        "empty_zero_and_huge": [0, 0, 3, small(0), pow2(32), pow2(32)],
        "view_wraps_to_2": [1, 0, 2, 2, small(3)] + raw(6148914691236517206),
        "reshape_infer": [1, 1, 12, 2, small(3), 2 | 1 << 2],
        "expand_2p32_squared": [2, 2, pow2(32), pow2(32), 2],
        "from_blob_span": [3, 2, small(2), small(2), pow2(62), pow2(62)],
        "broadcast_2p32": [4, 2, pow2(32), small(1), 2, small(1), pow2(32)],
    }
    for name, data in shapes.items():
        with open(os.path.join(sh, name), "wb") as f:
            f.write(bytes(data))
    # fuzz_pt starts from the .pt fixtures (torch.save's files and the hostile hand-made ones)
    # small enough for its -max_len.
    pt = os.path.join(out, "pt")
    os.makedirs(pt, exist_ok=True)
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "pt")
    for name in sorted(os.listdir(src)):
        with open(os.path.join(src, name), "rb") as f:
            data = f.read()
        if len(data) <= 16384:
            with open(os.path.join(pt, name), "wb") as f:
                f.write(data)
        # Each data.pkl alone too: fuzz_pt wraps an input that starts with PROTO into an archive.
        if zipfile.is_zipfile(os.path.join(src, name)):
            with zipfile.ZipFile(os.path.join(src, name)) as z:
                for entry in z.namelist():
                    if entry.endswith("/data.pkl") and z.getinfo(entry).compress_type == zipfile.ZIP_STORED:
                        with open(os.path.join(pt, name + ".pkl"), "wb") as f:
                            f.write(z.read(entry))
    print(f"wrote {len(seeds)} safetensors, {len(cifar)} CIFAR-10 and {len(shapes)} shape seeds under {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    main(sys.argv[1])
