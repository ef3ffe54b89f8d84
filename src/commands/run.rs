//! `run`: serve an actor's HTTP handler in this process (the embedded runtime), no NATS or
//! host needed.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use serde_json::json;

use super::{key_value_pairs, report_build_event, KeyDirArgs};
use crate::output::Output;
use cargo_wasmcloud::dev::{DevBuild, LocalSession};
use cargo_wasmcloud::pipeline::{BuildEvent, BuildOptions, Profile};
use cargo_wasmcloud::project::Selection;
use cargo_wasmcloud::runtime::{EventSink, Level, LogSink, ServeEvent};

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

    /// wasi:config value KEY=VALUE (repeatable; over the app table's `config`)
    #[arg(long = "config", value_name = "KEY=VALUE")]
    config: Vec<String>,

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
    let overrides = key_value_pairs(&args.config, "--config")?;
    let (path, name, mut config) = match &args.file {
        Some(file) => (file.clone(), file.display().to_string(), Default::default()),
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
            let mut dev = DevBuild::new(opts, "run")?;
            let config = dev.config()?;
            let path = dev.build_file(&mut |e| report_build_event(out, &cwd, e))?;
            (path, dev.project().package.clone(), config)
        }
    };
    config.extend(overrides);
    let session = LocalSession::start(&path, config, &args.http, log_sink(out), event_sink(out))?;
    let address = session.address;
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
    session.stop();
    out.status("Stopped", &name);
    Ok(())
}

/// Components' `wasi:logging` lines on stderr: info and above, debug and trace with `-v`.
pub fn log_sink(out: &Output) -> LogSink {
    let verbose = out.verbose > 0;
    Arc::new(move |level, context, message| {
        if matches!(level, Level::Trace | Level::Debug) && !verbose {
            return;
        }
        let context = if context.is_empty() {
            String::new()
        } else {
            format!(" {context}:")
        };
        eprintln!("[{:>8}]{context} {message}", level.name());
    })
}

/// Requests as they are answered (with `-v`), and every failed one as a warning.
pub fn event_sink(out: &Output) -> EventSink {
    let out = out.clone();
    Arc::new(move |event| match event {
        ServeEvent::Answered {
            method,
            path,
            status,
            micros,
        } if out.verbose > 0 => out.status(
            "Answered",
            &format!(
                "{method} {path} {status} ({:.1} ms)",
                micros as f64 / 1000.0
            ),
        ),
        ServeEvent::Failed { path, error } => {
            out.warn(&format!("{path}: the component failed (500): {error}"))
        }
        _ => {}
    })
}

/// A build event as `dev` shows it: the signing line would only repeat what it runs.
pub fn report_dev_build_event(out: &Output, cwd: &std::path::Path, event: BuildEvent<'_>) {
    match event {
        BuildEvent::Finished(_) => {}
        other => report_build_event(out, cwd, other),
    }
}
