#!/usr/bin/env python3
"""Writes tests/fixtures/images/: small JPEG and PNG files of every layout read_image handles
(random pixels, made here), and pixels.txt with the pixels PIL decodes from each (PIL uses the
same libjpeg and libpng), as "name mode C H W : v v v ...". The JPEGs are kept as hex text
(NAME.hex, 32 bytes a line: the project tracks no .jpg files); the tests turn them back into
bytes. Run with a Python that has PIL: python3 tools/gen_image_fixtures.py"""
import io
import os
import random

from PIL import Image

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "images")
rng = random.Random(7)


def noise(mode, w, h):
    bands = len(mode) if mode not in ("L", "P", "I;16") else 1
    img = Image.new(mode if mode != "I;16" else "I;16", (w, h))
    if mode == "P":
        img.putpalette([rng.randrange(256) for _ in range(768)])
        img.putdata([rng.randrange(16) for _ in range(w * h)])
    elif mode == "I;16":
        img.putdata([rng.randrange(65536) for _ in range(w * h)])
    elif bands == 1:
        img.putdata([rng.randrange(256) for _ in range(w * h)])
    else:
        img.putdata([tuple(rng.randrange(256) for _ in range(bands)) for _ in range(w * h)])
    return img


def chw(img):
    bands = img.getbands()
    w, h = img.size
    px = list(img.getdata())
    if len(bands) == 1:
        px = [(p,) for p in px]
    return len(bands), h, w, [px[y * w + x][c] for c in range(len(bands)) for y in range(h) for x in range(w)]


files = {}
files["rgb.png"] = noise("RGB", 5, 4)
files["gray.png"] = noise("L", 3, 6)
files["rgba.png"] = noise("RGBA", 4, 3)
files["la.png"] = noise("LA", 2, 3)
pal = noise("P", 4, 4)
pal.info["transparency"] = bytes([0, 128] + [255] * 14)
files["palette_trns.png"] = pal
files["gray16.png"] = noise("I;16", 3, 2)
files["rgb.jpg"] = noise("RGB", 16, 12)
files["gray.jpg"] = noise("L", 9, 7)

lines = []
for name, img in files.items():
    path = os.path.join(HERE, name)
    if name.endswith(".jpg"):
        img.save(path, quality=90)
    elif name == "palette_trns.png":
        img.save(path, transparency=img.info["transparency"])
    else:
        img.save(path)
    back = Image.open(path)
    back.load()
    # What read_image gives in kUnchanged: palettes expanded (with alpha when transparent),
    # 16-bit samples reduced to 8 (libpng keeps the high byte).
    if back.mode == "P":
        back = back.convert("RGBA")
    if back.mode in ("I;16", "I;16B", "I"):
        back = Image.frombytes("L", back.size, bytes((v >> 8) & 0xFF for v in back.getdata()))
    for mode_name, conv in (("kUnchanged", None), ("kRGB", "RGB"), ("kGray", "L")):
        if conv is not None and (name.endswith(".png") and back.mode not in ("RGB", "L", "RGBA", "LA")):
            continue
        if conv == "L" and back.mode in ("RGB", "RGBA") and name.endswith(".png"):
            continue  # libpng's rgb_to_gray weights its own way, not PIL's formula: not compared
        if conv == "L" and back.mode == "RGB" and name.endswith(".jpg"):
            out = Image.open(path)  # libjpeg's own luma output, which read_image's kGray asks for
            out.draft("L", out.size)
            out.load()
        else:
            out = back if conv is None else back.convert(conv)
        c, h, w, v = chw(out)
        lines.append(f"{name} {mode_name} {c} {h} {w} : " + " ".join(map(str, v)))
for name in files:
    if name.endswith(".jpg"):
        path = os.path.join(HERE, name)
        with open(path, "rb") as f:
            data = f.read()
        with open(path + ".hex", "w") as f:
            f.write("".join(data[i:i + 32].hex() + "\n" for i in range(0, len(data), 32)))
        os.remove(path)
with open(os.path.join(HERE, "pixels.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("wrote", len(files), "images and", len(lines), "pixel records")
