//! The README walkthrough, run line by line against a real wasmCloud 1.9.2 test host (with
//! the builtin HTTP server), a real nats-server and a real docker-registry: from `new` to
//! an actor answering HTTP, and a provider from the registry passing its health check.
//! Then `dev` (edit the source, see the new body), and the faults along the path.
//!
//! The lines are read from README.md, so the README cannot drift from what is tested. Three
//! things are substituted: `localhost:5000` becomes the test registry, `127.0.0.1:8080` a
//! free port, and `target/` the shared cargo target directory the tests build in.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use support::{NatsServer, Registry, Run, Sandbox, TestHost};

const LATTICE: &str = "walkthrough";

/// The shell lines of the README's walkthrough block.
fn walkthrough_lines() -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme
        .split("\n## Walkthrough")
        .nth(1)
        .expect("README has a Walkthrough section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("a sh block in the walkthrough");
    block.lines().map(str::to_string).collect()
}

struct Lattice {
    nats: NatsServer,
    registry: Registry,
    host: TestHost,
}

impl Lattice {
    fn start() -> Lattice {
        let nats = NatsServer::start();
        let registry = Registry::start();
        let host = TestHost::start_with_env(
            &nats,
            LATTICE,
            &[],
            &[("WASMCLOUD_OCI_ALLOWED_INSECURE", &registry.host())],
        );
        Lattice {
            nats,
            registry,
            host,
        }
    }

    /// `cargo wasmcloud ARGS` in `cwd`, on this lattice, building in the shared target dir.
    fn run(&self, sandbox: &Sandbox, cwd: &Path, args: &[&str]) -> Run {
        sandbox.run_with(args, |cmd| {
            cmd.current_dir(cwd)
                .env("CARGO_TARGET_DIR", support::shared_build_cache())
                .env("WASMCLOUD_CTL_PORT", self.nats.port.to_string())
                .env("WASMCLOUD_LATTICE", LATTICE)
                .env("WASMCLOUD_CTL_TIMEOUT_MS", "5000");
        })
    }
}

fn answering(address: &str, path: &str) -> Option<String> {
    match support::http_get(address, path) {
        Ok((200, body)) => Some(body),
        _ => None,
    }
}

#[test]
fn the_readme_walkthrough_runs_end_to_end() {
    let lattice = Lattice::start();
    let sandbox = Sandbox::new();
    let http = format!("127.0.0.1:{}", support::free_port());
    let target = support::shared_build_cache();
    let mut cwd = sandbox.path().to_path_buf();
    let mut saw = Vec::new();
    for line in walkthrough_lines() {
        let line = line
            .replace("localhost:5000", &lattice.registry.host())
            .replace("127.0.0.1:8080", &http)
            .replace("target/", &format!("{}/", target.display()));
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["cd", dir] => cwd = normalize(&cwd.join(dir)),
            ["curl", url] => {
                let path = url.trim_start_matches(&format!("http://{http}"));
                let body = support::wait_for(Duration::from_secs(15), || answering(&http, path))
                    .unwrap_or_else(|| {
                        panic!("{url} did not answer; host log:\n{}", lattice.host.log())
                    });
                assert_eq!(body, "Hello from hello! You asked for /walkthrough\n");
                saw.push("http body");
            }
            ["cargo", "wasmcloud", args @ ..] => {
                let run = lattice.run(&sandbox, &cwd, args);
                assert!(
                    run.status.success(),
                    "`{line}` failed:\n{}\n{}\nhost log:\n{}",
                    run.stdout,
                    run.stderr,
                    lattice.host.log()
                );
                match args {
                    ["ctl", "stop", "component", ..] => {
                        // Stopped: the address no longer gives the actor's answer.
                        let gone = support::wait_for(Duration::from_secs(15), || {
                            answering(&http, "/walkthrough").is_none().then_some(())
                        });
                        assert!(gone.is_some(), "{http} still answers after the stop");
                        saw.push("stopped");
                    }
                    ["ctl", "get", "inventory"] => {
                        assert!(run.stdout.contains("pinger"), "{}", run.stdout);
                        saw.push("inventory");
                    }
                    ["ctl", "health", id] => {
                        assert!(
                            run.stdout.contains(&format!("Provider {id} is healthy")),
                            "{}",
                            run.stdout
                        );
                        saw.push("health");
                    }
                    ["build"] => assert!(run.stdout.contains("/wasmcloud/"), "{}", run.stdout),
                    _ => {}
                }
            }
            _ => panic!("the walkthrough has a line the test cannot run: {line}"),
        }
    }
    assert_eq!(saw, ["http body", "stopped", "inventory", "health"]);

    // Everything stops with the host: no provider process outlives the test.
    let Lattice {
        host,
        registry,
        nats,
    } = lattice;
    drop(host);
    let gone = support::wait_for(Duration::from_secs(10), || {
        support::processes_named("pinger").is_empty().then_some(())
    });
    assert!(
        gone.is_some(),
        "pinger processes left: {:?}",
        support::processes_named("pinger")
    );
    drop((registry, nats));
}

/// `a/b/../c` → `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[test]
fn dev_rebuilds_and_updates_the_running_actor() {
    let mut lattice = Lattice::start();
    let sandbox = Sandbox::new();
    lattice
        .run(
            &sandbox,
            sandbox.path(),
            &["new", "actor", "devhello", "-y"],
        )
        .ok();
    let dir = sandbox.path().join("devhello");
    let http = format!("127.0.0.1:{}", support::free_port());
    let mut dev = sandbox.command();
    dev.args(["dev", "--http-address", &http])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", support::shared_build_cache())
        .env("WASMCLOUD_CTL_PORT", lattice.nats.port.to_string())
        .env("WASMCLOUD_LATTICE", LATTICE)
        .env("WASMCLOUD_CTL_TIMEOUT_MS", "5000")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = dev.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let reader = {
        let log = log.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        })
    };
    let shown = || log.lock().unwrap().clone();

    let first = support::wait_for(Duration::from_secs(180), || answering(&http, "/dev"));
    assert_eq!(
        first.as_deref(),
        Some("Hello from devhello! You asked for /dev\n"),
        "dev output:\n{}",
        shown()
    );
    assert!(shown().contains("Watching"), "{}", shown());

    // An edit while `dev` runs: the new body is served without restarting anything.
    let lib = dir.join("src/lib.rs");
    let source = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, source.replace("Hello from", "Howdy from")).unwrap();
    let second = support::wait_for(Duration::from_secs(180), || {
        answering(&http, "/dev").filter(|b| b.starts_with("Howdy"))
    });
    assert_eq!(
        second.as_deref(),
        Some("Howdy from devhello! You asked for /dev\n"),
        "dev output:\n{}",
        shown()
    );
    assert!(shown().contains("Updated devhello"), "{}", shown());

    // NATS restarts under `dev` (and the host): dev's connection comes back by itself, and
    // the next edit is built and swapped in as before.
    lattice.nats.restart();
    std::fs::write(&lib, source.replace("Hello from", "Hiya from")).unwrap();
    let third = support::wait_for(Duration::from_secs(180), || {
        answering(&http, "/dev").filter(|b| b.starts_with("Hiya"))
    });
    assert_eq!(
        third.as_deref(),
        Some("Hiya from devhello! You asked for /dev\n"),
        "dev output:\n{}",
        shown()
    );

    // A broken edit is reported and the last good version keeps running.
    std::fs::write(&lib, "this is not rust").unwrap();
    let reported = support::wait_for(Duration::from_secs(120), || {
        shown().contains("build failed").then_some(())
    });
    assert!(reported.is_some(), "{}", shown());
    assert!(answering(&http, "/dev").is_some_and(|b| b.starts_with("Hiya")));

    // Ctrl-C: a clean exit, and what dev started is gone.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let status = support::wait_for(Duration::from_secs(30), || child.try_wait().ok().flatten())
        .expect("dev exits after Ctrl-C");
    reader.join().unwrap();
    assert!(status.success(), "{status}: {}", shown());
    support::assert_no_secrets_in("dev's log", &shown(), false);
    assert!(shown().contains("Stopped devhello"), "{}", shown());
    let inventory = lattice
        .run(
            &sandbox,
            sandbox.path(),
            &["ctl", "get", "inventory", "-o", "json"],
        )
        .ok();
    assert!(
        !inventory.stdout.contains("devhello"),
        "{}",
        inventory.stdout
    );
    assert!(
        !inventory.stdout.contains("http-server"),
        "{}",
        inventory.stdout
    );
    assert!(answering(&http, "/dev").is_none());
}

#[test]
fn faults_on_the_path_name_the_step_that_failed() {
    let sandbox = Sandbox::new();
    sandbox.write("c.wasm", support::hello_component());
    sandbox
        .run(&["claims", "sign", "c.wasm", "-d", "signed.wasm"])
        .ok();

    // The registry is down during the push.
    let registry = Registry::start();
    let reference = format!("{}/hello:0.1.0", registry.host());
    drop(registry);
    let run = sandbox.run(&["push", &reference, "signed.wasm"]).fails();
    assert!(
        run.error().contains("cannot reach registry"),
        "{}",
        run.stderr
    );

    // The host is stopped before the start.
    let lattice = Lattice::start();
    let Lattice {
        nats,
        registry,
        host,
    } = lattice;
    let reference = format!("{}/hello:0.1.0", registry.host());
    let port = nats.port.to_string();
    let ctl = |args: &[&str]| {
        sandbox.run_with(args, |cmd| {
            cmd.env("WASMCLOUD_CTL_PORT", &port)
                .env("WASMCLOUD_LATTICE", LATTICE)
                .env("WASMCLOUD_CTL_TIMEOUT_MS", "3000");
        })
    };
    sandbox.run(&["push", &reference, "signed.wasm"]).ok();
    let host_id = host.id.clone();
    ctl(&["ctl", "start", "component", &reference, "hello"]).ok();

    // The HTTP server's port is taken by another program.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    ctl(&[
        "ctl",
        "start",
        "provider",
        "wasmcloud+builtin://http-server",
        "http-server",
    ])
    .ok();
    ctl(&[
        "ctl",
        "config",
        "put",
        "busy",
        &format!("address={address}"),
    ])
    .ok();
    let run = ctl(&[
        "ctl",
        "link",
        "put",
        "http-server",
        "hello",
        "wasi",
        "http",
        "--interface",
        "incoming-handler",
        "--source-config",
        "busy",
    ])
    .fails();
    assert!(
        run.error()
            .contains(&format!("the HTTP server cannot listen on {address}")),
        "{}",
        run.stderr
    );
    let links = ctl(&["ctl", "get", "links", "-o", "json"]).ok().json();
    assert_eq!(links["links"].as_array().map(Vec::len), Some(0), "{links}");
    drop(taken);

    // The host goes away: starting anything says no host can run it.
    ctl(&["ctl", "stop", "host", &host_id]).ok();
    let mut host = host;
    assert!(
        host.wait_exit(Duration::from_secs(15)).is_some(),
        "the host did not stop"
    );
    let run = ctl(&["ctl", "start", "component", &reference, "hello2"]).fails();
    assert!(
        run.error().contains("no host can run this component"),
        "{}",
        run.stderr
    );

    // NATS goes away: ctl says it cannot connect.
    drop(host);
    drop(nats);
    drop(registry);
    let run = ctl(&["ctl", "get", "hosts"]).fails();
    assert!(
        run.error().contains("cannot connect to NATS"),
        "{}",
        run.stderr
    );
}

#[test]
fn dev_refuses_what_it_cannot_run() {
    let sandbox = Sandbox::new();
    sandbox.run(&["new", "interface", "shapes", "-y"]).ok();
    sandbox.run(&["new", "actor", "lonely", "-y"]).ok();
    let dev = |dir: &str, port: u16| {
        sandbox.run_with(
            &["dev", "--ctl-port", &port.to_string(), "-x", LATTICE],
            |cmd| {
                cmd.current_dir(sandbox.path().join(dir))
                    .env("CARGO_TARGET_DIR", support::shared_build_cache());
            },
        )
    };
    // Not an actor.
    let run = dev("shapes", support::free_port()).fails();
    assert!(
        run.error()
            .contains("`dev` runs actors, and `shapes` is not one (interface)"),
        "{}",
        run.stderr
    );
    // No NATS: found before anything is built.
    let run = dev("lonely", support::free_port()).fails();
    assert!(
        run.error().contains("cannot connect to NATS"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("Compiling"), "{}", run.stderr);
    // NATS but no host: the start fails and says why.
    let nats = NatsServer::start();
    let run = dev("lonely", nats.port);
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("starting the component: no host can run this component"),
        "{}",
        run.stderr
    );
}
