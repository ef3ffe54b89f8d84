#!/usr/bin/env bash
# A real run of the installed `cargo wasmcloud`: build a small component with cargo, sign it,
# inspect its claims and its WIT world. Keys go to a scratch directory, not ~/.wash/keys.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
  rustup target add wasm32-wasip2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --quiet --release --target wasm32-wasip2 \
  --manifest-path tests/fixtures/hello-component/Cargo.toml --target-dir "$work/target"
cp "$work/target/wasm32-wasip2/release/hello_component.wasm" "$work/hello.wasm"

set -x
cargo wasmcloud claims sign "$work/hello.wasm" --keys-dir "$work/keys" \
  --name hello --ver 0.1.0 --rev 1 --tag demo
cargo wasmcloud inspect "$work/hello_s.wasm"
cargo wasmcloud inspect --wit "$work/hello_s.wasm"
cargo wasmcloud keys list --keys-dir "$work/keys"
# An interface crate of plain Rust traits, and the WIT generated from it.
cargo wasmcloud new interface greeter-api --namespace demo --path "$work/greeter-api" -y
cat "$work/greeter-api/wit/greeter-api.wit"
