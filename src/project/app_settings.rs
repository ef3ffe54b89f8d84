//! `[workspace.metadata.wasmcloud.app]` (or `[package.metadata.wasmcloud.app]`): a wasmCloud
//! application, from which `app` writes wadm's manifest. The actors of the workspace are its
//! components without being listed; this table says what else runs, how many, and where.
//!
//! ```toml
//! [workspace.metadata.wasmcloud.app]
//! name = "shop"                          # [default: the package or workspace directory name]
//! version = "0.2.0"                      # [default: the package's version]
//! description = "The shop"
//! registry = "ghcr.io/acme"              # push components as REGISTRY/<package>:<version>
//!                                        # [default: none; file:// images of the built files]
//!
//! [workspace.metadata.wasmcloud.app.components.shop-ui]   # a workspace actor, by package
//! instances = 6
//! spread = [{ name = "east", requirements = { zone = "east" }, weight = 2 },
//!           { name = "west", requirements = { zone = "west" }, weight = 1 }]
//! config = { greeting = "hi" }           # wasi:config values
//! http-address = "0.0.0.0:8081"          # overrides the HTTP server's address for this one
//!
//! [workspace.metadata.wasmcloud.app.providers.http]
//! image = "http-server"                  # a builtin, an OCI reference, or `crate = "..."`
//! address = "0.0.0.0:8080"
//! [workspace.metadata.wasmcloud.app.providers.kv]
//! image = "ghcr.io/wasmcloud/keyvalue-redis:0.28.2"
//! link-config = { url = "redis://127.0.0.1:6379" }
//! daemon = true                          # one per matching host (with `spread` requirements)
//!
//! [[workspace.metadata.wasmcloud.app.links]]  # explicit links win over inferred ones
//! from = "shop-ui"
//! to = "kv"
//! interfaces = ["wasi:keyvalue/store", "wasi:keyvalue/atomics"]
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// The table, with the key it was read from (for error messages).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AppSettings {
    pub name: Option<String>,
    pub version: Option<String>,
    pub description: Option<String>,
    pub registry: Option<String>,
    #[serde(default)]
    pub components: BTreeMap<String, ComponentSettings>,
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderSettings>,
    #[serde(default)]
    pub links: Vec<LinkSettings>,
}

/// Placement and config of one workspace actor.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ComponentSettings {
    pub instances: Option<u64>,
    #[serde(default)]
    pub spread: Vec<SpreadSettings>,
    #[serde(default)]
    pub daemon: bool,
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    pub http_address: Option<String>,
}

/// A capability provider of the application.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ProviderSettings {
    /// `http-server` (a builtin), `wasmcloud+builtin://...`, an OCI reference, or `file://`.
    pub image: Option<String>,
    /// A provider crate of this workspace, built and packed with the application.
    #[serde(rename = "crate")]
    pub krate: Option<String>,
    /// HTTP servers: the address they listen on for the components linked to them.
    pub address: Option<String>,
    /// Interfaces or packages it serves to components (`wasi:keyvalue`,
    /// `wasi:http/outgoing-handler`) [default: known for wasmCloud's own providers].
    pub provides: Option<Vec<String>>,
    /// Interfaces it calls on components (`wasi:http/incoming-handler`) [default: likewise].
    pub calls: Option<Vec<String>>,
    /// Config on every link inferred for this provider (its side of the link).
    #[serde(default)]
    pub link_config: BTreeMap<String, String>,
    /// The provider's own config.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    pub instances: Option<u64>,
    #[serde(default)]
    pub spread: Vec<SpreadSettings>,
    #[serde(default)]
    pub daemon: bool,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SpreadSettings {
    pub name: String,
    #[serde(default)]
    pub requirements: BTreeMap<String, String>,
    pub weight: Option<u64>,
}

/// An explicit link: `from` calls `to` on `interfaces` (full names, one package per link).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LinkSettings {
    pub from: String,
    pub to: String,
    pub interfaces: Vec<String>,
    pub name: Option<String>,
    #[serde(default)]
    pub source_config: BTreeMap<String, String>,
    #[serde(default)]
    pub target_config: BTreeMap<String, String>,
}

/// A mistake in the table, with the full Cargo.toml key it is at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {reason}")]
pub struct AppSettingsError {
    pub key: String,
    pub reason: String,
}

impl AppSettings {
    /// Reads the `app` table of a `wasmcloud` metadata value; `table` is its key as written
    /// in Cargo.toml (`workspace.metadata.wasmcloud.app`).
    pub fn read(value: &Value, table: &str) -> Result<AppSettings, AppSettingsError> {
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let key = if path == "." {
                table.to_string()
            } else {
                format!("{table}.{path}")
            };
            AppSettingsError {
                key,
                reason: e.into_inner().to_string(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_table() {
        let s = AppSettings::read(
            &json!({
                "name": "shop", "registry": "localhost:5000/acme",
                "components": {"ui": {"instances": 6, "spread": [
                    {"name": "east", "requirements": {"zone": "east"}, "weight": 2}]}},
                "providers": {"http": {"image": "http-server", "address": "127.0.0.1:8080"}},
                "links": [{"from": "ui", "to": "kv", "interfaces": ["wasi:keyvalue/store"]}]
            }),
            "workspace.metadata.wasmcloud.app",
        )
        .unwrap();
        assert_eq!(s.components["ui"].spread[0].weight, Some(2));
        assert_eq!(
            s.providers["http"].address.as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(s.links[0].to, "kv");
    }

    #[test]
    fn errors_name_the_cargo_toml_key() {
        let table = "package.metadata.wasmcloud.app";
        let err =
            AppSettings::read(&json!({"providers": {"http": {"imgae": "x"}}}), table).unwrap_err();
        assert_eq!(
            err.key,
            "package.metadata.wasmcloud.app.providers.http.imgae"
        );
        assert!(err.reason.contains("imgae"), "{err}");
        let err = AppSettings::read(&json!({"components": {"ui": {"config": {"n": 3}}}}), table)
            .unwrap_err();
        assert_eq!(
            err.key,
            "package.metadata.wasmcloud.app.components.ui.config.n"
        );
        let err = AppSettings::read(&json!({"version": 1}), table).unwrap_err();
        assert_eq!(err.key, "package.metadata.wasmcloud.app.version");
    }
}
