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
            ProjectKind::Actor => {
                if project.settings.implements.is_empty() && project.settings.uses.is_empty() {
                    continue;
                }
                let mut inputs = Vec::new();
                let roles = project
                    .settings
                    .implements
                    .iter()
                    .map(|n| (n, Role::Implements))
                    .chain(project.settings.uses.iter().map(|n| (n, Role::Uses)));
                for (name, role) in roles {
                    let dep = project
                        .path_dependencies
                        .iter()
                        .find(|d| d.package == *name || d.crate_ident == name.replace('-', "_"))
                        .ok_or_else(|| SyncError::Project {
                            package: project.package.clone(),
                            reason: format!(
                                "`{name}` (in `{}`) is not a path dependency: add it to \
                                 [dependencies] with `path = ...`",
                                match role {
                                    Role::Implements => "implements",
                                    Role::Uses => "uses",
                                }
                            ),
                        })?;
                    let (iface, generated) =
                        interface(cargo, display_root, &dep.dir, members, &mut cache)?;
                    if wit_done.insert(iface.dir().to_path_buf()) {
                        states.push(write_wit(&iface, &generated, mode)?);
                    }
                    inputs.push((generated, dep.crate_ident.clone(), role));
                }
                let mut seen = std::collections::BTreeSet::new();
                for (_, ident, _) in &inputs {
                    if !seen.insert(ident.clone()) {
                        return Err(SyncError::Project {
                            package: project.package.clone(),
                            reason: format!(
                                "`{ident}` is listed twice in `implements`/`uses`; an actor \
                                 implements or uses an interface crate, not both"
                            ),
                        });
                    }
                }
                let glue_inputs: Vec<GlueInput> = inputs
                    .iter()
                    .map(|(g, ident, role)| GlueInput {
                        pkg: &g.package,
                        wit: &g.wit,
                        crate_ident: ident,
                        role: *role,
                    })
                    .collect();
                let text = glue::glue_file(&glue_inputs);
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
            ProjectKind::Provider => {
                if let Some(state) =
                    provider_glue(cargo, display_root, project, members, mode, &mut cache)?
                {
                    if let Some(wit) = state.0 {
                        if wit_done.insert(wit.0) {
                            states.push(wit.1);
                        }
                    }
                    states.push(state.1);
                }
            }
        }
    }
    Ok(states)
}

type WitState = Option<(PathBuf, FileState)>;

/// The glue of a provider that `implements` an interface crate (one: a provider serves
/// one generated world), and the crate's WIT state when it was written here.
fn provider_glue(
    cargo: &Path,
    display_root: &Path,
    project: &Project,
    members: &[Project],
    mode: Mode,
    cache: &mut BTreeMap<PathBuf, (Project, Generated)>,
) -> Result<Option<(WitState, FileState)>, SyncError> {
    let refuse = |reason: String| SyncError::Project {
        package: project.package.clone(),
        reason,
    };
    let name = match project.settings.implements.as_slice() {
        [] => return Ok(None),
        [one] => one,
        _ => {
            return Err(refuse(
                "a provider implements one interface crate (put the traits it serves in one \
                 crate)"
                    .into(),
            ))
        }
    };
    let dep = project
        .path_dependencies
        .iter()
        .find(|d| d.package == *name || d.crate_ident == name.replace('-', "_"))
        .ok_or_else(|| {
            refuse(format!(
                "`{name}` (in `implements`) is not a path dependency: add it to [dependencies] \
                 with `path = ...`"
            ))
        })?;
    let (iface, generated) = interface(cargo, display_root, &dep.dir, members, cache)?;
    let wit = write_wit(&iface, &generated, mode)?;
    let input = GlueInput {
        pkg: &generated.package,
        wit: &generated.wit,
        crate_ident: &dep.crate_ident,
        role: Role::Implements,
    };
    let text = glue::provider_glue_file(&input).map_err(|e| refuse(e.to_string()))?;
    let path = project.dir().join("src").join(format!("{GLUE_MODULE}.rs"));
    let changed = put(&path, &text, mode)?;
    Ok(Some((
        Some((iface.dir().to_path_buf(), wit)),
        FileState {
            path,
            package: project.package.clone(),
            kind: "glue",
            changed,
        },
    )))
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
    let project = match members.iter().find(|p| {
        let d = p.dir();
        d.canonicalize().unwrap_or_else(|_| d.to_path_buf()) == dir
    }) {
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
