//! `compose`: components wired into one, on wac-graph. `plan` decides who provides each
//! import (pure names and rules); this module turns a plan into a wac-graph composition and
//! encodes it, prints it as a `.wac` document, or runs a hand-written `.wac` instead.

pub mod config;
pub mod files;
pub mod plan;

use std::collections::BTreeMap;

use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions, NodeId, PackageId, Processor};

use crate::artifact::wasm;

pub use plan::{Plan, Rules, Semver, Source, Target, Wire, WireRule};

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error(
        "`{consumer}` imports `{import}`, which more than one plug exports: {}; choose one in \
         [package.metadata.wasmcloud.compose.wire], e.g. \"{import}\" = \"{}\"",
        candidates.iter().map(|(p, e)| format!("`{p}` (as `{e}`)")).collect::<Vec<_>>().join(" and "),
        candidates.first().map(|c| c.0.as_str()).unwrap_or("")
    )]
    Ambiguous {
        consumer: String,
        import: String,
        candidates: Vec<(String, String)>,
    },
    #[error(
        "`{consumer}` imports `{import}`, which no plug exports and no host pattern covers \
         (host = [{}]); add a plug that exports it, a `host` pattern, or `strict = false`",
        host.iter().map(|h| format!("\"{h}\"")).collect::<Vec<_>>().join(", ")
    )]
    Unsatisfied {
        consumer: String,
        import: String,
        host: Vec<String>,
    },
    #[error(
        "`{consumer}` imports `{import}`, but the versions exported do not fit: {}{}",
        available.iter().map(|(p, e)| format!("`{p}` exports `{e}`")).collect::<Vec<_>>().join(", "),
        if *exact { " (semver = \"exact\"; semver = \"compatible\" accepts compatible versions)" } else { " (not semver-compatible)" }
    )]
    VersionMismatch {
        consumer: String,
        import: String,
        available: Vec<(String, String)>,
        exact: bool,
    },
    #[error("the plugs import from each other in a cycle: {}", path.join(" → "))]
    Cycle { path: Vec<String> },
    #[error("wire entry `{key}` names `{plug}`, which is not a plug (plugs: {})", known.join(", "))]
    UnknownPlug {
        key: String,
        plug: String,
        known: Vec<String>,
    },
    #[error("wire entry `{key}`: plug `{plug}` has no export `{export}` (it exports: {})", exports.join(", "))]
    NoSuchExport {
        key: String,
        plug: String,
        export: String,
        exports: Vec<String>,
    },
    #[error("wire entry `{key}` matches no import of the composition; remove it or fix the name")]
    UnusedWire { key: String },
    #[error("wire entries {} all choose for `{import}` of `{consumer}`; keep one", keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "))]
    ConflictingWires {
        import: String,
        consumer: String,
        keys: Vec<String>,
    },
    #[error("`{id}` is not a component: {reason}")]
    NotAComponent { id: String, reason: String },
    #[error(
        "`{consumer}` imports `{import}` but the `{export}` export of `{plug}` does not have \
         the type it needs: {reason}"
    )]
    TypeMismatch {
        consumer: String,
        import: String,
        plug: String,
        export: String,
        reason: String,
    },
    #[error("composing failed: {0}")]
    Encode(String),
    #[error("the .wac document: {0}")]
    Wac(String),
    #[error(transparent)]
    Config(#[from] crate::project::compose_settings::ComposeConfigError),
    #[error("two components are named `{0}`; name them with ID=FILE")]
    DuplicateId(String),
    #[error("--wire {0}: expected IMPORT=PLUG or IMPORT=host")]
    BadWire(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A component taking part in a composition.
#[derive(Debug, Clone)]
pub struct Input {
    /// The root's package name, or the plug's id.
    pub id: String,
    pub bytes: Vec<u8>,
}

/// A composed component and how it was wired.
#[derive(Debug, Clone)]
pub struct Composed {
    pub bytes: Vec<u8>,
    pub plan: Plan,
}

/// The package name a plug has in the graph (and in `.wac` documents).
pub fn plug_package(id: &str) -> String {
    format!("plug:{id}")
}

/// The package name of the root in the graph (and in `.wac` documents).
pub const ROOT_PACKAGE: &str = "root:component";

struct Loaded {
    graph: CompositionGraph,
    packages: Vec<PackageId>,
    nodes: Vec<plan::Node>,
}

/// Registers every input with a new graph and reads their import and export names.
fn load(root: &Input, plugs: &[Input]) -> Result<Loaded, ComposeError> {
    let mut graph = CompositionGraph::new();
    let mut packages = Vec::new();
    let mut nodes = Vec::new();
    for (i, input) in std::iter::once(root).chain(plugs).enumerate() {
        let name = if i == 0 {
            ROOT_PACKAGE.to_string()
        } else {
            plug_package(&input.id)
        };
        let not_component = |reason: String| ComposeError::NotAComponent {
            id: input.id.clone(),
            reason,
        };
        // Said in our words first: wac's message for these names its own package, not the file.
        match wasm::kind_of(&input.bytes) {
            Err(e) => return Err(not_component(e.to_string())),
            Ok(wasm::WasmKind::CoreModule) => {
                return Err(not_component(
                    "it is a core module (build it for wasm32-wasip2 to get a component)".into(),
                ))
            }
            Ok(wasm::WasmKind::Component) => {}
        }
        let package = Package::from_bytes(&name, None, input.bytes.clone(), graph.types_mut())
            .map_err(|e| not_component(format!("{e:#}")))?;
        let id = graph
            .register_package(package)
            .map_err(|e| not_component(e.to_string()))?;
        let world = &graph.types()[graph[id].ty()];
        let imports: Vec<String> = world.imports.keys().cloned().collect();
        let exports: Vec<String> = world.exports.keys().cloned().collect();
        if i > 0 && exports.is_empty() {
            return Err(not_component(
                "it exports nothing (a WIT package encoded as Wasm is not a component)".into(),
            ));
        }
        packages.push(id);
        nodes.push(plan::Node {
            id: input.id.clone(),
            imports,
            exports,
        });
    }
    Ok(Loaded {
        graph,
        packages,
        nodes,
    })
}

/// Plans the composition without building it (`--explain`).
pub fn explain(root: &Input, plugs: &[Input], rules: &Rules) -> Result<Plan, ComposeError> {
    let loaded = load(root, plugs)?;
    plan::plan(&loaded.nodes, rules)
}

/// Composes `root` with `plugs` by `rules` into one validated component.
pub fn compose(root: &Input, plugs: &[Input], rules: &Rules) -> Result<Composed, ComposeError> {
    let Loaded {
        mut graph,
        packages,
        nodes,
    } = load(root, plugs)?;
    let plan = plan::plan(&nodes, rules)?;
    let by_id: BTreeMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let mut instances: BTreeMap<usize, NodeId> = BTreeMap::new();
    for &n in &plan.instances {
        let instance = graph.instantiate(packages[n]);
        graph.set_node_name(instance, &nodes[n].id);
        instances.insert(n, instance);
    }
    for wire in &plan.wires {
        let Source::Plug { plug, export } = &wire.source else {
            continue;
        };
        let consumer = instances[&by_id[wire.consumer.as_str()]];
        let provider = instances[&by_id[plug.as_str()]];
        let mismatch = |reason: String| ComposeError::TypeMismatch {
            consumer: wire.consumer.clone(),
            import: wire.import.clone(),
            plug: plug.clone(),
            export: export.clone(),
            reason,
        };
        let alias = graph
            .alias_instance_export(provider, export)
            .map_err(|e| mismatch(e.to_string()))?;
        graph
            .set_instantiation_argument(consumer, &wire.import, alias)
            .map_err(|e| mismatch(format!("{:#}", anyhow::Error::from(e))))?;
    }
    let root_instance = instances[&0];
    for name in nodes[0].exports.clone() {
        let alias = graph
            .alias_instance_export(root_instance, &name)
            .map_err(|e| ComposeError::Encode(e.to_string()))?;
        graph
            .export(alias, &name)
            .map_err(|e| ComposeError::Encode(e.to_string()))?;
    }
    let bytes = graph
        .encode(encode_options())
        .map_err(|e| ComposeError::Encode(format!("{:#}", anyhow::Error::from(e))))?;
    Ok(Composed { bytes, plan })
}

/// The plan as a `.wac` document that composes the same way (with the root supplied as
/// `root:component` and each plug as `plug:<id>`).
pub fn to_wac(plan: &Plan, nodes: &[String], package_name: &str) -> String {
    let var = |id: &str| format!("{id}-instance");
    let mut out = format!(
        "// Generated by cargo-wasmcloud: the wiring of `cargo wasmcloud compose`, as wac.\n\
         package {package_name};\n\n"
    );
    for &n in &plan.instances {
        let id = &nodes[n];
        let package = if n == 0 {
            ROOT_PACKAGE.to_string()
        } else {
            plug_package(id)
        };
        let args: Vec<String> = plan
            .wires
            .iter()
            .filter(|w| w.consumer == *id)
            .filter_map(|w| match &w.source {
                Source::Plug { plug, export } => Some(format!(
                    "    \"{}\": {}[\"{export}\"],\n",
                    w.import,
                    var(plug)
                )),
                _ => None,
            })
            .collect();
        out.push_str(&format!(
            "let {} = new {package} {{\n{}    ...\n}};\n\n",
            var(id),
            args.concat()
        ));
    }
    out.push_str(&format!("export {}...;\n", var(&nodes[0])));
    out
}

/// Runs a `.wac` document, with the root and plugs supplied under the package names of
/// [`to_wac`] (plugs with an `ns:pkg`-shaped id also under that id).
pub fn compose_wac(source: &str, root: &Input, plugs: &[Input]) -> Result<Vec<u8>, ComposeError> {
    let wac = |e: String| ComposeError::Wac(e);
    let document = wac_parser::Document::parse(source).map_err(|e| wac(e.to_string()))?;
    let wanted = wac_resolver::packages(&document).map_err(|e| wac(e.to_string()))?;
    let mut supplied = indexmap::IndexMap::new();
    for (key, _) in wanted {
        let bytes = if key.name == ROOT_PACKAGE {
            Some(&root.bytes)
        } else {
            plugs
                .iter()
                .find(|p| plug_package(&p.id) == key.name || p.id == key.name)
                .map(|p| &p.bytes)
        };
        let bytes =
            bytes.ok_or_else(|| {
                wac(format!(
                "it uses package `{}`, which is neither `{ROOT_PACKAGE}` nor a plug (plugs: {})",
                key.name,
                plugs.iter().map(|p| plug_package(&p.id)).collect::<Vec<_>>().join(", ")
            ))
            })?;
        supplied.insert(key, bytes.clone());
    }
    let resolution = document.resolve(supplied).map_err(|e| wac(e.to_string()))?;
    resolution
        .encode(encode_options())
        .map_err(|e| wac(e.to_string()))
}

/// How every composition is written: components defined inline, the result validated, and
/// this tool named in the producers section.
fn encode_options() -> EncodeOptions<'static> {
    EncodeOptions {
        define_components: true,
        validate: true,
        processor: Some(Processor {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        }),
    }
}
