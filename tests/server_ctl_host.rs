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

/// `ctl get inventory HOST -o json`, the first inventory of the reply.
fn inventory(sandbox: &Sandbox, nats: &NatsServer, host_id: &str) -> serde_json::Value {
    ctl(sandbox, nats, &["get", "inventory", host_id, "-o", "json"])
        .ok()
        .json()["inventories"][0]
        .clone()
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

/// A signed HTTP component (the http template exports wasi:http/incoming-handler: the host
/// spins on components without exports).
fn http_component() -> &'static std::path::Path {
    static PATH: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| support::build_template("actor", "ctl-hello", "ctl_hello_s.wasm"))
}

#[test]
fn components_start_scale_and_stop() {
    let nats = NatsServer::start();
    let host = TestHost::start(&nats, LATTICE, &[]);
    let sandbox = Sandbox::new();
    let file = http_component();

    // A local path is turned into a file:// reference; the command returns once the host
    // reports the component scaled.
    let json = ctl(
        &sandbox,
        &nats,
        &[
            "start",
            "component",
            file.to_str().unwrap(),
            "hello",
            "-o",
            "json",
        ],
    )
    .ok()
    .json();
    assert_eq!(json["host_id"], host.id.as_str());
    assert_eq!(json["waited"], true);
    let inv = inventory(&sandbox, &nats, &host.id);
    let components = inv["components"].as_array().unwrap().clone();
    assert_eq!(components.len(), 1, "{inv}");
    assert_eq!(components[0]["id"], "hello");
    assert_eq!(components[0]["name"], "ctl-hello", "the claims name");
    assert_eq!(components[0]["max_instances"], 1);
    let claims = ctl(&sandbox, &nats, &["get", "claims", "-o", "json"])
        .ok()
        .json();
    assert!(claims["claims"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "ctl-hello"));

    // Scale up, then stop (scale to 0): gone from the inventory.
    let reference = format!("file://{}", file.display());
    ctl(
        &sandbox,
        &nats,
        &[
            "scale",
            "component",
            &host.id,
            &reference,
            "hello",
            "--max-instances",
            "3",
        ],
    )
    .ok();
    let inv = inventory(&sandbox, &nats, &host.id);
    assert_eq!(inv["components"][0]["max_instances"], 3);
    ctl(&sandbox, &nats, &["stop", "component", "hello"]).ok();
    let inv = inventory(&sandbox, &nats, &host.id);
    assert_eq!(inv["components"], serde_json::json!([]));
    let run = ctl(&sandbox, &nats, &["stop", "component", "hello"]).fails();
    assert!(run.error().contains("no host runs"), "{}", run.stderr);
}

#[test]
fn a_component_that_cannot_start_reports_the_hosts_error() {
    let nats = NatsServer::start();
    let host = TestHost::start(&nats, LATTICE, &[]);
    let sandbox = Sandbox::new();
    let corrupt = sandbox.write(
        "corrupt.wasm",
        b"\0asm\x0d\x00\x01\x00garbage that is no component",
    );
    let run = ctl(
        &sandbox,
        &nats,
        &[
            "start",
            "component",
            corrupt.to_str().unwrap(),
            "broken",
            "--host-id",
            &host.id,
        ],
    )
    .fails();
    assert!(run.error().contains("the host refused"), "{}", run.stderr);
    // The missing-file case, with --skip-wait: the ack comes back, the failure comes later.
    let missing = format!("file://{}/nope.wasm", sandbox.path().display());
    ctl(
        &sandbox,
        &nats,
        &[
            "start",
            "component",
            &missing,
            "ghost",
            "--host-id",
            &host.id,
            "--skip-wait",
        ],
    )
    .ok();
    let run = ctl(
        &sandbox,
        &nats,
        &[
            "start",
            "component",
            &missing,
            "ghost",
            "--host-id",
            &host.id,
        ],
    )
    .fails();
    assert!(run.error().contains("No such file"), "{}", run.stderr);
    // A provider that is not running.
    let run = ctl(
        &sandbox,
        &nats,
        &["stop", "provider", "nope", "--host-id", &host.id],
    )
    .fails();
    assert!(run.error().contains("not running"), "{}", run.stderr);
}

#[test]
fn auctions_pick_one_host_and_honour_constraints() {
    let nats = NatsServer::start();
    let hosts: Vec<TestHost> = ["red", "green", "blue"]
        .iter()
        .map(|zone| TestHost::start(&nats, LATTICE, &[("zone", zone)]))
        .collect();
    let sandbox = Sandbox::new();
    let file = http_component().to_str().unwrap().to_string();
    let json = ctl(
        &sandbox,
        &nats,
        &["start", "component", &file, "anywhere", "-o", "json"],
    )
    .ok()
    .json();
    let chosen = json["host_id"].as_str().unwrap().to_string();
    let running: Vec<&str> = hosts
        .iter()
        .filter(|h| {
            let inv = inventory(&sandbox, &nats, &h.id);
            !inv["components"].as_array().unwrap().is_empty()
        })
        .map(|h| h.id.as_str())
        .collect();
    assert_eq!(running, [chosen.as_str()], "exactly one host runs it");

    let json = ctl(
        &sandbox,
        &nats,
        &[
            "start",
            "component",
            &file,
            "in-green",
            "-c",
            "zone=green",
            "-o",
            "json",
        ],
    )
    .ok()
    .json();
    assert_eq!(json["host_id"], hosts[1].id.as_str());
    let run = ctl(
        &sandbox,
        &nats,
        &["start", "component", &file, "nowhere", "-c", "zone=mars"],
    )
    .fails();
    assert!(run.error().contains("no host can run"), "{}", run.stderr);
}

#[test]
fn events_stream_and_update_replaces_the_image() {
    let nats = NatsServer::start();
    let host = TestHost::start(&nats, LATTICE, &[]);
    let sandbox = Sandbox::new();

    // `ctl events` prints one JSON line per event until it is stopped.
    let port = nats.port.to_string();
    let mut watcher = sandbox
        .command()
        .args([
            "ctl",
            "events",
            "--ctl-port",
            &port,
            "--lattice",
            LATTICE,
            "--type",
            "config_set",
            "-o",
            "json",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    ctl(&sandbox, &nats, &["config", "put", "watched", "a=1"]).ok();
    let mut stdout = std::io::BufReader::new(watcher.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    let _ = watcher.kill();
    let _ = watcher.wait();
    let event: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["kind"], "config_set");
    assert_eq!(event["data"]["config_name"], "watched");
    assert_eq!(event["source"], host.id.as_str());

    // update points a running component at another image.
    let first = http_component();
    let second = sandbox.path().join("second.wasm");
    std::fs::copy(first, &second).unwrap();
    ctl(
        &sandbox,
        &nats,
        &[
            "start",
            "component",
            first.to_str().unwrap(),
            "upd",
            "--host-id",
            &host.id,
        ],
    )
    .ok();
    ctl(
        &sandbox,
        &nats,
        &["update", "component", "upd", second.to_str().unwrap()],
    )
    .ok();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let inv = inventory(&sandbox, &nats, &host.id);
        let image = inv["components"][0]["image_ref"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if image.ends_with("/second.wasm") {
            break;
        }
        assert!(Instant::now() < deadline, "image_ref stayed {image}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The provider template, built into a provider archive.
fn provider_archive() -> &'static std::path::Path {
    static PATH: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| support::build_template("provider", "ctl-prov", "ctl_prov.par.gz"))
}

#[test]
fn providers_start_and_stop() {
    let nats = NatsServer::start();
    let host = TestHost::start(&nats, LATTICE, &[]);
    let sandbox = Sandbox::new();
    let par = provider_archive();
    let json = ctl(
        &sandbox,
        &nats,
        &[
            "start",
            "provider",
            par.to_str().unwrap(),
            "my-provider",
            "-o",
            "json",
        ],
    )
    .ok()
    .json();
    assert_eq!(json["host_id"], host.id.as_str());
    let inv = inventory(&sandbox, &nats, &host.id);
    let providers = inv["providers"].as_array().unwrap().clone();
    assert_eq!(providers.len(), 1, "{inv}");
    assert_eq!(providers[0]["id"], "my-provider");
    ctl(&sandbox, &nats, &["stop", "provider", "my-provider"]).ok();
    let inv = inventory(&sandbox, &nats, &host.id);
    assert_eq!(inv["providers"], serde_json::json!([]));
}
