//! Which links an application needs, from its components' own WIT: each import a host does
//! not provide goes to the one component or provider that serves it, and providers that
//! call components (an HTTP server) are linked to every component exporting what they call.
//! Explicit links win. Names and rules only: no I/O.

use std::collections::BTreeMap;

use serde::Serialize;
use wac_graph::types::are_semver_compatible;

/// What wasmCloud 1.9 hosts provide themselves: imports of these need no link.
pub const HOST_PROVIDED: &[&str] = &[
    "wasi:cli",
    "wasi:clocks",
    "wasi:filesystem",
    "wasi:io",
    "wasi:random",
    "wasi:sockets",
    "wasi:logging",
    "wasi:config",
    "wasi:http/types",
    "wasmcloud:bus",
    "wasmcloud:secrets",
];

/// One component or provider of the application, as inference sees it.
#[derive(Debug, Clone, Default)]
pub struct Node {
    pub name: String,
    pub provider: bool,
    pub imports: Vec<String>,
    pub exports: Vec<String>,
    /// Patterns (`ns:pkg`, `ns:pkg/iface`) of what a provider serves to components.
    pub provides: Vec<String>,
    /// Patterns of what a provider calls on components that export it.
    pub calls: Vec<String>,
    /// Config on this provider's side of every inferred link.
    pub link_config: BTreeMap<String, String>,
    /// Config for an HTTP server's link to this component (its `address`), overriding the
    /// server's own.
    pub inbound_config: BTreeMap<String, String>,
}

/// A link asked for by name.
#[derive(Debug, Clone, Default)]
pub struct ExplicitLink {
    pub from: String,
    pub to: String,
    /// Full interface names, `ns:pkg/iface[@version]`, all of one package.
    pub interfaces: Vec<String>,
    pub name: Option<String>,
    pub source_config: BTreeMap<String, String>,
    pub target_config: BTreeMap<String, String>,
    /// Where it was written (`workspace.metadata.wasmcloud.app.links[0]`).
    pub key: String,
}

/// A link of the application and why it is there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    pub source: String,
    pub target: String,
    pub namespace: String,
    pub package: String,
    pub interfaces: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub source_config: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub target_config: BTreeMap<String, String>,
    pub explicit: bool,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InferError {
    #[error(
        "component `{component}` imports `{import}`, which no component or provider of the \
         application serves and the host does not provide: add a provider that serves it \
         ([..app.providers], with `provides` if its image is not a known one) or a `links` \
         entry"
    )]
    Unserved { component: String, import: String },
    #[error(
        "component `{component}` imports `{import}`, which {candidates} all serve: say which \
         with a `links` entry"
    )]
    Ambiguous {
        component: String,
        import: String,
        candidates: String,
    },
    #[error("{key}: {reason}")]
    BadLink { key: String, reason: String },
}

/// `ns:pkg/iface@ver` split up; None for names that are not interfaces (world functions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceName<'a> {
    pub namespace: &'a str,
    pub package: &'a str,
    pub interface: &'a str,
    pub version: Option<&'a str>,
}

pub fn parse_interface(name: &str) -> Option<InterfaceName<'_>> {
    let (base, version) = match name.split_once('@') {
        Some((base, version)) => (base, Some(version)),
        None => (name, None),
    };
    let (package, interface) = base.split_once('/')?;
    let (namespace, package) = package.split_once(':')?;
    (!namespace.is_empty() && !package.is_empty() && !interface.is_empty()).then_some(
        InterfaceName {
            namespace,
            package,
            interface,
            version,
        },
    )
}

/// Whether a pattern (`ns:pkg`, `ns:pkg/iface`, `ns:pkg/iface@ver`) covers an interface.
pub fn covers(pattern: &str, name: &str) -> bool {
    let Some(iface) = parse_interface(name) else {
        return false;
    };
    let package = format!("{}:{}", iface.namespace, iface.package);
    if pattern == package {
        return true;
    }
    match parse_interface(pattern) {
        None => false,
        Some(p) => {
            p.namespace == iface.namespace
                && p.package == iface.package
                && p.interface == iface.interface
                && match (p.version, iface.version) {
                    (None, _) => true,
                    (Some(_), None) => false,
                    (Some(_), Some(_)) => pattern == name || are_semver_compatible(pattern, name),
                }
        }
    }
}

/// Whether an export satisfies an import: the same name, or a semver-compatible version.
fn satisfies(export: &str, import: &str) -> bool {
    export == import || are_semver_compatible(export, import)
}

pub fn host_provides(import: &str) -> bool {
    HOST_PROVIDED.iter().any(|p| covers(p, import))
}

/// The application's links: explicit ones first, then inferred ones, merged per source,
/// target, package and name. Links are ordered by source, then target.
pub fn infer(nodes: &[Node], explicit: &[ExplicitLink]) -> Result<Vec<Link>, InferError> {
    let by_name: BTreeMap<&str, &Node> = nodes.iter().map(|n| (n.name.as_str(), n)).collect();
    let mut links: Vec<Link> = Vec::new();
    // (source, interface without version) that explicit links settle.
    let mut settled: Vec<(String, String, Option<String>)> = Vec::new();
    for link in explicit {
        let bad = |field: &str, reason: String| InferError::BadLink {
            key: format!("{}.{field}", link.key),
            reason,
        };
        for (field, name) in [("from", &link.from), ("to", &link.to)] {
            if !by_name.contains_key(name.as_str()) {
                return Err(bad(
                    field,
                    format!(
                        "no component or provider `{name}` in the application (it has {})",
                        nodes
                            .iter()
                            .map(|n| n.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        let mut package: Option<(String, String)> = None;
        let mut interfaces = Vec::new();
        for (i, text) in link.interfaces.iter().enumerate() {
            let iface = parse_interface(text).ok_or_else(|| {
                bad(
                    &format!("interfaces[{i}]"),
                    format!("`{text}` is not an interface name (ns:package/interface)"),
                )
            })?;
            let this = (iface.namespace.to_string(), iface.package.to_string());
            if package.as_ref().is_some_and(|p| *p != this) {
                return Err(bad(
                    &format!("interfaces[{i}]"),
                    "one link is on one package: give interfaces of other packages their own \
                     `links` entry"
                        .into(),
                ));
            }
            package = Some(this);
            if !interfaces.contains(&iface.interface.to_string()) {
                interfaces.push(iface.interface.to_string());
            }
            settled.push((
                link.from.clone(),
                format!("{}:{}/{}", iface.namespace, iface.package, iface.interface),
                link.name.clone(),
            ));
        }
        let Some((namespace, package)) = package else {
            return Err(bad("interfaces", "names no interface".into()));
        };
        links.push(Link {
            source: link.from.clone(),
            target: link.to.clone(),
            namespace,
            package,
            interfaces,
            name: link.name.clone(),
            source_config: link.source_config.clone(),
            target_config: link.target_config.clone(),
            explicit: true,
            reasons: vec![format!("declared in {}", link.key)],
        });
    }
    let is_settled = |source: &str, name: &str| {
        let bare = name.split_once('@').map_or(name, |(b, _)| b);
        settled
            .iter()
            .any(|(s, i, link_name)| s == source && i == bare && link_name.is_none())
    };

    let mut inferred: Vec<Link> = Vec::new();
    // Imports of components go to whoever serves them.
    for node in nodes.iter().filter(|n| !n.provider) {
        for import in &node.imports {
            let Some(iface) = parse_interface(import) else {
                continue;
            };
            if host_provides(import) || is_settled(&node.name, import) {
                continue;
            }
            let mut candidates: Vec<(&Node, String)> = Vec::new();
            for other in nodes.iter().filter(|o| o.name != node.name) {
                if other.provider {
                    if let Some(pattern) = other.provides.iter().find(|p| covers(p, import)) {
                        candidates
                            .push((other, format!("provider `{}` serves {pattern}", other.name)));
                    }
                } else if let Some(export) = other.exports.iter().find(|e| satisfies(e, import)) {
                    candidates.push((
                        other,
                        format!("component `{}` exports {export}", other.name),
                    ));
                }
            }
            let (target, why) = match candidates.len() {
                0 => {
                    return Err(InferError::Unserved {
                        component: node.name.clone(),
                        import: import.clone(),
                    })
                }
                1 => candidates.remove(0),
                _ => {
                    return Err(InferError::Ambiguous {
                        component: node.name.clone(),
                        import: import.clone(),
                        candidates: candidates
                            .iter()
                            .map(|(n, _)| format!("`{}`", n.name))
                            .collect::<Vec<_>>()
                            .join(" and "),
                    })
                }
            };
            add(
                &mut inferred,
                Link {
                    source: node.name.clone(),
                    target: target.name.clone(),
                    namespace: iface.namespace.into(),
                    package: iface.package.into(),
                    interfaces: vec![iface.interface.into()],
                    name: None,
                    source_config: BTreeMap::new(),
                    target_config: if target.provider {
                        target.link_config.clone()
                    } else {
                        BTreeMap::new()
                    },
                    explicit: false,
                    reasons: vec![format!("`{}` imports {import}; {why}", node.name)],
                },
            );
        }
    }
    // Providers that call components: one link to each component exporting the interface.
    for provider in nodes.iter().filter(|n| n.provider && !n.calls.is_empty()) {
        let mut targets = Vec::new();
        for node in nodes.iter().filter(|n| !n.provider) {
            for export in &node.exports {
                let Some(pattern) = provider.calls.iter().find(|p| covers(p, export)) else {
                    continue;
                };
                let Some(iface) = parse_interface(export) else {
                    continue;
                };
                let bare = format!("{}:{}/{}", iface.namespace, iface.package, iface.interface);
                let explicit_here = links.iter().any(|l| {
                    l.source == provider.name
                        && l.target == node.name
                        && format!("{}:{}", l.namespace, l.package)
                            == format!("{}:{}", iface.namespace, iface.package)
                        && l.interfaces
                            .iter()
                            .any(|i| bare.ends_with(&format!("/{i}")))
                });
                if explicit_here {
                    continue;
                }
                let mut source_config = provider.link_config.clone();
                source_config.extend(node.inbound_config.clone());
                targets.push(node.name.clone());
                add(
                    &mut inferred,
                    Link {
                        source: provider.name.clone(),
                        target: node.name.clone(),
                        namespace: iface.namespace.into(),
                        package: iface.package.into(),
                        interfaces: vec![iface.interface.into()],
                        name: None,
                        source_config,
                        target_config: BTreeMap::new(),
                        explicit: false,
                        reasons: vec![format!(
                            "`{}` exports {export}; provider `{}` calls {pattern}",
                            node.name, provider.name
                        )],
                    },
                );
            }
        }
        // One source may hold one link per package and name: a provider calling several
        // components gets a link named after each target.
        targets.sort();
        targets.dedup();
        if targets.len() > 1 {
            for link in inferred.iter_mut().filter(|l| l.source == provider.name) {
                link.name = Some(link.target.clone());
            }
        }
    }
    links.extend(inferred);
    links.sort_by(|a, b| (&a.source, &a.target).cmp(&(&b.source, &b.target)));
    Ok(links)
}

/// Adds a link, merging it into one of the same source, target, package and name.
fn add(links: &mut Vec<Link>, link: Link) {
    if let Some(same) = links.iter_mut().find(|l| {
        l.source == link.source
            && l.target == link.target
            && l.namespace == link.namespace
            && l.package == link.package
            && l.name == link.name
    }) {
        for interface in link.interfaces {
            if !same.interfaces.contains(&interface) {
                same.interfaces.push(interface);
            }
        }
        same.reasons.extend(link.reasons);
        same.source_config.extend(link.source_config);
        same.target_config.extend(link.target_config);
    } else {
        links.push(link);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(name: &str, imports: &[&str], exports: &[&str]) -> Node {
        Node {
            name: name.into(),
            imports: imports.iter().map(|s| s.to_string()).collect(),
            exports: exports.iter().map(|s| s.to_string()).collect(),
            ..Node::default()
        }
    }

    fn provider(name: &str, provides: &[&str], calls: &[&str]) -> Node {
        Node {
            name: name.into(),
            provider: true,
            provides: provides.iter().map(|s| s.to_string()).collect(),
            calls: calls.iter().map(|s| s.to_string()).collect(),
            ..Node::default()
        }
    }

    const HTTP: &str = "wasi:http/incoming-handler@0.2.2";

    #[test]
    fn names_and_patterns() {
        let iface = parse_interface("wasi:keyvalue/store@0.2.0-draft").unwrap();
        assert_eq!(
            (iface.namespace, iface.package, iface.interface),
            ("wasi", "keyvalue", "store")
        );
        assert_eq!(iface.version, Some("0.2.0-draft"));
        assert!(parse_interface("run").is_none());
        assert!(covers("wasi:keyvalue", "wasi:keyvalue/atomics@0.2.0-draft"));
        assert!(covers("wasi:http/incoming-handler", HTTP));
        assert!(covers("wasi:http/incoming-handler@0.2.0", HTTP));
        assert!(!covers("wasi:http/outgoing-handler", HTTP));
        assert!(!covers("wasi:keyvalue", "wasi:keyvaluex/store"));
        assert!(host_provides("wasi:io/streams@0.2.2"));
        assert!(host_provides("wasi:http/types@0.2.2"));
        assert!(!host_provides("wasi:http/outgoing-handler@0.2.2"));
        assert!(!host_provides("wasi:keyvalue/store@0.2.0-draft"));
    }

    #[test]
    fn imports_go_to_their_server_and_servers_call_exporters() {
        let nodes = vec![
            actor(
                "app",
                &[
                    "wasi:io/streams@0.2.2",
                    "acme:greeter-api/greeter@0.1.0",
                    "wasi:keyvalue/store@0.2.0-draft",
                    "wasi:keyvalue/atomics@0.2.0-draft",
                ],
                &[HTTP],
            ),
            actor("greeter", &[], &["acme:greeter-api/greeter@0.1.0"]),
            provider("kv", &["wasi:keyvalue"], &[]),
            Node {
                link_config: [("address".to_string(), "127.0.0.1:8080".to_string())].into(),
                ..provider("http", &[], &["wasi:http/incoming-handler"])
            },
        ];
        let links = infer(&nodes, &[]).unwrap();
        let shown: Vec<String> = links
            .iter()
            .map(|l| {
                format!(
                    "{}->{} {}:{}/{}",
                    l.source,
                    l.target,
                    l.namespace,
                    l.package,
                    l.interfaces.join(",")
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                "app->greeter acme:greeter-api/greeter",
                "app->kv wasi:keyvalue/store,atomics",
                "http->app wasi:http/incoming-handler",
            ]
        );
        assert_eq!(links[2].source_config["address"], "127.0.0.1:8080");
        assert!(
            links[1].reasons[0].contains("provider `kv` serves wasi:keyvalue"),
            "{:?}",
            links[1]
        );
        assert!(
            links[0].reasons[0].contains("component `greeter` exports"),
            "{:?}",
            links[0]
        );
    }

    #[test]
    fn unserved_and_ambiguous_imports_are_errors() {
        let nodes = vec![actor("app", &["wasi:blobstore/blobstore@0.2.0-draft"], &[])];
        let err = infer(&nodes, &[]).unwrap_err().to_string();
        assert!(
            err.contains("`app` imports `wasi:blobstore/blobstore@0.2.0-draft`"),
            "{err}"
        );
        let nodes = vec![
            actor("app", &["acme:x/y@1.0.0"], &[]),
            actor("one", &[], &["acme:x/y@1.0.0"]),
            actor("two", &[], &["acme:x/y@1.1.0"]),
        ];
        let err = infer(&nodes, &[]).unwrap_err().to_string();
        assert!(err.contains("`one` and `two`"), "{err}");
        // An explicit link settles it.
        let explicit = ExplicitLink {
            from: "app".into(),
            to: "two".into(),
            interfaces: vec!["acme:x/y@1.0.0".into()],
            key: "app.links[0]".into(),
            ..ExplicitLink::default()
        };
        let links = infer(&nodes, &[explicit]).unwrap();
        assert_eq!(links.len(), 1);
        assert!(links[0].explicit);
        assert_eq!(links[0].target, "two");
    }

    #[test]
    fn explicit_links_are_checked() {
        let nodes = vec![actor("app", &[], &[])];
        let link = |to: &str, interfaces: &[&str]| ExplicitLink {
            from: "app".into(),
            to: to.into(),
            interfaces: interfaces.iter().map(|s| s.to_string()).collect(),
            key: "k.links[0]".into(),
            ..ExplicitLink::default()
        };
        let err = infer(&nodes, &[link("ghost", &["a:b/c"])])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("k.links[0].to: no component or provider `ghost`"),
            "{err}"
        );
        let nodes = vec![actor("app", &[], &[]), actor("b", &[], &[])];
        let err = infer(&nodes, &[link("b", &["a:b/c", "x:y/z"])])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("k.links[0].interfaces[1]"), "{err}");
        let err = infer(&nodes, &[link("b", &["nope"])])
            .unwrap_err()
            .to_string();
        assert!(err.contains("not an interface name"), "{err}");
    }

    #[test]
    fn a_server_calling_two_components_names_each_link() {
        let nodes = vec![
            actor("a", &[], &[HTTP]),
            actor("b", &[], &[HTTP]),
            provider("http", &[], &["wasi:http/incoming-handler"]),
        ];
        let links = infer(&nodes, &[]).unwrap();
        let names: Vec<_> = links.iter().map(|l| l.name.clone()).collect();
        assert_eq!(names, [Some("a".into()), Some("b".into())]);
    }
}
