//! `ctl` against real wasmCloud 1.9.2 hosts (tests/host, built by scripts/build-test-host.sh)
//! on a real nats-server.

mod support;

use std::time::{Duration, Instant};

use support::{NatsServer, Sandbox, TestHost};

const LATTICE: &str = "ctl-host-tests";

fn ctl(sandbox: &Sandbox, nats: &NatsServer, args: &[&str]) -> support::Run {
    let port = nats.port.to_string();
    let mut all = vec!["ctl", "--ctl-port", port.as_str(), "--lattice", LATTICE];
    all.extend_from_slice(args);
    sandbox.run(&all)
}

#[test]
fn hosts_inventory_labels_and_stop() {
    let nats = NatsServer::start();
    let mut host = TestHost::start(&nats, LATTICE, &[("zone", "blue")]);
    let sandbox = Sandbox::new();

    let started = Instant::now();
    let json = ctl(&sandbox, &nats, &["get", "hosts", "-o", "json"])
        .ok()
        .json();
    let elapsed = started.elapsed();
    let hosts = json["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 1, "{json}");
    assert_eq!(hosts[0]["id"], host.id.as_str());
    assert_eq!(hosts[0]["labels"]["zone"], "blue");
    assert_eq!(hosts[0]["lattice"], LATTICE);
    assert_eq!(hosts[0]["version"], "1.9.2");
    // Replies stop coming after one host: no waiting out the 2 s timeout.
    assert!(
        elapsed < Duration::from_secs(1),
        "get hosts took {elapsed:?}"
    );

    let json = ctl(
        &sandbox,
        &nats,
        &["get", "inventory", &host.id, "-o", "json"],
    )
    .ok()
    .json();
    assert_eq!(json["inventories"][0]["host_id"], host.id.as_str());
    assert_eq!(json["inventories"][0]["components"], serde_json::json!([]));
    // Without a host id, every host's.
    let json = ctl(&sandbox, &nats, &["get", "inventory", "-o", "json"])
        .ok()
        .json();
    assert_eq!(json["inventories"].as_array().unwrap().len(), 1);

    // Labels show in get hosts; removing one removes it.
    ctl(
        &sandbox,
        &nats,
        &["label", "put", &host.id, "tier=gold", "team=core"],
    )
    .ok();
    let json = ctl(&sandbox, &nats, &["get", "hosts", "-o", "json"])
        .ok()
        .json();
    assert_eq!(json["hosts"][0]["labels"]["tier"], "gold");
    assert_eq!(json["hosts"][0]["labels"]["team"], "core");
    ctl(&sandbox, &nats, &["label", "del", &host.id, "tier"]).ok();
    let json = ctl(&sandbox, &nats, &["get", "hosts", "-o", "json"])
        .ok()
        .json();
    assert!(json["hosts"][0]["labels"].get("tier").is_none(), "{json}");
    // The host refuses its reserved labels, and says so.
    let run = ctl(
        &sandbox,
        &nats,
        &["label", "put", &host.id, "hostcore.os=plan9"],
    )
    .fails();
    assert!(run.error().contains("the host refused"), "{}", run.stderr);

    // An unknown host id.
    let run = ctl(&sandbox, &nats, &["get", "inventory", "NUNKNOWNHOSTXYZ"]).fails();
    assert!(run.error().contains("nobody answered"), "{}", run.stderr);

    // stop host makes the process exit.
    ctl(&sandbox, &nats, &["stop", "host", &host.id]).ok();
    let status = host.wait_exit(Duration::from_secs(20));
    assert!(
        status.is_some(),
        "the host is still running:\n{}",
        host.log()
    );
}

#[test]
fn config_and_links_round_trip() {
    let nats = NatsServer::start();
    let _host = TestHost::start(&nats, LATTICE, &[]);
    let sandbox = Sandbox::new();

    ctl(
        &sandbox,
        &nats,
        &["config", "put", "app-settings", "greeting=hi", "color=blue"],
    )
    .ok();
    let json = ctl(
        &sandbox,
        &nats,
        &["config", "get", "app-settings", "-o", "json"],
    )
    .ok()
    .json();
    assert_eq!(json["values"]["greeting"], "hi");
    assert_eq!(json["values"]["color"], "blue");
    ctl(&sandbox, &nats, &["config", "del", "app-settings"]).ok();
    let run = ctl(&sandbox, &nats, &["config", "get", "app-settings"]).fails();
    assert!(run.error().contains("no config named"), "{}", run.stderr);

    let link = [
        "link",
        "put",
        "http-server",
        "hello",
        "wasi",
        "http",
        "--interface",
        "incoming-handler",
        "--source-config",
        "listen",
    ];
    // A link naming a config that does not exist is refused by the host, with its reason.
    let run = ctl(&sandbox, &nats, &link).fails();
    assert!(run.error().contains("listen not found"), "{}", run.stderr);
    ctl(
        &sandbox,
        &nats,
        &["config", "put", "listen", "address=127.0.0.1:8080"],
    )
    .ok();
    ctl(&sandbox, &nats, &link).ok();
    let json = ctl(&sandbox, &nats, &["get", "links", "-o", "json"])
        .ok()
        .json();
    let links = json["links"].as_array().unwrap();
    assert_eq!(links.len(), 1, "{json}");
    assert_eq!(links[0]["source_id"], "http-server");
    assert_eq!(links[0]["target"], "hello");
    assert_eq!(
        links[0]["interfaces"],
        serde_json::json!(["incoming-handler"])
    );
    assert_eq!(links[0]["source_config"], serde_json::json!(["listen"]));
    ctl(
        &sandbox,
        &nats,
        &["link", "del", "http-server", "wasi", "http"],
    )
    .ok();
    let json = ctl(&sandbox, &nats, &["link", "get", "-o", "json"])
        .ok()
        .json();
    assert_eq!(json["links"], serde_json::json!([]));

    let json = ctl(&sandbox, &nats, &["get", "claims", "-o", "json"])
        .ok()
        .json();
    assert!(json["claims"].is_array());
}

#[test]
fn three_hosts_all_answer_get_hosts() {
    let nats = NatsServer::start();
    let hosts: Vec<TestHost> = (0..3)
        .map(|i| TestHost::start(&nats, LATTICE, &[("index", &i.to_string())]))
        .collect();
    let sandbox = Sandbox::new();
    let json = ctl(&sandbox, &nats, &["get", "hosts", "-o", "json"])
        .ok()
        .json();
    let mut ids: Vec<&str> = json["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    ids.sort();
    let mut expected: Vec<&str> = hosts.iter().map(|h| h.id.as_str()).collect();
    expected.sort();
    assert_eq!(ids, expected);
}
