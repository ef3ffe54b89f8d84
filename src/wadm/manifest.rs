//! The wadm application manifest (`core.oam.dev/v1beta1`, `kind: Application`), as wadm 0.21
//! reads it: the same field names and the same refusals of unknown fields, both the current
//! link syntax (`target: {name, config}`, `source: {config}`) and the older one (`target:
//! "name"`, `source_config`, `target_config`). What is sent to wadm is the document's own
//! value; these types are for checking it and for writing new manifests.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const API_VERSION: &str = "core.oam.dev/v1beta1";
pub const KIND: &str = "Application";
pub const VERSION_ANNOTATION: &str = "version";
pub const DESCRIPTION_ANNOTATION: &str = "description";
pub const SPREADSCALER: &str = "spreadscaler";
pub const DAEMONSCALER: &str = "daemonscaler";
pub const LINK: &str = "link";
/// wadm's weight of a spread that gives none.
pub const DEFAULT_WEIGHT: u64 = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub metadata: Metadata,
    pub spec: Specification,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub name: String,
    /// wadm has no default for this map: it must be there, and (for deploy) not be empty.
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Specification {
    pub components: Vec<Component>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<Policy>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub name: String,
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    #[serde(rename = "type")]
    pub kind: String,
}

/// `component` (alias `actor`) or `capability` (a provider).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ComponentType {
    #[serde(rename = "component", alias = "actor")]
    Component,
    #[serde(rename = "capability")]
    Capability,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ComponentType,
    pub properties: Properties,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traits: Option<Vec<Trait>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Properties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// A component of another (shared) application instead of an image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<SharedComponent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<ConfigProperty>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretProperty>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedComponent {
    pub name: String,
    pub component: String,
}

/// A named config, with its values when the manifest sets them (wadm stores those as
/// `{app}-{name}`); without values, one that must already exist on the lattice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigProperty {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecretProperty {
    pub name: String,
    pub properties: SecretSource,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecretSource {
    pub policy: String,
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A trait as written: its properties are read by [`Trait::read`] according to its type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trait {
    #[serde(rename = "type")]
    pub kind: String,
    pub properties: Value,
}

/// A trait's properties, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum TraitProperties {
    Spread(ScalerProperties),
    Daemon(ScalerProperties),
    Link(Box<LinkProperties>),
}

impl Trait {
    pub fn spreadscaler(properties: ScalerProperties) -> Trait {
        Trait::new(SPREADSCALER, properties)
    }

    pub fn daemonscaler(properties: ScalerProperties) -> Trait {
        Trait::new(DAEMONSCALER, properties)
    }

    pub fn link(properties: LinkProperties) -> Trait {
        Trait::new(LINK, properties)
    }

    fn new(kind: &str, properties: impl Serialize) -> Trait {
        Trait {
            kind: kind.into(),
            properties: serde_json::to_value(properties).unwrap_or(Value::Null),
        }
    }

    /// The properties for this trait's type; the error is the path inside `properties` and
    /// what is wrong there.
    pub fn read(&self) -> Result<TraitProperties, (String, String)> {
        fn typed<T: serde::de::DeserializeOwned>(value: &Value) -> Result<T, (String, String)> {
            serde_path_to_error::deserialize(value).map_err(|e| {
                let path = e.path().to_string();
                let path = if path == "." { String::new() } else { path };
                (path, e.into_inner().to_string())
            })
        }
        match self.kind.as_str() {
            SPREADSCALER => typed(&self.properties).map(TraitProperties::Spread),
            DAEMONSCALER => typed(&self.properties).map(TraitProperties::Daemon),
            LINK => typed(&self.properties).map(|l| TraitProperties::Link(Box::new(l))),
            other => Err((
                String::new(),
                format!(
                    "unknown trait type `{other}`: wadm knows `{SPREADSCALER}`, `{DAEMONSCALER}` \
                     and `{LINK}`"
                ),
            )),
        }
    }
}

/// A spreadscaler's or daemonscaler's properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalerProperties {
    #[serde(alias = "replicas")]
    pub instances: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spread: Vec<Spread>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spread {
    pub name: String,
    /// No default in wadm: always written, even when empty.
    pub requirements: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkProperties {
    pub namespace: String,
    pub package: String,
    pub interfaces: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ConfigDefinition>,
    pub target: LinkTarget,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The older syntax of `source.config`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_config: Option<Vec<ConfigProperty>>,
    /// The older syntax of `target.config`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_config: Option<Vec<ConfigProperty>>,
}

impl LinkProperties {
    /// The link's target component name, in either syntax.
    pub fn target_name(&self) -> &str {
        match &self.target {
            LinkTarget::Name(name) => name,
            LinkTarget::Full(target) => &target.name,
        }
    }

    /// The link's name (wadm's default is `default`).
    pub fn link_name(&self) -> &str {
        self.name.as_deref().unwrap_or("default")
    }

    /// Source and target configs, from either syntax.
    pub fn configs(&self) -> (Vec<&ConfigProperty>, Vec<&ConfigProperty>) {
        let mut source: Vec<&ConfigProperty> = self.source_config.iter().flatten().collect();
        source.extend(self.source.iter().flat_map(|s| &s.config));
        let mut target: Vec<&ConfigProperty> = self.target_config.iter().flatten().collect();
        if let LinkTarget::Full(full) = &self.target {
            target.extend(&full.config);
        }
        (source, target)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigDefinition {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<ConfigProperty>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretProperty>,
}

/// `target: name` (older) or `target: {name, config, secrets}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LinkTarget {
    Name(String),
    Full(TargetDefinition),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetDefinition {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<ConfigProperty>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretProperty>,
}

impl Manifest {
    /// The `version` annotation.
    pub fn version(&self) -> Option<&str> {
        self.metadata
            .annotations
            .as_ref()?
            .get(VERSION_ANNOTATION)
            .map(String::as_str)
    }

    pub fn description(&self) -> Option<&str> {
        self.metadata
            .annotations
            .as_ref()?
            .get(DESCRIPTION_ANNOTATION)
            .map(String::as_str)
    }
}

/// The id wadm gives a component without an explicit `id`: `{app}-{name}`, each part
/// lower-cased with everything but ASCII letters and digits as `_`.
pub fn default_component_id(app: &str, component: &str) -> String {
    fn part(text: &str) -> String {
        text.to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect()
    }
    format!("{}-{}", part(app), part(component))
}
