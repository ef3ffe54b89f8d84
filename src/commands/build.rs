//! `build`: build the selected actors with cargo, then validate and sign them.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::{claims::signing_keys, KeyDirArgs, PackageArgs};
use crate::output::Output;
use cargo_wasmcloud::build::{self, BuildEvent, Profile, ProjectKind, Workspace};
use cargo_wasmcloud::sign::keys::{Key, KeyDir, KeyKind};
use cargo_wasmcloud::sign::SignError;

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    select: PackageArgs,

    /// Build with the release profile (the default, as wash does)
    #[arg(long, conflicts_with_all = ["debug", "profile"])]
    release: bool,

    /// Build with the dev profile
    #[arg(long, conflicts_with = "profile")]
    debug: bool,

    /// Build with the given profile
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,

    /// Directory for all generated artifacts
    #[arg(long, value_name = "DIR")]
    target_dir: Option<PathBuf>,

    /// Require Cargo.lock to be up to date
    #[arg(long)]
    locked: bool,

    /// Run without accessing the network
    #[arg(long)]
    offline: bool,

    /// Require Cargo.lock and cache to be up to date
    #[arg(long)]
    frozen: bool,

    /// Build, validate and adapt, but do not sign
    #[arg(long)]
    build_only: bool,

    /// Fail instead of generating missing keys
    #[arg(long)]
    disable_keygen: bool,

    #[command(flatten)]
    dir: KeyDirArgs,
}

/// The issuer and subject keys of a project: from its `key-directory` setting (unless
/// `--keys-dir` is given), else `--keys-dir`, `WASH_KEYS` or `~/.wash/keys`.
pub fn project_keys(
    dir: &KeyDirArgs,
    generate: bool,
    out: &Output,
    project: &build::Project,
) -> Result<(Key, Key), SignError> {
    let keys = match &project.settings.key_directory {
        Some(own) if dir.keys_dir.is_none() => KeyDir::at(project.dir().join(own)),
        _ => dir.resolve()?,
    };
    // Components are subjects with module keys, providers with service keys.
    let subject_kind = match project.kind {
        ProjectKind::Provider => KeyKind::Service,
        _ => KeyKind::Module,
    };
    Ok(signing_keys(
        &keys,
        project.settings.issuer.as_deref(),
        project.settings.subject.as_deref(),
        &project.artifact,
        subject_kind,
        generate,
        out,
    )?)
}

pub fn run(args: BuildArgs, out: &Output) -> anyhow::Result<()> {
    let mut opts = args.select.options()?;
    opts.profile = match (&args.profile, args.debug) {
        (Some(name), _) => Profile::Named(name.clone()),
        (None, true) => Profile::Dev,
        (None, false) => Profile::Release,
    };
    opts.target_dir = args.target_dir.clone();
    opts.locked = args.locked;
    opts.offline = args.offline;
    opts.frozen = args.frozen;

    let ws = Workspace::load(&opts)?;
    let projects = ws.select(&opts)?;
    for project in &projects {
        if let Some(file) = &project.legacy_file {
            out.note(&format!(
                "{}: settings read from {}; `cargo wasmcloud migrate` moves them into Cargo.toml",
                project.package,
                file.display()
            ));
        }
    }
    if projects.is_empty() {
        return Err(build::BuildError::NothingToBuild.into());
    }
    // Generated WIT and glue first: the actors compile against them.
    super::generate_for_build(out, &opts, &ws, &projects)?;
    for project in projects.iter().filter(|p| p.kind == ProjectKind::Interface) {
        out.note(&format!(
            "{}: interface crate, no component to build",
            project.package
        ));
    }

    if args.build_only {
        anyhow::ensure!(
            !projects.iter().any(|p| p.kind == ProjectKind::Provider),
            "--build-only applies to actors; a provider archive is always signed"
        );
    }

    let generate = !args.disable_keygen;
    let mut keys_for = |project: &build::Project| project_keys(&args.dir, generate, out, project);
    let mut events = |event: BuildEvent<'_>| match event {
        BuildEvent::Cargo { packages, target } => out.detail(&format!(
            "cargo build --target {} for {}",
            target.unwrap_or("host"),
            packages.join(", ")
        )),
        BuildEvent::Signed(actor) => {
            let verb = match (actor.fresh, actor.kind) {
                (true, _) => "Fresh",
                (false, ProjectKind::Provider) => "Packed",
                (false, _) => "Signed",
            };
            let composed = actor
                .composition
                .as_ref()
                .map(|c| {
                    let plugs: Vec<&str> = c.inputs[1..].iter().map(|i| i.id.as_str()).collect();
                    format!(" (composed with {})", plugs.join(", "))
                })
                .unwrap_or_default();
            out.note(&format!(
                "{verb:>12} {} -> {}{composed}",
                actor.package,
                actor.path.display()
            ));
        }
    };
    let mut built = build::build_actors(
        &opts,
        &ws,
        &projects,
        !args.build_only,
        &mut keys_for,
        &mut events,
    )?;
    built.extend(build::build_providers(
        &opts,
        &ws,
        &projects,
        &mut keys_for,
        &mut events,
    )?);

    let text = built
        .iter()
        .map(|a| a.path.display().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    out.result(&text, json!({ "artifacts": built }))?;
    Ok(())
}
