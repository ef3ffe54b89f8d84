//! What the control interface says: hosts, inventories, links, events, scale requests,
//! as the JSON of wasmCloud 1.x hosts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A host, as `host.ping` describes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Host {
    pub id: String,
    pub friendly_name: String,
    pub labels: BTreeMap<String, String>,
    pub lattice: String,
    pub version: Option<String>,
    pub uptime_seconds: u64,
    pub uptime_human: Option<String>,
    pub ctl_host: Option<String>,
    pub rpc_host: Option<String>,
    pub js_domain: Option<String>,
}

/// A component running on a host.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ComponentDescription {
    pub id: String,
    pub image_ref: String,
    pub name: Option<String>,
    pub annotations: Option<BTreeMap<String, String>>,
    pub revision: i32,
    pub max_instances: u32,
}

/// A provider running on a host.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ProviderDescription {
    pub id: String,
    pub image_ref: Option<String>,
    pub name: Option<String>,
    pub revision: i32,
    pub annotations: Option<BTreeMap<String, String>>,
}

/// What a host runs (`host.get`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct HostInventory {
    #[serde(alias = "actors")]
    pub components: Vec<ComponentDescription>,
    pub providers: Vec<ProviderDescription>,
    #[serde(default)]
    pub host_id: String,
    #[serde(default)]
    pub friendly_name: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub uptime_human: String,
    #[serde(default)]
    pub uptime_seconds: u64,
}

/// A link from a component or provider to another, over a WIT interface.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Link {
    pub source_id: String,
    pub target: String,
    #[serde(default = "default_link_name")]
    pub name: String,
    pub wit_namespace: String,
    pub wit_package: String,
    pub interfaces: Vec<String>,
    #[serde(default)]
    pub source_config: Vec<String>,
    #[serde(default)]
    pub target_config: Vec<String>,
}

pub(crate) fn default_link_name() -> String {
    "default".into()
}

/// A provider's answer to a health check.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProviderHealth {
    pub healthy: bool,
    #[serde(default)]
    pub message: Option<String>,
}

/// A lattice event (a CloudEvent on `wasmbus.evt.{lattice}.{name}`).
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// The name after `com.wasmcloud.lattice.` (`component_scaled`).
    pub kind: String,
    /// The host that published it.
    pub source: String,
    pub time: String,
    pub data: serde_json::Value,
}

pub(crate) fn parse_event(payload: &[u8]) -> Option<Event> {
    let value: serde_json::Value = serde_json::from_slice(payload).ok()?;
    let kind = value.get("type")?.as_str()?;
    Some(Event {
        kind: kind
            .strip_prefix("com.wasmcloud.lattice.")
            .unwrap_or(kind)
            .to_string(),
        source: value
            .get("source")
            .and_then(|s| s.as_str())
            .unwrap_or_default()
            .to_string(),
        time: value
            .get("time")
            .and_then(|s| s.as_str())
            .unwrap_or_default()
            .to_string(),
        data: value.get("data").cloned().unwrap_or_default(),
    })
}

/// Options of a component scale.
#[derive(Debug, Clone, Default)]
pub struct ScaleRequest {
    pub host_id: String,
    pub component_ref: String,
    pub component_id: String,
    pub count: u32,
    pub config: Vec<String>,
    pub annotations: BTreeMap<String, String>,
    pub allow_update: bool,
}
