#!/usr/bin/env bash
# Installs ember from BUILD_DIR into a temporary prefix, then builds and runs a consumer program
# twice: with find_package(ember) and with pkg-config. usage: check.sh BUILD_DIR
set -euo pipefail
build="$(cd "$1" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
libdir="$(ls -d "$tmp"/prefix/lib*/ | head -1)"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

cmake -S "$here" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cmake" >/dev/null
echo "find_package(ember): $("$tmp/cmake/consumer")"
# ember::ember carries cxx_std_17: a consumer that asks for an older standard still gets C++17.
cmake -S "$here" -B "$tmp/cmake11" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_CXX_STANDARD=11 >/dev/null
cmake --build "$tmp/cmake11" >/dev/null
echo "find_package(ember), CMAKE_CXX_STANDARD=11: $("$tmp/cmake11/consumer")"

export PKG_CONFIG_PATH="$libdir/pkgconfig"
# shellcheck disable=SC2046
c++ "$here/main.cpp" -o "$tmp/consumer_pc" $(pkg-config --cflags --libs ember)
echo "pkg-config ember: $("$tmp/consumer_pc")"
