//! The server guards of the test support work, so later tests can rely on them.

mod support;

use std::net::TcpStream;

use support::{NatsServer, Registry};

fn port_closed(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_err()
}

#[test]
fn nats_server_runs_with_jetstream_and_stops_on_drop() {
    let nats = NatsServer::start();
    let info = nats.info();
    assert_eq!(info["port"], nats.port);
    assert_eq!(info["jetstream"], true, "started with -js: {info}");
    // The server wash 0.43 bundles and wadm needs (>= 2.10), from scripts/test-deps.sh.
    assert_eq!(info["version"], "2.11.3", "{info}");
    assert!(nats.url().starts_with("nats://127.0.0.1:"));
    let port = nats.port;
    drop(nats);
    assert!(port_closed(port), "port {port} still open after drop");
}

#[test]
fn two_nats_servers_get_different_ports() {
    let a = NatsServer::start();
    let b = NatsServer::start();
    assert_ne!(a.port, b.port);
    assert_eq!(a.info()["port"], a.port);
    assert_eq!(b.info()["port"], b.port);
}

#[test]
fn registry_answers_the_v2_api_and_stops_on_drop() {
    let registry = Registry::start();
    assert_eq!(registry.get_status("/v2/", None), 200);
    assert_eq!(
        registry.get_status("/v2/nothing/here/manifests/1", None),
        404
    );
    let port = registry.port;
    drop(registry);
    assert!(port_closed(port), "port {port} still open after drop");
}

#[test]
fn registry_with_htpasswd_requires_the_password() {
    let registry = Registry::start_with_auth("alice", "s3cret");
    assert_eq!(registry.get_status("/v2/", None), 401);
    assert_eq!(registry.get_status("/v2/", Some(("alice", "wrong"))), 401);
    assert_eq!(registry.get_status("/v2/", Some(("alice", "s3cret"))), 200);
}
