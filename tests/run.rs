//! `run` and `dev` on the embedded runtime: real builds of the templates and fixtures served
//! in the tool's own process on a free loopback port, real HTTP requests; the keyvalue
//! template counts, config comes from Cargo.toml, logs reach stderr; a trap costs one
//! request a 500; imports nothing serves are refused before serving, each named; `dev`
//! swaps in each good build and keeps the old one on a broken edit.

mod support;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::Sandbox;

/// A new actor from a template, built; its signed component.
fn built_template(
    sandbox: &Sandbox,
    name: &str,
    template: &str,
    edit: impl FnOnce(&Path),
) -> PathBuf {
    sandbox
        .run(&["new", "actor", name, "-t", template, "-y"])
        .ok();
    let dir = sandbox.path().join(name);
    edit(&dir);
    let run = sandbox
        .run_with(&["build", "-o", "json"], |cmd| {
            cmd.current_dir(&dir)
                .env("CARGO_TARGET_DIR", support::shared_build_cache());
        })
        .ok();
    PathBuf::from(run.json()["artifacts"][0]["path"].as_str().unwrap())
}

/// `run` or `dev` serving on a free port, its stderr gathered as it comes.
struct Running {
    child: Child,
    address: String,
    stderr: Arc<Mutex<String>>,
}

impl Running {
    fn start(sandbox: &Sandbox, file: &Path) -> Running {
        Self::start_in(sandbox, sandbox.path(), &[file.to_str().unwrap()])
    }

    /// `run ARGS --http ADDR` in `dir`.
    fn start_in(sandbox: &Sandbox, dir: &Path, args: &[&str]) -> Running {
        let address = format!("127.0.0.1:{}", support::free_port());
        let mut cmd = sandbox.command();
        cmd.arg("run").args(args).args(["--http", &address]);
        Self::spawn(cmd, dir, address)
    }

    /// Starts `cmd` in `dir` and waits until it says it serves (the port is bound then;
    /// no request is spent on waiting, so counters start at 1).
    fn spawn(mut cmd: Command, dir: &Path, address: String) -> Running {
        let mut child = cmd
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", support::shared_build_cache())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let pipe = child.stderr.take().unwrap();
        let gathered = stderr.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut log = gathered.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut running = Running {
            child,
            address,
            stderr,
        };
        let up = support::wait_for(Duration::from_secs(180), || {
            if let Ok(Some(status)) = running.child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                panic!("exited early: {status}\n{}", running.log());
            }
            running.log().contains("     Serving ").then_some(())
        });
        assert!(up.is_some(), "never answered:\n{}", running.log());
        running
    }

    fn get(&self, path: &str) -> (u16, String) {
        support::http_get(&self.address, path).unwrap()
    }

    fn body(&self, path: &str) -> String {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "{body}");
        body
    }

    fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until stderr holds `text`.
    fn wait_log(&self, text: &str, timeout: Duration) {
        let seen = support::wait_for(timeout, || self.log().contains(text).then_some(()));
        assert!(seen.is_some(), "no {text:?} in:\n{}", self.log());
    }

    /// Ctrl-C: a clean exit.
    fn stop(mut self) -> std::process::ExitStatus {
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGINT);
        }
        self.child.wait().unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_http_template_answers_and_a_trap_costs_one_request() {
    let sandbox = Sandbox::new();
    let file = built_template(&sandbox, "served", "http", |dir| {
        // A path that panics (a trap in Wasm).
        support::edit_file(
            &dir.join("src/lib.rs"),
            "        let body_text",
            "        if path == \"/trap\" {\n            panic!(\"asked to trap\");\n        }\n        let body_text",
        );
    });
    let running = Running::start(&sandbox, &file);
    assert_eq!(
        running.get("/hello"),
        (200, "Hello from served! You asked for /hello\n".to_string())
    );
    let (status, body) = running.get("/trap");
    assert_eq!(status, 500, "{body}");
    assert!(
        body.starts_with("the component failed this request"),
        "{body}"
    );
    // A fresh instance for the next one.
    assert_eq!(
        running.get("/after"),
        (200, "Hello from served! You asked for /after\n".to_string())
    );
    let status = running.stop();
    assert!(status.success(), "{status}");
}

#[test]
fn the_keyvalue_template_counts_across_requests() {
    let sandbox = Sandbox::new();
    let file = built_template(&sandbox, "counter", "keyvalue", |_| {});
    let running = Running::start(&sandbox, &file);
    for n in 1..=3 {
        assert_eq!(
            running.body("/"),
            format!("Hello from counter! Visit number {n}.\n")
        );
    }
    assert!(running.stop().success());
}

/// The services fixture's `/config` body for these values.
fn config_body(greeting: &str, region: &str) -> String {
    format!(
        "greeting={greeting}; region={region}; missing=(none); \
         all=[greeting={greeting},region={region}]; runtime=Some(\"{greeting}\")\n"
    )
}

#[test]
fn config_from_cargo_toml_keyvalue_batches_and_logs_reach_the_actor() {
    let sandbox = Sandbox::new();
    let dir = sandbox.path().join("services-actor");
    support::copy_dir(&support::fixtures_dir().join("services-actor"), &dir);
    let running = Running::start_in(&sandbox, &dir, &[]);
    // [package.metadata.wasmcloud.app.components.services-actor] config, through both the
    // store and the older runtime interface.
    assert_eq!(
        running.body("/config"),
        config_body("hello from Cargo.toml", "eu-west")
    );
    // store, batch and atomics on one bucket; a second visit sees the first one's data;
    // another bucket name is another map.
    let first = "many=[a=1,-,c=three]; listed=[\"a\", \"b\", \"c\"] cursor=None; \
                 left=[\"c\"]; b exists=false; hits=10 stored=10; \
                 c+1=error: the value at `c` is not a number\n";
    assert_eq!(running.body("/kv/one"), first);
    assert_eq!(
        running.body("/kv/one"),
        "many=[a=1,-,c=three]; listed=[\"a\", \"b\", \"c\", \"hits\"] cursor=None; \
         left=[\"c\", \"hits\"]; b exists=false; hits=20 stored=20; \
         c+1=error: the value at `c` is not a number\n"
    );
    assert_eq!(running.body("/kv/two"), first);
    // wasi:logging, the draft and the unversioned name: info and above without -v.
    assert_eq!(running.body("/log"), "logged\n");
    running.wait_log("[critical] a critical line", Duration::from_secs(5));
    let log = running.log();
    assert!(log.contains("[    info] services: an info line"), "{log}");
    assert!(
        log.contains("[    warn] legacy: an unversioned warning"),
        "{log}"
    );
    assert!(!log.contains("a debug line"), "{log}");
    assert!(running.stop().success());

    // --config wins over the table; -v shows debug lines.
    let address = format!("127.0.0.1:{}", support::free_port());
    let mut cmd = sandbox.command();
    cmd.args([
        "-v",
        "run",
        "--config",
        "region=us-east",
        "--http",
        &address,
    ]);
    let running = Running::spawn(cmd, &dir, address);
    assert_eq!(
        running.body("/config"),
        config_body("hello from Cargo.toml", "us-east")
    );
    running.body("/log");
    running.wait_log("[   debug] services: a debug line", Duration::from_secs(5));
    assert!(running.stop().success());
}

#[test]
fn imports_nothing_serves_are_named_before_serving() {
    let sandbox = Sandbox::new();
    let file = built_template(&sandbox, "listener", "messaging", |_| {});
    let run = sandbox
        .run(&["run", file.to_str().unwrap(), "--http", "127.0.0.1:1"])
        .fails();
    assert!(
        run.error().contains(
            "nothing here serves: wasmcloud:messaging/types@0.2.0, \
             wasmcloud:messaging/consumer@0.2.0; compose them in \
             ([package.metadata.wasmcloud.compose]), or run it on a lattice"
        ),
        "{}",
        run.error()
    );
    // A file that is not a component at all, and a taken address.
    sandbox.write("not.wasm", b"plain text");
    let run = sandbox.run(&["run", "not.wasm"]).fails();
    assert!(run.error().starts_with("not.wasm: "), "{}", run.error());
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let http = built_template(&sandbox, "busy", "http", |_| {});
    let run = sandbox
        .run(&["run", http.to_str().unwrap(), "--http", &address])
        .fails();
    assert!(
        run.error()
            .starts_with(&format!("cannot listen on {address}")),
        "{}",
        run.error()
    );
}

#[test]
fn run_without_a_file_builds_the_current_actor_first() {
    let sandbox = Sandbox::new();
    sandbox.run(&["new", "actor", "here", "-y"]).ok();
    let dir = sandbox.path().join("here");
    let running = Running::start_in(&sandbox, &dir, &[]);
    assert_eq!(
        running.get("/x"),
        (200, "Hello from here! You asked for /x\n".to_string())
    );
    assert!(running.stop().success());
    // In a directory with no actor: one line saying so.
    sandbox.run(&["new", "interface", "only-api", "-y"]).ok();
    let run = sandbox.run_with(&["run"], |cmd| {
        cmd.current_dir(sandbox.path().join("only-api"))
            .env("CARGO_TARGET_DIR", support::shared_build_cache());
    });
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    assert_eq!(
        run.stderr.lines().last().unwrap(),
        "error: `run` runs actors, and `only-api` is not one (interface)",
        "{}",
        run.stderr
    );
}

#[test]
fn dev_without_a_lattice_swaps_in_each_good_build() {
    let sandbox = Sandbox::new();
    sandbox.run(&["new", "actor", "live", "-y"]).ok();
    let dir = sandbox.path().join("live");
    let lib = dir.join("src/lib.rs");
    // A path that takes a while, to show a request in flight finishes on its own build.
    support::edit_file(
        &lib,
        "        let body_text",
        "        if path == \"/slow\" {\n            std::thread::sleep(std::time::Duration::from_secs(20));\n        }\n        let body_text",
    );
    let address = format!("127.0.0.1:{}", support::free_port());
    // With nothing on NATS's default port, `dev` chooses the embedded runtime itself.
    let nothing_on_4222 = std::net::TcpListener::bind("127.0.0.1:4222").is_ok();
    let mut cmd = sandbox.command();
    cmd.args(["dev", "--http-address", &address]);
    if !nothing_on_4222 {
        cmd.args(["--runtime", "embedded"]);
    }
    for var in [
        "WASMCLOUD_CTL_HOST",
        "WASMCLOUD_CTL_PORT",
        "WASMCLOUD_LATTICE",
    ] {
        cmd.env_remove(var);
    }
    let running = Running::spawn(cmd, &dir, address.clone());
    if nothing_on_4222 {
        assert!(
            running
                .log()
                .contains("Running on the embedded runtime (no NATS server at 127.0.0.1:4222)"),
            "{}",
            running.log()
        );
    }
    assert_eq!(
        running.body("/dev"),
        "Hello from live! You asked for /dev\n"
    );

    // A slow request on the first build, then an edit: the new body is served while the
    // slow one is still running, and it ends on the build it started with.
    let slow = {
        let address = address.clone();
        std::thread::spawn(move || {
            support::http_get_within(&address, "/slow", Duration::from_secs(60))
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    support::edit_file(&lib, "Hello from", "Howdy from");
    let second = support::wait_for(Duration::from_secs(180), || {
        Some(running.body("/dev")).filter(|b| b.starts_with("Howdy"))
    });
    assert_eq!(
        second.as_deref(),
        Some("Howdy from live! You asked for /dev\n"),
        "{}",
        running.log()
    );
    assert!(running.log().contains("Updated live"), "{}", running.log());
    assert!(
        !slow.is_finished(),
        "the rebuild outlasted the slow request: no overlap shown"
    );
    assert_eq!(
        slow.join().unwrap(),
        Ok((200, "Hello from live! You asked for /slow\n".to_string()))
    );

    // A broken edit: reported, and the last good build keeps serving.
    std::fs::write(&lib, "this is not rust").unwrap();
    running.wait_log("still serving the previous build", Duration::from_secs(120));
    assert_eq!(
        running.body("/dev"),
        "Howdy from live! You asked for /dev\n"
    );
    let log = running.log();
    let status = running.stop();
    assert!(status.success(), "{status}: {log}");
}

#[test]
fn dev_on_a_lattice_that_is_not_there_fails_before_building() {
    let sandbox = Sandbox::new();
    sandbox.run(&["new", "actor", "nowhere", "-y"]).ok();
    let port = support::free_port().to_string();
    for args in [
        vec!["dev", "--runtime", "lattice", "--ctl-port", &port],
        // A lattice named by its variable is a lattice asked for, not a reason to fall back.
        vec!["dev"],
    ] {
        let run = sandbox.run_with(&args, |cmd| {
            cmd.current_dir(sandbox.path().join("nowhere"))
                .env("WASMCLOUD_CTL_PORT", &port)
                .env("CARGO_TARGET_DIR", sandbox.path().join("target"));
        });
        assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
        assert!(
            run.error().contains("cannot connect to NATS"),
            "{}",
            run.stderr
        );
        assert!(!sandbox.path().join("target").exists(), "it built first");
    }
}

#[test]
fn run_chooses_one_actor_of_a_workspace_with_p() {
    let sandbox = Sandbox::new();
    let ws = support::app_workspace(&sandbox, "127.0.0.1:1");
    let run = |args: &[&str]| {
        let run = sandbox.run_with(args, |cmd| {
            cmd.current_dir(&ws)
                .env("CARGO_TARGET_DIR", support::shared_build_cache());
        });
        assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
        run
    };
    assert_eq!(
        run(&["run"]).fails().error(),
        "`run` runs one actor: choose it with --package"
    );
    // The one chosen is built and checked: its import of the workspace's interface is
    // named (it is served by the other actor on a lattice, or by composing).
    let last_line = |stderr: &str| stderr.lines().last().unwrap_or("").to_string();
    let app = run(&["run", "-p", "welcome-app", "--http", "127.0.0.1:1"]);
    assert!(
        last_line(&app.stderr).starts_with(
            "error: welcome_app_s.wasm: it imports an interface nothing here serves: \
             acme:welcome-api/greeter@0.1.0; compose it in"
        ),
        "{}",
        app.stderr
    );
    assert!(
        app.stderr.contains("Compiling welcome-app"),
        "{}",
        app.stderr
    );
    let implementation = run(&["run", "-p", "welcome-impl", "--http", "127.0.0.1:1"]);
    assert!(
        last_line(&implementation.stderr)
            .ends_with("it does not export wasi:http/incoming-handler: `run` serves HTTP actors"),
        "{}",
        implementation.stderr
    );
}
