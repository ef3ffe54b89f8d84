//! `compose`: wire components into one. With a ROOT file, ad hoc (like `wac plug`, but
//! transitive); without, the selected actors' `[package.metadata.wasmcloud.compose]`, as
//! `build` does it.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::json;

use super::{report_build_event, KeyDirArgs, PackageArgs};
use crate::output::Output;
use cargo_wasmcloud::compose::files::FileComposition;
use cargo_wasmcloud::compose::{Source, Wire};
use cargo_wasmcloud::pipeline::{BuildEvent, BuildOptions, CompositionReport, Pipeline, Profile};
use cargo_wasmcloud::project::ProjectKind;

#[derive(Debug, Args)]
pub struct ComposeArgs {
    /// The component whose imports to fill; without it, the actors of the workspace that
    /// declare [package.metadata.wasmcloud.compose] are built and composed
    #[arg(value_name = "ROOT.wasm")]
    root: Option<PathBuf>,

    /// A component to plug in, as FILE or ID=FILE (repeatable)
    #[arg(long = "plug", value_name = "[ID=]FILE", requires = "root")]
    plugs: Vec<String>,

    /// Where to write the composed component [default: ROOT_composed.wasm]
    #[arg(short = 'd', long, value_name = "FILE", requires = "root")]
    destination: Option<PathBuf>,

    /// Print the wiring (import → provider, per instance) and write nothing
    #[arg(long)]
    explain: bool,

    /// Write the wiring as an equivalent .wac document (and compose nothing)
    #[arg(long, value_name = "FILE")]
    emit_wac: Option<PathBuf>,

    /// Run this .wac document instead of wiring automatically (with ROOT)
    #[arg(long, value_name = "FILE", requires = "root", conflicts_with_all = ["explain", "emit_wac"])]
    wac: Option<PathBuf>,

    /// Choose a provider: IMPORT=PLUG, IMPORT=host, or CONSUMER::IMPORT=PLUG (with ROOT)
    #[arg(long, value_name = "IMPORT=PLUG", requires = "root")]
    wire: Vec<String>,

    /// Import patterns left to the host [default: wasi:* and wasmcloud:*] (with ROOT)
    #[arg(long = "host", value_name = "PATTERN", requires = "root")]
    host: Vec<String>,

    /// Leave imports nobody provides as imports instead of failing (with ROOT)
    #[arg(long, requires = "root")]
    no_strict: bool,

    /// Accept only exactly equal versions (with ROOT)
    #[arg(long, requires = "root")]
    exact_versions: bool,

    #[command(flatten)]
    select: PackageArgs,

    /// Build with the dev profile (workspace mode)
    #[arg(long)]
    debug: bool,

    #[command(flatten)]
    dir: KeyDirArgs,
}

pub fn run(args: ComposeArgs, out: &Output) -> anyhow::Result<()> {
    match &args.root {
        Some(root) => ad_hoc(root, &args, out),
        None => workspace(&args, out),
    }
}

fn ad_hoc(root: &Path, args: &ComposeArgs, out: &Output) -> anyhow::Result<()> {
    let files = FileComposition {
        root: root.to_path_buf(),
        plugs: args.plugs.clone(),
        wire: args.wire.clone(),
        host: args.host.clone(),
        strict: !args.no_strict,
        exact_versions: args.exact_versions,
        wac: args.wac.clone(),
        destination: args.destination.clone(),
    };
    if args.explain || args.emit_wac.is_some() {
        let planned = files.explain(args.emit_wac.as_deref())?;
        out.result(&explain_text(&planned.wires), &planned)?;
        return Ok(());
    }
    let composed = files.compose()?;
    let text = format!(
        "{}Composed {} -> {} ({} bytes)",
        if args.wac.is_some() {
            String::new()
        } else {
            explain_text(&composed.wires) + "\n"
        },
        composed.inputs.join(" + "),
        composed.path.display(),
        composed.size
    );
    out.result(&text, &composed)?;
    Ok(())
}

fn workspace(args: &ComposeArgs, out: &Output) -> anyhow::Result<()> {
    let mut opts = BuildOptions::new(args.select.selection()?);
    if args.debug {
        opts.profile = Profile::Dev;
    }
    opts.keys = args.dir.policy(true);
    let cwd = opts.selection.cwd.clone();
    let mut pipeline = Pipeline::load(opts)?;
    // Virtualization is a composition too (the actor and what answers its imports).
    pipeline.retain(|p| {
        p.kind == ProjectKind::Actor && (p.settings.compose.is_some() || p.settings.virt.is_some())
    });
    anyhow::ensure!(
        !pipeline.projects.is_empty(),
        "nothing to compose: no selected actor has [package.metadata.wasmcloud.compose] \
         (or give ROOT.wasm and --plug files)"
    );
    anyhow::ensure!(
        args.emit_wac.is_none() || pipeline.projects.len() == 1,
        "--emit-wac writes one document: choose one actor with -p"
    );
    let mut events = |event: BuildEvent<'_>| match event {
        BuildEvent::Finished(actor) => out.status(
            "Composed",
            &format!("{} -> {}", actor.package, actor.path.display()),
        ),
        other => report_build_event(out, &cwd, other),
    };
    let mut text = Vec::new();
    if args.explain || args.emit_wac.is_some() {
        let explained = pipeline.explain(&mut events)?;
        for actor in &explained {
            let report = &actor.composition;
            if let Some(file) = &args.emit_wac {
                report.write_wac(file)?;
            }
            text.push(wiring_text(&actor.package, report));
        }
        out.result(&text.join("\n"), json!({ "artifacts": explained }))?;
        return Ok(());
    }
    let built = pipeline.build(&mut events)?;
    for actor in &built {
        if let Some(report) = &actor.composition {
            text.push(wiring_text(&actor.package, report));
            text.push(actor.path.display().to_string());
        }
    }
    out.result(&text.join("\n"), json!({ "artifacts": built }))?;
    Ok(())
}

fn wiring_text(package: &str, report: &CompositionReport) -> String {
    match &report.wac {
        Some(wac) => format!("{package}: wired by {}", wac.display()),
        None => format!("{package}:\n{}", explain_text(&report.wires)),
    }
}

/// The wiring as a table, grouped by the importing instance.
fn explain_text(wires: &[Wire]) -> String {
    let width = wires.iter().map(|w| w.import.len()).max().unwrap_or(0);
    let mut text = String::new();
    let mut consumer = None;
    for wire in wires {
        if consumer != Some(&wire.consumer) {
            text.push_str(&format!("{}\n", wire.consumer));
            consumer = Some(&wire.consumer);
        }
        let from = match &wire.source {
            Source::Plug { plug, export } if *export == wire.import => plug.clone(),
            Source::Plug { plug, export } => format!("{plug} ({export})"),
            Source::Host => "host".into(),
            Source::Open => "left open".into(),
            Source::Virtualized => {
                "virtualized (baked in by [package.metadata.wasmcloud.virt])".into()
            }
        };
        text.push_str(&format!("  {:<width$}  <- {from}\n", wire.import));
    }
    text.trim_end().to_string()
}
