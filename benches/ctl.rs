//! `ctl get hosts` with one and with three hosts, and `ctl get inventory`, against real
//! wasmCloud 1.9.2 test hosts on a local nats-server, beside wash 0.43's behaviour (it always
//! gathers `host.ping` replies for the whole 2 s timeout).
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
    let _more: Vec<support::TestHost> = (0..2)
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
}
