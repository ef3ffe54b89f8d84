#!/usr/bin/env bash
# A real run of the installed `cargo wasmcloud`, with nothing else installed: make an actor
# from the HTTP template, build and sign it, serve it with the embedded runtime, and print
# the answer of a real HTTP request to it; then inspect its claims and WIT. Keys go to a
# scratch directory, not ~/.wash/keys.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
  rustup target add wasm32-wasip2
fi

work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill -INT "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export WASH_KEYS="$work/keys" CARGO_TARGET_DIR="$work/target"
signed="$work/target/wasmcloud/hello_s.wasm"
# A free loopback port for the server.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

set -x
cargo wasmcloud new actor hello --path "$work/hello" -y
cargo wasmcloud build --manifest-path "$work/hello/Cargo.toml"
cargo wasmcloud run "$signed" --http "127.0.0.1:$port" &
server=$!
# A real HTTP request once it listens (python3's client: curl may not be installed).
python3 - "$port" <<'PY'
import sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/demo"
for _ in range(300):
    try:
        print(urllib.request.urlopen(url, timeout=5).read().decode(), end="")
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("the actor never answered")
PY
kill -INT "$server"; wait "$server"; server=""
cargo wasmcloud inspect "$signed"
cargo wasmcloud inspect --wit "$signed"
# An interface crate of plain Rust traits, and the WIT generated from it.
cargo wasmcloud new interface greeter-api --namespace demo --path "$work/greeter-api" -y
cat "$work/greeter-api/wit/greeter-api.wit"
