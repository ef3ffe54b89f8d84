//! `app`: a wasmCloud application declared in Cargo.toml, written as wadm's manifest and
//! deployed through wadm. The workspace's actors are its components; the `app` table adds
//! providers, placement and config (`project::app_settings`); links come from the
//! components' own WIT (`infer`). `deploy` builds, pushes, stores and deploys, then waits
//! for wadm to report the application deployed.

pub mod deploy;
pub mod infer;
mod plan;

use std::path::PathBuf;

use crate::artifact::wit::WitError;
use crate::oci::OciError;
use crate::pipeline::{BuildError, BuildEvent, BuildOptions, Built, Pipeline};
use crate::project::app_settings::{AppSettings, AppSettingsError};
use crate::project::{Project, ProjectKind};
use crate::wadm::validate::Problems;
use crate::wadm::WadmError;
pub use plan::{AppPlan, PlannedImage};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Settings(#[from] AppSettingsError),
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error(transparent)]
    Project(#[from] crate::project::ProjectError),
    #[error(transparent)]
    Links(#[from] infer::InferError),
    #[error("{path}: cannot read the component's WIT: {source}")]
    Wit {
        path: String,
        #[source]
        source: WitError,
    },
    #[error(transparent)]
    Registry(#[from] OciError),
    #[error(transparent)]
    Wadm(#[from] WadmError),
    #[error("{file}: {problems}")]
    Manifest { file: String, problems: Problems },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

/// Where the `app` table was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableScope {
    Workspace,
    Package,
    /// No table: the selected actors, with defaults.
    None,
}

/// An application of a workspace, ready to build and plan.
#[derive(Debug)]
pub struct Application {
    pub pipeline: Pipeline,
    pub settings: AppSettings,
    /// The Cargo.toml key of the table (`workspace.metadata.wasmcloud.app`).
    pub table: String,
    pub scope: TableScope,
    pub name: String,
    pub version: String,
    pub description: Option<String>,
}

impl Application {
    /// Finds the application: `[workspace.metadata.wasmcloud.app]` (all actors of the
    /// workspace), else `[package.metadata.wasmcloud.app]` of a selected package (that
    /// package and the actors its table names), else the selected actors with defaults.
    pub fn load(opts: BuildOptions) -> Result<Application, AppError> {
        let mut pipeline = Pipeline::load(opts)?;
        let members = pipeline.ws.projects()?;
        let workspace_table = pipeline
            .ws
            .workspace_metadata()
            .get("wasmcloud")
            .and_then(|w| w.get("app"))
            .cloned();
        let (settings, table, scope, owner) = if let Some(value) = workspace_table {
            let table = "workspace.metadata.wasmcloud.app".to_string();
            (
                AppSettings::read(&value, &table)?,
                table,
                TableScope::Workspace,
                None,
            )
        } else if let Some(project) = pipeline.projects.iter().find(|p| p.settings.app.is_some()) {
            let table = "package.metadata.wasmcloud.app".to_string();
            let value = project.settings.app.clone().unwrap_or_default();
            let settings = AppSettings::read(&value, &table).map_err(|e| AppSettingsError {
                key: format!("{} (package `{}`)", e.key, project.package),
                reason: e.reason,
            })?;
            (settings, table, TableScope::Package, Some(project.clone()))
        } else {
            (
                AppSettings::default(),
                "package.metadata.wasmcloud.app".to_string(),
                TableScope::None,
                pipeline.projects.first().cloned(),
            )
        };

        // The components: every actor (workspace table), or the owner and the actors named
        // in `components`; plus the provider crates the table names.
        let named = |p: &Project| settings.components.contains_key(&p.package);
        let provider_crates: Vec<&str> = settings
            .providers
            .values()
            .filter_map(|p| p.krate.as_deref())
            .collect();
        let mut chosen: Vec<Project> = Vec::new();
        for project in &members {
            let keep = match project.kind {
                ProjectKind::Actor => match scope {
                    TableScope::Workspace => true,
                    TableScope::Package => {
                        named(project)
                            || owner.as_ref().is_some_and(|o| o.package == project.package)
                    }
                    TableScope::None => pipeline
                        .projects
                        .iter()
                        .any(|p| p.package == project.package),
                },
                ProjectKind::Provider => provider_crates.contains(&project.package.as_str()),
                ProjectKind::Interface => false,
            };
            if keep {
                chosen.push(project.clone());
            }
        }
        for key in settings.components.keys() {
            if !chosen
                .iter()
                .any(|p| p.package == *key && p.kind == ProjectKind::Actor)
            {
                return Err(AppSettingsError {
                    key: format!("{table}.components.{key}"),
                    reason: format!("no actor package `{key}` in this workspace"),
                }
                .into());
            }
        }
        for (id, provider) in &settings.providers {
            if let Some(krate) = &provider.krate {
                if !chosen.iter().any(|p| p.package == *krate) {
                    return Err(AppSettingsError {
                        key: format!("{table}.providers.{id}.crate"),
                        reason: format!("no provider package `{krate}` in this workspace"),
                    }
                    .into());
                }
            }
        }
        if !chosen.iter().any(|p| p.kind == ProjectKind::Actor) {
            return Err(AppError::Invalid(
                "no actor in this application: run `app` in an actor's directory, or declare \
                 [workspace.metadata.wasmcloud.app] in a workspace with actors"
                    .into(),
            ));
        }
        let first_actor = chosen.iter().find(|p| p.kind == ProjectKind::Actor);
        let (default_name, default_version) = match (&owner, pipeline.ws.root_package()) {
            (Some(owner), _) if scope != TableScope::Workspace => {
                (owner.package.clone(), owner.version.clone())
            }
            (_, Some((name, version))) => (name, version),
            _ => (
                pipeline
                    .ws
                    .root
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "app".into()),
                first_actor.map(|p| p.version.clone()).unwrap_or_default(),
            ),
        };
        let name = settings.name.clone().unwrap_or(default_name);
        let version = settings.version.clone().unwrap_or(default_version);
        if !crate::wadm::validate::valid_name(&name) {
            return Err(AppSettingsError {
                key: format!("{table}.name"),
                reason: format!(
                    "application name `{name}` may hold only letters, digits, `_` and `-`"
                ),
            }
            .into());
        }
        if version == "latest" || version.is_empty() {
            return Err(AppSettingsError {
                key: format!("{table}.version"),
                reason: format!("version {version:?} is refused by wadm: give a real version"),
            }
            .into());
        }
        pipeline.projects = chosen;
        let description = settings.description.clone();
        Ok(Application {
            pipeline,
            settings,
            table,
            scope,
            name,
            version,
            description,
        })
    }

    /// Builds every component and provider crate of the application (a no-op when
    /// nothing changed), then plans its manifest.
    pub fn build_and_plan(
        &self,
        events: &mut dyn FnMut(BuildEvent<'_>),
    ) -> Result<(Vec<Built>, AppPlan), AppError> {
        let built = self.pipeline.build(events)?;
        let plan = plan::plan(self, &built)?;
        Ok((built, plan))
    }

    /// The target directory the built files are in.
    pub fn out_dir(&self) -> PathBuf {
        self.pipeline.ws.target_dir.join("wasmcloud")
    }
}
