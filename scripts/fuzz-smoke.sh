#!/usr/bin/env bash
# Short fuzzing runs: builds the cargo-fuzz targets in fuzz/ and runs each one from the
# checked-in seeds (fuzz/seeds/<target>) for FUZZ_SECONDS (default 20) seconds. Fails on
# any crash, panic, failed assertion, hang or out-of-memory, and prints the input.
#   FUZZ_SECONDS=300 scripts/fuzz-smoke.sh            # longer
#   FUZZ_TARGETS="state_load" scripts/fuzz-smoke.sh   # one target
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${FUZZ_SECONDS:-20}
# cargo-fuzz passes rustc flags that only nightly accepts; RUSTC_BOOTSTRAP=1 lets the
# stable toolchain take them. No sanitizer: the code is safe Rust (forbid(unsafe_code)),
# so AddressSanitizer would cost speed and find nothing; cargo fuzz builds with debug
# assertions and overflow checks, so arithmetic overflow is a finding too.
export RUSTC_BOOTSTRAP=1
FUZZ_FLAGS=(--sanitizer none)

command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz is missing: run scripts/install-deps.sh" >&2; exit 1; }

echo "-- fuzz crate: fmt and clippy"
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
cargo clippy -q --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings

echo "-- building fuzz targets"
cargo fuzz build "${FUZZ_FLAGS[@]}"

targets=${FUZZ_TARGETS:-$(cargo fuzz list)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in $targets; do
  echo "-- fuzzing $t for ${secs}s"
  # New inputs go to a scratch corpus (the first directory); the seeds stay untouched.
  mkdir -p "$work/$t"
  if ! cargo fuzz run "${FUZZ_FLAGS[@]}" "$t" "$work/$t" "fuzz/seeds/$t" -- \
      -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      >"$work/$t.log" 2>&1; then
    tail -n 60 "$work/$t.log"
    echo "fuzz target $t FAILED; the input is in fuzz/artifacts/$t/ (reproduce with:" >&2
    echo "  RUSTC_BOOTSTRAP=1 cargo fuzz run ${FUZZ_FLAGS[*]} $t fuzz/artifacts/$t/<file>)" >&2
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$t.log" | grep -o '[0-9]*$' || true)
  cov=$(grep -o 'cov: [0-9]*' "$work/$t.log" | tail -n 1 || true)
  echo "   $t: ${runs:-?} runs, ${cov:-cov: ?}, no failures"
done
