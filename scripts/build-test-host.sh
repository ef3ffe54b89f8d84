#!/usr/bin/env bash
# Builds the wasmCloud test host (tests/host) into a target directory outside the clone, so
# it is built once per machine: ${CARGO_WASMCLOUD_TEST_CACHE:-~/.cache/cargo-wasmcloud-tests}.
# wasmcloud-host 0.27.1 does not compile with rustc 1.95 (rust-lang/rust#152942), so it is
# built with Rust 1.89, installed here if missing. A cold build takes ~20 minutes on 2 cores.
# Prints the path of the binary on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${CARGO_WASMCLOUD_TEST_CACHE:-$HOME/.cache/cargo-wasmcloud-tests}"
toolchain=1.89.0
if ! rustup toolchain list | grep -q "^$toolchain"; then
  rustup toolchain install "$toolchain" --profile minimal >&2
fi
CARGO_TARGET_DIR="$cache/host-target" cargo "+$toolchain" build --release --quiet \
  --manifest-path tests/host/Cargo.toml >&2
echo "$cache/host-target/release/wasmcloud-test-host"
