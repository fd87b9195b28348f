#!/usr/bin/env bash
# Builds tide's libFuzzer targets with clang (AddressSanitizer + UndefinedBehaviorSanitizer) in
# build-fuzz/ and runs each one.
#   bench/fuzz.sh              1,000,000 executions of each target (the long budget)
#   bench/fuzz.sh 2000000      that many executions of each
#   bench/fuzz.sh 30s          30 seconds of each (CI runs bench/fuzz.sh 10s)
# Each run starts from the committed seed corpus (fuzz/corpus/TARGET); inputs it finds go to
# build-fuzz/corpus/TARGET, so the committed corpus only changes by hand. A crash, a hang (an
# input that takes over 10 s), a leak or a sanitizer report stops the script with a non-zero exit
# and leaves the input in build-fuzz/artifacts/; replay it with build-fuzz/fuzz/TARGET FILE.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${1:-1000000}
targets=(fuzz_discovery fuzz_config fuzz_classifier fuzz_yaml fuzz_splitter)
build=${TIDE_FUZZ_BUILD_DIR:-build-fuzz}

# clang and its sanitizer/libFuzzer runtimes, from Debian, installed when missing (as root).
missing=()
for p in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing packages: ${missing[*]}; run this as root (or apt-get install them)" >&2
    exit 2
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" \
    >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
fi
if [[ ! -f $build/build.ninja ]] || ! grep -qs '^TIDE_WERROR:BOOL=ON' "$build/CMakeCache.txt"; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTIDE_FUZZ=ON -DTIDE_WERROR=ON >/dev/null
fi
cmake --build "$build" --target fuzz_targets -j "${TIDE_JOBS:-2}"

if [[ $budget == *s ]]; then
  limit=(-max_total_time="${budget%s}")
else
  limit=(-runs="$budget")
fi
mkdir -p "$build/artifacts"
status=0
for t in "${targets[@]}"; do
  work="$build/corpus/$t"
  mkdir -p "$work"
  log="$build/$t.log"
  echo "== $t (${budget})"
  # -timeout: an input that takes longer is a hang; -rss_limit_mb: one that eats memory is a bug.
  if ! "$build/fuzz/$t" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
      "$work" "fuzz/corpus/$t" >"$log" 2>&1; then
    echo "FAILED: $t (see $log and $build/artifacts/)" >&2
    grep -E "ERROR|SUMMARY|Test unit written" "$log" >&2 || tail -20 "$log" >&2
    status=1
    continue
  fi
  runs=$(grep -Eo "stat::number_of_executed_units: *[0-9]+" "$log" | grep -Eo "[0-9]+$")
  secs=$(grep -Eo "Done [0-9]+ runs in [0-9]+ second" "$log" | grep -Eo "in [0-9]+" | grep -Eo "[0-9]+")
  cov=$(grep -Eo "cov: [0-9]+" "$log" | tail -1 | grep -Eo "[0-9]+")
  echo "   ok: ${runs:-?} executions in ${secs:-?} s, coverage ${cov:-?} edges," \
    "corpus $(ls "$work" | wc -l) found + $(ls "fuzz/corpus/$t" | wc -l) seeds"
done
exit $status
