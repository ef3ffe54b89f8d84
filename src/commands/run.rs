//! `run`: serve an actor's HTTP handler in this process (the embedded runtime), no NATS or
//! host needed.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use serde_json::json;

use super::{report_build_event, KeyDirArgs};
use crate::output::Output;
use cargo_wasmcloud::pipeline::{self, BuildOptions, Profile};
use cargo_wasmcloud::project::{ProjectKind, Selection};
use cargo_wasmcloud::runtime::{serve, Runtime, ServeEvent, Slot};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// A component to serve [default: build the actor of the current package, or -p]
    file: Option<PathBuf>,

    /// The actor package to build and serve
    #[arg(
        short = 'p',
        long = "package",
        value_name = "SPEC",
        conflicts_with = "file"
    )]
    package: Option<String>,

    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH", conflicts_with = "file")]
    manifest_path: Option<PathBuf>,

    /// Address to serve HTTP on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8000")]
    http: String,

    /// Build with the dev profile [default: release]
    #[arg(long)]
    debug: bool,

    /// Directory for all generated artifacts
    #[arg(long, value_name = "DIR")]
    target_dir: Option<PathBuf>,

    #[command(flatten)]
    dir: KeyDirArgs,
}

pub fn run(args: RunArgs, out: &Output) -> anyhow::Result<()> {
    let (path, name) = match &args.file {
        Some(file) => (file.clone(), file.display().to_string()),
        None => {
            let mut selection = Selection::new(std::env::current_dir()?);
            selection.manifest_path = args.manifest_path.clone();
            selection.packages = args.package.iter().cloned().collect();
            selection.target_dir = args.target_dir.clone();
            let cwd = selection.cwd.clone();
            let opts = BuildOptions {
                selection,
                profile: if args.debug {
                    Profile::Dev
                } else {
                    Profile::Release
                },
                sign: true,
                keys: args.dir.policy(true),
            };
            let built = pipeline::build(opts, &mut |e| report_build_event(out, &cwd, e))?;
            let actors: Vec<_> = built
                .into_iter()
                .filter(|b| b.kind == ProjectKind::Actor)
                .collect();
            anyhow::ensure!(
                actors.len() == 1,
                "`run` serves one actor: {} selected (choose one with -p)",
                actors.len()
            );
            (actors[0].path.clone(), actors[0].package.clone())
        }
    };
    let bytes = std::fs::read(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let runtime = Runtime::new()?;
    let prepared = runtime
        .prepare(&bytes)
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let verbose = out.verbose > 0;
    let events_out = out.clone();
    let served = serve(
        Slot::new(prepared),
        &args.http,
        Arc::new(move |event| match event {
            ServeEvent::Answered {
                method,
                path,
                status,
                micros,
            } if verbose => events_out.status(
                "Answered",
                &format!(
                    "{method} {path} {status} ({:.1} ms)",
                    micros as f64 / 1000.0
                ),
            ),
            ServeEvent::Failed { path, error } => {
                events_out.warn(&format!("{path}: the component failed (500): {error}"))
            }
            _ => {}
        }),
    )?;
    let address = served.address;
    out.status(
        "Serving",
        &format!("{name} on http://{address} (Ctrl-C stops)"),
    );
    out.stream_item(
        "",
        json!({ "serving": name, "address": address.to_string() }),
    );
    let (stop, stopped) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop.send(());
    })?;
    let _ = stopped.recv();
    served.stop();
    out.status("Stopped", &name);
    Ok(())
}
