//! Signing and inspecting a 50 MB component, end to end through the release binary: wall
//! time, throughput and peak RSS of each run. Also the start-up time of `--version`.
//!
//! Run: `cargo bench --bench sign` (prints figures; asserts nothing).
//! Targets: signing at >= 0.5 GB/s, peak RSS under 2x the file size, `--version` < 3 ms.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ACCOUNT_SEED: &str = "SAAAW5UDXHSLGTZ4CSTWLDTKU5LCPCJPNGQRFJKJNBIYJ2IK7I4JMGT3IU";
const MODULE_SEED: &str = "SMAAGZBEBT3RIMAX2QVGUJHHKPNECDPF3ZQBI2EPCHYR3I7RR24IKUDOQE";
const TARGET_SIZE: usize = 50 * 1000 * 1000;
const RUNS: usize = 7;

struct Measure {
    wall: Duration,
    max_rss_bytes: u64,
}

/// Runs the binary once and reads the child's own peak RSS from wait4.
// The child is reaped by wait4 itself, which std's Child does not know about.
#[allow(clippy::zombie_processes)]
fn measure(args: &[&str], cwd: &Path) -> Measure {
    let start = Instant::now();
    let child = Command::new(support::bin())
        .args(args)
        .current_dir(cwd)
        .env("WASH_KEYS", cwd.join("keys"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn cargo-wasmcloud");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(waited, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{args:?} failed"
    );
    Measure {
        wall,
        // Linux reports ru_maxrss in KiB.
        max_rss_bytes: usage.ru_maxrss as u64 * 1024,
    }
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn report(label: &str, size: usize, runs: &[Measure]) {
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

/// Writes `component` followed by a custom section of deterministic filler, `total` bytes in
/// all. Streamed in small chunks: this process must not grow, because a child's peak RSS
/// as the kernel reports it starts from its parent's peak at fork.
fn write_padded_component(path: &Path, component: &[u8], total: usize) -> usize {
    use std::io::Write;
    let name = b"padding";
    let data_len = total - component.len() - 16;
    let mut header = vec![0u8];
    support::leb((1 + name.len() + data_len) as u64, &mut header);
    header.push(name.len() as u8);
    header.extend_from_slice(name);
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("create input"));
    file.write_all(component).unwrap();
    file.write_all(&header).unwrap();
    let chunk: Vec<u8> = (0..1 << 16).map(|i: usize| (i * 31 % 251) as u8).collect();
    let mut left = data_len;
    while left > 0 {
        let n = left.min(chunk.len());
        file.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    file.flush().unwrap();
    component.len() + header.len() + data_len
}

fn main() {
    // `cargo bench` passes `--bench`; any filter argument is ignored.
    let dir = tempfile::tempdir().expect("temp dir");
    let component = support::hello_component();
    let input = dir.path().join("big.wasm");
    let size = write_padded_component(&input, component, TARGET_SIZE);
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
    measure(&sign_args, dir.path());
    let signs: Vec<Measure> = (0..RUNS).map(|_| measure(&sign_args, dir.path())).collect();
    report("claims sign", size, &signs);

    let inspect_args = ["inspect", "big_s.wasm", "-o", "json"];
    let inspects: Vec<Measure> = (0..RUNS)
        .map(|_| measure(&inspect_args, dir.path()))
        .collect();
    report("inspect (claims+WIT)", size, &inspects);

    let jwt_args = ["inspect", "big_s.wasm", "--jwt-only"];
    let jwts: Vec<Measure> = (0..RUNS).map(|_| measure(&jwt_args, dir.path())).collect();
    report("inspect --jwt-only", size, &jwts);

    let versions: Vec<Duration> = (0..50)
        .map(|_| measure(&["--version"], dir.path()).wall)
        .collect();
    println!(
        "--version              median {:.2} ms  best {:.2} ms (process spawn included)",
        median(versions.clone()).as_secs_f64() * 1e3,
        versions.iter().min().unwrap().as_secs_f64() * 1e3
    );
}
