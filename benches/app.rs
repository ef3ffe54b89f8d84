//! `app` against real wadm 0.21.1, a wasmCloud 1.9.2 test host, nats-server 2.11.3 and a
//! local docker-registry: the time from `app deploy --skip-wait` of an application that is
//! built and pushed already to its first HTTP 200, and `app list` with 50 deployed
//! applications.
//!
//! Run: `cargo bench --bench app` (prints figures; asserts nothing). Needs what
//! `scripts/test-deps.sh` installs.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const DEPLOY_RUNS: usize = 5;
const LIST_RUNS: usize = 15;
const APPS: usize = 50;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn run(dir: &Path, envs: &[(&str, String)], args: &[&str]) -> support::Run {
    let mut cmd = Command::new(support::bin());
    cmd.args(args)
        .current_dir(dir)
        .env("WASH_KEYS", dir.join("keys"));
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let run = support::run_command(&mut cmd);
    assert!(run.status.success(), "{args:?}: {}", run.stderr);
    run
}

fn main() {
    let nats = support::NatsServer::start();
    let wadm = support::WadmServer::start(&nats);
    let registry = support::Registry::start();
    let host = support::TestHost::start_with_env(
        &nats,
        "default",
        &[],
        &[("WASMCLOUD_OCI_ALLOWED_INSECURE", &registry.host())],
    );
    let scratch = tempfile::tempdir().unwrap();
    let ws = scratch.path().join("app-ws");
    support::copy_dir(&support::fixtures_dir().join("app-ws"), &ws);
    let address = format!("127.0.0.1:{}", support::free_port());
    let manifest = ws.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let text = text.replace("127.0.0.1:8080", &address).replace(
        "version = \"0.1.0\"\n",
        &format!(
            "version = \"0.1.0\"\nregistry = \"{}/bench\"\n",
            registry.host()
        ),
    );
    std::fs::write(&manifest, text).unwrap();
    let envs = [
        ("WASMCLOUD_CTL_PORT", nats.port.to_string()),
        (
            "CARGO_TARGET_DIR",
            support::shared_build_cache().display().to_string(),
        ),
    ];

    // Built, pushed and deployed once; then undeployed, leaving a manifest whose images
    // are in the registry.
    run(&ws, &envs, &["app", "deploy"]);
    run(&ws, &envs, &["app", "manifest", "-d", "wadm.yaml"]);
    let undeploy_and_wait = || {
        run(&ws, &envs, &["app", "undeploy", "welcome"]);
        support::wait_for(Duration::from_secs(60), || {
            support::http_get(&address, "/").is_err().then_some(())
        })
        .expect("undeployed app still answers");
        support::wait_for(Duration::from_secs(60), || {
            let inv = run(
                &ws,
                &envs,
                &["ctl", "get", "inventory", &host.id, "-o", "json"],
            );
            let json = inv.json();
            let empty = json["inventories"][0]["components"]
                .as_array()
                .is_some_and(|c| c.is_empty())
                && json["inventories"][0]["providers"]
                    .as_array()
                    .is_some_and(|p| p.is_empty());
            empty.then_some(())
        })
        .expect("host still runs the app");
    };
    undeploy_and_wait();

    let mut to_first_200 = Vec::new();
    for n in 0..DEPLOY_RUNS {
        let version = format!("v0.1.{n}");
        let started = Instant::now();
        run(
            &ws,
            &envs,
            &[
                "app",
                "deploy",
                "wadm.yaml",
                "--skip-wait",
                "--version",
                &version,
            ],
        );
        support::wait_for(Duration::from_secs(60), || {
            matches!(support::http_get(&address, "/bench"), Ok((200, _))).then_some(())
        })
        .expect("no HTTP 200");
        to_first_200.push(started.elapsed());
        undeploy_and_wait();
    }

    // 50 applications deployed (each one component, the welcome-impl image).
    let image = format!("{}/bench/welcome-impl:0.1.0", registry.host());
    for n in 0..APPS {
        let file = scratch.path().join(format!("app{n}.yaml"));
        std::fs::write(
            &file,
            format!(
                "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: bench-{n}\n  annotations:\n    version: v1\nspec:\n  components:\n    - name: greeter\n      type: component\n      properties:\n        image: {image}\n      traits:\n        - type: spreadscaler\n          properties:\n            instances: 1\n"
            ),
        )
        .unwrap();
        let file = file.display().to_string();
        run(
            scratch.path(),
            &envs,
            &["app", "deploy", &file, "--skip-wait"],
        );
    }
    support::wait_for(Duration::from_secs(120), || {
        let list = run(scratch.path(), &envs, &["app", "list", "-o", "json"]);
        let apps = list.json()["applications"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let deployed = apps
            .iter()
            .filter(|a| a["detailed_status"]["status"]["type"] == "deployed")
            .count();
        (deployed >= APPS).then_some(())
    })
    .expect("the 50 applications did not all deploy");
    let list_times: Vec<Duration> = (0..LIST_RUNS)
        .map(|_| {
            support::measure(
                &["app", "list", "-p", &nats.port.to_string()],
                scratch.path(),
            )
            .wall
        })
        .collect();

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "app against wadm 0.21.1, a wasmCloud 1.9.2 host, nats-server 2.11.3 (whole processes):"
    );
    println!(
        "  deploy --skip-wait to first HTTP 200, median of {DEPLOY_RUNS}   {:>8.1} ms  (min {:.1}, max {:.1})",
        ms(median(to_first_200.clone())),
        ms(*to_first_200.iter().min().unwrap()),
        ms(*to_first_200.iter().max().unwrap()),
    );
    println!(
        "  app list, {APPS} deployed applications, median of {LIST_RUNS}  {:>8.1} ms",
        ms(median(list_times))
    );
    drop(host);
    drop(wadm);
}
