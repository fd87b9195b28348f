#!/usr/bin/env bash
# Installs what is missing, builds, and runs tide's main job on a throwaway local PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec build/tide demo "$@"
