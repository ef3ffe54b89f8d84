//! Virtualized actors on a real wasmCloud 1.9.2 host: the `virt-actor` fixture, built
//! against two WASI 0.2 patch versions (wasip2 1.0 and 1.0.0 pinned), answers HTTP with the
//! values baked in at build time, with no config on the lattice.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use support::{NatsServer, Sandbox, TestHost, WadmServer};

/// The fixture as package `package`, with wasip2 at `wasip2`, served on `address`.
fn fixture(sandbox: &Sandbox, package: &str, wasip2: &str, address: &str) -> PathBuf {
    let dir = sandbox.path().join(package);
    support::copy_dir(&support::fixtures_dir().join("virt-actor"), &dir);
    let manifest = dir.join("Cargo.toml");
    support::edit_file(
        &manifest,
        "name = \"virt-actor\"",
        &format!("name = \"{package}\""),
    );
    support::edit_file(
        &manifest,
        "wasip2 = \"1.0\"",
        &format!("wasip2 = \"{wasip2}\""),
    );
    support::append_file(
        &manifest,
        &format!(
            "\n[package.metadata.wasmcloud.app.providers.http]\nimage = \"http-server\"\naddress = \"{address}\"\n"
        ),
    );
    dir
}

fn run(sandbox: &Sandbox, dir: &Path, nats: &NatsServer, args: &[&str]) -> support::Run {
    sandbox.run_with(args, |cmd| {
        cmd.current_dir(dir)
            .env("WASMCLOUD_CTL_PORT", nats.port.to_string())
            .env("CARGO_TARGET_DIR", support::shared_build_cache());
    })
}

#[test]
fn server_virtualized_actors_answer_with_baked_values_on_two_wasi_versions() {
    let nats = NatsServer::start();
    let wadm = WadmServer::start(&nats);
    let host = TestHost::start(&nats, "default", &[]);
    let sandbox = Sandbox::new();
    let mut environment_versions = Vec::new();
    for (package, wasip2) in [("virt-new", "1.0"), ("virt-old", "=1.0.0")] {
        let address = format!("127.0.0.1:{}", support::free_port());
        let dir = fixture(&sandbox, package, wasip2, &address);
        let built = run(&sandbox, &dir, &nats, &["build", "-o", "json"]).ok();
        let interfaces = built.json()["artifacts"][0]["virtualized"]["interfaces"].clone();
        let environment = interfaces
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i.as_str())
            .find(|i| i.starts_with("wasi:cli/environment@0.2."))
            .unwrap_or_else(|| panic!("{package}: {interfaces}"))
            .to_string();
        environment_versions.push(environment);

        let deployed = run(&sandbox, &dir, &nats, &["app", "deploy", "-o", "json"]).ok();
        assert_eq!(deployed.json()["status"]["status"]["type"], "deployed");
        let body = support::wait_for(Duration::from_secs(20), || {
            match support::http_get(&address, "/") {
                Ok((200, body)) => Some(body),
                _ => None,
            }
        })
        .unwrap_or_else(|| panic!("{package} did not answer:\n{}", host.log()));
        assert_eq!(
            body,
            "GREETING=baked hello; name=Ada; region=eu-west; missing=(none); all=2; \
             args=[\"virt-actor\", \"--flag\"]\n",
            "{package}"
        );
        // Nothing came from the lattice: the actor has no config in the manifest (the only
        // config is the HTTP server's address, on its link).
        let stored = run(
            &sandbox,
            &dir,
            &nats,
            &["app", "get", package, "-o", "json"],
        )
        .ok();
        let actor = stored.json()["manifest"]["spec"]["components"][0].clone();
        assert_eq!(actor["name"], package);
        assert!(actor["properties"].get("config").is_none(), "{actor}");
    }
    // Two different patch versions of the same interface, both answered.
    assert_ne!(
        environment_versions[0], environment_versions[1],
        "{environment_versions:?}"
    );
    drop(wadm);
}

#[test]
fn server_a_denied_actor_gets_errors_not_traps() {
    let nats = NatsServer::start();
    let wadm = WadmServer::start(&nats);
    let _host = TestHost::start(&nats, "default", &[]);
    let sandbox = Sandbox::new();
    let address = format!("127.0.0.1:{}", support::free_port());
    let dir = sandbox.path().join("deny-served");
    support::copy_dir(&support::fixtures_dir().join("deny-actor"), &dir);
    let manifest = dir.join("Cargo.toml");
    support::edit_file(&manifest, "name = \"deny-actor\"", "name = \"deny-served\"");
    support::append_file(
        &manifest,
        &format!(
            "\n[package.metadata.wasmcloud.app.providers.http]\nimage = \"http-server\"\naddress = \"{address}\"\n"
        ),
    );
    run(&sandbox, &dir, &nats, &["app", "deploy"]).ok();
    // Each attempt got the interface's own refusal (no preopened directory to find the
    // file in, HTTP-request-denied, access-denied), and the request still answered.
    for _ in 0..2 {
        let body = support::wait_for(Duration::from_secs(20), || {
            match support::http_get(&address, "/") {
                Ok((200, body)) => Some(body),
                _ => None,
            }
        })
        .expect("the denied actor did not answer");
        assert_eq!(
            body,
            "fs=NotFound; http=ErrorCode::HttpRequestDenied; tcp=PermissionDenied\n"
        );
    }
    drop(wadm);
}
