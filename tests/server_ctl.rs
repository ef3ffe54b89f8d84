//! `ctl` against a real nats-server: a lattice with no host, no NATS at all, bad
//! credentials, and bad input.

mod support;

use std::time::{Duration, Instant};

use support::{NatsServer, Sandbox};

fn ctl(sandbox: &Sandbox, port: u16, args: &[&str]) -> support::Run {
    let port = port.to_string();
    let mut all = vec!["ctl", "--ctl-port", port.as_str(), "--lattice", "ctl-tests"];
    all.extend_from_slice(args);
    sandbox.run(&all)
}

#[test]
fn a_lattice_without_hosts_is_empty_not_an_error() {
    let nats = NatsServer::start();
    let sandbox = Sandbox::new();
    let started = Instant::now();
    let json = ctl(&sandbox, nats.port, &["get", "hosts", "-o", "json"])
        .ok()
        .json();
    assert_eq!(json["hosts"], serde_json::json!([]));
    // NATS says at once that nobody listens; no fixed wait.
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let text = ctl(&sandbox, nats.port, &["get", "hosts"]).ok().stdout;
    assert!(text.contains("No hosts"), "{text}");
    let json = ctl(&sandbox, nats.port, &["get", "inventory", "-o", "json"])
        .ok()
        .json();
    assert_eq!(json["inventories"], serde_json::json!([]));

    // Point-to-point requests with nobody to answer fail with one line.
    let run = ctl(&sandbox, nats.port, &["get", "inventory", "NBOGUSHOSTID"]).fails();
    assert!(run.error().contains("nobody answered"), "{}", run.stderr);
    let run = ctl(&sandbox, nats.port, &["config", "put", "app", "a=1"]).fails();
    assert!(run.error().contains("nobody answered"), "{}", run.stderr);
}

#[test]
fn no_nats_fails_within_the_timeout() {
    let sandbox = Sandbox::new();
    let port = support::free_port();
    let started = Instant::now();
    let run = ctl(&sandbox, port, &["get", "hosts", "--timeout-ms", "1500"]).fails();
    assert!(
        run.error().contains("cannot connect to NATS"),
        "{}",
        run.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    // The environment variables wash reads.
    let run = sandbox
        .run_with(&["ctl", "get", "hosts"], |cmd| {
            cmd.env("WASMCLOUD_CTL_HOST", "127.0.0.1")
                .env("WASMCLOUD_CTL_PORT", port.to_string());
        })
        .fails();
    assert!(
        run.error().contains(&format!("127.0.0.1:{port}")),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_credentials_are_refused() {
    // A NATS server that only admits one nkey user.
    let user = nkeys::KeyPair::new_user();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("auth.conf");
    std::fs::write(
        &config,
        format!(
            "authorization {{ users = [ {{ nkey: {} }} ] }}\n",
            user.public_key()
        ),
    )
    .unwrap();
    let nats = NatsServer::start_with_config(&config);
    let sandbox = Sandbox::new();
    let stranger = nkeys::KeyPair::new_user().seed().unwrap();
    let run = ctl(
        &sandbox,
        nats.port,
        &["get", "hosts", "--ctl-seed", &stranger],
    )
    .fails();
    assert!(
        run.error().contains("cannot connect to NATS"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&stranger), "the seed leaked");
    let run = ctl(&sandbox, nats.port, &["get", "hosts"]).fails();
    assert!(
        run.error().contains("cannot connect to NATS"),
        "{}",
        run.stderr
    );
    // The right seed gets in.
    ctl(
        &sandbox,
        nats.port,
        &["get", "hosts", "--ctl-seed", &user.seed().unwrap()],
    )
    .ok();
}

#[test]
fn invalid_input_is_refused_before_connecting() {
    let sandbox = Sandbox::new();
    // Nothing listens on this port: these must fail on their input, not on the network.
    let port = support::free_port();
    for (args, expect) in [
        (
            vec!["config", "put", "bad.name", "a=1"],
            "invalid config name",
        ),
        (vec!["config", "get", "a*"], "invalid config name"),
        (vec!["config", "put", "ok", "novalue"], "KEY=VALUE"),
        (vec!["label", "put", "NHOST", "novalue"], "KEY=VALUE"),
    ] {
        let run = ctl(&sandbox, port, &args).fails();
        assert!(run.error().contains(expect), "{args:?}: {}", run.stderr);
    }
}

/// `ctl events` outlives a NATS restart: it reconnects by itself and goes on printing, and
/// when NATS does not come back it ends within the reconnect limit with one line (never a
/// hang).
#[test]
fn server_ctl_events_reconnect_after_a_nats_restart_and_end_with_one_line_when_it_stays_down() {
    use std::io::BufRead;
    use std::process::Stdio;
    let mut nats = NatsServer::start();
    let sandbox = Sandbox::new();
    let port = nats.port.to_string();
    let mut child = sandbox
        .command()
        .args([
            "ctl",
            "--ctl-port",
            &port,
            "--lattice",
            "ctl-tests",
            "events",
            "-o",
            "json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = lines_tx.send(line);
        }
    });
    let event = |marker: &str| {
        serde_json::json!({
            "specversion": "1.0",
            "type": "com.wasmcloud.lattice.test_marker",
            "source": "tests",
            "time": "2026-12-02T00:00:00Z",
            "data": {"marker": marker},
        })
        .to_string()
    };
    // Published until the watcher shows it (it subscribes a moment after it starts).
    let seen = |nats: &NatsServer, marker: &str| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            nats.publish(
                "wasmbus.evt.ctl-tests.test_marker",
                event(marker).as_bytes(),
            );
            while let Ok(line) = lines.recv_timeout(Duration::from_millis(200)) {
                if line.contains(marker) {
                    return true;
                }
            }
        }
        false
    };
    assert!(
        seen(&nats, "before"),
        "the watcher never printed the first event"
    );
    nats.restart();
    assert!(
        seen(&nats, "after"),
        "the watcher did not print events after NATS came back"
    );
    assert!(child.try_wait().unwrap().is_none(), "the watcher ended");

    // Down for good: one line within the limit (30 s) and a little.
    nats.stop();
    let stopped = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(45),
            "the watcher hangs with NATS gone"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut stderr = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    support::assert_no_secrets_in("ctl events on stderr", &stderr, false);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    // `-o json`: the error is one JSON line too.
    let error: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .starts_with("lost the connection to NATS at 127.0.0.1:"),
        "{stderr}"
    );
}
