//! Faults on the wire between the tool and a real registry (Debian's docker-registry),
//! caused by `support::FaultProxy`: a connection cut mid-upload or mid-download, 503s, a
//! slow answer. Idempotent steps are retried with backoff, a bounded number of times; what
//! still fails ends with one line and leaves no file.

mod support;

use std::path::Path;
use std::time::Duration;

use support::{Fault, FaultProxy, Registry, Sandbox};

/// Tries per step (the tool's `oci::retry::ATTEMPTS`).
const ATTEMPTS: usize = 4;

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn big_component(sandbox: &Sandbox, name: &str, size: usize) -> std::path::PathBuf {
    let path = sandbox.file(name);
    support::write_padded_component(&path, support::hello_component(), size);
    path
}

#[test]
fn server_faults_push_survives_a_cut_upload_503s_and_delays() {
    let registry = Registry::start();
    let proxy = FaultProxy::start(registry.port);
    let sandbox = Sandbox::new();
    let big = big_component(&sandbox, "big.wasm", 4 << 20);
    let repo = "faults/push";
    // The blob check answers 503 twice, the upload is cut after 1 MiB, the manifest upload
    // is cut in its headers, and the config blob's check is slow.
    proxy.arm(&format!("HEAD /v2/{repo}/blobs/"), Fault::Status(503));
    proxy.arm(&format!("HEAD /v2/{repo}/blobs/"), Fault::Status(503));
    proxy.arm(
        &format!("PUT /v2/{repo}/blobs/uploads/"),
        Fault::CutRequest(1 << 20),
    );
    proxy.arm(
        &format!("PUT /v2/{repo}/manifests/"),
        Fault::CutRequest(100),
    );
    proxy.arm(
        &format!("POST /v2/{repo}/blobs/uploads/"),
        Fault::Delay(Duration::from_millis(300)),
    );
    let reference = format!("{}/{repo}:0.1.0", proxy.host());
    let pushed = sandbox
        .run(&["push", &reference, s(&big), "-o", "json"])
        .ok()
        .json();
    assert_eq!(proxy.unfired(), 0, "fired: {:?}", proxy.take_fired());
    assert_eq!(pushed["layer"], "uploaded");
    // Pulled straight from the registry: whole, and the digest the push reported.
    let direct = format!("127.0.0.1:{}/{repo}:0.1.0", registry.port);
    let dest = sandbox.file("back.wasm");
    let pulled = sandbox
        .run(&["pull", &direct, "--destination", s(&dest), "-o", "json"])
        .ok()
        .json();
    assert_eq!(pulled["digest"], pushed["digest"]);
    assert_eq!(std::fs::read(&dest).unwrap(), std::fs::read(&big).unwrap());
}

#[test]
fn server_faults_push_that_keeps_breaking_stops_after_bounded_tries_with_one_line() {
    let registry = Registry::start();
    let proxy = FaultProxy::start(registry.port);
    let sandbox = Sandbox::new();
    let big = big_component(&sandbox, "big.wasm", 2 << 20);
    let repo = "faults/broken";
    for _ in 0..ATTEMPTS + 1 {
        proxy.arm(
            &format!("PUT /v2/{repo}/blobs/uploads/"),
            Fault::CutRequest(64 << 10),
        );
    }
    let reference = format!("{}/{repo}:0.1.0", proxy.host());
    let run = sandbox.run(&["push", &reference, s(&big)]).fails();
    assert!(
        run.error().contains("did not complete the request"),
        "{}",
        run.stderr
    );
    // Exactly the bounded number of tries: one cut is left over.
    assert_eq!(proxy.take_fired().len(), ATTEMPTS);
    assert_eq!(proxy.unfired(), 1);
    // Nothing was tagged.
    let direct = format!("127.0.0.1:{}/{repo}:0.1.0", registry.port);
    let run = sandbox
        .run(&["pull", &direct, "--destination", "x.wasm"])
        .fails();
    assert!(run.error().contains("not found"), "{}", run.stderr);
    assert!(!sandbox.file("x.wasm").exists());
}

#[test]
fn server_faults_pull_restarts_a_cut_download_and_a_pull_that_keeps_breaking_leaves_no_file() {
    let registry = Registry::start();
    let proxy = FaultProxy::start(registry.port);
    let sandbox = Sandbox::new();
    let big = big_component(&sandbox, "big.wasm", 8 << 20);
    let repo = "faults/pull";
    let direct = format!("127.0.0.1:{}/{repo}:0.1.0", registry.port);
    sandbox.run(&["push", &direct, s(&big)]).ok();
    let reference = format!("{}/{repo}:0.1.0", proxy.host());

    // The manifest answers 503 then 502; the layer is cut after 1 MiB, once.
    proxy.arm(&format!("GET /v2/{repo}/manifests/"), Fault::Status(503));
    proxy.arm(&format!("GET /v2/{repo}/manifests/"), Fault::Status(502));
    proxy.arm(
        &format!("GET /v2/{repo}/blobs/sha256:"),
        Fault::CutResponse(1 << 20),
    );
    let dest = sandbox.file("pulled.wasm");
    sandbox
        .run(&["pull", &reference, "--destination", s(&dest), "-o", "json"])
        .ok();
    assert_eq!(proxy.unfired(), 0, "{:?}", proxy.take_fired());
    assert_eq!(std::fs::read(&dest).unwrap(), std::fs::read(&big).unwrap());
    proxy.take_fired();

    // Cut every time: one line, no file, no temporary file.
    for _ in 0..ATTEMPTS + 1 {
        proxy.arm(
            &format!("GET /v2/{repo}/blobs/sha256:"),
            Fault::CutResponse(1 << 20),
        );
    }
    let run = sandbox
        .run(&["pull", &reference, "--destination", "never.wasm"])
        .fails();
    assert!(run.error().contains("broke off"), "{}", run.stderr);
    assert_eq!(proxy.take_fired().len(), ATTEMPTS);
    let left: Vec<String> = sandbox
        .entries()
        .into_iter()
        .filter(|n| n.contains("never"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // A 404 is an answer, not a fault: no retry.
    proxy.arm(&format!("GET /v2/{repo}/manifests/"), Fault::Status(404));
    proxy.arm(&format!("GET /v2/{repo}/manifests/"), Fault::Status(404));
    sandbox
        .run(&["pull", &reference, "--destination", "never.wasm"])
        .fails();
    assert_eq!(proxy.take_fired().len(), 1);
}
