//! `doctor` against what is and is not there (real NATS, host and registry with htpasswd
//! auth).

mod support;

use support::{NatsServer, Registry, Sandbox, TestHost, WadmServer};

fn doctor(sandbox: &Sandbox, port: u16, extra: &[&str]) -> support::Run {
    let port = port.to_string();
    let mut args = vec!["doctor", "--ctl-port", port.as_str(), "--lattice", "doc"];
    args.extend_from_slice(extra);
    sandbox.run(&args)
}

#[test]
fn doctor_says_what_is_missing_and_what_to_do() {
    let sandbox = Sandbox::new();
    // Nothing running: NATS fails with the command to fix it; the exit code says so.
    let run = doctor(&sandbox, support::free_port(), &[]);
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    assert!(
        run.stdout
            .contains("ok   wasm target wasm32-wasip2 is installed"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("FAIL nats"), "{}", run.stdout);
    assert!(
        run.stdout.contains("-> start NATS (`nats-server -js`)"),
        "{}",
        run.stdout
    );
    assert!(run.error().contains("1 check(s) failed"), "{}", run.stderr);

    // NATS but no host.
    let nats = NatsServer::start();
    let run = doctor(&sandbox, nats.port, &["-o", "json"]);
    assert_eq!(run.status.code(), Some(1));
    let json = run.json();
    let hosts = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "hosts")
        .unwrap();
    assert_eq!(hosts["status"], "fail", "{json}");
    assert!(hosts["fix"]
        .as_str()
        .unwrap()
        .contains("start a wasmCloud host"));
    // No wadm: a warning (only `app` needs it), not a failure.
    let wadm = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "wadm")
        .unwrap();
    assert_eq!(wadm["status"], "warn", "{json}");
    assert!(
        wadm["detail"]
            .as_str()
            .unwrap()
            .starts_with("no wadm answers"),
        "{json}"
    );

    // wadm, a host, and a registry that wants a login.
    let _wadm = WadmServer::start(&nats);
    let _host = TestHost::start(&nats, "doc", &[]);
    let registry = Registry::start_with_auth("alice", "s3cret");
    let host = registry.host();
    let run = doctor(&sandbox, nats.port, &["--registry", &host]);
    assert!(
        run.stdout
            .contains("ok   wadm        wadm answers in lattice `doc` (0 application(s))"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("ok   hosts       1 host(s) in lattice `doc`"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("needs a login and no credentials were found"),
        "{}",
        run.stdout
    );
    let run = doctor(
        &sandbox,
        nats.port,
        &[
            "--registry",
            &host,
            "--user",
            "alice",
            "--password",
            "wrong",
        ],
    );
    assert!(
        run.stdout.contains("refused the credentials"),
        "{}",
        run.stdout
    );
    let run = doctor(
        &sandbox,
        nats.port,
        &[
            "--registry",
            &host,
            "--registry-user",
            "alice",
            "--registry-password",
            "s3cret",
        ],
    )
    .ok();
    assert!(
        run.stdout.contains("accepts your credentials"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("FAIL"), "{}", run.stdout);

    // A registry that is not there.
    drop(registry);
    let run = doctor(&sandbox, nats.port, &["--registry", &host]);
    assert!(run.stdout.contains("FAIL registry"), "{}", run.stdout);
    assert!(
        run.stdout.contains("cannot reach registry"),
        "{}",
        run.stdout
    );
}
