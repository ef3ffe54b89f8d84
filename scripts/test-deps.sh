#!/usr/bin/env bash
# Installs what the test suite needs, and nothing when it is all there already:
# the wasm32-wasip2 and wasip1 Rust targets (fixture components are really built), Debian's
# nats-server and docker-registry (tests start their own on free loopback ports),
# skopeo (an independent OCI client to cross-check against), and the wasmCloud test host
# (tests/host, built with Rust 1.89 into ~/.cache/cargo-wasmcloud-tests: ~20 minutes the
# first time on a new machine, nothing after). With `--targets`, only the Rust targets (what
# the fast tier needs).
set -euo pipefail

# wasip1 too: `build` adapts wasip1 modules into components, and that is tested.
for target in wasm32-wasip2 wasm32-wasip1; do
  if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
    echo "test-deps: adding the $target target"
    rustup target add "$target"
  fi
done
if [ "${1:-}" = "--targets" ]; then
  exit 0
fi

missing=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
command -v docker-registry >/dev/null 2>&1 || [ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)

if [ ${#missing[@]} -gt 0 ]; then
  echo "test-deps: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The wasmCloud test host for the ctl tests: built once per machine, outside the clone.
"$(dirname "$0")/build-test-host.sh" > /dev/null
