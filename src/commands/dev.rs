//! `dev`: build an actor, run it (on a host of the lattice, optionally behind the host's
//! builtin HTTP server, or in this process on the embedded runtime), and on every change to
//! its sources rebuild it and update it in place. Ctrl-C stops what `dev` started.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::{Args, ValueEnum};

use super::run::{event_sink, log_sink, report_dev_build_event};
use super::{key_value_pairs, CtlConnArgs, KeyDirArgs, PackageArgs};
use crate::output::Output;
use cargo_wasmcloud::ctl::Lattice;
use cargo_wasmcloud::dev::{self, DevBuild, DevSession, LocalSession, Place, Watcher};
use cargo_wasmcloud::pipeline::{BuildOptions, Profile};

/// Where `dev` runs the actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RuntimeChoice {
    /// A lattice if one was named (any --ctl-*/-x/--host-id option or its variable) or a
    /// wasmCloud host answers at the default address; the embedded runtime otherwise
    Auto,
    /// In this process, on the embedded runtime (no NATS or host needed)
    Embedded,
    /// On a host of the lattice
    Lattice,
}

/// Where the embedded runtime serves when no --http-address is given.
const EMBEDDED_ADDRESS: &str = "127.0.0.1:8000";

#[derive(Debug, Args)]
#[command(
    after_help = "Where it runs (--runtime auto): on the lattice when one is named (any \
    connection option: --ctl-host, --ctl-port, --ctl-credsfile, --ctl-seed, --ctl-jwt, -x, or \
    their WASMCLOUD_* variables, or --host-id) or when a wasmCloud host answers on NATS at \
    127.0.0.1:4222; otherwise in this process on the embedded runtime, serving HTTP at \
    --http-address [default there: 127.0.0.1:8000]. `dev` says which it chose and why."
)]
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

    /// Where to run it (see below)
    #[arg(long, value_enum, default_value = "auto")]
    runtime: RuntimeChoice,

    /// wasi:config value KEY=VALUE on the embedded runtime (repeatable; over the app
    /// table's `config`)
    #[arg(long = "config", value_name = "KEY=VALUE")]
    config: Vec<String>,

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
    let overrides = key_value_pairs(&args.config, "--config")?;
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
    let mut dev = DevBuild::new(opts, "dev")?;

    // Where it runs is settled first: a named lattice that is missing is found before a
    // build is spent on it.
    let forced = match args.runtime {
        RuntimeChoice::Auto => None,
        RuntimeChoice::Embedded => Some(Place::Embedded),
        RuntimeChoice::Lattice => Some(Place::Lattice),
    };
    let choice = dev::choose(forced, &args.conn.options(), lattice_named(&args))?;
    out.note(&format!(
        "Running on {} ({})",
        match choice.place {
            Place::Embedded => "the embedded runtime",
            Place::Lattice => "the lattice",
        },
        choice.reason
    ));
    match choice.lattice {
        Some(lattice) => on_lattice(&args, out, &cwd, &mut dev, lattice, &stop),
        None => embedded(&args, out, &cwd, &mut dev, overrides, &stop),
    }
}

/// Whether any option naming a lattice was given (its value differs from the default).
fn lattice_named(args: &DevArgs) -> bool {
    let c = &args.conn;
    c.ctl_host != "127.0.0.1"
        || c.ctl_port != 4222
        || c.lattice != "default"
        || c.ctl_jwt.is_some()
        || c.ctl_seed.is_some()
        || c.ctl_credsfile.is_some()
        || args.host_id.is_some()
}

/// Watches the crate in `dir` until Ctrl-C; after each change, `update` rebuilds and swaps
/// (its `Ok` is shown as `Updated`, its `Err` as a warning). Returns the updates made.
fn watch_and_update(
    out: &Output,
    dir: &std::path::Path,
    stop: &AtomicBool,
    mut update: impl FnMut() -> Result<String, String>,
) -> u32 {
    let mut watcher = Watcher::new(vec![dir.to_path_buf()]);
    out.status(
        "Watching",
        &format!("{} for changes (Ctrl-C to stop)", dir.display()),
    );
    let mut updates = 0;
    while let Some(changed) = watcher.wait(stop) {
        report_change(out, dir, &changed);
        match update() {
            Ok(what) => {
                updates += 1;
                out.status("Updated", &what);
            }
            Err(why) => out.warn(&why),
        }
    }
    updates
}

/// Shows the changed files relative to the project.
fn report_change(out: &Output, dir: &std::path::Path, changed: &[std::path::PathBuf]) {
    let shown: Vec<String> = changed
        .iter()
        .map(|p| p.strip_prefix(dir).unwrap_or(p).display().to_string())
        .collect();
    out.status("Changed", &shown.join(", "));
}

fn embedded(
    args: &DevArgs,
    out: &Output,
    cwd: &std::path::Path,
    dev: &mut DevBuild,
    overrides: Vec<(String, String)>,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    let project = dev.project().clone();
    // Read once: the config is the app table's as `dev` started (and the --config flags).
    let mut config = dev.config()?;
    config.extend(overrides);
    let first = dev.build_file(&mut |e| report_dev_build_event(out, cwd, e))?;
    let address = args.http_address.as_deref().unwrap_or(EMBEDDED_ADDRESS);
    let session = LocalSession::start(
        &first,
        config.clone(),
        address,
        log_sink(out),
        event_sink(out),
    )?;
    out.status(
        "Serving",
        &format!("{} on http://{}", project.package, session.address),
    );
    out.stream_item(
        "",
        serde_json::json!({ "serving": project.package, "address": session.address.to_string() }),
    );
    let updates = watch_and_update(out, project.dir(), stop, || {
        dev.build_file(&mut |e| report_dev_build_event(out, cwd, e))
            .and_then(|built| session.update(&built, config.clone()))
            .map(|()| format!("{} (serving the new build)", project.package))
            // A broken edit is normal while developing: the old build keeps serving.
            .map_err(|e| format!("{e:#}; still serving the previous build"))
    });
    session.stop();
    out.status("Stopped", &project.package);
    out.result(
        &format!("{updates} update(s) of {}", project.package),
        serde_json::json!({ "component_id": project.package, "runtime": "embedded",
                            "builds": dev.generation, "updates": updates }),
    )?;
    Ok(())
}

fn on_lattice(
    args: &DevArgs,
    out: &Output,
    cwd: &std::path::Path,
    dev: &mut DevBuild,
    lattice: Lattice,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    let project = dev.project().clone();
    let component_id = args
        .component_id
        .clone()
        .unwrap_or_else(|| project.package.clone());
    let first = dev.build(&mut |e| report_dev_build_event(out, cwd, e))?;
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

    let updates = watch_and_update(out, project.dir(), stop, || {
        // A broken edit is normal while developing: say so and keep watching.
        let reference = dev
            .build(&mut |e| report_dev_build_event(out, cwd, e))
            .map_err(|e| format!("build failed: {e:#}"))?;
        session
            .update(&reference)
            .map(|_| format!("{} on host {}", session.component_id, session.host_id))
            .map_err(|e| format!("updating the component failed: {e}"))
    });
    for warning in session.stop() {
        out.warn(&warning);
    }
    out.status("Stopped", &session.component_id);
    out.result(
        &format!("{} update(s) of {}", updates, session.component_id),
        serde_json::json!({ "component_id": session.component_id, "host_id": session.host_id,
                            "runtime": "lattice", "builds": dev.generation, "updates": updates }),
    )?;
    Ok(())
}
