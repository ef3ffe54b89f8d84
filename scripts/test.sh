#!/usr/bin/env bash
# The whole test suite, from a fresh machine: install what the tests need, then run them.
# Extra arguments go to `cargo test` (e.g. `scripts/test.sh --test cli`).
#
# `scripts/test.sh --fast`: the tier without servers (no nats-server, registry or host
# needed): the unit tests and every test binary and test whose name does not start with
# `server_` (needs servers) or `slow_` (a long build). It only adds the wasm targets the
# fixture builds need.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--fast" ]; then
  shift
  scripts/test-deps.sh --targets
  args=(--lib --bins)
  for file in tests/*.rs; do
    name=$(basename "$file" .rs)
    case "$name" in
      server_*) ;;
      *) args+=(--test "$name") ;;
    esac
  done
  exec cargo test "${args[@]}" "$@" -- --skip server_ --skip slow_
fi

scripts/test-deps.sh
cargo test "$@"
