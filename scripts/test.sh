#!/usr/bin/env bash
# The whole test suite, from a fresh machine: install what the tests need, then run them.
# Extra arguments go to `cargo test` (e.g. `scripts/test.sh --test cli`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-deps.sh
cargo test "$@"
