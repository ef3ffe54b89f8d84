//! The manifest of an application: its components (built actors), its providers (the
//! table's), their placement and config, and the links `infer` finds.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::infer::{self, ExplicitLink, Link, Node};
use super::{AppError, Application};
use crate::pipeline::Built;
use crate::project::app_settings::{AppSettingsError, ProviderSettings, SpreadSettings};
use crate::project::ProjectKind;
use crate::wadm::manifest::{
    self, Component, ComponentType, ConfigDefinition, ConfigProperty, LinkProperties, LinkTarget,
    Manifest, Metadata, Properties, ScalerProperties, Specification, Spread, TargetDefinition,
    Trait,
};

/// wasmCloud's builtin providers (host feature flags turn them on).
const BUILTINS: &[&str] = &["http-server", "http-client", "messaging-nats"];

/// A manifest planned from Cargo.toml, with how it came about.
#[derive(Debug, Clone, Serialize)]
pub struct AppPlan {
    pub name: String,
    pub version: String,
    #[serde(skip)]
    pub manifest: Manifest,
    pub links: Vec<Link>,
    /// Things worth knowing that are not errors.
    pub notes: Vec<String>,
    /// The built file behind each workspace component or provider, and its image.
    pub images: Vec<PlannedImage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedImage {
    pub component: String,
    pub file: std::path::PathBuf,
    pub image: String,
    /// The OCI reference it is pushed to (when the table names a registry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_to: Option<String>,
}

impl AppPlan {
    /// The manifest as JSON, as wadm's API takes it.
    pub fn value(&self) -> Value {
        serde_json::to_value(&self.manifest).unwrap_or(Value::Null)
    }

    /// The manifest as YAML, with a header saying where it came from.
    pub fn yaml(&self, source: &str) -> String {
        crate::wadm::yaml::to_yaml(
            &self.value(),
            &[&format!(
                "wadm application manifest written by cargo-wasmcloud from {source}"
            )],
        )
    }
}

/// The WIT packages (`ns:pkg`) of the interface crates a workspace provider crate
/// `implements` (its generated glue serves them) or `uses` (it calls them on components).
fn glue_packages(app: &Application, krate: &str) -> (Vec<String>, Vec<String>) {
    let Some(project) = app.pipeline.projects.iter().find(|p| p.package == krate) else {
        return Default::default();
    };
    let Ok(members) = app.pipeline.ws.projects() else {
        return Default::default();
    };
    let packages = |names: &[String]| -> Vec<String> {
        names
            .iter()
            .filter_map(|name| {
                let dep = project.path_dependency(name)?;
                let iface = members.iter().find(|m| m.is_in(&dep.dir))?;
                let generated =
                    crate::witgen::sync::generate_interface(iface, &app.pipeline.ws.root).ok()?;
                Some(format!(
                    "{}:{}",
                    generated.package.namespace, generated.package.name
                ))
            })
            .collect()
    };
    (
        packages(&project.settings.implements),
        packages(&project.settings.uses),
    )
}

/// What a well-known provider image serves and calls: `(provides, calls)`.
fn known_provider(image: &str) -> (Vec<String>, Vec<String>) {
    let repository = image
        .trim_start_matches("wasmcloud+builtin://")
        .rsplit('/')
        .next()
        .unwrap_or(image);
    let name = repository.split([':', '@']).next().unwrap_or(repository);
    let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    match name {
        "http-server" => (vec![], list(&["wasi:http/incoming-handler"])),
        "http-client" => (list(&["wasi:http/outgoing-handler"]), vec![]),
        n if n.starts_with("messaging-") => (
            list(&["wasmcloud:messaging/consumer"]),
            list(&["wasmcloud:messaging/handler"]),
        ),
        n if n.starts_with("keyvalue-") => (list(&["wasi:keyvalue"]), vec![]),
        n if n.starts_with("blobstore-") => (list(&["wasi:blobstore"]), vec![]),
        "sqldb-postgres" => (list(&["wasmcloud:postgres"]), vec![]),
        _ => (vec![], vec![]),
    }
}

fn config_list(name: String, values: &BTreeMap<String, String>) -> Vec<ConfigProperty> {
    if values.is_empty() {
        return Vec::new();
    }
    vec![ConfigProperty {
        name,
        properties: Some(values.clone()),
    }]
}

fn scaler(instances: Option<u64>, spread: &[SpreadSettings], daemon: bool) -> Trait {
    let properties = ScalerProperties {
        instances: instances.unwrap_or(1),
        spread: spread
            .iter()
            .map(|s| Spread {
                name: s.name.clone(),
                requirements: s.requirements.clone(),
                weight: s.weight,
            })
            .collect(),
    };
    if daemon {
        Trait::daemonscaler(properties)
    } else {
        Trait::spreadscaler(properties)
    }
}

/// Plans the manifest of `app` from its built files.
pub(super) fn plan(app: &Application, built: &[Built]) -> Result<AppPlan, AppError> {
    let table = &app.table;
    let settings = &app.settings;
    let registry = settings
        .registry
        .as_deref()
        .map(|r| r.trim_end_matches('/').to_string());
    let mut images: Vec<PlannedImage> = Vec::new();
    let mut nodes: Vec<Node> = Vec::new();
    let mut notes = Vec::new();
    let image_for = |built: &Built| -> (String, Option<String>) {
        let project = app
            .pipeline
            .projects
            .iter()
            .find(|p| p.package == built.package);
        let version = project.map(|p| p.version.as_str()).unwrap_or(&app.version);
        match &registry {
            Some(registry) => {
                let reference =
                    format!("{registry}/{}:{version}", built.package).to_ascii_lowercase();
                (reference.clone(), Some(reference))
            }
            None => (format!("file://{}", built.path.display()), None),
        }
    };

    let mut components: Vec<Component> = Vec::new();
    for b in built.iter().filter(|b| b.kind == ProjectKind::Actor) {
        let bytes = std::fs::read(&b.path).map_err(|source| AppError::Io {
            path: b.path.display().to_string(),
            source,
        })?;
        let interfaces =
            crate::artifact::wit::component_interfaces(&bytes).map_err(|source| AppError::Wit {
                path: b.path.display().to_string(),
                source,
            })?;
        let placement = settings
            .components
            .get(&b.package)
            .cloned()
            .unwrap_or_default();
        let (image, push_to) = image_for(b);
        images.push(PlannedImage {
            component: b.package.clone(),
            file: b.path.clone(),
            image: image.clone(),
            push_to,
        });
        let mut inbound = BTreeMap::new();
        if let Some(address) = &placement.http_address {
            inbound.insert("address".to_string(), address.clone());
        }
        nodes.push(Node {
            name: b.package.clone(),
            provider: false,
            imports: interfaces.imports.clone(),
            exports: interfaces.exports.clone(),
            inbound_config: inbound,
            ..Node::default()
        });
        components.push(Component {
            name: b.package.clone(),
            kind: ComponentType::Component,
            properties: Properties {
                image: Some(image),
                config: config_list(format!("{}-config", b.package), &placement.config),
                ..Properties::default()
            },
            traits: Some(vec![scaler(
                placement.instances,
                &placement.spread,
                placement.daemon,
            )]),
        });
    }

    for (id, provider) in &settings.providers {
        let key = |field: &str| format!("{table}.providers.{id}{field}");
        if components.iter().any(|c| c.name == *id) {
            return Err(AppSettingsError {
                key: key(""),
                reason: format!(
                    "`{id}` is also the name of an actor of the workspace: rename the provider"
                ),
            }
            .into());
        }
        let image =
            provider_image(provider, built, &image_for, &mut images, id).map_err(|reason| {
                AppSettingsError {
                    key: key(""),
                    reason,
                }
            })?;
        let (known_provides, known_calls) = known_provider(&image);
        let (implemented, used) = provider
            .krate
            .as_deref()
            .map(|krate| glue_packages(app, krate))
            .unwrap_or_default();
        let provides = provider
            .provides
            .clone()
            .unwrap_or(if implemented.is_empty() {
                known_provides
            } else {
                implemented
            });
        let calls =
            provider
                .calls
                .clone()
                .unwrap_or(if used.is_empty() { known_calls } else { used });
        if provides.is_empty() && calls.is_empty() {
            notes.push(format!(
                "provider `{id}`: nothing is known of what {image} serves; give `provides` (or \
                 `calls`) in {} so links to it can be inferred",
                key("")
            ));
        }
        let mut link_config = provider.link_config.clone();
        if let Some(address) = &provider.address {
            link_config.insert("address".into(), address.clone());
        }
        nodes.push(Node {
            name: id.clone(),
            provider: true,
            provides,
            calls,
            link_config,
            ..Node::default()
        });
        components.push(Component {
            name: id.clone(),
            kind: ComponentType::Capability,
            properties: Properties {
                image: Some(image),
                config: config_list(format!("{id}-config"), &provider.config),
                ..Properties::default()
            },
            traits: Some(vec![scaler(
                provider.instances,
                &provider.spread,
                provider.daemon,
            )]),
        });
    }

    let explicit: Vec<ExplicitLink> = settings
        .links
        .iter()
        .enumerate()
        .map(|(i, l)| ExplicitLink {
            from: l.from.clone(),
            to: l.to.clone(),
            interfaces: l.interfaces.clone(),
            name: l.name.clone(),
            source_config: l.source_config.clone(),
            target_config: l.target_config.clone(),
            key: format!("{table}.links[{i}]"),
        })
        .collect();
    let links = infer::infer(&nodes, &explicit)?;

    // Components exporting HTTP that no server calls: say so (not an error: they may be
    // reached another way).
    for node in nodes.iter().filter(|n| !n.provider) {
        for export in node
            .exports
            .iter()
            .filter(|e| infer::covers("wasi:http/incoming-handler", e))
        {
            if !links
                .iter()
                .any(|l| l.target == node.name && l.package == "http")
            {
                notes.push(format!(
                    "component `{}` exports {export}, but no provider calls it: add a provider \
                     with image = \"http-server\" and an `address` to serve it over HTTP",
                    node.name
                ));
            }
        }
    }
    // Two components served on one address would collide in the HTTP server.
    let mut addresses: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    for link in links
        .iter()
        .filter(|l| l.package == "http" && l.namespace == "wasi")
    {
        if let Some(address) = link.source_config.get("address") {
            if let Some(other) = addresses.insert((&link.source, address), &link.target) {
                return Err(AppSettingsError {
                    key: format!("{table}.components.{}.http-address", link.target),
                    reason: format!(
                        "components `{other}` and `{}` would both be served on {address} by \
                         `{}`: give one its own http-address",
                        link.target, link.source
                    ),
                }
                .into());
            }
        }
    }

    for link in &links {
        let Some(source) = components.iter_mut().find(|c| c.name == link.source) else {
            continue;
        };
        let base = format!("{}-{}-{}", link.source, link.target, link.package);
        let properties = LinkProperties {
            namespace: link.namespace.clone(),
            package: link.package.clone(),
            interfaces: link.interfaces.clone(),
            source: (!link.source_config.is_empty()).then(|| ConfigDefinition {
                config: config_list(format!("{base}-source"), &link.source_config),
                secrets: Vec::new(),
            }),
            target: LinkTarget::Full(TargetDefinition {
                name: link.target.clone(),
                config: config_list(format!("{base}-target"), &link.target_config),
                secrets: Vec::new(),
            }),
            name: link.name.clone(),
            source_config: None,
            target_config: None,
        };
        source
            .traits
            .get_or_insert_with(Vec::new)
            .push(Trait::link(properties));
    }

    let mut annotations = BTreeMap::new();
    annotations.insert(
        manifest::VERSION_ANNOTATION.to_string(),
        app.version.clone(),
    );
    if let Some(description) = &app.description {
        annotations.insert(
            manifest::DESCRIPTION_ANNOTATION.to_string(),
            description.clone(),
        );
    }
    let manifest = Manifest {
        api_version: manifest::API_VERSION.into(),
        kind: manifest::KIND.into(),
        metadata: Metadata {
            name: app.name.clone(),
            annotations: Some(annotations),
            labels: BTreeMap::new(),
        },
        spec: Specification {
            components,
            policies: Vec::new(),
        },
    };
    // What we write must pass our own checks (and wadm's: the tests run its validator).
    let problems = crate::wadm::validate::check(&manifest);
    if let Some((path, message)) = problems.into_iter().next() {
        return Err(AppError::Invalid(format!(
            "the manifest planned from {table} is not valid at {path}: {message}"
        )));
    }
    Ok(AppPlan {
        name: app.name.clone(),
        version: app.version.clone(),
        manifest,
        links,
        notes,
        images,
    })
}

/// A provider's image: a builtin name, a reference as given, or a provider crate's archive.
fn provider_image(
    provider: &ProviderSettings,
    built: &[Built],
    image_for: &dyn Fn(&Built) -> (String, Option<String>),
    images: &mut Vec<PlannedImage>,
    id: &str,
) -> Result<String, String> {
    match (&provider.image, &provider.krate) {
        (Some(_), Some(_)) => Err("give `image` or `crate`, not both".into()),
        (None, None) => Err(format!(
            "provider `{id}` needs `image` (a builtin such as \"http-server\", or an OCI \
             reference) or `crate` (a provider of this workspace)"
        )),
        (Some(image), None) if BUILTINS.contains(&image.as_str()) => {
            Ok(format!("wasmcloud+builtin://{image}"))
        }
        (Some(image), None) if image.trim().is_empty() || image.ends_with(":latest") => Err(
            format!("image {image:?} is refused: give a reference with a version tag"),
        ),
        (Some(image), None) => Ok(image.clone()),
        (None, Some(krate)) => {
            let b = built
                .iter()
                .find(|b| b.package == *krate && b.kind == ProjectKind::Provider)
                .ok_or_else(|| format!("`{krate}` was not built as a provider"))?;
            let (image, push_to) = image_for(b);
            images.push(PlannedImage {
                component: id.to_string(),
                file: b.path.clone(),
                image: image.clone(),
                push_to,
            });
            Ok(image)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_providers() {
        assert_eq!(
            known_provider("wasmcloud+builtin://http-server").1,
            ["wasi:http/incoming-handler"]
        );
        assert_eq!(
            known_provider("ghcr.io/wasmcloud/http-server:0.27.0").1,
            ["wasi:http/incoming-handler"]
        );
        assert_eq!(
            known_provider("ghcr.io/wasmcloud/keyvalue-redis:0.28.2").0,
            ["wasi:keyvalue"]
        );
        assert_eq!(
            known_provider("ghcr.io/wasmcloud/http-client:0.12.0").0,
            ["wasi:http/outgoing-handler"]
        );
        assert_eq!(
            known_provider("localhost:5000/mine:1.0.0"),
            (vec![], vec![])
        );
    }
}
