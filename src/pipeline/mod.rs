//! The build pipeline: generation (WIT and glue) → cargo → finishing (validate, adapt,
//! compose, sign, pack). `build` runs it for the selected packages; [`Pipeline`] lets `dev`
//! and `compose` run it again or only plan compositions.
//!
//! Actors become components for `wasm32-wasip2` (or `wasm32-wasip1` modules adapted into
//! components), signed into `<target-dir>/wasmcloud/<name>_s.wasm`; providers become signed
//! archives, `<target-dir>/wasmcloud/<name>.par.gz`.

mod actor;
mod cargo;
pub mod plugs;
mod provider;
mod stamp;
mod virt;
mod wash_layout;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::project::keys::KeyPolicy;
use crate::project::{
    check_target_installed, Project, ProjectError, ProjectKind, Selection, Workspace,
};
use crate::sign::keys::{ChosenKey, Key};
use crate::sign::SignError;
use crate::witgen::sync::{self, SyncError};
pub use plugs::{CompositionInput, CompositionReport};

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error(transparent)]
    Generate(#[from] SyncError),
    #[error("package `{package}`: {reason}")]
    NotBuildable { package: String, reason: String },
    #[error("package `{package}`: {source}")]
    Compose {
        package: String,
        #[source]
        source: Box<crate::compose::ComposeError>,
    },
    #[error("package `{package}`: {reason}")]
    Virt { package: String, reason: String },
    #[error("nothing to build: no actor or provider in the selected packages")]
    NothingToBuild,
    #[error("--build-only applies to actors; a provider archive is always signed")]
    ProviderUnsigned,
    #[error("cargo build failed ({0}); see cargo's errors above")]
    CargoFailed(String),
    #[error("could not run cargo: {0}")]
    Spawn(#[source] io::Error),
    #[error("package `{0}`: cargo produced no .wasm file (is its crate-type cdylib?)")]
    NoArtifact(String),
    #[error("{path}: not a valid WebAssembly component: {reason}")]
    InvalidWasm { path: String, reason: String },
    #[error("{path}: adapting the wasm32-wasip1 module into a component failed: {reason}")]
    Adapt { path: String, reason: String },
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> BuildError + '_ {
    move |source| BuildError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    data_encoding::HEXUPPER.encode(&Sha256::digest(bytes))
}

/// Cargo's build profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Profile {
    Release,
    Dev,
    Named(String),
}

impl Profile {
    fn args(&self) -> Vec<String> {
        match self {
            Profile::Release => vec!["--release".into()],
            Profile::Dev => vec![],
            Profile::Named(name) => vec!["--profile".into(), name.clone()],
        }
    }
}

/// What to build and how.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub selection: Selection,
    pub profile: Profile,
    /// Sign the outputs (off with `--build-only`, for actors only).
    pub sign: bool,
    pub keys: KeyPolicy,
}

impl BuildOptions {
    /// A release build of `selection`, signed with the default keys.
    pub fn new(selection: Selection) -> BuildOptions {
        BuildOptions {
            selection,
            profile: Profile::Release,
            sign: true,
            keys: KeyPolicy::default(),
        }
    }
}

/// One built and signed actor or provider.
#[derive(Debug, Clone, Serialize)]
pub struct Built {
    pub package: String,
    pub kind: ProjectKind,
    /// The signed component, or the provider archive.
    pub path: PathBuf,
    /// What cargo produced.
    pub cargo_artifact: PathBuf,
    /// Module hash in the claims (actors), or SHA-256 of the binary (providers).
    pub hash: String,
    pub issuer: String,
    pub subject: String,
    /// True when nothing changed and the signed file was left as it was.
    pub fresh: bool,
    /// The components this one was composed from, and how they were wired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub composition: Option<CompositionReport>,
    /// The imports answered by baked-in values (`[package.metadata.wasmcloud.virt]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtualized: Option<crate::virt::Virtualized>,
}

/// An actor's composition, planned and not carried out (`compose --explain`).
#[derive(Debug, Clone, Serialize)]
pub struct Explained {
    pub package: String,
    pub composition: CompositionReport,
}

/// Progress reported while building.
#[derive(Debug)]
pub enum BuildEvent<'a> {
    /// The package's settings came from a wash `wasmcloud.toml`.
    LegacySettings { package: &'a str, file: &'a Path },
    /// A generated file (WIT or glue) was written because its text changed.
    Generated(&'a Path),
    /// An interface crate was selected: it has files to generate, nothing to build.
    InterfaceCrate(&'a str),
    /// Cargo is about to run for these packages and this target (None: the host).
    Cargo {
        packages: Vec<&'a str>,
        target: Option<&'a str>,
    },
    /// A signing key was chosen for a package.
    Key {
        package: &'a str,
        key: &'a ChosenKey,
    },
    /// A setting had nothing to act on.
    Warning { package: &'a str, message: &'a str },
    /// An actor or provider is finished (signed, packed, or left as it was).
    Finished(&'a Built),
}

/// Gives the issuer and subject keys for a project; asked only when a file is signed.
type SigningKeys<'a> = dyn FnMut(&Project) -> Result<(Key, Key), SignError> + 'a;

/// Events reported from places that already borrow the pipeline's state.
struct Events<'e, 'f>(RefCell<&'e mut (dyn FnMut(BuildEvent<'_>) + 'f)>);

impl Events<'_, '_> {
    fn emit(&self, event: BuildEvent<'_>) {
        (self.0.borrow_mut())(event)
    }
}

/// Builds the selected packages: the one call behind `cargo wasmcloud build`.
pub fn build(
    opts: BuildOptions,
    events: &mut dyn FnMut(BuildEvent<'_>),
) -> Result<Vec<Built>, BuildError> {
    let pipeline = Pipeline::load(opts)?;
    for project in &pipeline.projects {
        if let Some(file) = &project.legacy_file {
            events(BuildEvent::LegacySettings {
                package: &project.package,
                file,
            });
        }
    }
    if pipeline.projects.is_empty() {
        return Err(BuildError::NothingToBuild);
    }
    if !pipeline.opts.sign
        && pipeline
            .projects
            .iter()
            .any(|p| p.kind == ProjectKind::Provider)
    {
        return Err(BuildError::ProviderUnsigned);
    }
    pipeline.build(events)
}

/// A workspace and the projects chosen in it, ready to build (again).
#[derive(Debug)]
pub struct Pipeline {
    pub opts: BuildOptions,
    pub ws: Workspace,
    pub projects: Vec<Project>,
}

impl Pipeline {
    /// Reads the workspace (`cargo metadata`) and selects projects as cargo selects packages.
    pub fn load(opts: BuildOptions) -> Result<Pipeline, BuildError> {
        let ws = Workspace::load(&opts.selection)?;
        let projects = ws.select(&opts.selection)?;
        Ok(Pipeline { opts, ws, projects })
    }

    /// Keeps only the projects `keep` accepts.
    pub fn retain(&mut self, keep: impl FnMut(&Project) -> bool) {
        self.projects.retain(keep);
    }

    /// Generation, cargo, and finishing, for every selected actor and provider.
    pub fn build(&self, events: &mut dyn FnMut(BuildEvent<'_>)) -> Result<Vec<Built>, BuildError> {
        let events = Events(RefCell::new(events));
        let crates = self.generate(&events)?;
        for project in self.of_kind(ProjectKind::Interface) {
            events.emit(BuildEvent::InterfaceCrate(&project.package));
        }
        let actors = self.of_kind(ProjectKind::Actor);
        // Virtualization settings are checked before anything is built.
        let mut virt_specs = BTreeMap::new();
        for project in &actors {
            if let Some(spec) = virt::spec(project)? {
                virt_specs.insert(project.package.clone(), spec);
            }
        }
        let mut built = Vec::new();
        if !actors.is_empty() {
            let artifacts = self.compile_actors(&actors, &crates, &events)?;
            let out_dir = self.out_dir()?;
            let mut keys = self.key_source(&events);
            for project in actors {
                let cargo_artifact = artifacts
                    .get(&project.package)
                    .ok_or_else(|| BuildError::NoArtifact(project.package.clone()))?;
                let (component, composition) = match &project.settings.compose {
                    Some(settings) => {
                        let loaded = plugs::load(&self.ws, project, settings, &artifacts, &crates)?;
                        let (bytes, report) = loaded.compose(project, settings)?;
                        (bytes, Some(report))
                    }
                    None => (actor::load_component(project, cargo_artifact)?, None),
                };
                let (component, virtualized) = match virt_specs.get(&project.package) {
                    Some(spec) => {
                        let (bytes, done) = virt::apply(project, component, spec)?;
                        for message in &done.warnings {
                            events.emit(BuildEvent::Warning {
                                package: &project.package,
                                message,
                            });
                        }
                        (bytes, Some(done))
                    }
                    None => (component, None),
                };
                let mut actor = actor::finish_actor(
                    project,
                    component,
                    cargo_artifact,
                    &out_dir,
                    self.opts.sign,
                    &mut keys,
                )?;
                actor.composition = composition;
                actor.virtualized = virtualized;
                wash_layout::mirror(project, &actor)?;
                events.emit(BuildEvent::Finished(&actor));
                built.push(actor);
            }
        }
        let providers = self.of_kind(ProjectKind::Provider);
        if !providers.is_empty() {
            events.emit(BuildEvent::Cargo {
                packages: providers.iter().map(|p| p.package.as_str()).collect(),
                target: None,
            });
            let binaries = cargo::cargo_build(&self.opts, &self.ws, &providers, None)?;
            let out_dir = self.out_dir()?;
            let mut keys = self.key_source(&events);
            for project in providers {
                let binary = binaries
                    .get(&project.package)
                    .and_then(|files| files.first())
                    .ok_or_else(|| BuildError::NoArtifact(project.package.clone()))?;
                let provider = provider::pack_provider(project, binary, &out_dir, &mut keys)?;
                wash_layout::mirror(project, &provider)?;
                events.emit(BuildEvent::Finished(&provider));
                built.push(provider);
            }
        }
        Ok(built)
    }

    /// Generation and cargo, then the wiring of each selected actor that declares a
    /// composition, planned but not carried out.
    pub fn explain(
        &self,
        events: &mut dyn FnMut(BuildEvent<'_>),
    ) -> Result<Vec<Explained>, BuildError> {
        let events = Events(RefCell::new(events));
        let crates = self.generate(&events)?;
        let actors = self.of_kind(ProjectKind::Actor);
        let artifacts = self.compile_actors(&actors, &crates, &events)?;
        let mut explained = Vec::new();
        for project in actors {
            let virt = virt::spec(project)?;
            let mut composition = match (&project.settings.compose, &virt) {
                (Some(settings), _) => {
                    let loaded = plugs::load(&self.ws, project, settings, &artifacts, &crates)?;
                    loaded.explain(project, settings)?
                }
                // Virtualization alone is a composition too: the actor and what answers it.
                (None, Some(_)) => {
                    let artifact = artifacts
                        .get(&project.package)
                        .ok_or_else(|| BuildError::NoArtifact(project.package.clone()))?;
                    plugs::alone(project, actor::load_component(project, artifact)?)?
                }
                (None, None) => continue,
            };
            if let Some(spec) = &virt {
                virt::mark(project, &mut composition, spec)?;
            }
            explained.push(Explained {
                package: project.package.clone(),
                composition,
            });
        }
        Ok(explained)
    }

    fn of_kind(&self, kind: ProjectKind) -> Vec<&Project> {
        self.projects.iter().filter(|p| p.kind == kind).collect()
    }

    fn out_dir(&self) -> Result<PathBuf, BuildError> {
        let dir = self.ws.target_dir.join("wasmcloud");
        std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        Ok(dir)
    }

    /// Brings the generated WIT and glue of the selected projects (and of the workspace
    /// actors their compositions plug in) up to date: the actors compile against them.
    /// Returns those plug crates.
    fn generate(&self, events: &Events<'_, '_>) -> Result<Vec<Project>, BuildError> {
        let members = self.ws.projects()?;
        let crates = plugs::plug_crates(&self.projects, &members)?;
        let all: Vec<Project> = self.projects.iter().chain(&crates).cloned().collect();
        let cwd = &self.opts.selection.cwd;
        let files = sync::sync(
            &self.opts.selection.cargo,
            cwd,
            &all,
            &members,
            sync::Mode::Write,
        )?;
        for file in files.iter().filter(|f| f.changed) {
            events.emit(BuildEvent::Generated(&file.path));
        }
        Ok(crates)
    }

    /// One `cargo build` per target triple for the actors and their plug crates; returns
    /// each package's `.wasm` file.
    fn compile_actors(
        &self,
        actors: &[&Project],
        crates: &[Project],
        events: &Events<'_, '_>,
    ) -> Result<BTreeMap<String, PathBuf>, BuildError> {
        let mut by_target: BTreeMap<&str, Vec<&Project>> = BTreeMap::new();
        for project in actors.iter().copied().chain(crates) {
            by_target
                .entry(project.target().triple())
                .or_default()
                .push(project);
        }
        let mut artifacts = BTreeMap::new();
        for (target, group) in by_target {
            check_target_installed(target, &self.opts.selection.cwd)?;
            events.emit(BuildEvent::Cargo {
                packages: group.iter().map(|p| p.package.as_str()).collect(),
                target: Some(target),
            });
            let built = cargo::cargo_build(&self.opts, &self.ws, &group, Some(target))?;
            for project in group {
                let artifact = built
                    .get(&project.package)
                    .and_then(|files| files.first())
                    .ok_or_else(|| BuildError::NoArtifact(project.package.clone()))?;
                artifacts.insert(project.package.clone(), artifact.clone());
            }
        }
        Ok(artifacts)
    }

    /// The key policy, reporting each key it gives.
    fn key_source<'s>(&'s self, events: &'s Events<'_, '_>) -> Box<SigningKeys<'s>> {
        Box::new(move |project: &Project| {
            let keys = self.opts.keys.keys_for(project, &mut |key| {
                events.emit(BuildEvent::Key {
                    package: &project.package,
                    key,
                })
            })?;
            Ok(keys)
        })
    }
}
