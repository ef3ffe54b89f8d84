//! Checks a manifest before anything is sent: what wadm itself refuses (unknown fields,
//! names, `latest`), and what wadm accepts on `put` and only fails on later (no
//! annotations, links to components that are not there, two links that collide). Each
//! problem carries its place in the YAML.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::manifest::{self, Manifest, TraitProperties};
use super::yaml::{self, Document, Location};

/// One thing wrong with a manifest, at a path (`spec.components[1].name`) and, when read
/// from a file, its line and column.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.location, self.path.is_empty()) {
            (Some(at), true) => write!(f, "{at}: {}", self.message),
            (Some(at), false) => write!(f, "{at} ({}): {}", self.path, self.message),
            (None, false) => write!(f, "{}: {}", self.path, self.message),
            (None, true) => f.write_str(&self.message),
        }
    }
}

/// Every problem found in a manifest (never empty).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Problems(pub Vec<Problem>);

impl std::fmt::Display for Problems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(first) = self.0.first() else {
            return f.write_str("invalid manifest");
        };
        write!(f, "{first}")?;
        match self.0.len() {
            1 => Ok(()),
            n => write!(f, " (and {} more; `app validate` lists them)", n - 1),
        }
    }
}

/// A manifest that passed every check: its typed form and the value to send as it was read.
#[derive(Debug, Clone)]
pub struct Checked {
    pub manifest: Manifest,
    pub value: Value,
}

/// Reads and checks a manifest's text (YAML or JSON).
pub fn check_text(text: &str) -> Result<Checked, Problems> {
    let doc = yaml::parse(text).map_err(|e| {
        Problems(vec![Problem {
            path: String::new(),
            location: Some(e.location),
            message: e.message,
        }])
    })?;
    check_document(&doc)
}

/// Checks a parsed document.
pub fn check_document(doc: &Document) -> Result<Checked, Problems> {
    let locate = |path: String, message: String| Problem {
        location: doc.locate(&path),
        path,
        message,
    };
    let manifest: Manifest = serde_path_to_error::deserialize(&doc.value).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        Problems(vec![locate(path, e.into_inner().to_string())])
    })?;
    let problems: Vec<Problem> = check(&manifest)
        .into_iter()
        .map(|(path, message)| locate(path, message))
        .collect();
    if problems.is_empty() {
        Ok(Checked {
            manifest,
            value: doc.value.clone(),
        })
    } else {
        Err(Problems(problems))
    }
}

/// wadm's rule for application names: letters, digits, `_` and `-`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// The checks on a typed manifest, as (path, message) pairs.
pub fn check(manifest: &Manifest) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let mut problem = |path: &str, message: String| problems.push((path.to_string(), message));
    if manifest.api_version != manifest::API_VERSION {
        problem(
            "apiVersion",
            format!(
                "apiVersion is `{}`: wadm reads `{}`",
                manifest.api_version,
                manifest::API_VERSION
            ),
        );
    }
    if manifest.kind != manifest::KIND {
        problem(
            "kind",
            format!(
                "kind is `{}`: wadm reads `{}`",
                manifest.kind,
                manifest::KIND
            ),
        );
    }
    let name = &manifest.metadata.name;
    if !valid_name(name) {
        problem(
            "metadata.name",
            format!("application name `{name}` may hold only letters, digits, `_` and `-`"),
        );
    }
    match &manifest.metadata.annotations {
        None => problem(
            "metadata",
            "metadata.annotations is missing: wadm needs it (at least `version`)".into(),
        ),
        Some(annotations) if annotations.is_empty() => problem(
            "metadata.annotations",
            "metadata.annotations is empty: wadm stores the manifest, then fails to deploy it; \
             give at least `version`"
                .into(),
        ),
        Some(annotations) => {
            if let Some(version) = annotations.get(manifest::VERSION_ANNOTATION) {
                if version == "latest" {
                    problem(
                        "metadata.annotations.version",
                        "version `latest` is refused by wadm: give a real version".into(),
                    );
                } else if version.is_empty() || version.chars().any(char::is_whitespace) {
                    problem(
                        "metadata.annotations.version",
                        format!("version {version:?} must be one word"),
                    );
                }
            }
        }
    }

    let components = &manifest.spec.components;
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    for (i, component) in components.iter().enumerate() {
        let at = format!("spec.components[{i}]");
        let name_repeated = names.insert(&component.name, i);
        if let Some(first) = name_repeated {
            problem(
                &format!("{at}.name"),
                format!(
                    "component name `{}` is used twice (components {first} and {i})",
                    component.name
                ),
            );
        }
        if !valid_name(&component.name) {
            problem(
                &format!("{at}.name"),
                format!(
                    "component name `{}` may hold only letters, digits, `_` and `-`",
                    component.name
                ),
            );
        }
        let properties = &component.properties;
        match (&properties.image, &properties.application) {
            (None, None) => problem(
                &format!("{at}.properties"),
                format!(
                    "component `{}` has no `image` (nor `application`)",
                    component.name
                ),
            ),
            (Some(_), Some(_)) => problem(
                &format!("{at}.properties"),
                format!(
                    "component `{}` has both `image` and `application`: give one",
                    component.name
                ),
            ),
            (Some(image), None) if image.trim().is_empty() => problem(
                &format!("{at}.properties.image"),
                format!("component `{}` has an empty image", component.name),
            ),
            _ => {}
        }
        let id = properties
            .id
            .clone()
            .unwrap_or_else(|| manifest::default_component_id(name, &component.name));
        // A repeated name repeats its default id too: said once, above.
        let id_repeated = ids.insert(id.clone(), i);
        if let (Some(first), None) = (id_repeated, name_repeated) {
            problem(
                &format!("{at}.properties.id"),
                format!(
                    "component id `{id}` is used twice (components `{}` and `{}`)",
                    components[first].name, component.name
                ),
            );
        }
        let mut configs = BTreeSet::new();
        for (c, config) in properties.config.iter().enumerate() {
            if !configs.insert(&config.name) {
                problem(
                    &format!("{at}.properties.config[{c}].name"),
                    format!("config `{}` is given twice", config.name),
                );
            }
        }
    }

    // Links: targets that exist, and no two from one source on one namespace:package and
    // link name (the host keeps one of them and drops the other).
    let mut seen_links: BTreeMap<(String, String, String, String), String> = BTreeMap::new();
    for (i, component) in components.iter().enumerate() {
        let mut scalers = 0;
        for (t, tr) in component.traits.iter().flatten().enumerate() {
            let at = format!("spec.components[{i}].traits[{t}]");
            let properties = match tr.read() {
                Ok(properties) => properties,
                Err((inner, message)) => {
                    let path = if inner.is_empty() {
                        if tr.kind.is_empty() || !matches!(tr.properties, Value::Object(_)) {
                            at.clone()
                        } else {
                            format!("{at}.type")
                        }
                    } else {
                        format!("{at}.properties.{inner}")
                    };
                    problem(&path, message);
                    continue;
                }
            };
            match properties {
                TraitProperties::Spread(scaler) | TraitProperties::Daemon(scaler) => {
                    scalers += 1;
                    if scalers == 2 {
                        problem(
                            &at,
                            format!(
                                "component `{}` has more than one scaler: give one \
                                 spreadscaler or daemonscaler",
                                component.name
                            ),
                        );
                    }
                    let mut spread_names = BTreeSet::new();
                    for (s, spread) in scaler.spread.iter().enumerate() {
                        if !spread_names.insert(&spread.name) {
                            problem(
                                &format!("{at}.properties.spread[{s}].name"),
                                format!("spread `{}` is given twice", spread.name),
                            );
                        }
                        if spread.weight == Some(0) {
                            problem(
                                &format!("{at}.properties.spread[{s}].weight"),
                                format!("spread `{}` has weight 0", spread.name),
                            );
                        }
                    }
                }
                TraitProperties::Link(link) => {
                    let target = link.target_name();
                    match names.get(target) {
                        None => problem(
                            &format!("{at}.properties.target"),
                            format!(
                                "link from `{}` to `{target}`: no component named `{target}` \
                                 in this manifest",
                                component.name
                            ),
                        ),
                        Some(&j) if j == i => problem(
                            &format!("{at}.properties.target"),
                            format!("component `{}` links to itself", component.name),
                        ),
                        Some(_) => {}
                    }
                    if link.interfaces.is_empty() {
                        problem(
                            &format!("{at}.properties.interfaces"),
                            format!(
                                "link from `{}` to `{target}` names no interface",
                                component.name
                            ),
                        );
                    }
                    let key = (
                        component.name.clone(),
                        link.namespace.clone(),
                        link.package.clone(),
                        link.link_name().to_string(),
                    );
                    let here = at.clone();
                    if let Some(first) = seen_links.insert(key, here) {
                        problem(
                            &format!("{at}.properties"),
                            format!(
                                "`{}` has two links on {}:{} named `{}` (the other is {first}): \
                                 merge their interfaces into one link, or give one a `name`",
                                component.name,
                                link.namespace,
                                link.package,
                                link.link_name()
                            ),
                        );
                    }
                }
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: hello
  annotations:
    version: v0.1.0
spec:
  components:
    - name: hello
      type: component
      properties:
        image: file:///tmp/hello_s.wasm
      traits:
        - type: spreadscaler
          properties:
            instances: 1
    - name: httpserver
      type: capability
      properties:
        image: ghcr.io/wasmcloud/http-server:0.27.0
      traits:
        - type: link
          properties:
            target: hello
            namespace: wasi
            package: http
            interfaces: [incoming-handler]
            source_config:
              - name: default-http
                properties:
                  address: 0.0.0.0:8000
";

    fn first(text: &str) -> Problem {
        check_text(text).unwrap_err().0.remove(0)
    }

    #[test]
    fn a_good_manifest_in_the_older_link_syntax_passes() {
        let checked = check_text(GOOD).unwrap();
        assert_eq!(checked.manifest.version(), Some("v0.1.0"));
        assert_eq!(
            checked.value["spec"]["components"][1]["traits"][0]["type"],
            "link"
        );
    }

    #[test]
    fn each_problem_has_its_line() {
        let p = first(&GOOD.replace("version: v0.1.0", "version: latest"));
        assert_eq!(p.location.unwrap().line, 6, "{p}");
        assert!(p.message.contains("latest"), "{p}");

        let p = first(&GOOD.replace("  annotations:\n    version: v0.1.0\n", ""));
        assert!(p.message.contains("annotations"), "{p}");
        assert_eq!(p.location.unwrap().line, 3, "{p}");

        let p = first(&GOOD.replace(
            "  annotations:\n    version: v0.1.0\n",
            "  annotations: {}\n",
        ));
        assert!(p.message.contains("empty"), "{p}");
        assert_eq!(p.location.unwrap().line, 5, "{p}");

        let p = first(&GOOD.replace("name: httpserver", "name: hello"));
        assert!(p.message.contains("used twice"), "{p}");
        assert_eq!(p.location.unwrap().line, 17, "{p}");

        let p = first(
            &GOOD
                .replace(
                    "image: file:///tmp/hello_s.wasm",
                    "image: file:///tmp/hello_s.wasm\n        id: shared",
                )
                .replace(
                    "image: ghcr.io/wasmcloud/http-server:0.27.0",
                    "image: ghcr.io/wasmcloud/http-server:0.27.0\n        id: shared",
                ),
        );
        assert!(
            p.message.contains("component id `shared` is used twice"),
            "{p}"
        );
        assert_eq!(p.location.unwrap().line, 22, "{p}");

        let p = first(&GOOD.replace("target: hello", "target: nobody"));
        assert!(p.message.contains("no component named `nobody`"), "{p}");
        assert_eq!(
            p.location.unwrap(),
            Location {
                line: 24,
                column: 13
            }
        );

        let p = first(&GOOD.replace("name: hello\n  annotations", "name: hel lo\n  annotations"));
        assert!(p.message.contains("letters"), "{p}");
        assert_eq!(p.location.unwrap().line, 4);

        let p = first(&GOOD.replace("instances: 1", "instances: 1\n            replicaz: 2"));
        assert!(p.message.contains("replicaz"), "{p}");
        assert_eq!(p.location.unwrap().line, 17, "{p}");

        let p = first(&GOOD.replace("type: spreadscaler", "type: autoscaler"));
        assert!(p.message.contains("autoscaler"), "{p}");
        assert_eq!(p.location.unwrap().line, 14, "{p}");

        let p = first(&GOOD.replace(
            "      properties:\n        image: file",
            "      propertiez:\n        image: file",
        ));
        assert!(p.message.contains("propertiez"), "{p}");
    }

    #[test]
    fn two_links_on_one_package_collide() {
        let twice = GOOD.to_string()
            + "        - type: link
          properties:
            target:
              name: hello
            namespace: wasi
            package: http
            interfaces: [incoming-handler]
";
        let p = first(&twice);
        assert!(p.message.contains("two links on wasi:http"), "{p}");
        assert_eq!(p.location.unwrap().line, 33, "{p}");
        // With a name of its own, the second link is a different link.
        let named = twice.replace(
            "            target:\n              name: hello\n",
            "            name: second\n            target:\n              name: hello\n",
        );
        check_text(&named).unwrap();
    }

    #[test]
    fn problems_say_how_many_more() {
        let text = GOOD
            .replace("version: v0.1.0", "version: latest")
            .replace("target: hello", "target: nobody");
        let problems = check_text(&text).unwrap_err();
        assert_eq!(problems.0.len(), 2);
        assert!(problems.to_string().contains("and 1 more"), "{problems}");
    }
}
