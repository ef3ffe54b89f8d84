//! No-op `cargo wasmcloud build` against no-op `cargo build --target wasm32-wasip2
//! --release` on the same crate, in one run: what we add on top of cargo when nothing
//! changed (cargo metadata, reading the artifact, checking the signed output).
//!
//! Run: `cargo bench --bench build` (prints figures; asserts nothing). Target: <= 100 ms.

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 15;

fn time(cmd: &mut Command) -> Duration {
    let start = Instant::now();
    let status = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run");
    let elapsed = start.elapsed();
    assert!(status.success(), "{cmd:?} failed");
    elapsed
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("hello-component");
    support::copy_dir(&support::fixtures_dir().join("hello-component"), &project);
    let keys = dir.path().join("keys");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let cargo_build = || {
        let mut cmd = Command::new(&cargo);
        cmd.args(["build", "--release", "--target", "wasm32-wasip2"])
            .current_dir(&project);
        cmd
    };
    let ours = || {
        let mut cmd = Command::new(support::bin());
        cmd.arg("build")
            .current_dir(&project)
            .env("WASH_KEYS", &keys);
        cmd
    };
    // Warm up: a real build and signing, then both are no-ops.
    time(&mut ours());
    time(&mut cargo_build());
    time(&mut ours());

    let mut cargo_times = Vec::new();
    let mut our_times = Vec::new();
    for _ in 0..RUNS {
        cargo_times.push(time(&mut cargo_build()));
        our_times.push(time(&mut ours()));
    }
    let (c, o) = (median(cargo_times), median(our_times));
    println!("no-op builds of tests/fixtures/hello-component, median of {RUNS}:");
    println!(
        "  cargo build --release --target wasm32-wasip2   {:>7.1} ms",
        c.as_secs_f64() * 1e3
    );
    println!(
        "  cargo wasmcloud build                          {:>7.1} ms",
        o.as_secs_f64() * 1e3
    );
    println!(
        "  difference                                     {:>7.1} ms (target <= 100 ms)",
        (o.as_secs_f64() - c.as_secs_f64()) * 1e3
    );
}
