#!/usr/bin/env bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer (gcc, TIDE_SANITIZE=ON)
# in build-asan/: tide_tests and every tide binary the integration tests start are instrumented.
# Any report fails the run (UBSan does not recover; ASan stops at the first error; LeakSanitizer
# checks each process at exit). Not part of .ci/run: the instrumented build alone takes longer
# than CI's budget on a 2-core machine. Run it before a release and after touching src/exec/.
#   scripts/test-sanitize.sh              everything
#   scripts/test-sanitize.sh -R unit      only the unit tests (ctest arguments)
set -euo pipefail
cd "$(dirname "$0")/.."
export TIDE_BUILD_DIR=${TIDE_BUILD_DIR:-build-asan}
export TIDE_BUILD_TYPE=${TIDE_BUILD_TYPE:-RelWithDebInfo}
export TIDE_CMAKE_ARGS="${TIDE_CMAKE_ARGS:-} -DTIDE_SANITIZE=ON"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan.supp:print_suppressions=0}
scripts/bootstrap.sh
# Instrumented code runs 2-3 times slower: give CTest's integration entry room.
ctest --test-dir "$TIDE_BUILD_DIR" --output-on-failure -j2 --timeout 3600 -E package "$@"
