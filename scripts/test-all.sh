#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what it needs, then formatting, lints,
# unit/property/integration/differential tests, the dependency audit and short fuzz runs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo test"
cargo test --workspace --exclude ferrotpm-difftest
echo "== differential test against swtpm (fails if swtpm is missing)"
cargo test -p ferrotpm-difftest -- --nocapture

echo "== cargo deny"
if [ -x ../shared/tools/install-advisory-db.sh ]; then
  # Offline: the RustSec snapshot shipped beside the project.
  ../shared/tools/install-advisory-db.sh
  cargo fetch -q
  cargo deny --offline check
else
  cargo deny check
fi

echo "== fuzz smoke (FUZZ_SECONDS=${FUZZ_SECONDS:-20} per target)"
scripts/fuzz-smoke.sh
