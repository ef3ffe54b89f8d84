//! `build`: cargo-aware builds of actors (components for `wasm32-wasip2`, or `wasm32-wasip1`
//! adapted into components), validated and signed into `<target-dir>/wasmcloud/`.
//!
//! The workspace comes from `cargo metadata`, the artifacts from cargo's own JSON messages,
//! so workspaces, `--target-dir`, profiles and renamed libraries need no guessing.

pub mod settings;
pub mod wasmcloud_toml;

use std::collections::BTreeMap;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cargo_metadata::{Message, Metadata, MetadataCommand, Package, TargetKind};
use serde::{Deserialize, Serialize};

use crate::compose;
use crate::fsutil;
use crate::sign::{self, keys::Key, par, wasm, ComponentClaimsSpec, SignError};
pub use settings::{ProjectKind, Settings, WasmTarget};

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("not a cargo project: {0}")]
    NotCargoProject(String),
    #[error("cargo metadata failed: {0}")]
    Metadata(String),
    #[error("package `{0}` is not a member of this workspace")]
    UnknownPackage(String),
    #[error("package `{package}`: {reason}")]
    NotBuildable { package: String, reason: String },
    #[error("package `{package}`: invalid [package.metadata.wasmcloud]: {reason}")]
    Settings { package: String, reason: String },
    #[error("nothing to build: no actor or provider in the selected packages")]
    NothingToBuild,
    #[error("the {target} target is not installed: run `rustup target add {target}`")]
    TargetMissing { target: String },
    #[error("cargo build failed ({0}); see cargo's errors above")]
    CargoFailed(String),
    #[error("could not run cargo: {0}")]
    Spawn(io::Error),
    #[error("package `{0}`: cargo produced no .wasm file (is its crate-type cdylib?)")]
    NoArtifact(String),
    #[error("{path}: not a valid WebAssembly component: {reason}")]
    InvalidWasm { path: String, reason: String },
    #[error("{path}: adapting the wasm32-wasip1 module into a component failed: {reason}")]
    Adapt { path: String, reason: String },
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> BuildError + '_ {
    move |source| BuildError::Io {
        path: path.display().to_string(),
        source,
    }
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

/// What to build and how; mirrors `cargo build`'s own options.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The cargo to run (`$CARGO` when cargo runs us).
    pub cargo: PathBuf,
    /// Directory to run in.
    pub cwd: PathBuf,
    pub manifest_path: Option<PathBuf>,
    pub packages: Vec<String>,
    pub workspace: bool,
    pub profile: Profile,
    pub target_dir: Option<PathBuf>,
    pub locked: bool,
    pub offline: bool,
    pub frozen: bool,
    /// Compose actors that declare a composition, or only plan it (`compose --explain`).
    pub compose_mode: ComposeMode,
}

/// What `build` does with `[package.metadata.wasmcloud.compose]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ComposeMode {
    #[default]
    Compose,
    /// Plan the wiring, write and sign nothing.
    Explain,
}

impl BuildOptions {
    pub fn new(cwd: PathBuf) -> BuildOptions {
        BuildOptions {
            cargo: std::env::var_os("CARGO")
                .map(PathBuf::from)
                .unwrap_or_else(|| "cargo".into()),
            cwd,
            manifest_path: None,
            packages: Vec::new(),
            workspace: false,
            profile: Profile::Release,
            target_dir: None,
            locked: false,
            offline: false,
            frozen: false,
            compose_mode: ComposeMode::Compose,
        }
    }

    fn shared_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(path) = &self.manifest_path {
            args.push("--manifest-path".into());
            args.push(path.display().to_string());
        }
        for (flag, on) in [
            ("--locked", self.locked),
            ("--offline", self.offline),
            ("--frozen", self.frozen),
        ] {
            if on {
                args.push(flag.into());
            }
        }
        args
    }
}

/// A workspace member that wasmCloud builds.
#[derive(Debug, Clone)]
pub struct Project {
    pub package: String,
    pub version: String,
    pub manifest_path: PathBuf,
    pub kind: ProjectKind,
    pub settings: Settings,
    /// Name of the cargo target that produces the artifact (the lib or bin name).
    pub artifact: String,
    pub authors: Vec<String>,
    /// The wasmcloud.toml the settings came from, when not from Cargo.toml.
    pub legacy_file: Option<PathBuf>,
    /// The library's root source file, if the package has a library.
    pub lib_path: Option<PathBuf>,
    /// Dependencies given by `path`: where interface crates are found.
    pub path_dependencies: Vec<PathDependency>,
}

/// A dependency on a local crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathDependency {
    /// The dependency's package name.
    pub package: String,
    /// The name code uses for it (the `rename`, else the package name), snake_case.
    pub crate_ident: String,
    /// The directory holding its Cargo.toml.
    pub dir: PathBuf,
}

impl Project {
    /// The directory holding the manifest.
    pub fn dir(&self) -> &Path {
        self.manifest_path.parent().unwrap_or(Path::new("."))
    }
}

impl Project {
    /// The claims this project's settings ask for.
    pub fn claims_spec(&self) -> ComponentClaimsSpec {
        ComponentClaimsSpec {
            name: Some(self.settings.name.clone().unwrap_or(self.package.clone())),
            tags: self.settings.tags.clone(),
            rev: Some(self.settings.revision.unwrap_or(0)),
            ver: Some(
                self.settings
                    .version
                    .clone()
                    .unwrap_or(self.version.clone()),
            ),
            call_alias: self.settings.call_alias.clone(),
            expires_in_days: None,
            not_before_days: None,
        }
    }

    pub fn target(&self) -> WasmTarget {
        self.settings.target.unwrap_or_default()
    }
}

/// The workspace as `cargo metadata` describes it.
#[derive(Debug)]
pub struct Workspace {
    pub root: PathBuf,
    pub target_dir: PathBuf,
    metadata: Metadata,
}

impl Workspace {
    /// Runs `cargo metadata --no-deps` (fast, and no network).
    pub fn load(opts: &BuildOptions) -> Result<Workspace, BuildError> {
        let mut cmd = MetadataCommand::new();
        cmd.cargo_path(&opts.cargo)
            .current_dir(&opts.cwd)
            .no_deps()
            .other_options(opts.shared_args());
        let metadata = cmd.exec().map_err(|e| {
            let text = e.to_string();
            if text.contains("could not find `Cargo.toml`") {
                BuildError::NotCargoProject(format!(
                    "no Cargo.toml in {} or any parent directory (give --manifest-path)",
                    opts.cwd.display()
                ))
            } else {
                BuildError::Metadata(
                    text.lines()
                        .filter(|l| !l.trim().is_empty())
                        .collect::<Vec<_>>()
                        .join(" "),
                )
            }
        })?;
        let target_dir = opts
            .target_dir
            .clone()
            .map(|d| if d.is_absolute() { d } else { opts.cwd.join(d) })
            .unwrap_or_else(|| metadata.target_directory.clone().into_std_path_buf());
        Ok(Workspace {
            root: metadata.workspace_root.clone().into_std_path_buf(),
            target_dir,
            metadata,
        })
    }

    fn members(&self) -> Vec<&Package> {
        self.metadata.workspace_packages()
    }

    /// Every member wasmCloud knows what to do with.
    pub fn projects(&self) -> Result<Vec<Project>, BuildError> {
        let mut projects = Vec::new();
        for pkg in self.members() {
            projects.extend(classify(pkg)?);
        }
        Ok(projects)
    }

    /// The project of a crate outside this workspace (a path dependency), read with its
    /// own `cargo metadata`.
    pub fn load_crate(cargo: &Path, dir: &Path) -> Result<Option<Project>, BuildError> {
        let manifest = dir.join("Cargo.toml");
        let metadata = MetadataCommand::new()
            .cargo_path(cargo)
            .manifest_path(&manifest)
            .no_deps()
            .exec()
            .map_err(|e| BuildError::Metadata(e.to_string().replace('\n', " ")))?;
        let manifest = manifest.canonicalize().unwrap_or(manifest);
        match metadata
            .packages
            .iter()
            .find(|p| p.manifest_path.as_std_path() == manifest)
        {
            Some(pkg) => classify(pkg),
            None => Ok(None),
        }
    }

    /// Picks the projects to build, as cargo picks packages: `-p` names, `--workspace`, else
    /// the package of the current directory, else the workspace's default members.
    pub fn select(&self, opts: &BuildOptions) -> Result<Vec<Project>, BuildError> {
        let members = self.members();
        if !opts.packages.is_empty() {
            return opts
                .packages
                .iter()
                .map(|name| {
                    let pkg = members
                        .iter()
                        .find(|p| p.name == *name)
                        .ok_or_else(|| BuildError::UnknownPackage(name.clone()))?;
                    classify(pkg)?.ok_or_else(|| not_buildable(pkg))
                })
                .collect();
        }
        let chosen: Vec<&Package> = if opts.workspace {
            members
        } else if let Some(pkg) = self.current_package(opts, &members) {
            // The package the user is in must be buildable: say why not.
            return Ok(vec![classify(pkg)?.ok_or_else(|| not_buildable(pkg))?]);
        } else {
            let defaults: Vec<&Package> = members
                .iter()
                .copied()
                .filter(|p| self.metadata.workspace_default_members.contains(&p.id))
                .collect();
            if defaults.is_empty() {
                members
            } else {
                defaults
            }
        };
        let mut projects = Vec::new();
        for pkg in chosen {
            if let Some(project) = classify(pkg)? {
                projects.push(project);
            }
        }
        Ok(projects)
    }

    /// The member whose directory holds the manifest given, or the current directory.
    fn current_package<'a>(
        &self,
        opts: &BuildOptions,
        members: &[&'a Package],
    ) -> Option<&'a Package> {
        let dir = match &opts.manifest_path {
            Some(path) => {
                let path = if path.is_absolute() {
                    path.clone()
                } else {
                    opts.cwd.join(path)
                };
                path.parent()?.to_path_buf()
            }
            None => opts.cwd.clone(),
        };
        let dir = dir.canonicalize().unwrap_or(dir);
        members
            .iter()
            .filter(|p| {
                p.manifest_path
                    .parent()
                    .map(|d| dir.starts_with(d.as_std_path()))
                    .unwrap_or(false)
            })
            .max_by_key(|p| p.manifest_path.as_str().len())
            .copied()
    }
}

fn not_buildable(pkg: &Package) -> BuildError {
    BuildError::NotBuildable {
        package: pkg.name.to_string(),
        reason: "a library crate without `cdylib`: add `[lib] crate-type = [\"cdylib\"]` to \
                 build it as an actor, or set `kind` in [package.metadata.wasmcloud]"
            .into(),
    }
}

/// What a package is to wasmCloud: its settings' `kind`, else a `cdylib` is an actor and a
/// crate with a binary a provider. `None` for plain libraries.
fn classify(pkg: &Package) -> Result<Option<Project>, BuildError> {
    let settings_error = |reason: String| BuildError::Settings {
        package: pkg.name.to_string(),
        reason,
    };
    let mut settings = Settings::from_package_metadata(&pkg.metadata).map_err(settings_error)?;
    let manifest_path = pkg.manifest_path.clone().into_std_path_buf();
    // A wash project's wasmcloud.toml counts until `migrate` moves it into Cargo.toml.
    let mut legacy_file = None;
    if pkg.metadata.get("wasmcloud").is_none() {
        if let Some(path) = wasmcloud_toml::find(&manifest_path) {
            settings = wasmcloud_toml::read(&path)
                .map_err(|e| settings_error(e.to_string()))?
                .settings;
            legacy_file = Some(path);
        }
    }
    let cdylib = pkg
        .targets
        .iter()
        .find(|t| t.kind.contains(&TargetKind::CDyLib));
    let bin = pkg
        .targets
        .iter()
        .find(|t| t.kind.contains(&TargetKind::Bin));
    let kind = match settings.kind {
        Some(kind) => kind,
        None if cdylib.is_some() => ProjectKind::Actor,
        None if bin.is_some() => ProjectKind::Provider,
        None => return Ok(None),
    };
    let artifact = match kind {
        ProjectKind::Actor => cdylib.ok_or_else(|| not_buildable(pkg))?.name.clone(),
        ProjectKind::Provider => bin
            .ok_or_else(|| BuildError::NotBuildable {
                package: pkg.name.to_string(),
                reason: "a provider needs a binary target (src/main.rs)".into(),
            })?
            .name
            .clone(),
        ProjectKind::Interface => pkg.name.replace('-', "_"),
    };
    let lib_path = pkg
        .targets
        .iter()
        .find(|t| {
            t.kind
                .iter()
                .any(|k| matches!(k, TargetKind::Lib | TargetKind::CDyLib | TargetKind::RLib))
        })
        .map(|t| t.src_path.clone().into_std_path_buf());
    let path_dependencies = pkg
        .dependencies
        .iter()
        .filter_map(|d| {
            Some(PathDependency {
                package: d.name.clone(),
                crate_ident: d.rename.as_ref().unwrap_or(&d.name).replace('-', "_"),
                dir: d.path.clone()?.into_std_path_buf(),
            })
        })
        .collect();
    Ok(Some(Project {
        lib_path,
        path_dependencies,
        package: pkg.name.to_string(),
        version: pkg.version.to_string(),
        manifest_path,
        kind,
        settings,
        legacy_file,
        artifact: artifact.replace('-', "_"),
        authors: pkg.authors.clone(),
    }))
}

/// Fails with the `rustup` command to run when a target's standard library is missing.
pub fn check_target_installed(target: &str, cwd: &Path) -> Result<(), BuildError> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc)
        .args(["--print", "sysroot"])
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .map_err(BuildError::Spawn)?;
    let sysroot = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let lib = Path::new(&sysroot)
        .join("lib/rustlib")
        .join(target)
        .join("lib");
    if output.status.success() && lib.is_dir() {
        Ok(())
    } else {
        Err(BuildError::TargetMissing {
            target: target.into(),
        })
    }
}

/// Runs `cargo build` for `packages` and returns each package's `.wasm` (or binary) files.
/// Cargo's own progress and diagnostics go straight to our stderr.
fn cargo_build(
    opts: &BuildOptions,
    ws: &Workspace,
    packages: &[&Project],
    target: Option<&str>,
) -> Result<BTreeMap<String, Vec<PathBuf>>, BuildError> {
    let mut cmd = Command::new(&opts.cargo);
    cmd.arg("build")
        .arg("--message-format=json-render-diagnostics")
        .args(opts.profile.args())
        .args(opts.shared_args())
        .arg("--target-dir")
        .arg(&ws.target_dir)
        .current_dir(&opts.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(target) = target {
        cmd.args(["--target", target]);
    }
    for project in packages {
        cmd.args(["-p", &project.package]);
    }
    let mut child = cmd.spawn().map_err(BuildError::Spawn)?;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut artifacts: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for message in Message::parse_stream(BufReader::new(stdout)) {
        let Ok(Message::CompilerArtifact(artifact)) = message else {
            continue;
        };
        let Some(project) = packages.iter().find(|p| {
            artifact.manifest_path.as_std_path() == p.manifest_path
                && artifact.target.name.replace('-', "_") == p.artifact
        }) else {
            continue;
        };
        let files: Vec<PathBuf> = match project.kind {
            ProjectKind::Actor => artifact
                .filenames
                .iter()
                .filter(|f| f.extension() == Some("wasm"))
                .map(|f| f.clone().into_std_path_buf())
                .collect(),
            _ => artifact
                .executable
                .iter()
                .map(|f| f.clone().into_std_path_buf())
                .collect(),
        };
        artifacts
            .entry(project.package.clone())
            .or_default()
            .extend(files);
    }
    let status = child.wait().map_err(BuildError::Spawn)?;
    if !status.success() {
        return Err(BuildError::CargoFailed(status.to_string()));
    }
    Ok(artifacts)
}

/// Gives the issuer and subject keys for a project.
pub type SigningKeys<'a> = dyn FnMut(&Project) -> Result<(Key, Key), SignError> + 'a;

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
}

/// One input of a composition.
#[derive(Debug, Clone, Serialize)]
pub struct CompositionInput {
    /// The actor's package for the root, else the plug id.
    pub id: String,
    /// `crate:NAME`, `path:FILE`, `oci:REF@DIGEST`, or `root`.
    pub source: String,
    pub sha256: String,
}

/// How an actor was composed.
#[derive(Debug, Clone, Serialize)]
pub struct CompositionReport {
    pub inputs: Vec<CompositionInput>,
    /// The wiring (empty when a `.wac` document did the wiring).
    pub wires: Vec<compose::Wire>,
    /// Instances in the order a `.wac` document would create them.
    pub instances: Vec<String>,
    /// Set when a hand-written `.wac` document did the wiring.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wac: Option<PathBuf>,
    #[serde(skip)]
    pub plan: Option<(compose::Plan, Vec<String>)>,
}

/// Progress reported while building.
#[derive(Debug)]
pub enum BuildEvent<'a> {
    /// Cargo is about to run for these packages and this target (None: the host).
    Cargo {
        packages: Vec<&'a str>,
        target: Option<&'a str>,
    },
    Signed(&'a Built),
}

/// Builds the actors among `projects`: one `cargo build` per target triple, then validate,
/// adapt (wasip1), and sign each into `<target-dir>/wasmcloud/<name>_s.wasm`. `keys` gives
/// the issuer and subject for a project; it is asked only when a file has to be signed.
pub fn build_actors(
    opts: &BuildOptions,
    ws: &Workspace,
    projects: &[Project],
    sign_outputs: bool,
    keys: &mut SigningKeys<'_>,
    events: &mut dyn FnMut(BuildEvent<'_>),
) -> Result<Vec<Built>, BuildError> {
    let actors: Vec<&Project> = projects
        .iter()
        .filter(|p| p.kind == ProjectKind::Actor)
        .collect();
    // Workspace actors that compositions plug in are built with the actors.
    let members = if actors.iter().any(|p| p.settings.compose.is_some()) {
        ws.projects()?
    } else {
        Vec::new()
    };
    let mut plug_crates: Vec<&Project> = Vec::new();
    for project in &actors {
        let Some(settings) = &project.settings.compose else {
            continue;
        };
        for (id, source) in settings.sources().map_err(|e| compose_error(project, e))? {
            let name = match source {
                compose::config::PlugSource::Crate(name) => name,
                // A missing file is found before cargo spends time building.
                compose::config::PlugSource::Path(path) => {
                    let full = project.dir().join(&path);
                    if !full.is_file() {
                        return Err(BuildError::NotBuildable {
                            package: project.package.clone(),
                            reason: format!("plug `{id}`: no file {}", full.display()),
                        });
                    }
                    continue;
                }
                compose::config::PlugSource::Oci { .. } => continue,
            };
            let member = members.iter().find(|m| m.package == name).ok_or_else(|| {
                BuildError::NotBuildable {
                    package: project.package.clone(),
                    reason: format!(
                        "plug `{id}`: crate `{name}` is not a member of this workspace"
                    ),
                }
            })?;
            if member.kind != ProjectKind::Actor {
                return Err(BuildError::NotBuildable {
                    package: project.package.clone(),
                    reason: format!("plug `{id}`: crate `{name}` is not an actor"),
                });
            }
            if !actors
                .iter()
                .chain(&plug_crates)
                .any(|p| p.package == member.package)
            {
                plug_crates.push(member);
            }
        }
    }
    let mut by_target: BTreeMap<&str, Vec<&Project>> = BTreeMap::new();
    for project in actors.iter().chain(&plug_crates) {
        by_target
            .entry(project.target().triple())
            .or_default()
            .push(project);
    }
    let out_dir = ws.target_dir.join("wasmcloud");
    let mut artifacts: BTreeMap<String, PathBuf> = BTreeMap::new();
    for (target, group) in by_target {
        check_target_installed(target, &opts.cwd)?;
        events(BuildEvent::Cargo {
            packages: group.iter().map(|p| p.package.as_str()).collect(),
            target: Some(target),
        });
        let built = cargo_build(opts, ws, &group, Some(target))?;
        for project in group {
            let artifact = built
                .get(&project.package)
                .and_then(|files| files.first())
                .ok_or_else(|| BuildError::NoArtifact(project.package.clone()))?;
            artifacts.insert(project.package.clone(), artifact.clone());
        }
    }
    std::fs::create_dir_all(&out_dir).map_err(io_error(&out_dir))?;
    let mut built = Vec::new();
    for project in actors {
        let artifact = &artifacts[&project.package];
        let composition = match &project.settings.compose {
            Some(settings) => Some(compose_actor(
                opts,
                ws,
                project,
                settings,
                artifact,
                &artifacts,
                &plug_crates,
            )?),
            None if opts.compose_mode == ComposeMode::Explain => continue,
            None => None,
        };
        let actor = match composition {
            Some((_, report)) if opts.compose_mode == ComposeMode::Explain => Built {
                package: project.package.clone(),
                kind: project.kind,
                path: PathBuf::new(),
                cargo_artifact: artifact.clone(),
                hash: String::new(),
                issuer: String::new(),
                subject: String::new(),
                fresh: false,
                composition: Some(report),
            },
            Some((component, report)) => {
                let mut actor =
                    finish_actor(project, component, artifact, &out_dir, sign_outputs, keys)?;
                actor.composition = Some(report);
                actor
            }
            None => {
                let component = load_component(project, artifact)?;
                finish_actor(project, component, artifact, &out_dir, sign_outputs, keys)?
            }
        };
        events(BuildEvent::Signed(&actor));
        built.push(actor);
    }
    Ok(built)
}

/// `projects` and the workspace actors their compositions plug in (which need their
/// generated files as much as the projects do).
pub fn with_plug_crates(projects: &[Project], members: &[Project]) -> Vec<Project> {
    let mut all = projects.to_vec();
    for project in projects {
        let Some(settings) = &project.settings.compose else {
            continue;
        };
        for spec in settings.plugs.values() {
            if let Some(name) = &spec.krate {
                if let Some(member) = members.iter().find(|m| m.package == *name) {
                    if !all.iter().any(|p| p.package == member.package) {
                        all.push(member.clone());
                    }
                }
            }
        }
    }
    all
}

fn compose_error(project: &Project, e: compose::ComposeError) -> BuildError {
    BuildError::NotBuildable {
        package: project.package.clone(),
        reason: e.to_string(),
    }
}

/// Composes an actor with its plugs (or, in explain mode, only plans it). Returns the
/// composed component (empty in explain mode) and the report.
fn compose_actor(
    opts: &BuildOptions,
    ws: &Workspace,
    project: &Project,
    settings: &compose::config::ComposeSettings,
    artifact: &Path,
    artifacts: &BTreeMap<String, PathBuf>,
    plug_crates: &[&Project],
) -> Result<(Vec<u8>, CompositionReport), BuildError> {
    use compose::config::PlugSource;
    let fail = |e: compose::ComposeError| compose_error(project, e);
    let root = compose::Input {
        id: project.package.clone(),
        bytes: load_component(project, artifact)?,
    };
    let mut inputs = vec![CompositionInput {
        id: root.id.clone(),
        source: "root".into(),
        sha256: sha256_hex(&root.bytes),
    }];
    let mut plugs = Vec::new();
    for (id, source) in settings.sources().map_err(fail)? {
        let (bytes, described) = match &source {
            PlugSource::Crate(name) => {
                let member = plug_crates
                    .iter()
                    .copied()
                    .chain(std::iter::once(project))
                    .find(|p| p.package == *name);
                let path = artifacts
                    .get(name)
                    .ok_or_else(|| BuildError::NoArtifact(name.clone()))?;
                let bytes = match member {
                    Some(member) => load_component(member, path)?,
                    None => std::fs::read(path).map_err(io_error(path))?,
                };
                (bytes, format!("crate:{name}"))
            }
            PlugSource::Path(path) => {
                let full = project.dir().join(path);
                let bytes = std::fs::read(&full).map_err(io_error(&full))?;
                (bytes, format!("path:{}", path.display()))
            }
            PlugSource::Oci { reference, digest } => {
                let path = pull_plug(ws, reference, digest).map_err(|reason| {
                    BuildError::NotBuildable {
                        package: project.package.clone(),
                        reason: format!("plug `{id}`: {reason}"),
                    }
                })?;
                let bytes = std::fs::read(&path).map_err(io_error(&path))?;
                (bytes, format!("oci:{reference}@{digest}"))
            }
        };
        inputs.push(CompositionInput {
            id: id.clone(),
            source: described,
            sha256: sha256_hex(&bytes),
        });
        plugs.push(compose::Input { id, bytes });
    }
    let _ = opts;
    let rules = settings.rules().map_err(fail)?;
    let nodes: Vec<String> = std::iter::once(&root)
        .chain(&plugs)
        .map(|i| i.id.clone())
        .collect();
    let report = |plan: Option<compose::Plan>, wac: Option<PathBuf>| CompositionReport {
        inputs: inputs.clone(),
        wires: plan.as_ref().map(|p| p.wires.clone()).unwrap_or_default(),
        instances: plan
            .as_ref()
            .map(|p| p.instances.iter().map(|i| nodes[*i].clone()).collect())
            .unwrap_or_default(),
        wac,
        plan: plan.map(|p| (p, nodes.clone())),
    };
    if let Some(wac) = &settings.wac {
        let full = project.dir().join(wac);
        let source = std::fs::read_to_string(&full).map_err(io_error(&full))?;
        if opts.compose_mode == ComposeMode::Explain {
            return Ok((Vec::new(), report(None, Some(wac.clone()))));
        }
        let bytes = compose::compose_wac(&source, &root, &plugs).map_err(fail)?;
        return Ok((bytes, report(None, Some(wac.clone()))));
    }
    if opts.compose_mode == ComposeMode::Explain {
        let plan = compose::explain(&root, &plugs, &rules).map_err(fail)?;
        return Ok((Vec::new(), report(Some(plan), None)));
    }
    let composed = compose::compose(&root, &plugs, &rules).map_err(fail)?;
    Ok((composed.bytes, report(Some(composed.plan), None)))
}

/// Pulls an OCI plug pinned by manifest digest into `<target-dir>/wasmcloud/plugs/`, once:
/// a file named by the digest was checked when written.
fn pull_plug(ws: &Workspace, reference: &str, digest: &str) -> Result<PathBuf, String> {
    let dir = ws.target_dir.join("wasmcloud/plugs");
    let path = dir.join(format!("{}.wasm", digest.replace(':', "-")));
    if path.is_file() {
        return Ok(path);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let parsed = crate::oci::parse_reference(reference, true).map_err(|e| e.to_string())?;
    let options = crate::oci::RegistryOptions {
        user: std::env::var("WASH_REG_USER").ok(),
        password: std::env::var("WASH_REG_PASSWORD").ok(),
        ..Default::default()
    };
    crate::oci::pull(
        &parsed,
        Some(&path),
        &dir,
        Some(digest),
        &options,
        std::sync::Arc::new(|_, _| {}),
    )
    .map_err(|e| e.to_string())?;
    Ok(path)
}

/// Builds the providers among `projects` for this machine and packs each into a signed
/// provider archive, `<target-dir>/wasmcloud/<name>.par.gz`.
pub fn build_providers(
    opts: &BuildOptions,
    ws: &Workspace,
    projects: &[Project],
    keys: &mut SigningKeys<'_>,
    events: &mut dyn FnMut(BuildEvent<'_>),
) -> Result<Vec<Built>, BuildError> {
    let group: Vec<&Project> = projects
        .iter()
        .filter(|p| p.kind == ProjectKind::Provider)
        .collect();
    if group.is_empty() {
        return Ok(Vec::new());
    }
    events(BuildEvent::Cargo {
        packages: group.iter().map(|p| p.package.as_str()).collect(),
        target: None,
    });
    let artifacts = cargo_build(opts, ws, &group, None)?;
    let out_dir = ws.target_dir.join("wasmcloud");
    std::fs::create_dir_all(&out_dir).map_err(io_error(&out_dir))?;
    let mut built = Vec::new();
    for project in group {
        let binary = artifacts
            .get(&project.package)
            .and_then(|files| files.first())
            .ok_or_else(|| BuildError::NoArtifact(project.package.clone()))?;
        let provider = pack_provider(project, binary, &out_dir, keys)?;
        events(BuildEvent::Signed(&provider));
        built.push(provider);
    }
    Ok(built)
}

fn pack_provider(
    project: &Project,
    binary: &Path,
    out_dir: &Path,
    keys: &mut SigningKeys<'_>,
) -> Result<Built, BuildError> {
    let bytes = std::fs::read(binary).map_err(io_error(binary))?;
    let binary_hash = sha256_hex(&bytes);
    drop(bytes);
    let spec = project.claims_spec();
    let vendor = project
        .settings
        .vendor
        .clone()
        .or_else(|| project.authors.first().cloned())
        .unwrap_or_else(|| "NoVendor".into());
    let (issuer, subject) = keys(project)?;
    let stamp = Stamp {
        input_sha256: binary_hash.clone(),
        vendor: Some(vendor.clone()),
        name: spec.name.clone(),
        tags: Vec::new(),
        rev: spec.rev,
        ver: spec.ver.clone(),
        call_alias: None,
        issuer: issuer.public_key.clone(),
        subject: subject.public_key.clone(),
    };
    let output = out_dir.join(format!("{}.par.gz", project.artifact));
    let stamp_file = stamp_path(&output);
    let previous = read_stamp(&stamp_file);
    let target = par::native_target();
    let output_intact = || {
        par::read_par(&output)
            .ok()
            .is_some_and(|p| p.metadata.target_hashes.get(&target) == Some(&binary_hash))
    };
    let fresh = previous.as_ref() == Some(&stamp) && output_intact();
    if !fresh {
        let par_spec = par::ParSpec {
            name: spec.name.clone().unwrap_or(project.package.clone()),
            vendor,
            rev: spec.rev,
            ver: spec.ver.clone(),
            binaries: vec![(target, binary.to_path_buf())],
            wit_world: None,
            config_schema: None,
            compress: true,
        };
        par::write_par(&output, &par_spec, &issuer, &subject)?;
        write_stamp(&stamp_file, &stamp)?;
    }
    Ok(Built {
        package: project.package.clone(),
        kind: project.kind,
        path: output,
        cargo_artifact: binary.to_path_buf(),
        hash: binary_hash,
        issuer: stamp.issuer,
        subject: stamp.subject,
        fresh,
        composition: None,
    })
}

/// What the last signing of an output was made from; equal stamps mean nothing to do.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Stamp {
    input_sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vendor: Option<String>,
    name: Option<String>,
    tags: Vec<String>,
    rev: Option<i32>,
    ver: Option<String>,
    call_alias: Option<String>,
    issuer: String,
    subject: String,
}

fn read_stamp(path: &Path) -> Option<Stamp> {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
}

fn write_stamp(path: &Path, stamp: &Stamp) -> Result<(), BuildError> {
    let text = serde_json::to_vec_pretty(stamp).unwrap_or_default();
    fsutil::write_atomic(path, fsutil::Mode::Public, |w| w.write_all(&text)).map_err(io_error(path))
}

fn stamp_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().unwrap_or_default().to_os_string();
    name.push(".stamp");
    output.with_file_name(name)
}

/// The component cargo built for an actor: validated, and adapted if it is a wasip1 module.
fn load_component(project: &Project, artifact: &Path) -> Result<Vec<u8>, BuildError> {
    let bytes = std::fs::read(artifact).map_err(io_error(artifact))?;
    let component = match wasm::kind_of(&bytes) {
        Ok(wasm::WasmKind::Component) => bytes,
        Ok(wasm::WasmKind::CoreModule) if project.target() == WasmTarget::Wasip1 => {
            adapt_wasip1(&bytes, artifact)?
        }
        Ok(wasm::WasmKind::CoreModule) => {
            return Err(BuildError::InvalidWasm {
                path: artifact.display().to_string(),
                reason: "cargo produced a core module, not a component".into(),
            })
        }
        Err(e) => {
            return Err(BuildError::InvalidWasm {
                path: artifact.display().to_string(),
                reason: e.to_string(),
            })
        }
    };
    wasmparser::Validator::new()
        .validate_all(&component)
        .map_err(|e| BuildError::InvalidWasm {
            path: artifact.display().to_string(),
            reason: e.to_string(),
        })?;
    Ok(component)
}

/// Writes an actor's component to `<out>/<name>.wasm` and signs it into `<name>_s.wasm`
/// (unless the last signing was of the same bytes with the same claims).
fn finish_actor(
    project: &Project,
    component: Vec<u8>,
    artifact: &Path,
    out_dir: &Path,
    sign_outputs: bool,
    keys: &mut SigningKeys<'_>,
) -> Result<Built, BuildError> {
    let hash = wasm::module_hash(&component).map_err(SignError::from)?;

    // The component as built (adapted if need be), beside the signed one.
    let unsigned = out_dir.join(format!("{}.wasm", project.artifact));
    let output = out_dir.join(format!("{}_s.wasm", project.artifact));
    if std::fs::read(&unsigned).ok().as_deref() != Some(&component[..]) {
        fsutil::write_atomic(&unsigned, fsutil::Mode::Public, |w| w.write_all(&component))
            .map_err(io_error(&unsigned))?;
    }
    if !sign_outputs {
        return Ok(Built {
            package: project.package.clone(),
            kind: project.kind,
            path: unsigned,
            cargo_artifact: artifact.to_path_buf(),
            hash,
            issuer: String::new(),
            subject: String::new(),
            fresh: false,
            composition: None,
        });
    }

    let (issuer, subject) = keys(project)?;
    let spec = project.claims_spec();
    let stamp = Stamp {
        input_sha256: sha256_hex(&component),
        vendor: None,
        name: spec.name.clone(),
        tags: spec.tags.clone(),
        rev: spec.rev,
        ver: spec.ver.clone(),
        call_alias: spec.call_alias.clone(),
        issuer: issuer.public_key.clone(),
        subject: subject.public_key.clone(),
    };
    let stamp_file = stamp_path(&output);
    let previous = read_stamp(&stamp_file);
    let output_intact = || {
        std::fs::read(&output)
            .ok()
            .and_then(|signed| sign::read_component_token(&signed).ok().flatten())
            .is_some_and(|token| token.metadata.hash == hash)
    };
    let fresh = previous.as_ref() == Some(&stamp) && output_intact();
    if !fresh {
        sign::sign_file(&unsigned, &output, &spec, || Ok((issuer, subject)))?;
        write_stamp(&stamp_file, &stamp)?;
    }
    Ok(Built {
        package: project.package.clone(),
        kind: project.kind,
        path: output,
        cargo_artifact: artifact.to_path_buf(),
        hash,
        issuer: stamp.issuer,
        subject: stamp.subject,
        fresh,
        composition: None,
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    data_encoding::HEXUPPER.encode(&Sha256::digest(bytes))
}

/// Wraps a `wasm32-wasip1` core module into a component with the WASI preview 1 reactor
/// adapter.
fn adapt_wasip1(module: &[u8], path: &Path) -> Result<Vec<u8>, BuildError> {
    use wasi_preview1_component_adapter_provider::{
        WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
    };
    let fail = |e: anyhow::Error| BuildError::Adapt {
        path: path.display().to_string(),
        reason: format!("{e:#}"),
    };
    wit_component::ComponentEncoder::default()
        .module(module)
        .map_err(fail)?
        .adapter(
            WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
            WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
        )
        .map_err(fail)?
        .validate(true)
        .encode()
        .map_err(fail)
}
