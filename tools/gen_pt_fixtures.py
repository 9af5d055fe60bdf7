#!/usr/bin/python3
"""Writes the PyTorch-file fixtures of tests/test_pt_files.cpp with python3-torch 1.13.

  /usr/bin/python3 tools/gen_pt_fixtures.py [OUT_DIR]   (default tests/fixtures/pt)

Every file is what torch.save (zip format) or torch.jit's save writes; the tests read them with
ember's own zip reader and unpickler. Files stay small (a few KB) so they can be committed.
"""
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    """A residual block as ResNet's BasicBlock: conv-bn-relu-conv-bn, plus the input."""

    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + x)


class TinyResNet(nn.Module):
    """The network tests/test_pt_files.cpp builds in ember under the same names."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.block = Block(4)
        self.fc = nn.Linear(4, 5)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.block(x)
        return self.fc(x.mean(dim=(2, 3)))


def trained_net():
    """A TinyResNet whose BatchNorm buffers moved away from their defaults (a few training steps)."""
    torch.manual_seed(0)
    net = TinyResNet()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for _ in range(3):
        x = torch.randn(4, 3, 6, 6)
        loss = net(x).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    return net


def write_zip(path, entries, method=zipfile.ZIP_STORED):
    """A zip archive of (name, bytes), with fixed timestamps so the files do not change run to run."""
    with zipfile.ZipFile(path, "w") as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            z.writestr(info, data)


def raw_pt(path, pickle_bytes, records=()):
    """A .pt archive around a hand-written pickle: the hostile inputs ember must refuse."""
    write_zip(path, [("archive/data.pkl", pickle_bytes)] + [("archive/data/" + n, d) for n, d in records] +
              [("archive/version", b"3\n")])


def zip64_pt(path, entries):
    """A stored zip archive in the ZIP64 layout: every central directory record gives its sizes
    and offset in a ZIP64 extra field, and a ZIP64 end record plus locator precede the classic
    end record, whose fields say "see ZIP64" (what a writer does for archives over 4 GiB)."""
    out, central = b"", b""
    for name, data in entries:
        n = name.encode()
        crc = zipfile.crc32(data) & 0xFFFFFFFF
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034b50, 45, 0, 0, 0, 0x21, crc, len(data), len(data), len(n), 0)
        out += n + data
        extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 45, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF,
                               0xFFFFFFFF, len(n), len(extra), 0, 0, 0, 0, 0xFFFFFFFF) + n + extra
    cd_offset = len(out)
    out += central
    z64 = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064b50, 44, 45, 45, 0, 0, len(entries), len(entries), len(central),
                       cd_offset)
    out += struct.pack("<IIQI", 0x07064b50, 0, z64, 1)
    out += struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    with open(path, "wb") as f:
        f.write(out)


def tensor_pickle(numel, offset, size, stride, storage_type=b"FloatStorage"):
    """The pickle of one tensor as torch.save writes it, with the geometry given."""
    def tup(v):
        return b"(" + b"".join(b"J" + struct.pack("<i", x) for x in v) + b"t"
    return (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\n" + storage_type +
            b"\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuJ" + struct.pack("<i", numel) + b"tQJ" +
            struct.pack("<i", offset) + tup(size) + tup(stride) + b"\x89ccollections\nOrderedDict\n)Rt" + b"R.")


def hostile(out):
    four = struct.pack("<4f", 1, 2, 3, 4)
    raw_pt(os.path.join(out, "ok_handmade.pt"), tensor_pickle(4, 0, [2, 2], [2, 1]), [("0", four)])
    zip64_pt(os.path.join(out, "zip64.pt"), [("archive/data.pkl", tensor_pickle(4, 0, [2, 2], [2, 1])),
                                             ("archive/data/0", four), ("archive/version", b"3\n")])
    raw_pt(os.path.join(out, "bad_global.pt"), b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00ls\x85R.")
    raw_pt(os.path.join(out, "bad_stride.pt"), tensor_pickle(4, 0, [2, 2], [3, 1]), [("0", four)])
    raw_pt(os.path.join(out, "bad_offset.pt"), tensor_pickle(4, 3, [2], [1]), [("0", four)])
    raw_pt(os.path.join(out, "bad_storage_size.pt"), tensor_pickle(5, 0, [4], [1]), [("0", four)])
    raw_pt(os.path.join(out, "missing_storage.pt"), tensor_pickle(4, 0, [4], [1]))
    raw_pt(os.path.join(out, "int32_storage.pt"), tensor_pickle(4, 0, [4], [1], b"IntStorage"), [("0", four)])
    # 600 nested lists: deeper than ember's 500-level limit.
    raw_pt(os.path.join(out, "deep.pt"), b"\x80\x02" + b"]" * 600 + b"a" * 599 + b".")
    # A list put inside itself through the memo.
    raw_pt(os.path.join(out, "self_list.pt"), b"\x80\x02]q\x00h\x00a.")
    # A memo entry read before it is written.
    raw_pt(os.path.join(out, "bad_memo.pt"), b"\x80\x02h\x07.")
    # Its entries deflated, as a zip tool re-compressing a .pt writes them (more in gen_pt_deflate_fixtures.py).
    write_zip(os.path.join(out, "deflated.pt"), [("archive/data.pkl", tensor_pickle(4, 0, [4], [1])),
                                                 ("archive/data/0", four), ("archive/version", b"3\n")],
              zipfile.ZIP_DEFLATED)


def libtorch(out):
    """LibTorch's own torch::save of a module, a tensor and a vector (tools/libtorch_save_fixture.cpp,
    built here against libtorch-dev), and the module's state_dict as Python's torch.jit.load sees it."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libtorch_save_fixture.cpp")
    if not os.path.exists("/usr/include/torch/csrc/api/include/torch/torch.h"):
        print("libtorch-dev is not installed: the LibTorch fixtures are left as they are")
        return
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "gen")
        subprocess.run(["g++", "-std=c++17", "-O0", "-I/usr/include/torch/csrc/api/include", src, "-o", exe,
                        "-ltorch", "-ltorch_cpu", "-lc10"], check=True)
        subprocess.run([exe, out], check=True)
    sd = torch.jit.load(os.path.join(out, "libtorch_module.pt")).state_dict()
    torch.save(dict(sd), os.path.join(out, "libtorch_module_expected.pt"))


def main(out):
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)
    net = trained_net()
    torch.save(net.state_dict(), p("resnet_state_dict.pt"))
    x = torch.randn(2, 3, 6, 6)
    with torch.no_grad():
        logits = net(x)
    torch.save({"input": x, "logits": logits}, p("resnet_io.pt"))
    # The same module as a TorchScript archive (what LibTorch's torch::save(module) writes).
    torch.jit.script(net).save(p("resnet_script.pt"))

    torch.save(torch.arange(6, dtype=torch.float64).reshape(2, 3) / 4, p("float64.pt"))
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    torch.save(base.t(), p("transposed.pt"))  # strides (1, 4), non-contiguous
    torch.save(base[1:, 1::2], p("offset_view.pt"))  # storage offset 5, strides (4, 2)
    shared = torch.arange(10, dtype=torch.int64)
    torch.save([shared[:4], shared[2:8].view(2, 3), shared], p("shared_list.pt"))
    torch.save({"a": torch.tensor([1.5, -2.0]), "b": [torch.tensor(True), 3, 2.5, "text", None],
                "c": (torch.zeros(0, 2), {"n": torch.tensor(7)})}, p("containers.pt"))
    # The pre-1.6 format, which ember refuses with advice.
    torch.save(torch.ones(2), p("legacy.pt"), _use_new_zipfile_serialization=False)
    hostile(out)
    libtorch(out)
    # The hand-made valid file is what torch.load reads too (so the hostile ones differ from a
    # valid file only where their names say).
    for name in ("ok_handmade.pt", "zip64.pt"):
        assert torch.equal(torch.load(p(name)), torch.tensor([[1.0, 2.0], [3.0, 4.0]])), name


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "pt"))
