//! Push through the library, with the file swapped under it (its own binary: it points the
//! process's cache and home at its sandbox).

mod support;

use std::path::Path;

use support::{Registry, Sandbox};

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A build that renames a new file into place (as atomic writers do) between the checks of
/// a push and its upload must not change what is sent: the upload reads the handle that was
/// validated and hashed. Reopening by path sent the new bytes under the old digest
/// (DIGEST_INVALID, seen in CI under parallel builds of one fixture).
#[test]
fn a_file_replaced_while_pushing_still_uploads_what_was_hashed() {
    use cargo_wasmcloud::oci;
    let registry = Registry::start();
    let sandbox = Sandbox::new();
    // The library call records blob sightings under the cache directory: the sandbox's,
    // not the user's. (The only test of this binary, so no other thread reads the env.)
    std::env::set_var("XDG_CACHE_HOME", sandbox.path().join("cache"));
    std::env::set_var("HOME", sandbox.path());
    let original = support::padded_bytes(support::hello_component(), 2 * 1024 * 1024);
    let file = sandbox.write("hello.wasm", &original);
    let (layer, artifact) = oci::prepare_push(&file, "2026-01-01T00:00:00Z".into()).unwrap();
    let replacement = sandbox.write(
        "next.wasm",
        &support::padded_bytes(support::hello_component(), 1024),
    );
    std::fs::rename(&replacement, &file).unwrap();
    let reference = format!("{}/wasm/replaced:1.0.0", registry.host());
    let parsed = oci::parse_reference(&reference, false).unwrap();
    let pushed = oci::push(
        &parsed,
        layer,
        artifact,
        Default::default(),
        &oci::RegistryOptions::default(),
        std::sync::Arc::new(|_, _| {}),
    )
    .unwrap();
    assert_eq!(pushed.size, original.len() as u64);
    let pulled = sandbox.file("pulled.wasm");
    sandbox
        .run(&["pull", &reference, "--destination", s(&pulled)])
        .ok();
    assert!(std::fs::read(&pulled).unwrap() == original);
}
