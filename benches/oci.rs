//! Push and pull of a 50 MB component to a local Debian `docker-registry`, side by side with
//! skopeo moving the same artifact (from an OCI layout into the registry, and from the
//! registry into a directory), in one run: wall times, ratios, and our peak RSS.
//!
//! Rows for a blob the registry already holds: a push to a new repository (ours mounts it
//! through the blob-info cache; skopeo through its own), and a re-push under a new tag.
//! Both tools' blob-info caches are cleared before each run, so a first push uploads.
//!
//! Then a 500 MB component pushed by both, to show that peak memory does not grow with the
//! artifact.
//!
//! Run: `cargo bench --bench oci` (prints figures; asserts nothing).
//! Targets: within 1.2x of skopeo's time, and of its peak memory for a push.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::time::Duration;

const SIZE: usize = 50 * 1000 * 1000;
const RUNS: usize = 5;
const LARGE_SIZE: usize = 500 * 1000 * 1000;
const LARGE_RUNS: usize = 3;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Where each tool remembers which repositories hold a blob (ours first).
fn blob_info_caches() -> [Option<std::path::PathBuf>; 3] {
    [
        std::env::var_os("HOME")
            .map(|h| Path::new(&h).join(".cache/cargo-wasmcloud/blob-info.json")),
        Some(Path::new("/var/lib/containers/cache/blob-info-cache-v1.boltdb").to_path_buf()),
        std::env::var_os("HOME")
            .map(|h| Path::new(&h).join(".local/share/containers/cache/blob-info-cache-v1.boltdb")),
    ]
}

/// Forgets every blob sighting, so the next push of each tool really uploads.
fn clear_blob_info_caches() {
    for cache in blob_info_caches().iter().flatten() {
        let _ = std::fs::remove_file(cache);
    }
}

fn main() {
    let registry = support::Registry::start();
    let host = registry.host();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.wasm");
    let size = support::write_padded_component(&input, support::hello_component(), SIZE);
    let skopeo = Path::new("/usr/bin/skopeo");
    let cwd = dir.path();

    // A layout for skopeo to push from, made from our first push (not timed).
    support::measure(
        &["push", &format!("{host}/seed/big:1.0.0"), "big.wasm"],
        cwd,
    );
    let layout = format!("oci:{}:big", dir.path().join("layout").display());
    support::measure_program(
        skopeo,
        &[
            "copy",
            "--src-tls-verify=false",
            &format!("docker://{host}/seed/big:1.0.0"),
            &layout,
        ],
        cwd,
    );

    drop(registry);
    let (mut ours_push, mut ours_pull, mut sk_push, mut sk_pull) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut ours_mono = Vec::new();
    let (mut ours_mount, mut sk_mount, mut ours_retag) = (Vec::new(), Vec::new(), Vec::new());
    let (mut rss, mut push_rss, mut sk_push_rss) = (0, 0, 0);
    let caches = blob_info_caches();
    for run in 0..RUNS {
        clear_blob_info_caches();
        // A fresh registry for each push, so every blob is really uploaded (skopeo would
        // otherwise mount blobs it has seen in other repositories of the same registry).
        let target = support::Registry::start();
        let ours = format!("{}/ours/big:1.0.0", target.host());
        let theirs = format!("docker://{}/theirs/big:1.0.0", target.host());
        let m = support::measure(&["push", &ours, "big.wasm"], cwd);
        push_rss = push_rss.max(m.max_rss_bytes);
        ours_push.push(m.wall);
        // Forgotten first, or the chunked push would mount what the first one uploaded.
        if let Some(ours_cache) = &caches[0] {
            let _ = std::fs::remove_file(ours_cache);
        }
        let chunked = format!("{}/chunked/big:1.0.0", target.host());
        let m = support::measure(&["push", &chunked, "big.wasm", "--chunked-push"], cwd);
        rss = rss.max(m.max_rss_bytes);
        ours_mono.push(m.wall);
        let m = support::measure(
            &["pull", &ours, "--destination", &format!("pulled{run}.wasm")],
            cwd,
        );
        rss = rss.max(m.max_rss_bytes);
        ours_pull.push(m.wall);
        let m = support::measure_program(
            skopeo,
            &["copy", "--dest-tls-verify=false", &layout, &theirs],
            cwd,
        );
        sk_push_rss = sk_push_rss.max(m.max_rss_bytes);
        sk_push.push(m.wall);
        // The same blob to a second repository (mounted), and again under a new tag.
        let again = format!("{}/ours-again/big:1.0.0", target.host());
        ours_mount.push(support::measure(&["push", &again, "big.wasm"], cwd).wall);
        let retag = format!("{}/ours/big:1.0.1", target.host());
        ours_retag.push(support::measure(&["push", &retag, "big.wasm"], cwd).wall);
        let theirs_again = format!("docker://{}/theirs-again/big:1.0.0", target.host());
        sk_mount.push(
            support::measure_program(
                skopeo,
                &["copy", "--dest-tls-verify=false", &layout, &theirs_again],
                cwd,
            )
            .wall,
        );
        sk_pull.push(
            support::measure_program(
                skopeo,
                &[
                    "copy",
                    "--src-tls-verify=false",
                    &theirs,
                    &format!("dir:{}", dir.path().join(format!("dir{run}")).display()),
                ],
                cwd,
            )
            .wall,
        );
    }
    let (op, ol, sp, sl) = (
        median(ours_push),
        median(ours_pull),
        median(sk_push),
        median(sk_pull),
    );
    println!(
        "{:.1} MB component, local docker-registry, median of {RUNS}:",
        size as f64 / 1e6
    );
    println!(
        "  push: cargo wasmcloud {:>7.1} ms   skopeo copy {:>7.1} ms   ratio {:.2}",
        ms(op),
        ms(sp),
        ms(op) / ms(sp)
    );
    let om = median(ours_mono);
    println!(
        "  push --chunked-push    {:>6.1} ms   ratio {:.2}",
        ms(om),
        ms(om) / ms(sp)
    );
    let (om2, sm2, ort) = (median(ours_mount), median(sk_mount), median(ours_retag));
    println!(
        "  push, held in another repository: cargo wasmcloud {:>6.1} ms   skopeo {:>6.1} ms   ratio {:.2}",
        ms(om2),
        ms(sm2),
        ms(om2) / ms(sm2)
    );
    println!(
        "  re-push, same repository, new tag: cargo wasmcloud {:>6.1} ms",
        ms(ort)
    );
    println!(
        "  pull: cargo wasmcloud {:>7.1} ms   skopeo copy {:>7.1} ms   ratio {:.2}",
        ms(ol),
        ms(sl),
        ms(ol) / ms(sl)
    );
    let mb = |b: u64| b as f64 / 1e6;
    println!(
        "  peak RSS, push: cargo wasmcloud {:.1} MB   skopeo copy {:.1} MB   ratio {:.2}",
        mb(push_rss),
        mb(sk_push_rss),
        push_rss as f64 / sk_push_rss as f64
    );
    println!(
        "  peak RSS, our other runs (chunked push, pull): {:.1} MB",
        mb(rss)
    );
    large_push(dir.path(), skopeo);
}

/// Both tools push a 500 MB component to a fresh registry: time and peak memory.
fn large_push(cwd: &Path, skopeo: &Path) {
    let input = cwd.join("huge.wasm");
    let size = support::write_padded_component(&input, support::hello_component(), LARGE_SIZE);
    let seed = support::Registry::start();
    support::measure(
        &[
            "push",
            &format!("{}/seed/huge:1.0.0", seed.host()),
            "huge.wasm",
        ],
        cwd,
    );
    let layout = format!("oci:{}:huge", cwd.join("layout-huge").display());
    support::measure_program(
        skopeo,
        &[
            "copy",
            "--src-tls-verify=false",
            &format!("docker://{}/seed/huge:1.0.0", seed.host()),
            &layout,
        ],
        cwd,
    );
    drop(seed);
    let (mut ours, mut theirs, mut ours_rss, mut theirs_rss) = (Vec::new(), Vec::new(), 0, 0);
    for _ in 0..LARGE_RUNS {
        clear_blob_info_caches();
        let target = support::Registry::start();
        let m = support::measure(
            &[
                "push",
                &format!("{}/ours/huge:1.0.0", target.host()),
                "huge.wasm",
            ],
            cwd,
        );
        ours_rss = ours_rss.max(m.max_rss_bytes);
        ours.push(m.wall);
        let m = support::measure_program(
            skopeo,
            &[
                "copy",
                "--dest-tls-verify=false",
                &layout,
                &format!("docker://{}/theirs/huge:1.0.0", target.host()),
            ],
            cwd,
        );
        theirs_rss = theirs_rss.max(m.max_rss_bytes);
        theirs.push(m.wall);
    }
    let (o, t) = (median(ours), median(theirs));
    println!(
        "{:.1} MB component, median of {LARGE_RUNS}:",
        size as f64 / 1e6
    );
    println!(
        "  push: cargo wasmcloud {:>7.1} ms, peak {:.1} MB   skopeo copy {:>7.1} ms, peak {:.1} MB   ratios {:.2} / {:.2}",
        ms(o),
        ours_rss as f64 / 1e6,
        ms(t),
        theirs_rss as f64 / 1e6,
        ms(o) / ms(t),
        ours_rss as f64 / theirs_rss as f64
    );
}
