//! `dev`: build an actor, run it on a host of the lattice (optionally behind the host's
//! builtin HTTP server), and on every change to its sources rebuild it and update it in
//! place. Ctrl-C stops what `dev` started.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Args;

use super::{CtlConnArgs, KeyDirArgs, PackageArgs};
use crate::output::Output;
use cargo_wasmcloud::build::{self, Profile, ProjectKind, Workspace};
use cargo_wasmcloud::dev::{DevSession, Watcher};

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
        [one] => anyhow::bail!(
            "`dev` runs actors, and `{}` is not one ({})",
            one.package,
            one.kind
        ),
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

    // The lattice first: a missing NATS is found before a build is spent on it.
    let lattice = args.conn.connect()?;
    let first = build_once(out)?;
    let mut session = DevSession::start(lattice, args.host_id.as_deref(), &component_id, &first)
        .map_err(|e| anyhow::anyhow!("starting the component: {e}"))?;
    out.note(&format!(
        "{:>12} {} on host {}",
        "Started", session.component_id, session.host_id
    ));
    if let Some(address) = &args.http_address {
        if let Err(e) = session.serve_http(address) {
            for warning in session.stop() {
                out.warn(&warning);
            }
            anyhow::bail!("the HTTP server: {e}");
        }
        out.note(&format!(
            "{:>12} http://{address}/ -> {}",
            "Serving", session.component_id
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
            Ok(reference) => match session.update(&reference) {
                Ok(_) => {
                    updates += 1;
                    out.note(&format!(
                        "{:>12} {} on host {}",
                        "Updated", session.component_id, session.host_id
                    ))
                }
                Err(e) => out.warn(&format!("updating the component failed: {e}")),
            },
            // A broken edit is normal while developing: say so and keep watching.
            Err(e) => out.warn(&format!("build failed: {e:#}")),
        }
    }
    for warning in session.stop() {
        out.warn(&warning);
    }
    out.note(&format!("{:>12} {}", "Stopped", session.component_id));
    out.result(
        &format!("{} update(s) of {}", updates, session.component_id),
        serde_json::json!({ "component_id": session.component_id, "host_id": session.host_id,
                            "builds": generation, "updates": updates }),
    )?;
    Ok(())
}
