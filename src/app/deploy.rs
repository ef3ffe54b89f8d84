//! Deploying: the workspace's application (build, push, store, deploy), a manifest file
//! (checked, relative `file://` images resolved against its directory), or a stored
//! version; then waiting until wadm reports the application deployed.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::{AppError, AppPlan, Application};
use crate::ctl::CtlOptions;
use crate::oci::{self, Pushed, RegistryOptions};
use crate::pipeline::BuildEvent;
use crate::wadm::validate::{self, Checked};
use crate::wadm::{Acknowledged, AppStatus, Stored, Wadm, WadmError};

/// How to deploy.
#[derive(Debug, Clone, Default)]
pub struct DeployOptions {
    pub ctl: CtlOptions,
    pub registry: RegistryOptions,
    /// Store over an existing version of the same number.
    pub replace: bool,
    /// How long to wait for `deployed`; None returns on wadm's acknowledgement.
    pub wait: Option<Duration>,
    /// Deploy as (or, for a stored application, deploy) this version.
    pub version: Option<String>,
}

/// Progress of a deployment.
#[derive(Debug)]
pub enum DeployEvent<'a> {
    Build(BuildEvent<'a>),
    Pushed(&'a Pushed),
    Stored(&'a Stored),
    /// The version was stored already, with the same manifest.
    AlreadyStored {
        name: &'a str,
        version: &'a str,
    },
    Acknowledged(&'a Acknowledged),
    Status(&'a AppStatus),
}

/// What a deployment did.
#[derive(Debug, Clone, Serialize)]
pub struct Deployed {
    pub name: String,
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pushed: Vec<Pushed>,
    /// False when this version was stored already with the same manifest.
    pub stored: bool,
    /// The last status seen (None with --skip-wait).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<AppStatus>,
}

/// Connects to wadm on the lattice.
pub fn connect(opts: &CtlOptions) -> Result<Wadm, AppError> {
    Ok(Wadm::connect(opts)?)
}

/// Reads and checks a manifest file: every problem, located.
pub fn check_file(path: &Path) -> Result<Checked, AppError> {
    let text = std::fs::read_to_string(path).map_err(|source| AppError::Io {
        path: path.display().to_string(),
        source,
    })?;
    validate::check_text(&text).map_err(|problems| AppError::Manifest {
        file: path.display().to_string(),
        problems,
    })
}

/// Rewrites `file://` images relative to `dir` (wash projects write `file://./build/x.wasm`)
/// as absolute ones, which is what hosts load; a file that is not there is an error now
/// rather than a failed deploy later.
pub fn resolve_file_images(value: &mut Value, dir: &Path) -> Result<(), AppError> {
    let Some(components) = value
        .pointer_mut("/spec/components")
        .and_then(Value::as_array_mut)
    else {
        return Ok(());
    };
    for component in components {
        let name = component["name"].as_str().unwrap_or_default().to_string();
        let Some(image) = component.pointer_mut("/properties/image") else {
            continue;
        };
        let Some(path) = image.as_str().and_then(|i| i.strip_prefix("file://")) else {
            continue;
        };
        let full = if path.starts_with('/') {
            std::path::PathBuf::from(path)
        } else {
            dir.join(path)
        };
        if !full.is_file() {
            return Err(AppError::Invalid(format!(
                "component `{name}`: image {} is not there (build it first: `cargo wasmcloud \
                 build`)",
                full.display()
            )));
        }
        let full = full.canonicalize().unwrap_or(full);
        *image = Value::String(format!("file://{}", full.display()));
    }
    Ok(())
}

fn set_version(value: &mut Value, version: &str) {
    if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        let annotations = metadata
            .entry("annotations")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(annotations) = annotations.as_object_mut() {
            annotations.insert("version".into(), Value::String(version.into()));
        }
    }
}

/// Builds, pushes (when the table names a registry), stores and deploys the workspace's
/// application. wadm is asked for first, so a lattice without it fails before any build.
pub fn deploy_application(
    app: &Application,
    opts: &DeployOptions,
    events: &mut dyn FnMut(DeployEvent<'_>),
) -> Result<(AppPlan, Deployed), AppError> {
    let wadm = connect(&opts.ctl)?;
    wadm.status(&app.name)?;
    let (_, plan) = app.build_and_plan(&mut |e| events(DeployEvent::Build(e)))?;
    let mut pushed = Vec::new();
    for image in &plan.images {
        let Some(target) = &image.push_to else {
            continue;
        };
        let reference = oci::parse_reference(target, opts.registry.allow_latest)?;
        let created =
            oci::artifact::created_time(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref())
                .map_err(AppError::Invalid)?;
        let (layer, prepared) = oci::prepare_push(&image.file, created)?;
        let done = oci::push(
            &reference,
            layer,
            prepared,
            Default::default(),
            &opts.registry,
            std::sync::Arc::new(|_, _| {}),
        )?;
        events(DeployEvent::Pushed(&done));
        pushed.push(done);
    }
    let mut value = plan.value();
    if let Some(version) = &opts.version {
        set_version(&mut value, version);
    }
    let mut deployed = put_and_deploy(&wadm, value, opts, events)?;
    deployed.pushed = pushed;
    Ok((plan, deployed))
}

/// Checks a manifest file, resolves its relative `file://` images, stores and deploys it.
pub fn deploy_file(
    path: &Path,
    opts: &DeployOptions,
    events: &mut dyn FnMut(DeployEvent<'_>),
) -> Result<Deployed, AppError> {
    let checked = check_file(path)?;
    let mut value = checked.value;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    resolve_file_images(&mut value, dir)?;
    if let Some(version) = &opts.version {
        set_version(&mut value, version);
    }
    let wadm = connect(&opts.ctl)?;
    put_and_deploy(&wadm, value, opts, events)
}

/// Deploys a stored application (its newest version, or `opts.version`).
pub fn deploy_stored(
    name: &str,
    opts: &DeployOptions,
    events: &mut dyn FnMut(DeployEvent<'_>),
) -> Result<Deployed, AppError> {
    let wadm = connect(&opts.ctl)?;
    let ack = wadm.deploy(name, opts.version.as_deref())?;
    events(DeployEvent::Acknowledged(&ack));
    let status = wait(&wadm, name, opts, events)?;
    Ok(Deployed {
        name: name.into(),
        version: ack.version.or(opts.version.clone()),
        pushed: Vec::new(),
        stored: false,
        status,
    })
}

fn wait(
    wadm: &Wadm,
    name: &str,
    opts: &DeployOptions,
    events: &mut dyn FnMut(DeployEvent<'_>),
) -> Result<Option<AppStatus>, AppError> {
    match opts.wait {
        None => Ok(None),
        Some(limit) => Ok(Some(wadm.wait_deployed(name, limit, &mut |status| {
            events(DeployEvent::Status(status))
        })?)),
    }
}

/// Stores a manifest (the same version stored already with the same content is left as
/// it is; with other content it is an error unless `replace`), deploys it and waits.
fn put_and_deploy(
    wadm: &Wadm,
    value: Value,
    opts: &DeployOptions,
    events: &mut dyn FnMut(DeployEvent<'_>),
) -> Result<Deployed, AppError> {
    let name = value["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let version = value["metadata"]["annotations"]["version"]
        .as_str()
        .map(str::to_string);
    let stored = match (wadm.put(&value), &version) {
        (Ok(stored), _) => {
            events(DeployEvent::Stored(&stored));
            true
        }
        (Err(WadmError::Refused { message, .. }), Some(version))
            if message.contains("already exists") =>
        {
            let existing = wadm.get(&name, Some(version))?;
            if same_manifest(&existing, &value) {
                events(DeployEvent::AlreadyStored {
                    name: &name,
                    version,
                });
                false
            } else if opts.replace {
                wadm.delete(&name, Some(version))?;
                let stored = wadm.put(&value)?;
                events(DeployEvent::Stored(&stored));
                true
            } else {
                return Err(AppError::Invalid(format!(
                    "version {version} of application `{name}` is stored already with another \
                     manifest: change the version, or give --replace"
                )));
            }
        }
        (Err(e), _) => return Err(e.into()),
    };
    let ack = wadm.deploy(&name, version.as_deref())?;
    events(DeployEvent::Acknowledged(&ack));
    let status = wait(wadm, &name, opts, events)?;
    Ok(Deployed {
        name,
        version,
        pushed: Vec::new(),
        stored,
        status,
    })
}

/// Whether two manifests say the same, as wadm reads them (it stores the older link syntax
/// in the newer one, and drops empty optional fields).
fn same_manifest(stored: &Value, ours: &Value) -> bool {
    fn typed(value: &Value) -> Option<crate::wadm::manifest::Manifest> {
        serde_json::from_value(value.clone()).ok()
    }
    match (typed(stored), typed(ours)) {
        (Some(a), Some(b)) => normalized(a) == normalized(b),
        _ => stored == ours,
    }
}

fn normalized(mut manifest: crate::wadm::manifest::Manifest) -> Value {
    use crate::wadm::manifest::{LinkTarget, TargetDefinition, Trait, TraitProperties};
    for component in &mut manifest.spec.components {
        for tr in component.traits.iter_mut().flatten() {
            if let Ok(TraitProperties::Link(mut link)) = tr.read() {
                let (source, target) = link.configs();
                let source: Vec<_> = source.into_iter().cloned().collect();
                let target: Vec<_> = target.into_iter().cloned().collect();
                link.target = LinkTarget::Full(TargetDefinition {
                    name: link.target_name().to_string(),
                    config: target,
                    secrets: match &link.target {
                        LinkTarget::Full(t) => t.secrets.clone(),
                        LinkTarget::Name(_) => Vec::new(),
                    },
                });
                let secrets = link
                    .source
                    .as_ref()
                    .map(|s| s.secrets.clone())
                    .unwrap_or_default();
                link.source = (!source.is_empty() || !secrets.is_empty()).then_some(
                    crate::wadm::manifest::ConfigDefinition {
                        config: source,
                        secrets,
                    },
                );
                link.source_config = None;
                link.target_config = None;
                *tr = Trait::link(*link);
            }
        }
    }
    serde_json::to_value(manifest).unwrap_or(Value::Null)
}
