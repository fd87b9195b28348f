#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite: unit tests and integration
# tests, which start their own throwaway PostgreSQL clusters (no server to set up by hand).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
ctest --test-dir "${TIDE_BUILD_DIR:-build}" --output-on-failure -j2 "$@"
