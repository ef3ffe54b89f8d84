//! Which generated files a set of projects has, and bringing them up to date: the WIT of each
//! interface crate (`wit/<package>.wit`) and the glue of each actor that implements or uses
//! one (`src/wasmcloud_glue.rs`). Files are rewritten only when their text changes, so cargo
//! sees no change (and rebuilds nothing) when the traits did not change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::glue::{self, GlueInput, Role, GLUE_MODULE};
use super::{generate, CrateInfo, Generated, WitgenError};
use crate::fsutil;
use crate::project::{Project, ProjectError, ProjectKind, Workspace};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Witgen(#[from] WitgenError),
    #[error(transparent)]
    Model(#[from] ProjectError),
    #[error("package `{package}`: {reason}")]
    Project { package: String, reason: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Write the files, or only compare them (`--check`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
}

/// What became of one generated file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileState {
    pub path: PathBuf,
    /// The package it belongs to.
    pub package: String,
    /// `wit` or `glue`.
    pub kind: &'static str,
    /// Its text differed from what is generated now (written in `Write` mode).
    pub changed: bool,
}

/// Brings the generated files of `selected` up to date (or checks them). `members` are the
/// workspace's projects, where interface crates are looked up before reading one from disk.
pub fn sync(
    cargo: &Path,
    display_root: &Path,
    selected: &[Project],
    members: &[Project],
    mode: Mode,
) -> Result<Vec<FileState>, SyncError> {
    let mut cache: BTreeMap<PathBuf, (Project, Generated)> = BTreeMap::new();
    let mut states = Vec::new();
    let mut wit_done = std::collections::BTreeSet::new();
    for project in selected {
        match project.kind {
            ProjectKind::Interface => {
                let (iface, generated) =
                    interface(cargo, display_root, project.dir(), members, &mut cache)?;
                if wit_done.insert(iface.dir().to_path_buf()) {
                    states.push(write_wit(&iface, &generated, mode)?);
                }
            }
            ProjectKind::Actor | ProjectKind::Provider => {
                if project.settings.implements.is_empty() && project.settings.uses.is_empty() {
                    continue;
                }
                let inputs = interface_inputs(cargo, display_root, project, members, &mut cache)?;
                for (iface, generated, _, _) in &inputs {
                    if wit_done.insert(iface.dir().to_path_buf()) {
                        states.push(write_wit(iface, generated, mode)?);
                    }
                }
                let glue_inputs: Vec<GlueInput> = inputs
                    .iter()
                    .map(|(_, g, ident, role)| GlueInput {
                        pkg: &g.package,
                        wit: &g.wit,
                        crate_ident: ident,
                        role: *role,
                    })
                    .collect();
                let text = if project.kind == ProjectKind::Provider {
                    provider_glue_text(project, &glue_inputs)?
                } else {
                    glue::glue_file(&glue_inputs)
                };
                let src_dir = project
                    .lib_path
                    .as_ref()
                    .and_then(|p| p.parent())
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| project.dir().join("src"));
                let path = src_dir.join(format!("{GLUE_MODULE}.rs"));
                let changed = put(&path, &text, mode)?;
                states.push(FileState {
                    path,
                    package: project.package.clone(),
                    kind: "glue",
                    changed,
                });
            }
        }
    }
    Ok(states)
}

/// The interface crates a project `implements` and `uses`, each generated, with the name the
/// project knows it by and the role.
fn interface_inputs(
    cargo: &Path,
    display_root: &Path,
    project: &Project,
    members: &[Project],
    cache: &mut BTreeMap<PathBuf, (Project, Generated)>,
) -> Result<Vec<(Project, Generated, String, Role)>, SyncError> {
    let refuse = |reason: String| SyncError::Project {
        package: project.package.clone(),
        reason,
    };
    let roles = project
        .settings
        .implements
        .iter()
        .map(|n| (n, Role::Implements))
        .chain(project.settings.uses.iter().map(|n| (n, Role::Uses)));
    let mut inputs: Vec<(Project, Generated, String, Role)> = Vec::new();
    for (name, role) in roles {
        let dep = project.path_dependency(name).ok_or_else(|| {
            refuse(format!(
                "`{name}` (in `{}`) is not a path dependency: add it to [dependencies] with \
                 `path = ...`",
                match role {
                    Role::Implements => "implements",
                    Role::Uses => "uses",
                }
            ))
        })?;
        if inputs
            .iter()
            .any(|(_, _, ident, _)| *ident == dep.crate_ident)
        {
            return Err(refuse(format!(
                "`{}` is listed twice in `implements`/`uses`; a crate implements or uses an \
                 interface crate, not both",
                dep.crate_ident
            )));
        }
        let (iface, generated) = interface(cargo, display_root, &dep.dir, members, cache)?;
        inputs.push((iface, generated, dep.crate_ident.clone(), role));
    }
    Ok(inputs)
}

/// A provider's glue: it implements at most one interface crate (a provider serves one
/// generated world), and does implement its traits (checked here: a missing impl would
/// otherwise be a page of rustc errors inside the generated file).
fn provider_glue_text(project: &Project, inputs: &[GlueInput]) -> Result<String, SyncError> {
    let refuse = |reason: String| SyncError::Project {
        package: project.package.clone(),
        reason,
    };
    let implemented: Vec<&GlueInput> = inputs
        .iter()
        .filter(|i| i.role == Role::Implements)
        .collect();
    if implemented.len() > 1 {
        return Err(refuse(
            "a provider implements one interface crate (put the traits it serves in one crate)"
                .into(),
        ));
    }
    let text = glue::provider_glue_file(inputs).map_err(|e| refuse(e.to_string()))?;
    for (krate, line, why) in PROVIDER_LINES {
        check_line(project, krate, *line, why).map_err(refuse)?;
    }
    if let Some(input) = implemented.first() {
        let missing = super::impls::missing_impls(project, input.pkg);
        if !missing.is_empty() {
            return Err(refuse(format!(
                "implements `{}` but has no `impl {}` for a type in src/: write one (the \
                 generated `serve` hands each call to it)",
                input.crate_ident,
                missing
                    .iter()
                    .map(|t| format!("{}::{t}", input.crate_ident))
                    .collect::<Vec<_>>()
                    .join("`, `impl ")
            )));
        }
    }
    Ok(text)
}

/// The crate lines provider glue is written for: `(crate, major.minor, why)`. The SDK 0.17
/// speaks wrpc-transport 0.28, and wit-bindgen-wrpc 0.11+ generate code for a later one
/// (it fails on trait bounds, deep in the generated file).
const PROVIDER_LINES: &[(&str, (u64, u64), &str)] = &[
    (
        "wit-bindgen-wrpc",
        (0, 10),
        "the line that speaks wasmcloud-provider-sdk 0.17's wrpc-transport 0.28",
    ),
    (
        "wasmcloud-provider-sdk",
        (0, 17),
        "wasmCloud 1.9's provider SDK, which the glue is written against",
    ),
];

/// The project's requirement on `krate` admits the `line` (some `major.minor.*`) and no
/// later line.
fn check_line(project: &Project, krate: &str, line: (u64, u64), why: &str) -> Result<(), String> {
    use cargo_metadata::semver::Version;
    let want = format!("{krate} = \"{}.{}\"", line.0, line.1);
    let Some(req) = project.registry_requirements.get(krate) else {
        return Err(format!(
            "provider glue needs `{want}` in [dependencies] ({why})"
        ));
    };
    let admits_line = [0, 999]
        .iter()
        .any(|patch| req.matches(&Version::new(line.0, line.1, *patch)));
    let later = if line.0 == 0 {
        Version::new(0, line.1 + 1, 0)
    } else {
        Version::new(line.0 + 1, 0, 0)
    };
    if !admits_line || req.matches(&later) {
        return Err(format!(
            "`{krate} = \"{req}\"` does not work with the generated glue: use `{want}` ({why})"
        ));
    }
    Ok(())
}

/// The interface crate in `dir`, generated once per run.
fn interface(
    cargo: &Path,
    display_root: &Path,
    dir: &Path,
    members: &[Project],
    cache: &mut BTreeMap<PathBuf, (Project, Generated)>,
) -> Result<(Project, Generated), SyncError> {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if let Some(found) = cache.get(&dir) {
        return Ok(found.clone());
    }
    let project = match members.iter().find(|p| p.is_in(&dir)) {
        Some(p) => p.clone(),
        None => Workspace::load_crate(cargo, &dir)?.ok_or_else(|| SyncError::Project {
            package: dir.display().to_string(),
            reason: "not a crate wasmCloud knows (set kind = \"interface\")".into(),
        })?,
    };
    let generated = generate_interface(&project, display_root)?;
    cache.insert(dir, (project.clone(), generated.clone()));
    Ok((project, generated))
}

/// Generates the WIT of an interface crate's project.
pub fn generate_interface(project: &Project, display_root: &Path) -> Result<Generated, SyncError> {
    if project.kind != ProjectKind::Interface {
        return Err(SyncError::Project {
            package: project.package.clone(),
            reason: "not an interface crate: set `kind = \"interface\"` in \
                     [package.metadata.wasmcloud]"
                .into(),
        });
    }
    let namespace = project
        .settings
        .namespace
        .clone()
        .ok_or_else(|| SyncError::Project {
            package: project.package.clone(),
            reason: "set `namespace` in [package.metadata.wasmcloud]: the WIT namespace of its \
                     package (e.g. \"acme\")"
                .into(),
        })?;
    let lib_path = project
        .lib_path
        .clone()
        .unwrap_or_else(|| project.dir().join("src/lib.rs"));
    Ok(generate(&CrateInfo {
        lib_path: &lib_path,
        display_root,
        package_name: &project.package,
        version: Some(&project.version),
        namespace: &namespace,
    })?)
}

/// The WIT file of an interface crate.
pub fn wit_path(project: &Project) -> PathBuf {
    project
        .dir()
        .join("wit")
        .join(format!("{}.wit", super::names::kebab(&project.package)))
}

fn write_wit(project: &Project, generated: &Generated, mode: Mode) -> Result<FileState, SyncError> {
    let path = wit_path(project);
    let changed = put(&path, &generated.wit, mode)?;
    Ok(FileState {
        path,
        package: project.package.clone(),
        kind: "wit",
        changed,
    })
}

/// Writes `text` to `path` unless it already holds it; whether it differed.
fn put(path: &Path, text: &str, mode: Mode) -> Result<bool, SyncError> {
    let current = std::fs::read_to_string(path).ok();
    if current.as_deref() == Some(text) {
        return Ok(false);
    }
    if mode == Mode::Write {
        let io = |source| SyncError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        fsutil::write_atomic(path, fsutil::Mode::Public, |w| w.write_all(text.as_bytes()))
            .map_err(io)?;
    }
    Ok(true)
}
