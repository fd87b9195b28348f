#!/usr/bin/env bash
# Installs what tide needs to build and test (Debian 12 packages only), then builds it in build/.
# Safe to run again: it installs only what is missing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake ninja-build pkg-config git
  libpq-dev libpg-query-dev libprotobuf-c-dev zlib1g-dev
  libcli11-dev libtomlplusplus-dev nlohmann-json3-dev libfmt-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev libgoogle-perftools-dev libpng-dev
  postgresql-15 postgresql-client-15 postgresql-contrib pgbouncer
  dpkg-dev file man-db gzip
  chromium fonts-dejavu-core
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing packages: ${missing[*]}; run this as root (or with sudo) to install them" >&2
    exit 2
  fi
  # The Debian package would create and start a 'main' cluster we do not use.
  mkdir -p /etc/postgresql-common
  grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf ||
    echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
  export DEBIAN_FRONTEND=noninteractive
  echo "installing: ${missing[*]}"
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
fi

build_type=${TIDE_BUILD_TYPE:-RelWithDebInfo}
build_dir=${TIDE_BUILD_DIR:-build}
# The project's own builds treat warnings as errors (TIDE_WERROR); a build folder configured
# before that option existed is configured again to turn it on.
if [[ ! -f $build_dir/build.ninja ]] || ! grep -qs '^TIDE_WERROR:BOOL=ON' "$build_dir/CMakeCache.txt"; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" -DTIDE_WERROR=ON \
    ${TIDE_CMAKE_ARGS:-} >/dev/null
fi
cmake --build "$build_dir" -j "${TIDE_JOBS:-2}"
