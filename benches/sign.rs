//! Signing and inspecting a 50 MB component, end to end through the release binary: wall
//! time, throughput and peak RSS of each run. Also the start-up time of `--version`.
//!
//! Beside each row, the peer: wascap 0.16 (what wash signs and verifies with) doing the same
//! in a process of its own (this bench run again with `--wascap-embed`/`--wascap-verify`),
//! reading the file, embedding or extracting and checking, writing the output, so both
//! columns are whole processes measured the same way.
//!
//! Run: `cargo bench --bench sign` (prints figures; asserts nothing).
//! Targets: signing at >= 0.5 GB/s, peak RSS under 2x the file size, `--version` < 3 ms.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Duration;

const ACCOUNT_SEED: &str = "SAAAW5UDXHSLGTZ4CSTWLDTKU5LCPCJPNGQRFJKJNBIYJ2IK7I4JMGT3IU";
const MODULE_SEED: &str = "SMAAGZBEBT3RIMAX2QVGUJHHKPNECDPF3ZQBI2EPCHYR3I7RR24IKUDOQE";
const TARGET_SIZE: usize = 50 * 1000 * 1000;
const RUNS: usize = 7;

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn report(label: &str, size: usize, runs: &[support::Measure]) {
    let walls: Vec<Duration> = runs.iter().map(|m| m.wall).collect();
    let best = *walls.iter().min().unwrap();
    let med = median(walls);
    let rss = runs.iter().map(|m| m.max_rss_bytes).max().unwrap();
    let gbps = |d: Duration| size as f64 / d.as_secs_f64() / 1e9;
    println!(
        "{label:<22} median {:>8.1} ms  best {:>8.1} ms  {:>5.2} GB/s (median)  peak RSS {:>6.1} MB = {:.2}x file",
        med.as_secs_f64() * 1e3,
        best.as_secs_f64() * 1e3,
        gbps(med),
        rss as f64 / 1e6,
        rss as f64 / size as f64,
    );
}

/// The peer's side, in its own process: `--wascap-embed IN OUT` or `--wascap-verify IN`.
fn wascap_peer(args: &[String]) -> bool {
    use wascap::prelude::KeyPair;
    match args {
        [flag, input, output] if flag == "--wascap-embed" => {
            let bytes = std::fs::read(input).expect("read the input");
            let account = KeyPair::from_seed(ACCOUNT_SEED).unwrap();
            let module = KeyPair::from_seed(MODULE_SEED).unwrap();
            let claims = wascap::jwt::ClaimsBuilder::<wascap::jwt::Component>::new()
                .issuer(&account.public_key())
                .subject(&module.public_key())
                .with_metadata(wascap::jwt::Component {
                    name: Some("big".into()),
                    ..Default::default()
                })
                .build();
            let signed = wascap::wasm::embed_claims(&bytes, &claims, &account).expect("embed");
            std::fs::write(output, signed).expect("write the output");
            true
        }
        [flag, input] if flag == "--wascap-verify" => {
            let bytes = std::fs::read(input).expect("read the input");
            let token = wascap::wasm::extract_claims(&bytes)
                .expect("extract")
                .expect("a token");
            let v = wascap::jwt::validate_token::<wascap::jwt::Component>(&token.jwt).unwrap();
            assert!(v.signature_valid);
            true
        }
        _ => false,
    }
}

fn peer_runs(dir: &std::path::Path, args: &[&str]) -> Vec<support::Measure> {
    let me = std::env::current_exe().expect("the bench binary");
    (0..RUNS)
        .map(|_| support::measure_program(&me, args, dir))
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if wascap_peer(&args) {
        return;
    }
    // `cargo bench` passes `--bench`; any filter argument is ignored.
    let dir = tempfile::tempdir().expect("temp dir");
    let component = support::hello_component();
    let input = dir.path().join("big.wasm");
    let size = support::write_padded_component(&input, component, TARGET_SIZE);
    println!(
        "input: {} ({} bytes = {:.1} MB), {} runs each",
        input.display(),
        size,
        size as f64 / 1e6,
        RUNS
    );

    let sign_args = [
        "claims",
        "sign",
        "big.wasm",
        "-d",
        "big_s.wasm",
        "-n",
        "big",
        "-i",
        ACCOUNT_SEED,
        "-s",
        MODULE_SEED,
    ];
    // One warm-up run so the page cache holds the input.
    support::measure(&sign_args, dir.path());
    let signs: Vec<support::Measure> = (0..RUNS)
        .map(|_| support::measure(&sign_args, dir.path()))
        .collect();
    report("claims sign", size, &signs);
    let theirs = peer_runs(dir.path(), &["--wascap-embed", "big.wasm", "big_w.wasm"]);
    report("  wascap embed_claims", size, &theirs);

    let inspect_args = ["inspect", "big_s.wasm", "-o", "json"];
    let inspects: Vec<support::Measure> = (0..RUNS)
        .map(|_| support::measure(&inspect_args, dir.path()))
        .collect();
    report("inspect (claims+WIT)", size, &inspects);
    let theirs = peer_runs(dir.path(), &["--wascap-verify", "big_s.wasm"]);
    report("  wascap extract+verify", size, &theirs);

    let jwt_args = ["inspect", "big_s.wasm", "--jwt-only"];
    let jwts: Vec<support::Measure> = (0..RUNS)
        .map(|_| support::measure(&jwt_args, dir.path()))
        .collect();
    report("inspect --jwt-only", size, &jwts);

    let versions: Vec<Duration> = (0..50)
        .map(|_| support::measure(&["--version"], dir.path()).wall)
        .collect();
    println!(
        "--version              median {:.2} ms  best {:.2} ms (process spawn included)",
        median(versions.clone()).as_secs_f64() * 1e3,
        versions.iter().min().unwrap().as_secs_f64() * 1e3
    );
}
