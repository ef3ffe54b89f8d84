//! `dev`: build an actor, run it on a host of the lattice (optionally behind the host's
//! builtin HTTP server), and on every change to its sources rebuild it and update it in
//! place. Ctrl-C stops what `dev` started.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::{CtlConnArgs, KeyDirArgs, PackageArgs};
use crate::output::Output;
use cargo_wasmcloud::build::{self, Profile, ProjectKind, Workspace};
use cargo_wasmcloud::ctl::{Lattice, Link, ScaleRequest};
use cargo_wasmcloud::dev::Watcher;

/// The builtin HTTP server's reference on wasmCloud 1.x hosts.
const HTTP_SERVER_REF: &str = "wasmcloud+builtin://http-server";
/// The id `dev` gives it (as the walkthrough does).
const HTTP_SERVER_ID: &str = "http-server";

#[derive(Debug, Args)]
pub struct DevArgs {
    /// The actor to run, in a workspace [default: the package of the current directory].
    /// (`-p` is the NATS port here, as in `ctl`.)
    #[arg(long, value_name = "SPEC")]
    package: Option<String>,

    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,

    #[command(flatten)]
    conn: CtlConnArgs,

    /// Run on this host [default: an auction picks one]
    #[arg(long)]
    host_id: Option<String>,

    /// The component's id on the lattice [default: the package name]
    #[arg(long)]
    component_id: Option<String>,

    /// Serve the component over HTTP at this address (the host's builtin HTTP server,
    /// linked on wasi:http/incoming-handler)
    #[arg(long, value_name = "ADDR")]
    http_address: Option<String>,

    /// Build with the dev profile
    #[arg(long)]
    debug: bool,

    #[command(flatten)]
    dir: KeyDirArgs,
}

/// What `dev` started, to undo on the way out.
struct Running {
    lattice: Lattice,
    host_id: String,
    component_id: String,
    /// The HTTP server's config and whether `dev` started the server.
    http: Option<(String, bool)>,
}

pub fn run(args: DevArgs, out: &Output) -> anyhow::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst))
            .map_err(|e| anyhow::anyhow!("cannot catch Ctrl-C: {e}"))?;
    }
    let mut opts = PackageArgs {
        packages: args.package.iter().cloned().collect(),
        workspace: false,
        manifest_path: args.manifest_path.clone(),
    }
    .options()?;
    if args.debug {
        opts.profile = Profile::Dev;
    }
    let ws = Workspace::load(&opts)?;
    let project = match ws.select(&opts)?.as_slice() {
        [one] if one.kind == ProjectKind::Actor => one.clone(),
        [one] => anyhow::bail!("`dev` runs actors; `{}` is a {}", one.package, one.kind),
        [] => anyhow::bail!("no actor here: run `dev` in an actor's directory or give --package"),
        _ => anyhow::bail!("`dev` runs one actor: choose it with --package"),
    };
    let component_id = args
        .component_id
        .clone()
        .unwrap_or_else(|| project.package.clone());
    let dev_dir = ws.target_dir.join("wasmcloud/dev");
    std::fs::create_dir_all(&dev_dir)?;

    // Each build is copied to a new file, so every update names a new image.
    let mut generation = 0u32;
    let mut build_once = |out: &Output| -> anyhow::Result<String> {
        super::generate_for_build(out, &opts, &ws, std::slice::from_ref(&project))?;
        let mut keys = |p: &build::Project| super::build::project_keys(&args.dir, true, out, p);
        let built = build::build_actors(
            &opts,
            &ws,
            std::slice::from_ref(&project),
            true,
            &mut keys,
            &mut |_| {},
        )?;
        let signed = &built[0].path;
        generation += 1;
        let copy = dev_dir.join(format!("{}-{generation}.wasm", project.artifact));
        let bytes = std::fs::read(signed)?;
        cargo_wasmcloud::fsutil::write_atomic(&copy, cargo_wasmcloud::fsutil::Mode::Public, |w| {
            w.write_all(&bytes)
        })?;
        Ok(format!("file://{}", copy.canonicalize()?.display()))
    };

    let first = build_once(out)?;
    let lattice = args.conn.connect()?;
    let host_id = match &args.host_id {
        Some(host) => host.clone(),
        None => lattice
            .auction(
                "component",
                serde_json::json!({ "component_ref": first, "component_id": component_id, "constraints": {} }),
            )?
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("no host can run the component (is a host running in lattice `{}`?)", args.conn.lattice))?,
    };
    lattice.scale_component(
        &ScaleRequest {
            host_id: host_id.clone(),
            component_ref: first.clone(),
            component_id: component_id.clone(),
            count: 1,
            ..Default::default()
        },
        Some(Duration::from_secs(30)),
    )?;
    out.note(&format!(
        "{:>12} {component_id} on host {host_id}",
        "Started"
    ));
    let mut running = Running {
        lattice,
        host_id,
        component_id,
        http: None,
    };
    if let Some(address) = &args.http_address {
        if let Err(e) = serve_http(&mut running, address) {
            stop_all(&running, out);
            return Err(e.context("the HTTP server"));
        }
        out.note(&format!(
            "{:>12} http://{address}/ -> {}",
            "Serving", running.component_id
        ));
    }

    let mut watcher = Watcher::new(vec![project.dir().to_path_buf()]);
    out.note(&format!(
        "{:>12} {} for changes (Ctrl-C to stop)",
        "Watching",
        project.dir().display()
    ));
    let mut updates = 0u32;
    while let Some(changed) = watcher.wait(&stop) {
        let shown: Vec<String> = changed
            .iter()
            .map(|p| {
                p.strip_prefix(project.dir())
                    .unwrap_or(p)
                    .display()
                    .to_string()
            })
            .collect();
        out.note(&format!("{:>12} {}", "Changed", shown.join(", ")));
        match build_once(out) {
            Ok(reference) => match running.lattice.update_component(
                &running.host_id,
                &running.component_id,
                &reference,
            ) {
                Ok(_) => {
                    updates += 1;
                    out.note(&format!(
                        "{:>12} {} on host {}",
                        "Updated", running.component_id, running.host_id
                    ))
                }
                Err(e) => out.warn(&format!("updating the component failed: {e}")),
            },
            // A broken edit is normal while developing: say so and keep watching.
            Err(e) => out.warn(&format!("build failed: {e:#}")),
        }
    }
    stop_all(&running, out);
    out.result(
        &format!("{} update(s) of {}", updates, running.component_id),
        serde_json::json!({ "component_id": running.component_id, "host_id": running.host_id,
                            "builds": generation, "updates": updates }),
    )?;
    Ok(())
}

/// Starts the builtin HTTP server (if it is not running yet) and links it to the component.
fn serve_http(running: &mut Running, address: &str) -> anyhow::Result<()> {
    let provider_id = HTTP_SERVER_ID.to_string();
    let config_name = format!("{}-http", running.component_id);
    let lattice = &running.lattice;
    let start = lattice.hosts_running(&provider_id, true)?.is_empty();
    // Until the link is in place, cleaning up means stopping a server started here.
    running.http = Some((config_name.clone(), start));
    if start {
        lattice.start_provider(
            &running.host_id,
            HTTP_SERVER_REF,
            &provider_id,
            &[],
            Some(Duration::from_secs(30)),
        )?;
    }
    lattice.put_config(
        &config_name,
        &[("address".to_string(), address.to_string())]
            .into_iter()
            .collect(),
    )?;
    let link = Link {
        source_id: provider_id.clone(),
        target: running.component_id.clone(),
        // Named after the component: the server may serve other components too.
        name: running.component_id.clone(),
        wit_namespace: "wasi".into(),
        wit_package: "http".into(),
        interfaces: vec!["incoming-handler".into()],
        source_config: vec![config_name.clone()],
        target_config: Vec::new(),
    };
    lattice.check_http_link_address(&link)?;
    lattice.put_link(&link)?;
    Ok(())
}

/// Undoes what `dev` started; failures are reported, not fatal.
fn stop_all(running: &Running, out: &Output) {
    let lattice = &running.lattice;
    if let Some((config_name, started_server)) = &running.http {
        let _ = lattice.delete_link(HTTP_SERVER_ID, &running.component_id, "wasi", "http");
        let _ = lattice.delete_config(config_name);
        if *started_server {
            if let Err(e) = lattice.stop_provider(
                &running.host_id,
                HTTP_SERVER_ID,
                Some(Duration::from_secs(10)),
            ) {
                out.warn(&format!("stopping the HTTP server: {e}"));
            }
        }
    }
    let request = ScaleRequest {
        host_id: running.host_id.clone(),
        component_ref: String::new(),
        component_id: running.component_id.clone(),
        count: 0,
        ..Default::default()
    };
    match lattice.scale_component(&request, Some(Duration::from_secs(10))) {
        Ok(_) => out.note(&format!("{:>12} {}", "Stopped", running.component_id)),
        Err(e) => out.warn(&format!("stopping {}: {e}", running.component_id)),
    }
}
