//! Compositions in the pipeline: which workspace crates an actor's plugs are (the one
//! resolver, used both to generate their glue and to build them), loading every plug, and
//! composing or only planning.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::actor::load_component;
use super::{io_error, sha256_hex, BuildError};
use crate::compose;
use crate::project::compose_settings::{ComposeSettings, PlugSource};
use crate::project::{Project, ProjectKind, Workspace};

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

/// The plan of an actor composed with nothing (only virtualized): each of its imports
/// left to the host.
pub(crate) fn alone(
    project: &Project,
    component: Vec<u8>,
) -> Result<CompositionReport, BuildError> {
    let sha256 = super::sha256_hex(&component);
    let root = compose::Input {
        id: project.package.clone(),
        bytes: component,
    };
    let rules = compose::Rules {
        strict: false,
        ..compose::Rules::default()
    };
    let plan = compose::explain(&root, &[], &rules).map_err(composing_failed(project))?;
    Ok(CompositionReport {
        inputs: vec![CompositionInput {
            id: project.package.clone(),
            source: "root".into(),
            sha256,
        }],
        wires: plan.wires.clone(),
        instances: vec![project.package.clone()],
        wac: None,
        plan: Some((plan, vec![project.package.clone()])),
    })
}

/// The composition of `project` failed; the planner's error stays the cause.
fn composing_failed(project: &Project) -> impl FnOnce(compose::ComposeError) -> BuildError + '_ {
    move |source| BuildError::Compose {
        package: project.package.clone(),
        source: Box::new(source),
    }
}

impl CompositionReport {
    /// Writes the planned wiring as a `.wac` document (nothing when a hand-written document
    /// did the wiring: there is no plan to write).
    pub fn write_wac(&self, path: &std::path::Path) -> Result<bool, BuildError> {
        let Some((plan, nodes)) = &self.plan else {
            return Ok(false);
        };
        let text = compose::to_wac(plan, nodes, compose::files::WAC_PACKAGE);
        crate::fsutil::write_atomic(path, crate::fsutil::Mode::Public, |w| {
            w.write_all(text.as_bytes())
        })
        .map_err(io_error(path))?;
        Ok(true)
    }
}

fn compose_error(project: &Project, e: impl std::fmt::Display) -> BuildError {
    BuildError::NotBuildable {
        package: project.package.clone(),
        reason: e.to_string(),
    }
}

/// The workspace actors that the compositions of `projects` plug in, checked before cargo
/// spends time building: crate plugs must be workspace actors, path plugs must exist.
/// Each crate appears once, and none that is already among `projects`.
pub fn plug_crates(projects: &[Project], members: &[Project]) -> Result<Vec<Project>, BuildError> {
    let mut found: Vec<Project> = Vec::new();
    for project in projects {
        let Some(settings) = &project.settings.compose else {
            continue;
        };
        for (id, source) in settings.sources().map_err(|e| compose_error(project, e))? {
            let name = match source {
                PlugSource::Crate(name) => name,
                PlugSource::Path(path) => {
                    let full = project.dir().join(&path);
                    if !full.is_file() {
                        return Err(compose_error(
                            project,
                            format!("plug `{id}`: no file {}", full.display()),
                        ));
                    }
                    continue;
                }
                PlugSource::Oci { .. } => continue,
            };
            let member = members.iter().find(|m| m.package == name).ok_or_else(|| {
                compose_error(
                    project,
                    format!("plug `{id}`: crate `{name}` is not a member of this workspace"),
                )
            })?;
            if member.kind != ProjectKind::Actor {
                return Err(compose_error(
                    project,
                    format!("plug `{id}`: crate `{name}` is not an actor"),
                ));
            }
            let known = projects.iter().chain(&found).any(|p| p.package == name);
            if !known {
                found.push(member.clone());
            }
        }
    }
    Ok(found)
}

/// An actor and its plugs, loaded: the inputs of one composition.
pub(crate) struct Loaded {
    root: compose::Input,
    plugs: Vec<compose::Input>,
    inputs: Vec<CompositionInput>,
}

/// Loads the root (the actor as cargo built it) and every plug: workspace crates from
/// `artifacts`, files from beside Cargo.toml, OCI plugs pulled once by digest.
pub(crate) fn load(
    ws: &Workspace,
    project: &Project,
    settings: &ComposeSettings,
    artifacts: &BTreeMap<String, PathBuf>,
    crates: &[Project],
) -> Result<Loaded, BuildError> {
    let artifact = artifacts
        .get(&project.package)
        .ok_or_else(|| BuildError::NoArtifact(project.package.clone()))?;
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
    for (id, source) in settings.sources().map_err(|e| compose_error(project, e))? {
        let (bytes, described) = match &source {
            PlugSource::Crate(name) => {
                let member = crates
                    .iter()
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
                let path = pull_plug(ws, reference, digest)
                    .map_err(|reason| compose_error(project, format!("plug `{id}`: {reason}")))?;
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
    Ok(Loaded {
        root,
        plugs,
        inputs,
    })
}

impl Loaded {
    fn nodes(&self) -> Vec<String> {
        std::iter::once(&self.root)
            .chain(&self.plugs)
            .map(|i| i.id.clone())
            .collect()
    }

    fn report(&self, plan: Option<compose::Plan>, wac: Option<PathBuf>) -> CompositionReport {
        let nodes = self.nodes();
        CompositionReport {
            inputs: self.inputs.clone(),
            wires: plan.as_ref().map(|p| p.wires.clone()).unwrap_or_default(),
            instances: plan
                .as_ref()
                .map(|p| p.instances.iter().map(|i| nodes[*i].clone()).collect())
                .unwrap_or_default(),
            wac,
            plan: plan.map(|p| (p, nodes)),
        }
    }

    /// Plans the wiring and composes nothing.
    pub(crate) fn explain(
        &self,
        project: &Project,
        settings: &ComposeSettings,
    ) -> Result<CompositionReport, BuildError> {
        if let Some(wac) = &settings.wac {
            let full = project.dir().join(wac);
            // Read, so that a missing document is reported here as in a build.
            std::fs::read_to_string(&full).map_err(io_error(&full))?;
            return Ok(self.report(None, Some(wac.clone())));
        }
        let rules = compose::config::rules(settings);
        let plan =
            compose::explain(&self.root, &self.plugs, &rules).map_err(composing_failed(project))?;
        Ok(self.report(Some(plan), None))
    }

    /// Composes: by the `.wac` document when the settings name one, else by the planner.
    pub(crate) fn compose(
        &self,
        project: &Project,
        settings: &ComposeSettings,
    ) -> Result<(Vec<u8>, CompositionReport), BuildError> {
        if let Some(wac) = &settings.wac {
            let full = project.dir().join(wac);
            let source = std::fs::read_to_string(&full).map_err(io_error(&full))?;
            let bytes = compose::compose_wac(&source, &self.root, &self.plugs)
                .map_err(composing_failed(project))?;
            return Ok((bytes, self.report(None, Some(wac.clone()))));
        }
        let rules = compose::config::rules(settings);
        let composed =
            compose::compose(&self.root, &self.plugs, &rules).map_err(composing_failed(project))?;
        Ok((composed.bytes, self.report(Some(composed.plan), None)))
    }
}

/// Pulls an OCI plug pinned by manifest digest into `<target-dir>/wasmcloud/plugs/`, once:
/// a file named by the digest was checked when written.
fn pull_plug(ws: &Workspace, reference: &str, digest: &str) -> Result<PathBuf, String> {
    if !crate::oci::is_sha256_digest(digest) {
        return Err(format!("`{digest}` is not a sha256 digest"));
    }
    let dir = ws.target_dir.join("wasmcloud/plugs");
    let path = dir.join(format!("{}.wasm", digest.replace(':', "-")));
    if path.is_file() {
        return Ok(path);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let parsed = crate::oci::parse_reference(reference, true).map_err(|e| e.to_string())?;
    let options = crate::oci::RegistryOptions {
        user: std::env::var("WASH_REG_USER").ok(),
        password: std::env::var("WASH_REG_PASSWORD")
            .ok()
            .map(crate::oci::Password::new),
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
