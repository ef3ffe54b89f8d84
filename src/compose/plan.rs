//! Who provides each import: a pure function of the components' import and export names and
//! the user's rules, so the wiring policy is testable without any Wasm. The root is
//! instantiated first; every import of every instance is wired, breadth first, to the one
//! plug exporting that name (exactly, else a semver-compatible version), unless a `wire`
//! rule says otherwise or the import is left to the host.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use wac_graph::types::are_semver_compatible;

use super::ComposeError;

/// A component's names, as the planner sees it. Node 0 is the root.
#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    pub imports: Vec<String>,
    pub exports: Vec<String>,
}

pub use crate::project::compose_settings::Semver;

/// An explicit choice for the imports matching `pattern` (of `consumer`, or of any
/// instance).
#[derive(Debug, Clone, PartialEq)]
pub struct WireRule {
    /// As the user wrote it, for messages.
    pub key: String,
    pub consumer: Option<String>,
    pub pattern: String,
    pub target: Target,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// Leave the import to the host.
    Host,
    /// This plug's export (by default the one named like the import).
    Plug { id: String, export: Option<String> },
}

/// The rules the planner follows.
#[derive(Debug, Clone)]
pub struct Rules {
    pub wire: Vec<WireRule>,
    /// Import patterns (`wasi:*`) the host provides.
    pub host: Vec<String>,
    /// An import neither wired nor a host import is an error.
    pub strict: bool,
    pub semver: Semver,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            wire: Vec::new(),
            host: vec!["wasi:*".into(), "wasmcloud:*".into()],
            strict: true,
            semver: Semver::Compatible,
        }
    }
}

/// Where an import comes from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Source {
    /// An export of another instance.
    Plug { plug: String, export: String },
    /// Left as an import of the composition, for the host.
    Host,
    /// Left as an import although no host pattern covers it (`strict = false`).
    Open,
    /// Answered by the virtualization component the build generates
    /// (`[package.metadata.wasmcloud.virt]`): gone from the output's imports.
    Virtualized,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Wire {
    /// The instance importing.
    pub consumer: String,
    pub import: String,
    pub source: Source,
}

/// The composition to build: which nodes are instantiated and how they are wired.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Plan {
    /// Node indexes to instantiate, providers before their consumers (the root last).
    pub instances: Vec<usize>,
    pub wires: Vec<Wire>,
}

/// `*` matches any run of characters.
pub fn glob_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.starts_with(head)
                && (tail.is_empty() && !name.is_empty() || {
                    let rest = &name[head.len()..];
                    (0..=rest.len())
                        .filter(|i| rest.is_char_boundary(*i))
                        .any(|i| glob_matches(tail, &rest[i..]))
                })
        }
    }
}

/// `a:b/c@1.2.3` → `a:b/c`.
fn unversioned(name: &str) -> &str {
    name.split_once('@').map_or(name, |(n, _)| n)
}

/// Whether a `wire` key pattern covers an import: the exact name, the name without its
/// version (`ns:pkg/iface`), or a whole package (`ns:pkg`).
fn pattern_matches(pattern: &str, import: &str) -> bool {
    if pattern == import {
        return true;
    }
    let bare = unversioned(import);
    if !pattern.contains('@') && pattern == bare {
        return true;
    }
    !pattern.contains('/')
        && pattern.contains(':')
        && bare
            .split_once('/')
            .is_some_and(|(package, _)| package == pattern)
}

/// Plans the composition of `nodes[0]` (the root) with the others as plugs.
pub fn plan(nodes: &[Node], rules: &Rules) -> Result<Plan, ComposeError> {
    let index: BTreeMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    for rule in &rules.wire {
        if let Target::Plug { id, .. } = &rule.target {
            if !index.contains_key(id.as_str()) || id == &nodes[0].id {
                return Err(ComposeError::UnknownPlug {
                    key: rule.key.clone(),
                    plug: id.clone(),
                    known: nodes[1..].iter().map(|n| n.id.clone()).collect(),
                });
            }
        }
        if let Some(consumer) = &rule.consumer {
            if !index.contains_key(consumer.as_str()) {
                return Err(ComposeError::UnknownPlug {
                    key: rule.key.clone(),
                    plug: consumer.clone(),
                    known: nodes.iter().map(|n| n.id.clone()).collect(),
                });
            }
        }
    }
    let mut used_rules = vec![false; rules.wire.len()];
    let mut wires = Vec::new();
    let mut instantiated = vec![false; nodes.len()];
    let mut edges: Vec<(usize, usize)> = Vec::new();
    let mut queue = VecDeque::from([0usize]);
    instantiated[0] = true;
    while let Some(consumer) = queue.pop_front() {
        let node = &nodes[consumer];
        for import in &node.imports {
            let matching: Vec<usize> = rules
                .wire
                .iter()
                .enumerate()
                .filter(|(_, r)| {
                    r.consumer.as_ref().is_none_or(|c| *c == node.id)
                        && pattern_matches(&r.pattern, import)
                })
                .map(|(i, _)| i)
                .collect();
            // A rule naming this consumer wins over a general one.
            let chosen = match matching.as_slice() {
                [] => None,
                [one] => Some(*one),
                many => {
                    let specific: Vec<usize> = many
                        .iter()
                        .copied()
                        .filter(|i| rules.wire[*i].consumer.is_some())
                        .collect();
                    if specific.len() == 1 {
                        Some(specific[0])
                    } else {
                        return Err(ComposeError::ConflictingWires {
                            import: import.clone(),
                            consumer: node.id.clone(),
                            keys: many.iter().map(|i| rules.wire[*i].key.clone()).collect(),
                        });
                    }
                }
            };
            let provider = match chosen {
                Some(rule_index) => {
                    used_rules[rule_index] = true;
                    match &rules.wire[rule_index].target {
                        Target::Host => None,
                        Target::Plug { id, export } => {
                            let p = index[id.as_str()];
                            let export = match export {
                                Some(e) if nodes[p].exports.contains(e) => e.clone(),
                                Some(e) => {
                                    return Err(ComposeError::NoSuchExport {
                                        key: rules.wire[rule_index].key.clone(),
                                        plug: id.clone(),
                                        export: e.clone(),
                                        exports: nodes[p].exports.clone(),
                                    })
                                }
                                None => find_export(&nodes[p], import, rules.semver).ok_or_else(
                                    || ComposeError::NoSuchExport {
                                        key: rules.wire[rule_index].key.clone(),
                                        plug: id.clone(),
                                        export: import.clone(),
                                        exports: nodes[p].exports.clone(),
                                    },
                                )?,
                            };
                            Some((p, export))
                        }
                    }
                }
                None => {
                    let candidates: Vec<(usize, String)> = nodes
                        .iter()
                        .enumerate()
                        .skip(1)
                        .filter(|(i, _)| *i != consumer)
                        .filter_map(|(i, n)| find_export(n, import, rules.semver).map(|e| (i, e)))
                        .collect();
                    match candidates.len() {
                        0 => None,
                        1 => candidates.into_iter().next(),
                        _ => {
                            return Err(ComposeError::Ambiguous {
                                consumer: node.id.clone(),
                                import: import.clone(),
                                candidates: candidates
                                    .into_iter()
                                    .map(|(i, e)| (nodes[i].id.clone(), e))
                                    .collect(),
                            })
                        }
                    }
                }
            };
            let source = match provider {
                Some((p, export)) => {
                    edges.push((consumer, p));
                    if !instantiated[p] {
                        instantiated[p] = true;
                        queue.push_back(p);
                    }
                    Source::Plug {
                        plug: nodes[p].id.clone(),
                        export,
                    }
                }
                None if chosen.is_some() || rules.host.iter().any(|h| glob_matches(h, import)) => {
                    Source::Host
                }
                None => {
                    // Someone exports it, at a version that does not fit: say so.
                    let near: Vec<(String, String)> = nodes
                        .iter()
                        .skip(1)
                        .flat_map(|n| {
                            n.exports
                                .iter()
                                .filter(|e| unversioned(e) == unversioned(import) && *e != import)
                                .map(|e| (n.id.clone(), e.clone()))
                        })
                        .collect();
                    if !near.is_empty() {
                        return Err(ComposeError::VersionMismatch {
                            consumer: node.id.clone(),
                            import: import.clone(),
                            available: near,
                            exact: rules.semver == Semver::Exact,
                        });
                    }
                    if rules.strict {
                        return Err(ComposeError::Unsatisfied {
                            consumer: node.id.clone(),
                            import: import.clone(),
                            host: rules.host.clone(),
                        });
                    }
                    Source::Open
                }
            };
            wires.push(Wire {
                consumer: node.id.clone(),
                import: import.clone(),
                source,
            });
        }
    }
    if let Some(i) = used_rules.iter().position(|used| !used) {
        return Err(ComposeError::UnusedWire {
            key: rules.wire[i].key.clone(),
        });
    }
    let order = topological(nodes, &instantiated, &edges)?;
    Ok(Plan {
        instances: order,
        wires,
    })
}

/// The export of `node` that satisfies `import`: the same name, else (when allowed) a
/// semver-compatible one.
fn find_export(node: &Node, import: &str, semver: Semver) -> Option<String> {
    if node.exports.iter().any(|e| e == import) {
        return Some(import.to_string());
    }
    if semver == Semver::Compatible {
        return node
            .exports
            .iter()
            .find(|e| are_semver_compatible(e, import))
            .cloned();
    }
    None
}

/// Instantiated nodes with every provider before its consumers; a cycle is an error that
/// spells it out.
fn topological(
    nodes: &[Node],
    instantiated: &[bool],
    edges: &[(usize, usize)],
) -> Result<Vec<usize>, ComposeError> {
    let mut providers: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); nodes.len()];
    for (consumer, provider) in edges {
        providers[*consumer].insert(*provider);
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        n: usize,
        providers: &[BTreeSet<usize>],
        marks: &mut [Mark],
        stack: &mut Vec<usize>,
        order: &mut Vec<usize>,
    ) -> Result<(), Vec<usize>> {
        match marks[n] {
            Mark::Done => return Ok(()),
            Mark::Open => {
                let start = stack.iter().position(|s| *s == n).unwrap_or(0);
                let mut cycle = stack[start..].to_vec();
                cycle.push(n);
                return Err(cycle);
            }
            Mark::New => {}
        }
        marks[n] = Mark::Open;
        stack.push(n);
        for p in &providers[n] {
            visit(*p, providers, marks, stack, order)?;
        }
        stack.pop();
        marks[n] = Mark::Done;
        order.push(n);
        Ok(())
    }
    let mut marks = vec![Mark::New; nodes.len()];
    let mut order = Vec::new();
    for n in (0..nodes.len()).filter(|n| instantiated[*n]) {
        visit(n, &providers, &mut marks, &mut Vec::new(), &mut order).map_err(|cycle| {
            ComposeError::Cycle {
                path: cycle.iter().map(|i| nodes[*i].id.clone()).collect(),
            }
        })?;
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, imports: &[&str], exports: &[&str]) -> Node {
        Node {
            id: id.into(),
            imports: imports.iter().map(|s| s.to_string()).collect(),
            exports: exports.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn globs() {
        assert!(glob_matches("wasi:*", "wasi:io/streams@0.2.0"));
        assert!(!glob_matches("wasi:*", "wasmcloud:bus/lattice"));
        assert!(glob_matches("*:keyvalue/*", "wasi:keyvalue/store@0.2.0"));
        assert!(glob_matches("exact", "exact"));
        assert!(!glob_matches("exact", "exactly"));
    }

    #[test]
    fn wire_patterns() {
        assert!(pattern_matches("a:b/c@0.1.0", "a:b/c@0.1.0"));
        assert!(pattern_matches("a:b/c", "a:b/c@0.1.0"));
        assert!(pattern_matches("a:b", "a:b/c@0.1.0"));
        assert!(!pattern_matches("a:b", "a:bc/d"));
        assert!(!pattern_matches("a:b/c@0.2.0", "a:b/c@0.1.0"));
        assert!(pattern_matches("primary", "primary"));
    }

    #[test]
    fn chains_are_wired_transitively_and_ordered() {
        let nodes = [
            node("root", &["a:x/a@0.1.0", "wasi:io/streams@0.2.0"], &["run"]),
            node("b", &[], &["a:x/b@0.1.0"]),
            node("a", &["a:x/b@0.1.1"], &["a:x/a@0.1.0"]),
        ];
        let planned = plan(&nodes, &Rules::default()).unwrap();
        assert_eq!(planned.instances, vec![1, 2, 0]);
        assert_eq!(
            planned.wires,
            vec![
                Wire {
                    consumer: "root".into(),
                    import: "a:x/a@0.1.0".into(),
                    source: Source::Plug {
                        plug: "a".into(),
                        export: "a:x/a@0.1.0".into()
                    }
                },
                Wire {
                    consumer: "root".into(),
                    import: "wasi:io/streams@0.2.0".into(),
                    source: Source::Host
                },
                Wire {
                    consumer: "a".into(),
                    import: "a:x/b@0.1.1".into(),
                    source: Source::Plug {
                        plug: "b".into(),
                        export: "a:x/b@0.1.0".into()
                    }
                },
            ]
        );
        // Exact versions only: 0.1.1 no longer meets 0.1.0.
        let rules = Rules {
            semver: Semver::Exact,
            ..Rules::default()
        };
        let err = plan(&nodes, &rules).unwrap_err().to_string();
        assert!(err.contains("`a` imports `a:x/b@0.1.1`"), "{err}");
        assert!(err.contains("semver = \"compatible\""), "{err}");
    }

    #[test]
    fn unused_plugs_are_not_instantiated() {
        let nodes = [node("root", &[], &["run"]), node("spare", &[], &["x:y/z"])];
        assert_eq!(plan(&nodes, &Rules::default()).unwrap().instances, vec![0]);
    }

    #[test]
    fn rules_choose_and_mistakes_are_named() {
        let nodes = [
            node("root", &["a:x/kv@0.1.0"], &[]),
            node("one", &[], &["a:x/kv@0.1.0"]),
            node("two", &[], &["a:x/kv@0.1.0"]),
        ];
        let err = plan(&nodes, &Rules::default()).unwrap_err().to_string();
        assert!(err.contains("`one`") && err.contains("`two`"), "{err}");
        assert!(err.contains("\"a:x/kv@0.1.0\" = \"one\""), "{err}");
        let rules = Rules {
            wire: vec![WireRule {
                key: "a:x/kv".into(),
                consumer: None,
                pattern: "a:x/kv".into(),
                target: Target::Plug {
                    id: "two".into(),
                    export: None,
                },
            }],
            ..Rules::default()
        };
        let plan_ = plan(&nodes, &rules).unwrap();
        assert_eq!(
            plan_.wires[0].source,
            Source::Plug {
                plug: "two".into(),
                export: "a:x/kv@0.1.0".into()
            }
        );
        let rules = Rules {
            wire: vec![WireRule {
                key: "a:x/nothing".into(),
                consumer: None,
                pattern: "a:x/nothing".into(),
                target: Target::Host,
            }],
            ..Rules::default()
        };
        let err = plan(&nodes[..2], &rules).unwrap_err().to_string();
        assert!(err.contains("`a:x/nothing` matches no import"), "{err}");
    }
}
