#!/usr/bin/env bash
# Downloads the CIFAR-10 binary release and extracts its batches into DEST:
#   data_batch_1.bin .. data_batch_5.bin, test_batch.bin, batches.meta.txt
# which is the folder ember::data::load_cifar10_split(DEST) and train_cifar --data DEST read.
# usage: data/fetch_cifar10.sh DEST
set -euo pipefail

url="https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
md5="c32a1d4ab5d03f1284b67883e8d87530"
files=(data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin data_batch_5.bin
       test_batch.bin batches.meta.txt)

dest="${1:?usage: $0 DEST (the folder to write the CIFAR-10 .bin files into)}"
mkdir -p "$dest"

# Already there when every batch has the official size (10,000 records of 3073 bytes).
complete=1
for f in "${files[@]}"; do
  case "$f" in
    *.bin) [ -f "$dest/$f" ] && [ "$(wc -c < "$dest/$f")" -eq 30730000 ] || complete=0 ;;
    *) [ -s "$dest/$f" ] || complete=0 ;;
  esac
done
if [ "$complete" = 1 ]; then
  echo "CIFAR-10 already in $dest"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
archive="$tmp/cifar-10-binary.tar.gz"

echo "downloading $url"
if command -v curl >/dev/null 2>&1; then
  curl -fL --retry 3 -o "$archive" "$url"
elif command -v wget >/dev/null 2>&1; then
  wget -q --tries=3 -O "$archive" "$url"
else
  echo "error: neither curl nor wget is installed" >&2
  exit 1
fi

got="$(md5sum "$archive" | cut -d' ' -f1)"
if [ "$got" != "$md5" ]; then
  echo "error: md5 of the download is $got, expected $md5 (a partial or altered download); nothing extracted" >&2
  exit 1
fi

# The archive holds cifar-10-batches-bin/<file>; extract only the files ember reads, flat into DEST.
tar -xzf "$archive" -C "$tmp"
for f in "${files[@]}"; do
  src="$tmp/cifar-10-batches-bin/$f"
  if [ ! -f "$src" ]; then
    echo "error: the archive has no cifar-10-batches-bin/$f" >&2
    exit 1
  fi
  mv -f "$src" "$dest/$f"
done
echo "CIFAR-10 binary batches written to $dest"
