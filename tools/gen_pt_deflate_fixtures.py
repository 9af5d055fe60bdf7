#!/usr/bin/python3
"""Writes the deflated .pt fixtures of tests/test_pt_deflate.cpp (into tests/fixtures/pt/).

  /usr/bin/python3 tools/gen_pt_deflate_fixtures.py [OUT_DIR]

resnet_state_dict_deflated.pt is tests/fixtures/pt/resnet_state_dict.pt (torch.save's file)
re-compressed entry by entry with Python's zipfile (ZIP_DEFLATED), as a zip tool would; torch.load
reads it as the original. The deflate_*.pt files are a four-float tensor archive whose entries
are deflated by hand, each broken in one way its name says.
"""
import os
import struct
import sys
import zipfile
import zlib

import torch

FOUR = struct.pack("<4f", 1, 2, 3, 4)
PICKLE = (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage"
          b"\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuJ\x04\x00\x00\x00tQJ\x00\x00\x00\x00(J\x04\x00\x00\x00t"
          b"(J\x01\x00\x00\x00t\x89ccollections\nOrderedDict\n)RtR.")


def recompress(src, dst):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            out = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            out.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(out, zin.read(info.filename))


def deflated_zip(path, entries, tamper=None):
    """A zip of (name, data) entries, deflated; tamper(name, record) may change an entry's
    record {"comp", "crc", "usize", "csize"} before it is written."""
    out, central = b"", b""
    for name, data in entries:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        rec = {"comp": c.compress(data) + c.flush(), "crc": zlib.crc32(data) & 0xFFFFFFFF, "usize": len(data)}
        rec["csize"] = None
        if tamper:
            tamper(name, rec)
        comp = rec["comp"]
        csize = len(comp) if rec["csize"] is None else rec["csize"]
        n = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, 8, 0, 0x21, rec["crc"], csize, rec["usize"], len(n), 0)
        out += n + comp
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, 0, 8, 0, 0x21, rec["crc"], csize,
                               rec["usize"], len(n), 0, 0, 0, 0, 0, offset) + n
    cd_offset = len(out)
    out += central + struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, len(entries), len(entries), len(central),
                                 cd_offset, 0)
    with open(path, "wb") as f:
        f.write(out)


def main(out):
    recompress(os.path.join(out, "resnet_state_dict.pt"), os.path.join(out, "resnet_state_dict_deflated.pt"))
    a, b = torch.load(os.path.join(out, "resnet_state_dict.pt")), torch.load(
        os.path.join(out, "resnet_state_dict_deflated.pt"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)

    entries = [("archive/data.pkl", PICKLE), ("archive/data/0", FOUR), ("archive/version", b"3\n")]
    deflated_zip(os.path.join(out, "deflate_ok.pt"), entries)
    assert torch.equal(torch.load(os.path.join(out, "deflate_ok.pt")), torch.tensor([1.0, 2.0, 3.0, 4.0]))

    def only(name, change):
        return lambda n, rec: change(rec) if n == name else None
    broken = {
        "deflate_bad_crc.pt": only("archive/data/0", lambda r: r.update(crc=r["crc"] ^ 1)),
        "deflate_corrupt.pt": only("archive/data/0", lambda r: r.update(comp=b"\xff" * len(r["comp"]))),
        "deflate_cut.pt": only("archive/data/0", lambda r: r.update(comp=r["comp"][:-4])),
        "deflate_trailing.pt": only("archive/data/0", lambda r: r.update(comp=r["comp"] + b"junk")),
        "deflate_too_long.pt": only("archive/data.pkl", lambda r: r.update(usize=r["usize"] - 10)),
        "deflate_too_short.pt": only("archive/data.pkl", lambda r: r.update(usize=r["usize"] + 10)),
        "deflate_bomb.pt": only("archive/data.pkl", lambda r: r.update(usize=2000 * len(r["comp"]))),
    }
    for name, tamper in broken.items():
        deflated_zip(os.path.join(out, name), entries, tamper)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "pt"))
