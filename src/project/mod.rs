//! The project model: which workspace members wasmCloud builds and what they are (actor,
//! provider, interface crate), read from `cargo metadata` and `[package.metadata.wasmcloud]`
//! (or a wash `wasmcloud.toml`), and how cargo chooses packages (`-p`, `--workspace`, the
//! current directory). Nothing here builds; `pipeline` does.

pub mod app_settings;
pub mod compose_settings;
pub mod keys;
pub mod settings;
pub mod virt_settings;
pub mod wasmcloud_toml;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cargo_metadata::{Metadata, MetadataCommand, Package, TargetKind};

use crate::sign::ComponentClaimsSpec;
pub use settings::{ProjectKind, Settings, WasmTarget};

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
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
    #[error("the {target} target is not installed: run `rustup target add {target}`")]
    TargetMissing { target: String },
    #[error("could not run {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: io::Error,
    },
}

/// Which packages to work on and how to ask cargo about them; mirrors cargo's own flags.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The cargo to run (`$CARGO` when cargo runs us).
    pub cargo: PathBuf,
    /// Directory to run in.
    pub cwd: PathBuf,
    pub manifest_path: Option<PathBuf>,
    pub packages: Vec<String>,
    pub workspace: bool,
    pub target_dir: Option<PathBuf>,
    pub locked: bool,
    pub offline: bool,
    pub frozen: bool,
}

impl Selection {
    /// The package of `cwd` (or the workspace's default members), with `$CARGO`.
    pub fn new(cwd: PathBuf) -> Selection {
        Selection {
            cargo: std::env::var_os("CARGO")
                .map(PathBuf::from)
                .unwrap_or_else(|| "cargo".into()),
            cwd,
            manifest_path: None,
            packages: Vec::new(),
            workspace: false,
            target_dir: None,
            locked: false,
            offline: false,
            frozen: false,
        }
    }

    /// The flags every cargo command we run shares: `--manifest-path`, `--locked`, ...
    pub fn cargo_args(&self) -> Vec<String> {
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
    /// A wash project's output directory (wasmcloud.toml's `build`, default `build/`):
    /// signed outputs are written there too, where its wadm manifests point.
    pub wash_build_dir: Option<PathBuf>,
    /// The library's root source file, if the package has a library.
    pub lib_path: Option<PathBuf>,
    /// Dependencies given by `path`: where interface crates are found.
    pub path_dependencies: Vec<PathDependency>,
    /// The version requirement of each registry dependency, by package name (checked where
    /// generated code needs a particular line of a crate).
    pub registry_requirements: BTreeMap<String, cargo_metadata::semver::VersionReq>,
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

    /// The path dependency a setting names (`implements`, `uses`): by package name or by
    /// the name code uses for it.
    pub fn path_dependency(&self, name: &str) -> Option<&PathDependency> {
        let ident = name.replace('-', "_");
        self.path_dependencies
            .iter()
            .find(|d| d.package == name || d.crate_ident == ident)
    }

    /// Whether this project's manifest is in `dir` (both resolved, so `a/../b` matches `b`).
    pub fn is_in(&self, dir: &Path) -> bool {
        let resolved = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        resolved(self.dir()) == resolved(dir)
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
    pub fn load(opts: &Selection) -> Result<Workspace, ProjectError> {
        let mut cmd = MetadataCommand::new();
        cmd.cargo_path(&opts.cargo)
            .current_dir(&opts.cwd)
            .no_deps()
            .other_options(opts.cargo_args());
        let metadata = cmd.exec().map_err(|e| {
            let text = e.to_string();
            if text.contains("could not find `Cargo.toml`") {
                ProjectError::NotCargoProject(format!(
                    "no Cargo.toml in {} or any parent directory (give --manifest-path)",
                    opts.cwd.display()
                ))
            } else {
                ProjectError::Metadata(
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

    /// `[workspace.metadata]` of the root Cargo.toml (null when absent).
    pub fn workspace_metadata(&self) -> &serde_json::Value {
        &self.metadata.workspace_metadata
    }

    /// The name of the package at the workspace root, if the root is a package.
    pub fn root_package(&self) -> Option<(String, String)> {
        self.metadata
            .root_package()
            .map(|p| (p.name.to_string(), p.version.to_string()))
    }

    fn members(&self) -> Vec<&Package> {
        self.metadata.workspace_packages()
    }

    /// Every member wasmCloud knows what to do with.
    pub fn projects(&self) -> Result<Vec<Project>, ProjectError> {
        let mut projects = Vec::new();
        for pkg in self.members() {
            projects.extend(classify(pkg)?);
        }
        Ok(projects)
    }

    /// The project of a crate outside this workspace (a path dependency), read with its
    /// own `cargo metadata`.
    pub fn load_crate(cargo: &Path, dir: &Path) -> Result<Option<Project>, ProjectError> {
        let manifest = dir.join("Cargo.toml");
        let metadata = MetadataCommand::new()
            .cargo_path(cargo)
            .manifest_path(&manifest)
            .no_deps()
            .exec()
            .map_err(|e| ProjectError::Metadata(e.to_string().replace('\n', " ")))?;
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
    pub fn select(&self, opts: &Selection) -> Result<Vec<Project>, ProjectError> {
        let members = self.members();
        if !opts.packages.is_empty() {
            return opts
                .packages
                .iter()
                .map(|name| {
                    let pkg = members
                        .iter()
                        .find(|p| p.name == *name)
                        .ok_or_else(|| ProjectError::UnknownPackage(name.clone()))?;
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
        opts: &Selection,
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

fn not_buildable(pkg: &Package) -> ProjectError {
    ProjectError::NotBuildable {
        package: pkg.name.to_string(),
        reason: "a library crate without `cdylib`: add `[lib] crate-type = [\"cdylib\"]` to \
                 build it as an actor, or set `kind` in [package.metadata.wasmcloud]"
            .into(),
    }
}

/// What a package is to wasmCloud: its settings' `kind`, else a `cdylib` is an actor and a
/// crate with a binary a provider. `None` for plain libraries.
fn classify(pkg: &Package) -> Result<Option<Project>, ProjectError> {
    let settings_error = |reason: String| ProjectError::Settings {
        package: pkg.name.to_string(),
        reason,
    };
    let mut settings = Settings::from_package_metadata(&pkg.metadata).map_err(settings_error)?;
    let manifest_path = pkg.manifest_path.clone().into_std_path_buf();
    // A wash project's wasmcloud.toml counts until `migrate` moves it into Cargo.toml.
    let mut legacy_file = None;
    let mut wash_build_dir = None;
    if pkg.metadata.get("wasmcloud").is_none() {
        if let Some(path) = wasmcloud_toml::find(&manifest_path) {
            let legacy = wasmcloud_toml::read(&path).map_err(|e| settings_error(e.to_string()))?;
            settings = legacy.settings;
            let dir = manifest_path.parent().unwrap_or(Path::new("."));
            wash_build_dir = Some(dir.join(legacy.build_dir.unwrap_or_else(|| "build".into())));
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
            .ok_or_else(|| ProjectError::NotBuildable {
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
    let registry_requirements = pkg
        .dependencies
        .iter()
        .filter(|d| d.path.is_none() && d.kind == cargo_metadata::DependencyKind::Normal)
        .map(|d| (d.name.clone(), d.req.clone()))
        .collect();
    Ok(Some(Project {
        lib_path,
        path_dependencies,
        registry_requirements,
        package: pkg.name.to_string(),
        version: pkg.version.to_string(),
        manifest_path,
        kind,
        settings,
        legacy_file,
        wash_build_dir,
        artifact: artifact.replace('-', "_"),
        authors: pkg.authors.clone(),
    }))
}

/// Fails with the `rustup` command to run when a target's standard library is missing.
pub fn check_target_installed(target: &str, cwd: &Path) -> Result<(), ProjectError> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc)
        .args(["--print", "sysroot"])
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| ProjectError::Spawn {
            program: "rustc".into(),
            source,
        })?;
    let sysroot = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let lib = Path::new(&sysroot)
        .join("lib/rustlib")
        .join(target)
        .join("lib");
    if output.status.success() && lib.is_dir() {
        Ok(())
    } else {
        Err(ProjectError::TargetMissing {
            target: target.into(),
        })
    }
}
