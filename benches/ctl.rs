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

/// Runs one `cargo wasmcloud` command to its end; whether it succeeded.
fn run_once(args: &[String], cwd: &std::path::Path) -> bool {
    std::process::Command::new(support::bin())
        .args(args)
        .current_dir(cwd)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn load(base: &[&str], cwd: &std::path::Path, hosts: [&support::TestHost; 3]) {
    let with = |extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let file = cwd.join("hello.wasm");
    std::fs::write(&file, support::hello_component()).unwrap();
    let file = file.to_str().unwrap().to_string();
    let ids = |h: usize| (0..PER_HOST).map(move |i| format!("load-{h}-{i}"));

    let started = std::time::Instant::now();
    let mut failed = 0;
    for (h, host) in hosts.iter().enumerate() {
        for id in ids(h) {
            let args = with(&["start", "component", &file, &id, "--host-id", &host.id]);
            failed += usize::from(!run_once(&args, cwd));
        }
    }
    let start_all = started.elapsed();
    let counts: Vec<usize> = hosts
        .iter()
        .map(|host| {
            let out = std::process::Command::new(support::bin())
                .args(with(&["get", "inventory", &host.id, "-o", "json"]))
                .current_dir(cwd)
                .output()
                .unwrap();
            let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
            json["inventories"][0]["components"]
                .as_array()
                .or_else(|| json["components"].as_array())
                .map_or(0, |c| c.len())
        })
        .collect();
    let one_inventory = time(&with(&["get", "inventory", &hosts[0].id]), cwd);
    let all_inventories = time(&with(&["get", "inventory"]), cwd);
    let get_hosts = time(&with(&["get", "hosts"]), cwd);
    let stopped = std::time::Instant::now();
    for (h, host) in hosts.iter().enumerate() {
        for id in ids(h) {
            let args = with(&["stop", "component", &id, "--host-id", &host.id]);
            failed += usize::from(!run_once(&args, cwd));
        }
    }
    let stop_all = stopped.elapsed();

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let n = 3 * PER_HOST;
    println!("load: {PER_HOST} components on each of 3 hosts (components per host seen: {counts:?}, failed commands: {failed}):");
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
