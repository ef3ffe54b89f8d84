//! `run`, the embedded runtime: real builds of the templates served in the tool's own
//! process on a free loopback port, real HTTP requests; a trap costs one request a 500;
//! imports nothing serves are refused before serving, each named.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
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

/// `run FILE --http ADDR`, once it answers.
struct Running {
    child: Child,
    address: String,
}

impl Running {
    fn start(sandbox: &Sandbox, file: &Path) -> Running {
        Self::start_in(sandbox, sandbox.path(), &[file.to_str().unwrap()])
    }

    /// `run ARGS --http ADDR` in `dir`.
    fn start_in(sandbox: &Sandbox, dir: &Path, args: &[&str]) -> Running {
        let address = format!("127.0.0.1:{}", support::free_port());
        let child = sandbox
            .command()
            .arg("run")
            .args(args)
            .args(["--http", &address])
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", support::shared_build_cache())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut running = Running { child, address };
        let up = support::wait_for(Duration::from_secs(120), || {
            if let Ok(Some(status)) = running.child.try_wait() {
                panic!("run exited early: {status}");
            }
            support::http_get(&running.address, "/").ok().map(|_| ())
        });
        assert!(up.is_some(), "run never answered");
        running
    }

    fn get(&self, path: &str) -> (u16, String) {
        support::http_get(&self.address, path).unwrap()
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
fn imports_nothing_serves_are_named_before_serving() {
    let sandbox = Sandbox::new();
    let file = built_template(&sandbox, "counter", "keyvalue", |_| {});
    let run = sandbox
        .run(&["run", file.to_str().unwrap(), "--http", "127.0.0.1:1"])
        .fails();
    assert!(
        run.error().contains("nothing here serves: wasi:keyvalue/"),
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
        "error: `run` serves one actor: 0 selected (choose one with -p)",
        "{}",
        run.stderr
    );
}
