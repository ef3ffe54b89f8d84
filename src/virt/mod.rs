//! Virtualization: answers an actor's imports of `wasi:cli/environment` and `wasi:config`
//! with values baked in at build time, and denies it whole WASI interfaces (its imports of
//! them answered with the interface's own access-denied errors, trapping only where no
//! error can be expressed), by a small component generated from the WIT the actor itself
//! imports (any WASI 0.2.x patch version) and composed in, so the output no longer imports
//! them. No prebuilt adapter: the core module is written here (`module`), its answers laid
//! out by the canonical ABI (`layout`).

mod deny;
mod layout;
mod module;

use serde::Serialize;
use wasm_encoder::ValType;
use wit_parser::abi::{AbiVariant, WasmType};
use wit_parser::{
    Function, LiftLowerAbi, ManglingAndAbi, Resolve, Type, WasmExport, WasmExportKind, WorldItem,
    WorldKey,
};

use crate::compose::{self, ComposeError, Input, Rules};
use layout::{Data, Value};
use module::{Body, Export};

/// What to bake in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VirtSpec {
    /// `get-environment`'s pairs, in order.
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
    pub cwd: Option<String>,
    /// `wasi:config` values, in order.
    pub config: Vec<(String, String)>,
    /// Interfaces the component may not reach.
    pub deny: Vec<Deny>,
    /// How errors and warnings name the env, config and deny settings (Cargo.toml keys, or
    /// the command's flags).
    pub keys: SettingNames,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SettingNames {
    pub env: String,
    pub config: String,
    pub deny: String,
}

impl Default for SettingNames {
    fn default() -> Self {
        SettingNames {
            env: "--env".into(),
            config: "--config".into(),
            deny: "--deny".into(),
        }
    }
}

/// What can be denied, and the WASI 0.2 interfaces each covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Deny {
    /// `wasi:filesystem/*`: no preopened directories, so nothing can be opened.
    Filesystem,
    /// `wasi:sockets/*`: creating a socket or resolving a name is refused (access-denied).
    Sockets,
    /// `wasi:http/outgoing-handler`: every request is refused (HTTP-request-denied).
    HttpOutgoing,
    /// `wasi:cli/exit`: exiting traps.
    Exit,
    /// `wasi:clocks/*`: reading a clock traps (clocks have no error to give).
    Clocks,
    /// `wasi:random/*`: asking for randomness traps.
    Random,
}

impl Deny {
    pub const NAMES: &'static str = "filesystem, sockets, http-outgoing, exit, clocks, random";

    pub fn parse(name: &str) -> Option<Deny> {
        Some(match name {
            "filesystem" => Deny::Filesystem,
            "sockets" => Deny::Sockets,
            "http-outgoing" => Deny::HttpOutgoing,
            "exit" => Deny::Exit,
            "clocks" => Deny::Clocks,
            "random" => Deny::Random,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Deny::Filesystem => "filesystem",
            Deny::Sockets => "sockets",
            Deny::HttpOutgoing => "http-outgoing",
            Deny::Exit => "exit",
            Deny::Clocks => "clocks",
            Deny::Random => "random",
        }
    }

    /// Whether an interface name without its version is one this denies.
    fn covers(self, base: &str) -> bool {
        match self {
            Deny::Filesystem => base.starts_with("wasi:filesystem/"),
            Deny::Sockets => base.starts_with("wasi:sockets/"),
            Deny::HttpOutgoing => base == "wasi:http/outgoing-handler",
            Deny::Exit => base == "wasi:cli/exit",
            Deny::Clocks => base.starts_with("wasi:clocks/"),
            Deny::Random => base.starts_with("wasi:random/"),
        }
    }
}

impl VirtSpec {
    fn wants_env(&self) -> bool {
        !self.env.is_empty() || !self.args.is_empty() || self.cwd.is_some()
    }

    pub fn is_empty(&self) -> bool {
        !self.wants_env() && self.config.is_empty() && self.deny.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VirtError {
    #[error("cannot read the component's WIT: {0}")]
    Decode(String),
    #[error(
        "{key}: the component imports `{import}`, which the generator cannot answer (it knows \
         {known})"
    )]
    Version {
        key: String,
        import: String,
        known: &'static str,
    },
    #[error("{key}: `{import}` has a function `{function}` the generator does not know")]
    UnknownFunction {
        key: String,
        import: String,
        function: String,
    },
    #[error("generating the virtualization component failed: {0}")]
    Generate(String),
    #[error("composing the virtualization component in failed: {0}")]
    Compose(#[source] Box<ComposeError>),
    #[error("{path}: {reason}")]
    NotAComponent { path: String, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// What was virtualized.
#[derive(Debug, Clone, Serialize)]
pub struct Virtualized {
    /// The component with the virtualized imports answered.
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// The imports answered (now gone from the component's imports).
    pub interfaces: Vec<String>,
    /// Size of the generated component, in bytes.
    pub generated_size: usize,
    /// Settings that had nothing to act on (the actor does not import the interface).
    pub warnings: Vec<String>,
}

/// Which WASI interface a world import is, and whether we answer it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Environment,
    Config,
    Deny(Deny),
}

/// Classifies an import by name: `Ok(None)` when it is not ours, an error when it is ours
/// at a version we cannot answer.
fn target_of(name: &str, spec: &VirtSpec) -> Result<Option<Target>, VirtError> {
    let (base, version) = name.split_once('@').unwrap_or((name, ""));
    if let Some(deny) = spec.deny.iter().find(|d| d.covers(base)) {
        return if version.starts_with("0.2.") {
            Ok(Some(Target::Deny(*deny)))
        } else {
            Err(VirtError::Version {
                key: spec.keys.deny.clone(),
                import: name.into(),
                known: "the WASI 0.2.x interfaces",
            })
        };
    }
    match base {
        "wasi:cli/environment" if spec.wants_env() => {
            if version.starts_with("0.2.") {
                Ok(Some(Target::Environment))
            } else {
                Err(VirtError::Version {
                    key: spec.keys.env.clone(),
                    import: name.into(),
                    known: "wasi:cli/environment@0.2.x",
                })
            }
        }
        "wasi:config/store" | "wasi:config/runtime" if !spec.config.is_empty() => {
            if version == "0.2.0-draft" {
                Ok(Some(Target::Config))
            } else {
                Err(VirtError::Version {
                    key: spec.keys.config.clone(),
                    import: name.into(),
                    known: "wasi:config/store@0.2.0-draft and wasi:config/runtime@0.2.0-draft, \
                            what wasmCloud 1.x hosts provide",
                })
            }
        }
        _ => Ok(None),
    }
}

/// Which of these import names `spec` answers (names only: what `compose --explain` shows).
pub fn answered_imports(imports: &[String], spec: &VirtSpec) -> Result<Vec<String>, VirtError> {
    let mut answered = Vec::new();
    for name in imports {
        if target_of(name, spec)?.is_some() {
            answered.push(name.clone());
        }
    }
    Ok(answered)
}

/// Answers the imports `spec` covers with a generated component composed into
/// `component`. With nothing to answer, the component comes back as it was.
pub fn virtualize(component: &[u8], spec: &VirtSpec) -> Result<Virtualized, VirtError> {
    let decoded =
        wit_component::decode(component).map_err(|e| VirtError::Decode(format!("{e:#}")))?;
    let wit_component::DecodedWasm::Component(mut resolve, world) = decoded else {
        return Err(VirtError::Decode("a WIT package, not a component".into()));
    };
    let mut answered: Vec<(WorldKey, Target, String)> = Vec::new();
    for key in resolve.worlds[world].imports.keys() {
        let name = resolve.name_world_key(key);
        if let Some(target) = target_of(&name, spec)? {
            answered.push((key.clone(), target, name));
        }
    }
    let mut warnings = Vec::new();
    if spec.wants_env() && !answered.iter().any(|a| a.1 == Target::Environment) {
        warnings.push(format!(
            "{}: the component does not import wasi:cli/environment; nothing to bake in",
            spec.keys.env
        ));
    }
    if !spec.config.is_empty() && !answered.iter().any(|a| a.1 == Target::Config) {
        warnings.push(format!(
            "{}: the component does not import wasi:config/store or runtime; nothing to bake \
             in",
            spec.keys.config
        ));
    }
    for deny in &spec.deny {
        if !answered.iter().any(|a| a.1 == Target::Deny(*deny)) {
            warnings.push(format!(
                "{}: the component imports nothing `{}` covers; nothing to deny",
                spec.keys.deny,
                deny.name()
            ));
        }
    }
    if answered.is_empty() {
        return Ok(Virtualized {
            bytes: component.to_vec(),
            interfaces: Vec::new(),
            generated_size: 0,
            warnings,
        });
    }

    let keys: Vec<WorldKey> = answered.iter().map(|a| a.0.clone()).collect();
    resolve
        .exportize(
            world,
            Some("virtualized".into()),
            Some(&|key: &WorldKey, _: &WorldItem| keys.contains(key)),
        )
        .map_err(|e| VirtError::Generate(format!("{e:#}")))?;
    let generated = generate(&resolve, world, &answered, spec)?;
    let composed = compose::compose(
        &Input {
            id: "actor".into(),
            bytes: component.to_vec(),
        },
        &[Input {
            id: "virt".into(),
            bytes: generated.clone(),
        }],
        &Rules {
            strict: false,
            ..Rules::default()
        },
    )
    .map_err(|e| VirtError::Compose(Box::new(e)))?;
    Ok(Virtualized {
        bytes: composed.bytes,
        interfaces: answered.into_iter().map(|a| a.2).collect(),
        generated_size: generated.len(),
        warnings,
    })
}

/// Virtualizes a component file into `destination` (written atomically; nothing is
/// written when anything fails).
pub fn virtualize_file(
    path: &std::path::Path,
    destination: &std::path::Path,
    spec: &VirtSpec,
) -> Result<Virtualized, VirtError> {
    let io = |path: &std::path::Path| {
        let path = path.display().to_string();
        move |source| VirtError::Io { path, source }
    };
    let bytes = std::fs::read(path).map_err(io(path))?;
    let not_component = |reason: String| VirtError::NotAComponent {
        path: path.display().to_string(),
        reason,
    };
    match crate::artifact::wasm::kind_of(&bytes) {
        Ok(crate::artifact::wasm::WasmKind::Component) => {}
        Ok(_) => return Err(not_component("a core module, not a component".into())),
        Err(e) => return Err(not_component(e.to_string())),
    }
    wasmparser::Validator::new()
        .validate_all(&bytes)
        .map_err(|e| not_component(e.to_string()))?;
    let mut done = virtualize(&bytes, spec)?;
    let out = std::mem::take(&mut done.bytes);
    crate::fsutil::write_atomic(destination, crate::fsutil::Mode::Public, |w| {
        std::io::Write::write_all(w, &out)
    })
    .map_err(io(destination))?;
    Ok(done)
}

fn val_type(ty: WasmType) -> ValType {
    match ty {
        WasmType::I64 => ValType::I64,
        WasmType::F32 => ValType::F32,
        WasmType::F64 => ValType::F64,
        // i32, pointers and lengths are all i32 on wasm32.
        _ => ValType::I32,
    }
}

/// The generated component: every function of the answered interfaces.
fn generate(
    resolve: &Resolve,
    world: wit_parser::WorldId,
    answered: &[(WorldKey, Target, String)],
    spec: &VirtSpec,
) -> Result<Vec<u8>, VirtError> {
    const DATA_BASE: u32 = 16;
    let mut data = Data::new(resolve, DATA_BASE);
    let mut exports = Vec::new();
    let mut imports: Vec<module::Import> = Vec::new();
    // Denied functions may take strings and lists: callers need somewhere to put them.
    let mut realloc = answered.iter().any(|a| matches!(a.1, Target::Deny(_)));
    let pairs = |items: &[(String, String)]| {
        Value::List(
            items
                .iter()
                .map(|(k, v)| Value::Tuple(vec![Value::Str(k.clone()), Value::Str(v.clone())]))
                .collect(),
        )
    };
    let layout_error = |e: layout::LayoutError| VirtError::Generate(e.to_string());
    for (key, target, import) in answered {
        let WorldItem::Interface { id, .. } = &resolve.worlds[world].exports[key] else {
            continue;
        };
        let interface = &resolve.interfaces[*id];
        for function in interface.functions.values() {
            let unknown = || VirtError::UnknownFunction {
                key: match target {
                    Target::Environment => spec.keys.env.clone(),
                    Target::Config => spec.keys.config.clone(),
                    Target::Deny(_) => spec.keys.deny.clone(),
                },
                import: import.clone(),
                function: function.name.clone(),
            };
            let signature = resolve.wasm_signature(AbiVariant::GuestExport, function);
            if let Target::Deny(_) = target {
                let body = deny::answer(
                    resolve,
                    world,
                    function,
                    signature.retptr,
                    &mut data,
                    &mut imports,
                )
                .map_err(layout_error)?;
                exports.push(export(resolve, key, function, signature, body));
                continue;
            }
            let result = function.result.ok_or_else(unknown)?;
            let body = match (target, function.name.as_str()) {
                (Target::Environment, "get-environment") => Body::Static(
                    data.record(&result, &pairs(&spec.env))
                        .map_err(layout_error)?,
                ),
                (Target::Environment, "get-arguments") => {
                    let args = Value::List(spec.args.iter().cloned().map(Value::Str).collect());
                    Body::Static(data.record(&result, &args).map_err(layout_error)?)
                }
                (Target::Environment, "initial-cwd") => {
                    let cwd = match &spec.cwd {
                        Some(cwd) => Value::Some(Box::new(Value::Str(cwd.clone()))),
                        None => Value::None,
                    };
                    Body::Static(data.record(&result, &cwd).map_err(layout_error)?)
                }
                (Target::Config, "get-all") => {
                    let all = Value::Ok(Some(Box::new(pairs(&spec.config))));
                    Body::Static(data.record(&result, &all).map_err(layout_error)?)
                }
                (Target::Config, "get") if is_string_param(function) => {
                    realloc = true;
                    let mut entries = Vec::new();
                    for (k, v) in &spec.config {
                        let found =
                            Value::Ok(Some(Box::new(Value::Some(Box::new(Value::Str(v.clone()))))));
                        let record = data.record(&result, &found).map_err(layout_error)?;
                        let key_at = data.bytes_at(k.as_bytes());
                        entries.push((key_at, k.len() as u32, record));
                    }
                    let missing = data
                        .record(&result, &Value::Ok(Some(Box::new(Value::None))))
                        .map_err(layout_error)?;
                    Body::Lookup { entries, missing }
                }
                _ => return Err(unknown()),
            };
            if !signature.retptr {
                return Err(unknown());
            }
            exports.push(export(resolve, key, function, signature, body));
        }
    }
    let mut core = module::encode(&imports, &exports, data.base, &data.bytes, realloc);
    wit_component::embed_component_metadata(
        &mut core,
        resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )
    .map_err(|e| VirtError::Generate(format!("{e:#}")))?;
    let component = wit_component::ComponentEncoder::default()
        .module(&core)
        .and_then(|e| e.validate(true).encode())
        .map_err(|e| VirtError::Generate(format!("{e:#}")))?;
    without_names(&component)
}

/// The component without its top-level `component-name` section: names only help
/// debuggers, and for a denied interface set they are a fifth of the size.
fn without_names(component: &[u8]) -> Result<Vec<u8>, VirtError> {
    use crate::artifact::wasm::Sections;
    let generate = |e: crate::artifact::wasm::WasmError| VirtError::Generate(e.to_string());
    let mut out = component[..8].to_vec();
    for section in Sections::new(component).map_err(generate)? {
        let section = section.map_err(generate)?;
        if section.custom_name() != Some("component-name") {
            out.extend_from_slice(&component[section.offset..section.end]);
        }
    }
    Ok(out)
}

/// The core export of `function` of the interface at `key`, with its canonical signature.
fn export(
    resolve: &Resolve,
    key: &WorldKey,
    function: &Function,
    signature: wit_parser::abi::WasmSignature,
    body: Body,
) -> Export {
    Export {
        name: resolve.wasm_export_name(
            ManglingAndAbi::Legacy(LiftLowerAbi::Sync),
            WasmExport::Func {
                interface: Some(key),
                func: function,
                kind: WasmExportKind::Normal,
            },
        ),
        params: signature.params.into_iter().map(val_type).collect(),
        results: signature.results.into_iter().map(val_type).collect(),
        body,
    }
}

fn is_string_param(function: &Function) -> bool {
    function.params.len() == 1 && function.params[0].ty == Type::String
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPS: &str = "\
package wasi:cli@0.2.3;
interface environment {
  get-environment: func() -> list<tuple<string, string>>;
  get-arguments: func() -> list<string>;
  initial-cwd: func() -> option<string>;
}
";
    const CONFIG: &str = "\
package wasi:config@0.2.0-draft;
interface store {
  variant error { upstream(string), io(string) }
  get: func(key: string) -> result<option<string>, error>;
  get-all: func() -> result<list<tuple<string, string>>, error>;
}
interface runtime {
  variant config-error { upstream(string), io(string) }
  get: func(key: string) -> result<option<string>, config-error>;
  get-all: func() -> result<list<tuple<string, string>>, config-error>;
}
";

    /// A component importing `imports` (and exporting one function), from WIT alone.
    fn component(imports: &str) -> Vec<u8> {
        use wit_parser::{LiftLowerAbi, ManglingAndAbi};
        let mut resolve = Resolve::default();
        resolve.push_str("cli.wit", DEPS).unwrap();
        resolve.push_str("config.wit", CONFIG).unwrap();
        let pkg = resolve
            .push_str(
                "actor.wit",
                &format!(
                    "package my:actor;\nworld actor {{\n{imports}\n  export run: func();\n}}\n"
                ),
            )
            .unwrap();
        let world = resolve.select_world(&[pkg], Some("actor")).unwrap();
        let mut module = wit_component::dummy_module(
            &resolve,
            world,
            ManglingAndAbi::Legacy(LiftLowerAbi::Sync),
        );
        wit_component::embed_component_metadata(
            &mut module,
            &resolve,
            world,
            wit_component::StringEncoding::UTF8,
        )
        .unwrap();
        wit_component::ComponentEncoder::default()
            .module(&module)
            .unwrap()
            .validate(true)
            .encode()
            .unwrap()
    }

    fn imports(bytes: &[u8]) -> Vec<String> {
        crate::artifact::wit::component_interfaces(bytes)
            .unwrap()
            .imports
    }

    #[test]
    fn env_and_config_imports_are_answered_and_gone() {
        let actor = component(
            "  import wasi:cli/environment@0.2.3;\n  import wasi:config/store@0.2.0-draft;\n  import wasi:config/runtime@0.2.0-draft;",
        );
        let spec = VirtSpec {
            env: vec![("GREETING".into(), "hi".into())],
            config: vec![("name".into(), "Ada".into())],
            ..VirtSpec::default()
        };
        let out = virtualize(&actor, &spec).unwrap();
        assert_eq!(
            out.interfaces,
            [
                "wasi:cli/environment@0.2.3",
                "wasi:config/store@0.2.0-draft",
                "wasi:config/runtime@0.2.0-draft"
            ]
        );
        assert!(imports(&out.bytes).is_empty(), "{:?}", imports(&out.bytes));
        wasmparser::Validator::new()
            .validate_all(&out.bytes)
            .unwrap();
        assert!(out.generated_size < 8192, "{} bytes", out.generated_size);
        assert!(out.warnings.is_empty());
    }

    #[test]
    fn two_patch_versions_and_denied_interfaces() {
        for version in ["0.2.0", "0.2.3"] {
            let deps = format!(
                "package wasi:cli@{version};\ninterface environment {{\n  get-environment: func() -> list<tuple<string, string>>;\n}}\ninterface exit {{\n  exit: func(status: result);\n}}\n"
            );
            let mut resolve = Resolve::default();
            resolve.push_str("cli.wit", &deps).unwrap();
            let pkg = resolve
                .push_str(
                    "actor.wit",
                    &format!("package my:actor;\nworld actor {{\n  import wasi:cli/environment@{version};\n  import wasi:cli/exit@{version};\n  export run: func();\n}}\n"),
                )
                .unwrap();
            let world = resolve.select_world(&[pkg], Some("actor")).unwrap();
            let mut module = wit_component::dummy_module(
                &resolve,
                world,
                wit_parser::ManglingAndAbi::Legacy(wit_parser::LiftLowerAbi::Sync),
            );
            wit_component::embed_component_metadata(
                &mut module,
                &resolve,
                world,
                wit_component::StringEncoding::UTF8,
            )
            .unwrap();
            let actor = wit_component::ComponentEncoder::default()
                .module(&module)
                .unwrap()
                .encode()
                .unwrap();
            let spec = VirtSpec {
                env: vec![("A".into(), "b".into())],
                deny: vec![Deny::Exit, Deny::Random],
                ..VirtSpec::default()
            };
            let out = virtualize(&actor, &spec).unwrap();
            assert_eq!(
                out.interfaces,
                [
                    format!("wasi:cli/environment@{version}"),
                    format!("wasi:cli/exit@{version}")
                ]
            );
            assert!(imports(&out.bytes).is_empty());
            assert_eq!(
                out.warnings,
                ["--deny: the component imports nothing `random` covers; nothing to deny"]
            );
        }
    }

    #[test]
    fn what_cannot_be_answered_is_said() {
        let actor = component("  import wasi:cli/environment@0.2.3;");
        let spec = VirtSpec {
            config: vec![("k".into(), "v".into())],
            ..VirtSpec::default()
        };
        let out = virtualize(&actor, &spec).unwrap();
        assert!(out.interfaces.is_empty());
        assert_eq!(out.bytes, actor);
        assert!(out.warnings[0].starts_with("--config: the component does not import"));
    }
}
