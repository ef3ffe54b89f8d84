//! `[package.metadata.wasmcloud.virt]`: what `build` bakes into an actor. Values are read
//! here, with `${NAME}` filled in from the build's environment; `virt` generates the
//! component that answers with them.
//!
//! ```toml
//! [package.metadata.wasmcloud.virt]
//! env = { GREETING = "hello", REGION = "${DEPLOY_REGION}" }   # wasi:cli/environment
//! args = ["main.wasm"]                                          # [default: none]
//! cwd = "/"                                                     # [default: none]
//! config = { name = "shop" }                                    # wasi:config/store, runtime
//! deny = ["filesystem", "http-outgoing"]                        # sockets, exit, clocks, random
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::app_settings::AppSettingsError as KeyedError;

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct VirtSettings {
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub args: Vec<String>,
    pub cwd: Option<String>,
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// Interfaces denied to the actor (names checked by the build).
    #[serde(default)]
    pub deny: Vec<String>,
}

/// The table with every `${NAME}` replaced: what to bake in, in key order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResolvedVirt {
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
    pub cwd: Option<String>,
    pub config: Vec<(String, String)>,
    pub deny: Vec<String>,
}

pub const TABLE: &str = "package.metadata.wasmcloud.virt";

impl VirtSettings {
    /// Reads the table (`value` is `[package.metadata.wasmcloud.virt]`).
    pub fn read(value: &Value) -> Result<VirtSettings, KeyedError> {
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            KeyedError {
                key: if path == "." {
                    TABLE.to_string()
                } else {
                    format!("{TABLE}.{path}")
                },
                reason: e.into_inner().to_string(),
            }
        })
    }

    /// Fills in `${NAME}` from `lookup` (the environment, at build time).
    pub fn resolve(
        &self,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ResolvedVirt, KeyedError> {
        let fill = |key: String, text: &str| -> Result<String, KeyedError> {
            expand(text, lookup).map_err(|reason| KeyedError { key, reason })
        };
        let mut out = ResolvedVirt {
            deny: self.deny.clone(),
            cwd: match &self.cwd {
                Some(cwd) => Some(fill(format!("{TABLE}.cwd"), cwd)?),
                None => None,
            },
            ..ResolvedVirt::default()
        };
        for (k, v) in &self.env {
            out.env
                .push((k.clone(), fill(format!("{TABLE}.env.{k}"), v)?));
        }
        for (i, arg) in self.args.iter().enumerate() {
            out.args.push(fill(format!("{TABLE}.args[{i}]"), arg)?);
        }
        for (k, v) in &self.config {
            out.config
                .push((k.clone(), fill(format!("{TABLE}.config.{k}"), v)?));
        }
        Ok(out)
    }
}

/// `text` with each `${NAME}` replaced by the variable's value.
fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("`${{` without its `}}` in {text:?}"))?;
        let name = &after[..end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("`${{{name}}}` is not an environment variable name"));
        }
        let value = lookup(name)
            .ok_or_else(|| format!("the environment variable {name} is not set for this build"))?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_and_variables() {
        let s = VirtSettings::read(&json!({
            "env": {"A": "x-${REGION}-y", "B": "plain"}, "args": ["main.wasm"],
            "config": {"name": "${NAME}"}
        }))
        .unwrap();
        let lookup = |n: &str| match n {
            "REGION" => Some("eu".to_string()),
            "NAME" => Some("shop".to_string()),
            _ => None,
        };
        let r = s.resolve(&lookup).unwrap();
        assert_eq!(
            r.env,
            [("A".into(), "x-eu-y".into()), ("B".into(), "plain".into())]
        );
        assert_eq!(r.config, [("name".to_string(), "shop".to_string())]);
        assert_eq!(r.args, ["main.wasm"]);
        let none = |_: &str| None;
        let err = s.resolve(&none).unwrap_err();
        assert_eq!(err.key, "package.metadata.wasmcloud.virt.env.A");
        assert!(err.reason.contains("REGION is not set"), "{err}");
    }

    #[test]
    fn bad_tables_name_their_key() {
        let err = VirtSettings::read(&json!({"env": {"N": 3}})).unwrap_err();
        assert_eq!(err.key, "package.metadata.wasmcloud.virt.env.N");
        assert!(err.reason.contains("expected a string"), "{err}");
        let err = VirtSettings::read(&json!({"envv": {}})).unwrap_err();
        assert!(err.reason.contains("envv"), "{err}");
        let err = VirtSettings::read(&json!({"env": {"A": "${"}}))
            .unwrap()
            .resolve(&|_| None)
            .unwrap_err();
        assert!(err.reason.contains("without its"), "{err}");
    }
}
