//! The compose table of Cargo.toml (`project::compose_settings`) as the planner's rules.

use crate::project::compose_settings::{ComposeSettings, WireSpec};

use super::plan::{Rules, Target, WireRule};

/// A `wire` entry: `[CONSUMER::]IMPORT` chooses `spec` (a plug id, `host`, or a plug and
/// its export).
pub fn wire_rule(key: &str, spec: &WireSpec) -> WireRule {
    let (consumer, pattern) = match key.split_once("::") {
        Some((c, p)) => (Some(c.to_string()), p.to_string()),
        None => (None, key.to_string()),
    };
    let target = match spec {
        WireSpec::Name(name) if name == "host" => Target::Host,
        WireSpec::Name(name) => Target::Plug {
            id: name.clone(),
            export: None,
        },
        WireSpec::Explicit { plug, export } => Target::Plug {
            id: plug.clone(),
            export: export.clone(),
        },
    };
    WireRule {
        key: key.to_string(),
        consumer,
        pattern,
        target,
    }
}

/// The planner's rules for an actor's compose table.
pub fn rules(settings: &ComposeSettings) -> Rules {
    let defaults = Rules::default();
    let wire = settings
        .wire
        .iter()
        .map(|(key, spec)| wire_rule(key, spec))
        .collect();
    Rules {
        wire,
        host: settings.host.clone().unwrap_or(defaults.host),
        strict: settings.strict.unwrap_or(defaults.strict),
        semver: settings.semver.unwrap_or(defaults.semver),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn wires_and_defaults_become_rules() {
        let value: toml_edit::de::ValueDeserializer = r#"{ wire = { "wasi:keyvalue/store" = "kv", "auth::x:y/z" = "host", "primary" = { plug = "kv", export = "e" } } }"#
            .parse()
            .unwrap();
        let settings = ComposeSettings::deserialize(value).unwrap();
        let rules = rules(&settings);
        assert_eq!(rules.host, ["wasi:*", "wasmcloud:*"]);
        assert!(rules.strict);
        let auth = rules.wire.iter().find(|r| r.key == "auth::x:y/z").unwrap();
        assert_eq!(auth.consumer.as_deref(), Some("auth"));
        assert_eq!(auth.target, Target::Host);
        let primary = rules.wire.iter().find(|r| r.key == "primary").unwrap();
        assert_eq!(
            primary.target,
            Target::Plug {
                id: "kv".into(),
                export: Some("e".into())
            }
        );
    }
}
