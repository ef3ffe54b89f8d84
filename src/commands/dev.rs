//! `dev`: build an actor, run it on a host of the lattice (optionally behind the host's
//! builtin HTTP server), and on every change to its sources rebuild it and update it in
//! place. Ctrl-C stops what `dev` started.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Args;

use super::{report_build_event, CtlConnArgs, KeyDirArgs, PackageArgs};
use crate::output::Output;
use cargo_wasmcloud::dev::{DevBuild, DevSession, Watcher};
use cargo_wasmcloud::pipeline::{BuildEvent, BuildOptions, Profile};

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
    let selection = PackageArgs {
        packages: args.package.iter().cloned().collect(),
        workspace: false,
        manifest_path: args.manifest_path.clone(),
    }
    .selection()?;
    let cwd = selection.cwd.clone();
    let mut opts = BuildOptions::new(selection);
    if args.debug {
        opts.profile = Profile::Dev;
    }
    opts.keys = args.dir.policy(true);
    let mut dev = DevBuild::new(opts)?;
    let project = dev.project().clone();
    let component_id = args
        .component_id
        .clone()
        .unwrap_or_else(|| project.package.clone());
    let mut build_once = |out: &Output| -> anyhow::Result<String> {
        let mut events = |event: BuildEvent<'_>| match event {
            // `dev` says what it runs; the signing line would only repeat it.
            BuildEvent::Finished(_) => {}
            other => report_build_event(out, &cwd, other),
        };
        Ok(dev.build(&mut events)?)
    };

    // The lattice first: a missing NATS is found before a build is spent on it.
    let lattice = args.conn.connect()?;
    let first = build_once(out)?;
    let mut session = DevSession::start(lattice, args.host_id.as_deref(), &component_id, &first)
        .map_err(|e| anyhow::anyhow!("starting the component: {e}"))?;
    out.status(
        "Started",
        &format!("{} on host {}", session.component_id, session.host_id),
    );
    if let Some(address) = &args.http_address {
        if let Err(e) = session.serve_http(address) {
            for warning in session.stop() {
                out.warn(&warning);
            }
            anyhow::bail!("the HTTP server: {e}");
        }
        out.status(
            "Serving",
            &format!("http://{address}/ -> {}", session.component_id),
        );
    }

    let mut watcher = Watcher::new(vec![project.dir().to_path_buf()]);
    out.status(
        "Watching",
        &format!("{} for changes (Ctrl-C to stop)", project.dir().display()),
    );
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
        out.status("Changed", &shown.join(", "));
        match build_once(out) {
            Ok(reference) => match session.update(&reference) {
                Ok(_) => {
                    updates += 1;
                    out.status(
                        "Updated",
                        &format!("{} on host {}", session.component_id, session.host_id),
                    )
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
    out.status("Stopped", &session.component_id);
    out.result(
        &format!("{} update(s) of {}", updates, session.component_id),
        serde_json::json!({ "component_id": session.component_id, "host_id": session.host_id,
                            "builds": dev.generation, "updates": updates }),
    )?;
    Ok(())
}
