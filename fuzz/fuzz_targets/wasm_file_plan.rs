#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cargo_wasmcloud_fuzz::checks::wasm_file_plan(data));
