#!/usr/bin/env bash
# A packager's build: cmake -DCMAKE_BUILD_TYPE=Release in a fresh build folder, without
# TIDE_WERROR, with the compiler of the Debian release the README names (gcc 12 on Debian 12).
# Issue 15: -Werror, then always on, turned gcc 12's false -Wrestrict warning inside libstdc++
# (at -O3) into an error, so a plain Release build failed. Builds the tide binary only (with
# ccache when it is installed, so a second run is short) and checks that it runs. .ci/run runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/tide-release-XXXXXX)
trap 'rm -rf "$dir"' EXIT
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
started=$(date +%s)
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >/dev/null
cmake --build "$dir" --target tide -j "${TIDE_JOBS:-2}" >"$dir/build.log" 2>&1 ||
  { tail -50 "$dir/build.log"; echo "FAIL: the Release build failed" >&2; exit 1; }
"$dir/tide" --version >/dev/null || { echo "FAIL: the Release tide does not run" >&2; exit 1; }
warnings=$(grep -c 'warning:' "$dir/build.log" || true)
echo "Release build from a clean folder: ok in $(($(date +%s) - started)) s ($warnings compiler warnings)"
