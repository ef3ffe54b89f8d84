//! `[package.metadata.wasmcloud.compose]`: what to compose an actor with, and how. This is
//! the schema and its checks; `compose::config` turns it into the planner's rules.
//!
//! ```toml
//! [package.metadata.wasmcloud.compose]
//! host = ["wasi:*", "wasmcloud:*"]   # imports left to the host (this is the default)
//! strict = true                      # any other import left unsatisfied is an error
//! semver = "compatible"              # or "exact"
//! # wac = "compose.wac"              # run this .wac document instead of wiring automatically
//!
//! [package.metadata.wasmcloud.compose.plugs]
//! kv = { crate = "kv-memory" }                                  # a workspace actor, built first
//! auth = { path = "vendor/auth.wasm" }                          # a file, relative to Cargo.toml
//! log = { oci = "ghcr.io/acme/log:0.3.1", digest = "sha256:…" } # pulled, checked by digest
//!
//! [package.metadata.wasmcloud.compose.wire]
//! "wasi:keyvalue/store" = "kv"                    # import (or ns:pkg, ns:pkg/iface) = plug
//! "auth::acme:log/sink" = "host"                  # a plug's import, left to the host
//! "primary" = { plug = "kv", export = "wasi:keyvalue/store@0.2.0" }
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

/// A mistake in the compose table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid [package.metadata.wasmcloud.compose]: {0}")]
pub struct ComposeConfigError(pub String);

/// How versions may differ between an import and the export wired to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Semver {
    Exact,
    #[default]
    Compatible,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ComposeSettings {
    #[serde(default)]
    pub plugs: BTreeMap<String, PlugSpec>,
    #[serde(default)]
    pub wire: BTreeMap<String, WireSpec>,
    pub host: Option<Vec<String>>,
    pub strict: Option<bool>,
    pub semver: Option<Semver>,
    /// A hand-written `.wac` document, relative to Cargo.toml.
    pub wac: Option<PathBuf>,
}

/// Where a plug comes from: exactly one of `crate`, `path`, `oci`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlugSpec {
    #[serde(rename = "crate", skip_serializing_if = "Option::is_none")]
    pub krate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oci: Option<String>,
    /// `sha256:…` of the OCI manifest: required with `oci`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// A plug's source, checked.
#[derive(Debug, Clone, PartialEq)]
pub enum PlugSource {
    Crate(String),
    Path(PathBuf),
    Oci { reference: String, digest: String },
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum WireSpec {
    /// A plug id, or `host`.
    Name(String),
    Explicit {
        plug: String,
        export: Option<String>,
    },
}

impl PlugSpec {
    pub fn source(&self, id: &str) -> Result<PlugSource, ComposeConfigError> {
        let bad = |why: &str| Err(ComposeConfigError(format!("plug `{id}`: {why}")));
        match (&self.krate, &self.path, &self.oci) {
            (Some(c), None, None) if self.digest.is_none() => Ok(PlugSource::Crate(c.clone())),
            (None, Some(p), None) if self.digest.is_none() => Ok(PlugSource::Path(p.clone())),
            (None, None, Some(r)) => match &self.digest {
                // The digest names the cached file: checked here, before it is ever a path.
                Some(d) if crate::oci::is_sha256_digest(d) => Ok(PlugSource::Oci {
                    reference: r.clone(),
                    digest: d.clone(),
                }),
                Some(d) => bad(&format!("digest `{d}` is not `sha256:` and 64 hex digits")),
                None => bad("an `oci` plug needs its manifest `digest`, so builds are repeatable"),
            },
            (None, None, None) => bad("give one of `crate`, `path` or `oci`"),
            _ if self.digest.is_some() && self.oci.is_none() => bad("`digest` goes with `oci`"),
            _ => bad("give only one of `crate`, `path` or `oci`"),
        }
    }
}

/// Plug ids must work as package names (`plug:<id>`) and `.wac` identifiers.
pub fn check_plug_id(id: &str) -> Result<(), ComposeConfigError> {
    let ok = id.split('-').all(|part| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    }) && id.starts_with(|c: char| c.is_ascii_lowercase());
    if ok {
        Ok(())
    } else {
        Err(ComposeConfigError(format!(
            "plug id `{id}`: use lower-case letters, digits and single dashes, starting with a letter"
        )))
    }
}

impl ComposeSettings {
    /// Every plug with its checked source.
    pub fn sources(&self) -> Result<Vec<(String, PlugSource)>, ComposeConfigError> {
        self.plugs
            .iter()
            .map(|(id, spec)| {
                check_plug_id(id)?;
                Ok((id.clone(), spec.source(id)?))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(toml_text: &str) -> Result<ComposeSettings, String> {
        let value: toml_edit::de::ValueDeserializer =
            toml_text.parse().map_err(|e| format!("{e}"))?;
        ComposeSettings::deserialize(value).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_plugs() {
        let s = settings(
            r#"{ plugs = { kv = { crate = "kv-mem" }, auth = { path = "a.wasm" } }, semver = "exact" }"#,
        )
        .unwrap();
        let sources = s.sources().unwrap();
        assert_eq!(
            sources[0],
            ("auth".into(), PlugSource::Path("a.wasm".into()))
        );
        assert_eq!(
            sources[1],
            ("kv".into(), PlugSource::Crate("kv-mem".into()))
        );
        assert_eq!(s.semver, Some(Semver::Exact));
    }

    #[test]
    fn rejects_bad_plugs() {
        assert!(settings("{ plugz = {} }").unwrap_err().contains("plugz"));
        let s = settings(r#"{ plugs = { x = { oci = "r/x:1" } } }"#).unwrap();
        assert!(s
            .sources()
            .unwrap_err()
            .to_string()
            .contains("needs its manifest `digest`"));
        let s = settings(r#"{ plugs = { x = { crate = "a", path = "b" } } }"#).unwrap();
        assert!(s.sources().unwrap_err().to_string().contains("only one"));
        let s = settings(r#"{ plugs = { Bad_Id = { crate = "a" } } }"#).unwrap();
        assert!(s
            .sources()
            .unwrap_err()
            .to_string()
            .contains("plug id `Bad_Id`"));
        // A digest is a file name later: one that walks out of the cache is refused, as is
        // any that is not 64 lower-case hex digits.
        let hex = "ab".repeat(32);
        for digest in [
            format!("sha256:../../../../{}", &hex[12..]),
            format!("sha256:{}", hex.to_uppercase()),
            format!("sha512:{hex}"),
            format!("sha256:{}", &hex[1..]),
        ] {
            let text =
                format!(r#"{{ plugs = {{ x = {{ oci = "r/x:1", digest = "{digest}" }} }} }}"#);
            let s = settings(&text).unwrap();
            assert!(
                s.sources()
                    .unwrap_err()
                    .to_string()
                    .contains("is not `sha256:`"),
                "{digest}"
            );
        }
        let text =
            format!(r#"{{ plugs = {{ x = {{ oci = "r/x:1", digest = "sha256:{hex}" }} }} }}"#);
        assert!(settings(&text).unwrap().sources().is_ok());
    }
}
