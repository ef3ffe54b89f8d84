#!/usr/bin/env bash
# Builds wadm 0.21.1 for the tests (tests/wadm: the wadm server and wadm-types' validator)
# into a target directory outside the clone, so it is built once per machine:
# ${CARGO_WASMCLOUD_TEST_CACHE:-~/.cache/cargo-wasmcloud-tests}/wadm-target. It builds on the
# stable toolchain; ~12 minutes cold on 2 cores. Prints the binaries' directory last.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${CARGO_WASMCLOUD_TEST_CACHE:-$HOME/.cache/cargo-wasmcloud-tests}"
CARGO_TARGET_DIR="$cache/wadm-target" cargo build --release --locked --quiet \
  --manifest-path tests/wadm/Cargo.toml >&2
echo "$cache/wadm-target/release"
