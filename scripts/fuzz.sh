#!/usr/bin/env bash
# Fuzzes every parser of untrusted input (the targets in fuzz/, libFuzzer through
# cargo-fuzz) for SECONDS each (default 120), one after the other, and prints per target:
# executions, executions per second, corpus size and crashes. Not part of CI.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# The machine has only the stable toolchain; RUSTC_BOOTSTRAP=1 lets cargo-fuzz use the
# nightly flags it needs. No sanitizer by default (the code under test is safe Rust, and
# panics and failed assertions are what is looked for); FUZZ_SANITIZER=address for ASan.
# The corpus grows in fuzz/corpus/<target>/ (not committed), starting from fuzz/seeds/.
# A crash is kept in fuzz/artifacts/<target>/: copy it into tests/fixtures/fuzz/<target>/
# and tests/fuzz_regressions.rs runs it for ever after.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-120}
shift || true
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
sanitizer=${FUZZ_SANITIZER:-none}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi
cargo fuzz build -O --sanitizer "$sanitizer"
printf '%-18s %12s %10s %8s %8s\n' target executions exec/s corpus crashes
total_crashes=0
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target" "artifacts/$target"
  cp -n "seeds/$target"/* "corpus/$target/" 2>/dev/null || true
  if [ "$target" = trait_scanner ]; then
    # The witgen fixture crates' sources are good seeds too (kept once, where they are).
    for lib in ../tests/fixtures/witgen/*/src/lib.rs ../tests/fixtures/ledger-ws/*/src/lib.rs; do
      cp -n "$lib" "corpus/$target/fixture-$(basename "$(dirname "$(dirname "$lib")")").rs"
    done
  fi
  log=$(mktemp)
  before=$(find "artifacts/$target" -type f | wc -l)
  cargo fuzz run -O --sanitizer "$sanitizer" "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    >"$log" 2>&1 || true
  # (No match is no figure, not a reason to stop: `|| true` under pipefail.)
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1 || true)
  runs=${runs:-$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)}
  runs=${runs:-0}
  per_second=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1 || true)
  corpus=$(find "corpus/$target" -type f | wc -l)
  crashes=$(( $(find "artifacts/$target" -type f | wc -l) - before ))
  total_crashes=$((total_crashes + crashes))
  printf '%-18s %12s %10s %8s %8s\n' "$target" "$runs" "${per_second:-?}" "$corpus" "$crashes"
  if [ "$crashes" -gt 0 ] || [ -z "$per_second" ]; then
    grep -E 'panicked at|ERROR|SUMMARY|out-of-memory|Killed' "$log" | head -5 | sed 's/^/    /' || true
  fi
  if [ "$crashes" -gt 0 ]; then
    find "artifacts/$target" -type f -newer "$log" | sed 's/^/    saved: /'
  fi
  rm -f "$log"
done
echo "crashes in all: $total_crashes"
