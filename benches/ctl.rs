//! `ctl get hosts` with one and with three hosts, and `ctl get inventory`, against real
//! wasmCloud 1.9.2 test hosts on a local nats-server, beside wash 0.43's behaviour (it always
//! gathers `host.ping` replies for the whole 2 s timeout).
//!
//! Then load: 100 components on each of the 3 hosts (300 in all, each started by its own
//! `ctl start component`), `get inventory` of each host and of all, `get hosts`, and
//! stopping all 300, timed.
//!
//! Run: `cargo bench --bench ctl` (prints figures; asserts nothing). Needs the test host:
//! `scripts/build-test-host.sh`. Target: <= 0.3 s for `get hosts` on loopback.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Duration;

const RUNS: usize = 15;
const LATTICE: &str = "bench";

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time(args: &[String], cwd: &std::path::Path) -> Duration {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    median(
        (0..RUNS)
            .map(|_| support::measure(&args, cwd).wall)
            .collect(),
    )
}

fn main() {
    let nats = support::NatsServer::start();
    let port = nats.port.to_string();
    let dir = tempfile::tempdir().unwrap();
    let first = support::TestHost::start(&nats, LATTICE, &[]);
    let base = ["ctl", "--ctl-port", port.as_str(), "--lattice", LATTICE];
    let with = |extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };

    let hosts_args = with(&["get", "hosts"]);
    let one = time(&hosts_args, dir.path());
    let inventory_args = with(&["get", "inventory", &first.id]);
    let inventory = time(&inventory_args, dir.path());
    let more: Vec<support::TestHost> = (0..2)
        .map(|_| support::TestHost::start(&nats, LATTICE, &[]))
        .collect();
    let three = time(&hosts_args, dir.path());
    let all_inventories = time(&with(&["get", "inventory"]), dir.path());

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("ctl against wasmCloud 1.9.2 test hosts, median of {RUNS} (process start included):");
    println!(
        "  get hosts, 1 host                  {:>7.1} ms   (wash 0.43: 2000 ms, fixed gather)",
        ms(one)
    );
    println!(
        "  get hosts, 3 hosts                 {:>7.1} ms   (wash 0.43: 2000 ms)",
        ms(three)
    );
    println!(
        "  get inventory HOST                 {:>7.1} ms",
        ms(inventory)
    );
    println!(
        "  get inventory (all of 3 hosts)     {:>7.1} ms",
        ms(all_inventories)
    );

    load(&base, dir.path(), [&first, &more[0], &more[1]]);
}

const PER_HOST: usize = 100;

/// Runs one `cargo wasmcloud` command to its end: its stdout, or its error line.
fn run_once(args: &[String], cwd: &std::path::Path) -> Result<String, String> {
    let out = std::process::Command::new(support::bin())
        .args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// Like `time`, but a failing command is reported, not a panic: under load a host may fail.
fn try_time(args: &[String], cwd: &std::path::Path) -> Result<Duration, String> {
    let mut runs = Vec::new();
    for _ in 0..RUNS {
        let started = std::time::Instant::now();
        run_once(args, cwd)?;
        runs.push(started.elapsed());
    }
    Ok(median(runs))
}

/// Components a host reports, by `get inventory HOST -o json`.
fn components_on(
    base: &[String],
    host: &support::TestHost,
    cwd: &std::path::Path,
) -> Result<usize, String> {
    let mut args = base.to_vec();
    args.extend(["get", "inventory", &host.id, "-o", "json"].map(String::from));
    let out = run_once(&args, cwd)?;
    let json: serde_json::Value = serde_json::from_str(&out).map_err(|e| e.to_string())?;
    // `get inventory HOST -o json` answers in the same shape as for all hosts.
    json["inventories"][0]["components"]
        .as_array()
        .map(Vec::len)
        .ok_or_else(|| "no component list in the answer".to_string())
}

fn load(base: &[&str], cwd: &std::path::Path, hosts: [&support::TestHost; 3]) {
    let base: Vec<String> = base.iter().map(|s| s.to_string()).collect();
    let with = |extra: &[&str]| -> Vec<String> {
        base.iter()
            .cloned()
            .chain(extra.iter().map(|s| s.to_string()))
            .collect()
    };
    // An HTTP component: the host spins on one without exports (the hello fixture), and
    // a hundred of those wedge it.
    let file = support::build_template("actor", "load-hello", "load_hello.wasm");
    let file = file.to_str().unwrap().to_string();
    let ids = |h: usize| (0..PER_HOST).map(move |i| format!("load-{h}-{i}"));
    let report = |what: &str, error: &str| {
        println!("load: {what} failed: {error}");
        for (h, host) in hosts.iter().enumerate() {
            let log = host.log();
            let tail: Vec<&str> = log.lines().rev().take(5).collect();
            println!("  host {h} log, last lines (newest first): {tail:#?}");
        }
    };

    let started = std::time::Instant::now();
    for (h, host) in hosts.iter().enumerate() {
        for id in ids(h) {
            let args = with(&["start", "component", &file, &id, "--host-id", &host.id]);
            if let Err(e) = run_once(&args, cwd) {
                return report(&format!("start of {id} on host {h}"), &e);
            }
        }
    }
    let start_all = started.elapsed();
    let mut counts = Vec::new();
    for host in hosts {
        match components_on(&base, host, cwd) {
            Ok(n) => counts.push(n),
            Err(e) => return report("get inventory after the starts", &e),
        }
    }
    let timed = (|| {
        Ok::<_, String>((
            try_time(&with(&["get", "inventory", &hosts[0].id]), cwd)?,
            try_time(&with(&["get", "inventory"]), cwd)?,
            try_time(&with(&["get", "hosts"]), cwd)?,
        ))
    })();
    let (one_inventory, all_inventories, get_hosts) = match timed {
        Ok(t) => t,
        Err(e) => return report("a timed query", &e),
    };
    let stopped = std::time::Instant::now();
    for (h, host) in hosts.iter().enumerate() {
        for id in ids(h) {
            let args = with(&["stop", "component", &id, "--host-id", &host.id]);
            if let Err(e) = run_once(&args, cwd) {
                return report(&format!("stop of {id} on host {h}"), &e);
            }
        }
    }
    let stop_all = stopped.elapsed();
    let mut left = Vec::new();
    for host in hosts {
        left.push(components_on(&base, host, cwd).unwrap_or(usize::MAX));
    }

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let n = 3 * PER_HOST;
    println!("load: {PER_HOST} HTTP components on each of 3 hosts (seen per host: {counts:?}; after the stops: {left:?}):");
    println!(
        "  start {n} components, one command each  {:>8.0} ms   ({:.1} ms per start)",
        ms(start_all),
        ms(start_all) / n as f64
    );
    println!(
        "  get inventory HOST ({PER_HOST} components)    {:>8.1} ms",
        ms(one_inventory)
    );
    println!(
        "  get inventory (3 hosts, {n} components) {:>8.1} ms",
        ms(all_inventories)
    );
    println!(
        "  get hosts (3 hosts, loaded)            {:>8.1} ms",
        ms(get_hosts)
    );
    println!(
        "  stop {n} components, one command each   {:>8.0} ms   ({:.1} ms per stop)",
        ms(stop_all),
        ms(stop_all) / n as f64
    );
}
