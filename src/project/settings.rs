//! Project settings: `[package.metadata.wasmcloud]` in `Cargo.toml`, defaulting from the
//! package itself so a plain cargo crate needs no extra file.

use serde::Deserialize;

/// What a crate is to wasmCloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectKind {
    /// A component (`cdylib` built for `wasm32-wasip2`), signed.
    #[serde(alias = "component")]
    Actor,
    /// A native capability provider, packed into a provider archive.
    Provider,
    /// A crate of interface traits; nothing to build for wasmCloud.
    Interface,
}

impl std::fmt::Display for ProjectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ProjectKind::Actor => "actor",
            ProjectKind::Provider => "provider",
            ProjectKind::Interface => "interface",
        })
    }
}

/// The Wasm targets an actor may build for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, Default)]
pub enum WasmTarget {
    #[default]
    #[serde(rename = "wasm32-wasip2")]
    Wasip2,
    /// Built as a core module, then adapted into a component.
    #[serde(rename = "wasm32-wasip1")]
    Wasip1,
}

impl WasmTarget {
    pub fn triple(self) -> &'static str {
        match self {
            WasmTarget::Wasip2 => "wasm32-wasip2",
            WasmTarget::Wasip1 => "wasm32-wasip1",
        }
    }
}

/// `[package.metadata.wasmcloud]`. Every field is optional.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Inferred when absent: `cdylib` → actor, a binary → provider.
    pub kind: Option<ProjectKind>,
    /// Name in the claims [default: the package name].
    pub name: Option<String>,
    /// Version in the claims [default: the package version].
    #[serde(alias = "ver")]
    pub version: Option<String>,
    /// Revision in the claims [default: 0].
    #[serde(alias = "rev")]
    pub revision: Option<i32>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(alias = "call_alias")]
    pub call_alias: Option<String>,
    /// Issuer (account) key: a key name in the key directory, a seed file, or a seed.
    pub issuer: Option<String>,
    /// Subject (component or provider) key, likewise.
    pub subject: Option<String>,
    /// Key directory for this project [default: --keys-dir, WASH_KEYS, ~/.wash/keys].
    #[serde(alias = "key_directory")]
    pub key_directory: Option<std::path::PathBuf>,
    /// `wasm32-wasip2` (default) or `wasm32-wasip1`.
    pub target: Option<WasmTarget>,
    /// Provider vendor [default: the package's first author, else `NoVendor`].
    pub vendor: Option<String>,
    /// WIT namespace of an interface crate.
    pub namespace: Option<String>,
    /// Interface crates (path dependencies) whose traits this actor implements and exports.
    #[serde(default)]
    pub implements: Vec<String>,
    /// Interface crates (path dependencies) this actor calls through client types.
    #[serde(default)]
    pub uses: Vec<String>,
    /// Components to compose this actor with (`[package.metadata.wasmcloud.compose]`).
    pub compose: Option<super::compose_settings::ComposeSettings>,
    /// The application this package declares (`[package.metadata.wasmcloud.app]`), read
    /// by `app` with [`super::app_settings::AppSettings::read`] so errors name their key.
    pub app: Option<serde_json::Value>,
    /// What `build` bakes in (`[package.metadata.wasmcloud.virt]`), read by
    /// [`super::virt_settings::VirtSettings::read`] so errors name their key.
    pub virt: Option<serde_json::Value>,
}

impl Settings {
    /// Reads the `wasmcloud` table of a package's `metadata` value (absent: defaults).
    pub fn from_package_metadata(metadata: &serde_json::Value) -> Result<Settings, String> {
        match metadata.get("wasmcloud") {
            None | Some(serde_json::Value::Null) => Ok(Settings::default()),
            Some(table) => Settings::deserialize(table).map_err(|e| e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_metadata_table() {
        let s = Settings::from_package_metadata(&json!({"wasmcloud": {
            "kind": "actor", "name": "Hello", "version": "1.0.0", "revision": 3,
            "tags": ["a"], "call-alias": "hi", "target": "wasm32-wasip1"
        }}))
        .unwrap();
        assert_eq!(s.kind, Some(ProjectKind::Actor));
        assert_eq!(s.revision, Some(3));
        assert_eq!(s.target, Some(WasmTarget::Wasip1));
        assert_eq!(s.call_alias.as_deref(), Some("hi"));
        assert_eq!(
            Settings::from_package_metadata(&json!(null)).unwrap(),
            Settings::default()
        );
        assert_eq!(
            Settings::from_package_metadata(&json!({"other": 1})).unwrap(),
            Settings::default()
        );
    }

    #[test]
    fn rejects_typos_and_bad_values() {
        let err =
            Settings::from_package_metadata(&json!({"wasmcloud": {"knd": "actor"}})).unwrap_err();
        assert!(err.contains("knd"), "{err}");
        let err =
            Settings::from_package_metadata(&json!({"wasmcloud": {"kind": "widget"}})).unwrap_err();
        assert!(err.contains("widget"), "{err}");
        let err =
            Settings::from_package_metadata(&json!({"wasmcloud": {"target": "wasm32-unknown"}}))
                .unwrap_err();
        assert!(err.contains("wasm32-unknown"), "{err}");
    }
}
