//! `compose`: wire components into one. With a ROOT file, ad hoc (like `wac plug`, but
//! transitive); without, the selected actors' `[package.metadata.wasmcloud.compose]`, as
//! `build` does it.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::json;

use super::{report_build_event, KeyDirArgs, PackageArgs};
use crate::output::Output;
use cargo_wasmcloud::compose::{self, Input, Rules, Semver, Source, Wire};
use cargo_wasmcloud::fsutil;
use cargo_wasmcloud::pipeline::{BuildEvent, BuildOptions, CompositionReport, Pipeline, Profile};
use cargo_wasmcloud::project::compose_settings::{check_plug_id, WireSpec};
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

fn ad_hoc(root_path: &Path, args: &ComposeArgs, out: &Output) -> anyhow::Result<()> {
    let read =
        |path: &Path| std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
    let root = Input {
        id: plug_id_from_path(root_path),
        bytes: read(root_path)?,
    };
    let mut plugs = Vec::new();
    for spec in &args.plugs {
        let (id, path) = match spec.split_once('=') {
            Some((id, path)) => (id.to_string(), PathBuf::from(path)),
            None => (plug_id_from_path(Path::new(spec)), PathBuf::from(spec)),
        };
        check_plug_id(&id)?;
        anyhow::ensure!(
            !plugs.iter().any(|p: &Input| p.id == id) && id != root.id,
            "two components are named `{id}`; name them with ID=FILE"
        );
        plugs.push(Input {
            bytes: read(&path)?,
            id,
        });
    }
    let rules = ad_hoc_rules(args)?;
    let nodes: Vec<String> = std::iter::once(&root)
        .chain(&plugs)
        .map(|p| p.id.clone())
        .collect();
    if args.explain || args.emit_wac.is_some() {
        let plan = compose::explain(&root, &plugs, &rules)?;
        if let Some(file) = &args.emit_wac {
            write_file(
                file,
                compose::to_wac(&plan, &nodes, "cargo-wasmcloud:composition").as_bytes(),
            )?;
        }
        let json = json!({ "wires": plan.wires, "instances": instance_names(&plan, &nodes) });
        out.result(&explain_text(&plan.wires), json)?;
        return Ok(());
    }
    let (bytes, wires) = match &args.wac {
        Some(file) => {
            let source = std::fs::read_to_string(file)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            (compose::compose_wac(&source, &root, &plugs)?, Vec::new())
        }
        None => {
            let composed = compose::compose(&root, &plugs, &rules)?;
            (composed.bytes, composed.plan.wires)
        }
    };
    let destination = args.destination.clone().unwrap_or_else(|| {
        let stem = root_path.file_stem().unwrap_or_default().to_string_lossy();
        root_path.with_file_name(format!("{stem}_composed.wasm"))
    });
    write_file(&destination, &bytes)?;
    let text = format!(
        "{}Composed {} -> {} ({} bytes)",
        if args.wac.is_some() {
            String::new()
        } else {
            explain_text(&wires) + "\n"
        },
        nodes.join(" + "),
        destination.display(),
        bytes.len()
    );
    out.result(
        &text,
        json!({ "path": destination, "size": bytes.len(), "wires": wires, "inputs": nodes }),
    )?;
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
    pipeline.retain(|p| p.kind == ProjectKind::Actor && p.settings.compose.is_some());
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
            if let (Some(file), Some((plan, nodes))) = (&args.emit_wac, &report.plan) {
                write_file(
                    file,
                    compose::to_wac(plan, nodes, "cargo-wasmcloud:composition").as_bytes(),
                )?;
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

/// The ad hoc rules from the flags.
fn ad_hoc_rules(args: &ComposeArgs) -> anyhow::Result<Rules> {
    let mut rules = Rules::default();
    if !args.host.is_empty() {
        rules.host = args.host.clone();
    }
    rules.strict = !args.no_strict;
    if args.exact_versions {
        rules.semver = Semver::Exact;
    }
    for spec in &args.wire {
        let (key, target) = spec
            .rsplit_once('=')
            .ok_or_else(|| anyhow::anyhow!("--wire {spec}: expected IMPORT=PLUG or IMPORT=host"))?;
        rules.wire.push(compose::config::wire_rule(
            key,
            &WireSpec::Name(target.to_string()),
        ));
    }
    Ok(rules)
}

/// A plug id from a file name: `my_kv.wasm` → `my-kv`.
fn plug_id_from_path(path: &Path) -> String {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let mut id = String::new();
    for c in stem.chars() {
        match c {
            'a'..='z' | '0'..='9' => id.push(c),
            'A'..='Z' => id.push(c.to_ascii_lowercase()),
            _ if !id.is_empty() && !id.ends_with('-') => id.push('-'),
            _ => {}
        }
    }
    let id = id.trim_end_matches('-').to_string();
    if id.starts_with(|c: char| c.is_ascii_lowercase()) {
        id
    } else {
        format!("c-{id}")
    }
}

fn instance_names(plan: &compose::Plan, nodes: &[String]) -> Vec<String> {
    plan.instances.iter().map(|i| nodes[*i].clone()).collect()
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
        };
        text.push_str(&format!("  {:<width$}  <- {from}\n", wire.import));
    }
    text.trim_end().to_string()
}

fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    fsutil::write_atomic(path, fsutil::Mode::Public, |w| w.write_all(bytes))
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}
