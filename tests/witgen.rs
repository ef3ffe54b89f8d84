//! `wit` end to end on `tests/fixtures/witgen`: an interface crate with every shape the
//! mapping handles, an actor implementing it and an actor using it through the client type.
//! The WIT and glue are generated, `--check` catches staleness, `build` regenerates and
//! builds both for wasm32-wasip2, the implementer's exports equal the generated world, and
//! the two compose (wac-graph) into one component that validates.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use support::{Run, Sandbox};
use wit_parser::{Resolve, Type, TypeDefKind, WorldItem, WorldKey};

fn run_in(sandbox: &Sandbox, dir: &Path, args: &[&str]) -> Run {
    sandbox.run_with(args, |cmd| {
        cmd.current_dir(dir)
            .env("CARGO_TARGET_DIR", support::shared_build_cache());
    })
}

/// A type as text, so types of two different `Resolve`s can be compared.
fn render(resolve: &Resolve, ty: &Type) -> String {
    let Type::Id(id) = ty else {
        return format!("{ty:?}").to_lowercase();
    };
    let def = &resolve.types[*id];
    if let Some(name) = &def.name {
        return name.clone();
    }
    let opt = |t: &Option<Type>| t.as_ref().map_or("_".to_string(), |t| render(resolve, t));
    match &def.kind {
        TypeDefKind::List(t) => format!("list<{}>", render(resolve, t)),
        TypeDefKind::Option(t) => format!("option<{}>", render(resolve, t)),
        TypeDefKind::Result(r) => format!("result<{}, {}>", opt(&r.ok), opt(&r.err)),
        TypeDefKind::Tuple(t) => format!(
            "tuple<{}>",
            t.types
                .iter()
                .map(|t| render(resolve, t))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeDefKind::Handle(wit_parser::Handle::Borrow(r)) => {
            format!("borrow<{}>", render(resolve, &Type::Id(*r)))
        }
        TypeDefKind::Handle(wit_parser::Handle::Own(r)) => render(resolve, &Type::Id(*r)),
        TypeDefKind::Type(t) => render(resolve, t),
        other => format!("{other:?}"),
    }
}

/// Exported interfaces of a world: name → (function signatures, type definitions), all as
/// text.
fn exports(resolve: &Resolve, world: wit_parser::WorldId) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for (key, item) in &resolve.worlds[world].exports {
        let (WorldKey::Interface(id), WorldItem::Interface { .. }) = (key, item) else {
            out.insert(resolve.name_world_key(key), Vec::new());
            continue;
        };
        let iface = &resolve.interfaces[*id];
        let mut items = Vec::new();
        for (name, f) in &iface.functions {
            let params: Vec<String> = f
                .params
                .iter()
                .map(|p| format!("{}: {}", p.name, render(resolve, &p.ty)))
                .collect();
            let result = f
                .result
                .as_ref()
                .map(|t| render(resolve, t))
                .unwrap_or_default();
            items.push(format!("fn {name}({}) -> {result}", params.join(", ")));
        }
        for (name, ty) in &iface.types {
            let def = &resolve.types[*ty];
            let detail = match &def.kind {
                TypeDefKind::Record(r) => r
                    .fields
                    .iter()
                    .map(|f| format!("{}: {}", f.name, render(resolve, &f.ty)))
                    .collect::<Vec<_>>()
                    .join(", "),
                TypeDefKind::Variant(v) => v
                    .cases
                    .iter()
                    .map(|c| {
                        format!(
                            "{}({})",
                            c.name,
                            c.ty.as_ref().map_or(String::new(), |t| render(resolve, t))
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                TypeDefKind::Enum(e) => e
                    .cases
                    .iter()
                    .map(|c| c.name.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
                TypeDefKind::Flags(f) => f
                    .flags
                    .iter()
                    .map(|c| c.name.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
                TypeDefKind::Type(t) => render(resolve, t),
                TypeDefKind::Resource => "resource".into(),
                other => format!("{other:?}"),
            };
            items.push(format!("type {name} = {detail}"));
        }
        items.sort();
        out.insert(resolve.id_of(*id).unwrap(), items);
    }
    out
}

fn decode(path: &Path) -> (Resolve, wit_parser::WorldId) {
    let bytes = std::fs::read(path).unwrap();
    match wit_component::decode(&bytes).expect("decodes as a component") {
        wit_component::DecodedWasm::Component(resolve, world) => (resolve, world),
        other => panic!("not a component: {:?}", other.package()),
    }
}

fn artifact(json: &serde_json::Value, package: &str) -> PathBuf {
    let found = json["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["package"] == package)
        .unwrap_or_else(|| panic!("no artifact for {package} in {json}"));
    PathBuf::from(found["path"].as_str().unwrap())
}

#[test]
fn tricky_interface_generates_builds_and_composes() {
    let sandbox = Sandbox::new();
    let ws = sandbox.path().join("witgen");
    support::copy_dir(&support::fixtures_dir().join("witgen"), &ws);
    let wit_file = ws.join("tricky-api/wit/tricky-api.wit");
    let impl_glue = ws.join("tricky-impl/src/wasmcloud_glue.rs");
    let client_glue = ws.join("tricky-client/src/wasmcloud_glue.rs");

    // Nothing generated yet: --check fails, names the files, and writes nothing.
    let run = run_in(&sandbox, &ws, &["wit", "--check", "--workspace"]).fails();
    assert!(
        run.error()
            .contains("out of date: tricky-api/wit/tricky-api.wit"),
        "{}",
        run.stderr
    );
    assert!(
        run.error().contains("tricky-client/src/wasmcloud_glue.rs"),
        "{}",
        run.stderr
    );
    assert!(!wit_file.exists() && !impl_glue.exists() && !client_glue.exists());

    let json = run_in(&sandbox, &ws, &["wit", "--workspace", "-o", "json"])
        .ok()
        .json();
    let files = json["files"].as_array().unwrap();
    assert_eq!(files.len(), 3, "{json}");
    assert!(files.iter().all(|f| f["changed"] == true), "{json}");
    let wit = std::fs::read_to_string(&wit_file).unwrap();
    assert!(wit.contains("package acme:tricky-api@0.1.0;"), "{wit}");
    assert!(
        wit.contains("variant shape {\n    circle(shape-circle),"),
        "{wit}"
    );
    assert!(
        wit.contains("resource cursor {\n    constructor(start: u64);"),
        "{wit}"
    );
    assert!(wit.contains("%type: func(name: string) -> kind;"), "{wit}");
    assert!(
        wit.contains("interface audit {\n  use store.{doc-id, kind};"),
        "{wit}"
    );
    assert!(
        wit.contains(
            "put: func(id: doc-id, shapes: list<shape>, tags: tags) -> result<_, store-error>;"
        ),
        "{wit}"
    );
    assert!(
        wit.contains("get: func(id: doc-id) -> result<option<list<shape>>, store-error>;"),
        "{wit}"
    );

    // Up to date now, and a second run rewrites nothing.
    run_in(&sandbox, &ws, &["wit", "--check", "--workspace"]).ok();
    let before = std::fs::metadata(&impl_glue).unwrap().modified().unwrap();
    let again = run_in(&sandbox, &ws, &["wit", "--workspace", "-o", "json"])
        .ok()
        .json();
    assert!(
        again["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["changed"] == false),
        "{again}"
    );
    assert_eq!(
        std::fs::metadata(&impl_glue).unwrap().modified().unwrap(),
        before
    );

    // Both actors build for wasm32-wasip2 against the glue.
    let built = run_in(&sandbox, &ws, &["build", "--workspace", "-o", "json"])
        .ok()
        .json();
    let impl_wasm = artifact(&built, "tricky-impl");
    let client_wasm = artifact(&built, "tricky-client");

    // The implementer exports exactly the generated `exporter` world.
    let mut generated = Resolve::default();
    let pkg = generated.push_str("tricky-api.wit", &wit).unwrap();
    let exporter = generated.select_world(&[pkg], Some("exporter")).unwrap();
    let expected = exports(&generated, exporter);
    let (decoded, world) = decode(&impl_wasm);
    assert_eq!(exports(&decoded, world), expected);
    assert!(
        expected["acme:tricky-api/store@0.1.0"]
            .iter()
            .any(|i| i == "fn tag(pair: tuple<doc-id, string>) -> bool"),
        "{expected:?}"
    );

    // The consumer imports the interface and exports its HTTP handler.
    let (client_resolve, client_world) = decode(&client_wasm);
    let imports: Vec<String> = client_resolve.worlds[client_world]
        .imports
        .keys()
        .map(|k| client_resolve.name_world_key(k))
        .collect();
    assert!(
        imports.iter().any(|i| i == "acme:tricky-api/store@0.1.0"),
        "{imports:?}"
    );

    // Composed, the implementation fills the consumer's import.
    let composed = compose(&client_wasm, &impl_wasm);
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&composed)
        .expect("the composition validates");
    let composed_path = sandbox.path().join("composed.wasm");
    std::fs::write(&composed_path, &composed).unwrap();
    let (resolve, world) = decode(&composed_path);
    let imports: Vec<String> = resolve.worlds[world]
        .imports
        .keys()
        .map(|k| resolve.name_world_key(k))
        .collect();
    assert!(
        !imports.iter().any(|i| i.starts_with("acme:")),
        "{imports:?}"
    );
    let exports: Vec<String> = resolve.worlds[world]
        .exports
        .keys()
        .map(|k| resolve.name_world_key(k))
        .collect();
    assert!(
        exports
            .iter()
            .any(|e| e.starts_with("wasi:http/incoming-handler@")),
        "{exports:?}"
    );

    // Editing the traits makes the generated files stale; `build` regenerates them first.
    let lib = ws.join("tricky-api/src/lib.rs");
    let source = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(
        &lib,
        source.replace("/// Stores shapes under ids.", "/// Keeps shapes."),
    )
    .unwrap();
    let run = run_in(&sandbox, &ws, &["wit", "--check", "--workspace"]).fails();
    assert!(
        run.error().contains("tricky-api/wit/tricky-api.wit"),
        "{}",
        run.stderr
    );
    let rebuilt = run_in(&sandbox, &ws, &["build", "--workspace"]).ok();
    assert!(
        rebuilt
            .stderr
            .contains("Generated tricky-impl/src/wasmcloud_glue.rs"),
        "{}",
        rebuilt.stderr
    );
    run_in(&sandbox, &ws, &["wit", "--check", "--workspace"]).ok();
    assert!(std::fs::read_to_string(&wit_file)
        .unwrap()
        .contains("/// Keeps shapes.\ninterface store {"));
}

/// Plugs the implementation into the consumer with wac-graph.
fn compose(socket: &Path, plug: &Path) -> Vec<u8> {
    use wac_graph::{types::Package, CompositionGraph, EncodeOptions};
    let mut graph = CompositionGraph::new();
    let socket = Package::from_file("acme:client", None, socket, graph.types_mut()).unwrap();
    let socket = graph.register_package(socket).unwrap();
    let plug = Package::from_file("acme:impl", None, plug, graph.types_mut()).unwrap();
    let plug = graph.register_package(plug).unwrap();
    wac_graph::plug(&mut graph, vec![plug], socket).expect("the implementation plugs in");
    graph
        .encode(EncodeOptions::default())
        .expect("encodes and validates")
}

/// syn recurses per nesting level: unchecked, a file like these overflowed the stack
/// (SIGSEGV, found by the trait_scanner fuzz target) instead of failing in one line.
#[test]
fn wit_refuses_source_nested_too_deeply_in_one_line() {
    let sandbox = Sandbox::new();
    let dir = sandbox.path().join("deep-api");
    std::fs::create_dir_all(dir.join("src/inner")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"deep-api\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [package.metadata.wasmcloud]\nkind = \"interface\"\nnamespace = \"acme\"\n",
    )
    .unwrap();
    let parens = format!(
        "pub trait Api {{\n    fn f(&self) -> {}{};\n}}\n",
        "(".repeat(50_000),
        ")".repeat(50_000)
    );
    std::fs::write(dir.join("src/lib.rs"), parens).unwrap();
    let run = run_in(&sandbox, &dir, &["wit"]).fails();
    assert!(
        run.error().starts_with("src/lib.rs:2:")
            && run.error().contains("nested too deeply to read"),
        "{}",
        run.stderr
    );
    assert!(!dir.join("wit").exists());

    // No brackets at all, in a module file: a chain of `!`.
    std::fs::write(
        dir.join("src/lib.rs"),
        "pub mod inner;\npub trait Api {\n    fn f(&self) -> u32;\n}\n",
    )
    .unwrap();
    let bangs = format!("pub const X: bool = {}true;\n", "!".repeat(100_000));
    std::fs::write(dir.join("src/inner.rs"), bangs).unwrap();
    let run = run_in(&sandbox, &dir, &["wit"]).fails();
    assert!(
        run.error().contains("src/inner.rs:1:") && run.error().contains("nested too deeply"),
        "{}",
        run.stderr
    );

    // Deep but under the limit: read (on the parser's own stack) and mapped as usual.
    let nested = format!("pub const X: bool = {}true;\n", "!".repeat(3_000));
    std::fs::write(dir.join("src/inner.rs"), nested).unwrap();
    run_in(&sandbox, &dir, &["wit"]).ok();
    assert!(dir.join("wit/deep-api.wit").exists());
}

#[test]
fn wit_errors_are_one_line_with_a_location() {
    let sandbox = Sandbox::new();
    let dir = sandbox.path().join("bad-api");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"bad-api\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [package.metadata.wasmcloud]\nkind = \"interface\"\nnamespace = \"acme\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/lib.rs"),
        "pub trait Api {\n    fn len(&self) -> usize;\n}\n",
    )
    .unwrap();
    let run = run_in(&sandbox, &dir, &["wit"]).fails();
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.error().starts_with("src/lib.rs:2:22: `usize`"),
        "{}",
        run.stderr
    );
    assert!(!dir.join("wit").exists());

    // No namespace: says where to put one.
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"bad-api\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [package.metadata.wasmcloud]\nkind = \"interface\"\n",
    )
    .unwrap();
    let run = run_in(&sandbox, &dir, &["wit"]).fails();
    assert!(
        run.error()
            .contains("set `namespace` in [package.metadata.wasmcloud]"),
        "{}",
        run.stderr
    );

    // An actor naming an interface crate it does not depend on.
    let actor = sandbox.path().join("actor");
    std::fs::create_dir_all(actor.join("src")).unwrap();
    std::fs::write(
        actor.join("Cargo.toml"),
        "[package]\nname = \"actor\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n\
         [package.metadata.wasmcloud]\nimplements = [\"bad-api\"]\n",
    )
    .unwrap();
    std::fs::write(actor.join("src/lib.rs"), "").unwrap();
    let run = run_in(&sandbox, &actor, &["wit"]).fails();
    assert!(
        run.error()
            .contains("`bad-api` (in `implements`) is not a path dependency"),
        "{}",
        run.stderr
    );

    // A path dependency that is not an interface crate.
    let plain = sandbox.path().join("plain");
    std::fs::create_dir_all(plain.join("src")).unwrap();
    std::fs::write(
        plain.join("Cargo.toml"),
        "[package]\nname = \"plain\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\n",
    )
    .unwrap();
    std::fs::write(plain.join("src/lib.rs"), "").unwrap();
    let manifest = std::fs::read_to_string(actor.join("Cargo.toml")).unwrap();
    std::fs::write(
        actor.join("Cargo.toml"),
        manifest
            .replace("implements = [\"bad-api\"]", "uses = [\"plain\"]")
            .replace(
                "[package.metadata.wasmcloud]",
                "[dependencies]\nplain = { path = \"../plain\" }\n\n[package.metadata.wasmcloud]",
            ),
    )
    .unwrap();
    let run = run_in(&sandbox, &actor, &["wit"]).fails();
    assert!(
        run.error().contains("set kind = \"interface\""),
        "{}",
        run.stderr
    );
}

/// The glue at run time: the consumer, composed with the implementation, serves HTTP on a
/// real host, and its answer shows every value crossing the WIT boundary both ways intact.
#[test]
fn server_composed_tricky_actors_answer_over_http_on_a_real_host() {
    let sandbox = Sandbox::new();
    let ws = sandbox.path().join("witgen");
    support::copy_dir(&support::fixtures_dir().join("witgen"), &ws);
    let built = run_in(&sandbox, &ws, &["build", "--workspace", "-o", "json"])
        .ok()
        .json();
    let client = artifact(&built, "tricky-client");
    let implementation = artifact(&built, "tricky-impl");
    let composed = sandbox.path().join("app.wasm");
    run_in(
        &sandbox,
        &ws,
        &[
            "compose",
            client.to_str().unwrap(),
            "--plug",
            &format!("store={}", implementation.display()),
            "-d",
            composed.to_str().unwrap(),
        ],
    )
    .ok();

    let nats = support::NatsServer::start();
    let host = support::TestHost::start(&nats, "glue", &[]);
    let port = nats.port.to_string();
    let ctl = |args: &[&str]| {
        let mut all = vec!["ctl", "--ctl-port", port.as_str(), "--lattice", "glue"];
        all.extend_from_slice(args);
        sandbox.run(&all).ok()
    };
    let http = format!("127.0.0.1:{}", support::free_port());
    ctl(&["start", "component", composed.to_str().unwrap(), "app"]);
    ctl(&[
        "start",
        "provider",
        "wasmcloud+builtin://http-server",
        "http-server",
    ]);
    ctl(&["config", "put", "app-http", &format!("address={http}")]);
    ctl(&[
        "link",
        "put",
        "http-server",
        "app",
        "wasi",
        "http",
        "--interface",
        "incoming-handler",
        "--source-config",
        "app-http",
    ]);
    let body = support::wait_for(std::time::Duration::from_secs(15), || {
        support::http_get(&http, "/")
            .ok()
            .filter(|(status, _)| *status == 200)
    })
    .map(|(_, body)| body)
    .unwrap_or_else(|| panic!("no answer; host log:\n{}", host.log()));
    assert_eq!(
        body,
        "Ok(()) Some([DocId(7)]) Fancy [(DocId(7), [\"red\"])] true 7 7 Some(DocId(1)) \
         {\"documents\": 1} Ok(Some([Circle { center: Point { x: 1, y: 2 }, radius: 3.5 }, \
         Segment(Point { x: 0, y: 0 }, Point { x: 1, y: 1 })])) Some(DocId(7)) 2\n"
    );
}

#[test]
fn provider_glue_refuses_what_it_cannot_serve_and_writes_handlers_and_async_clients() {
    let sandbox = Sandbox::new();
    let write = |path: &str, text: &str| {
        let path = sandbox.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    let interface = |name: &str, lib: &str| {
        write(
            &format!("{name}/Cargo.toml"),
            &format!(
                "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                 [package.metadata.wasmcloud]\nkind = \"interface\"\nnamespace = \"acme\"\n"
            ),
        );
        write(&format!("{name}/src/lib.rs"), lib);
    };
    interface(
        "res-api",
        "pub trait Files {\n    type Handle: Handle;\n    fn open(&self, name: String) -> Self::Handle;\n}\n\
         pub trait Handle {\n    fn read(&self) -> Vec<u8>;\n}\n",
    );
    interface(
        "plain-api",
        "pub trait Echo {\n    fn echo(&self, bytes: Vec<u8>) -> Vec<u8>;\n}\n\
         pub trait Count {\n    fn count(&self) -> u32;\n}\n",
    );
    interface(
        "other-api",
        "pub trait Lookup {\n    fn find(&self, key: &str, n: Option<u8>) -> Result<String, String>;\n}\n",
    );
    let impls = "struct P;\nimpl plain_api::Echo for P {}\nmod inner {\n    impl ::plain_api::Count for super::P {}\n}\n";
    let provider = |settings: &str, extra_deps: &str, main: &str| {
        write(
            "prov/Cargo.toml",
            &format!(
                "[package]\nname = \"prov\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                 [dependencies]\nres-api = {{ path = \"../res-api\" }}\n\
                 plain-api = {{ path = \"../plain-api\" }}\n\
                 other-api = {{ path = \"../other-api\" }}\n{extra_deps}\n\
                 [package.metadata.wasmcloud]\nkind = \"provider\"\n{settings}\n"
            ),
        );
        write("prov/src/main.rs", main);
    };
    let good_deps = "wit-bindgen-wrpc = \"0.10\"\nwasmcloud-provider-sdk = \"0.17\"\n";
    let dir = sandbox.path().join("prov");
    let refused = |settings: &str, deps: &str, main: &str| -> String {
        provider(settings, deps, main);
        let run = run_in(&sandbox, &dir, &["wit"]).fails();
        assert!(
            !dir.join("src/wasmcloud_glue.rs").exists(),
            "{}",
            run.stderr
        );
        run.error().to_string()
    };

    // Resources, implemented or used: refused, saying why.
    let why = "declares resource `Handle`: resources cannot cross a provider's wRPC link yet \
               (a handle is opaque bytes with no drop, so its state would leak); keep \
               resources in actor-to-actor interfaces";
    assert_eq!(
        refused("implements = [\"res-api\"]", good_deps, impls),
        format!("package `prov`: `res_api` {why}")
    );
    assert_eq!(
        refused("uses = [\"res-api\"]", good_deps, impls),
        format!("package `prov`: `res_api` {why}")
    );
    assert!(refused(
        "implements = [\"plain-api\", \"other-api\"]",
        good_deps,
        impls
    )
    .ends_with(
        "a provider implements one interface crate (put the traits it serves in one crate)"
    ));
    assert!(refused(
        "implements = [\"plain-api\"]\nuses = [\"plain-api\"]",
        good_deps,
        impls
    )
    .ends_with("`plain_api` is listed twice in `implements`/`uses`; a crate implements or uses an interface crate, not both"));

    // The crate lines the glue is written for.
    assert_eq!(
        refused(
            "implements = [\"plain-api\"]",
            "wasmcloud-provider-sdk = \"0.17\"\n",
            impls
        ),
        "package `prov`: provider glue needs `wit-bindgen-wrpc = \"0.10\"` in [dependencies] \
         (the line that speaks wasmcloud-provider-sdk 0.17's wrpc-transport 0.28)"
    );
    for bad in ["0.11", "0.9", ">=0.10", "1"] {
        let deps = format!("wit-bindgen-wrpc = \"{bad}\"\nwasmcloud-provider-sdk = \"0.17\"\n");
        let error = refused("implements = [\"plain-api\"]", &deps, impls);
        assert!(
            error.starts_with("package `prov`: `wit-bindgen-wrpc = \"")
                && error.contains(
                    "does not work with the generated glue: use `wit-bindgen-wrpc = \"0.10\"`"
                ),
            "{bad}: {error}"
        );
    }
    let error = refused(
        "implements = [\"plain-api\"]",
        "wit-bindgen-wrpc = \"0.10\"\nwasmcloud-provider-sdk = \"0.16\"\n",
        impls,
    );
    assert!(
        error.contains("use `wasmcloud-provider-sdk = \"0.17\"`"),
        "{error}"
    );

    // A provider that implements none (or only some) of the traits it declares.
    assert_eq!(
        refused("implements = [\"plain-api\"]", good_deps, "fn main() {}\n"),
        "package `prov`: implements `plain_api` but has no `impl plain_api::Echo`, `impl \
         plain_api::Count` for a type in src/: write one (the generated `serve` hands each call \
         to it)"
    );
    assert!(refused(
        "implements = [\"plain-api\"]",
        good_deps,
        "struct P;\nimpl plain_api::Echo for P {}\n"
    )
    .contains("has no `impl plain_api::Count`"));
    // An item-level macro may expand to the impls: the scan leaves that to rustc.
    provider(
        "implements = [\"plain-api\"]",
        good_deps,
        "struct P;\nmake_impls!(P);\nfn main() {}\n",
    );
    run_in(&sandbox, &dir, &["wit"]).ok();
    std::fs::remove_file(dir.join("src/wasmcloud_glue.rs")).unwrap();
    // Impls inside a fn body and a `const _` block count as impls.
    provider(
        "implements = [\"plain-api\"]",
        good_deps,
        "struct P;\nconst _: () = { impl plain_api::Echo for P {} };\n\
         fn main() { impl plain_api::Count for P {} }\n",
    );
    run_in(&sandbox, &dir, &["wit"]).ok();
    std::fs::remove_file(dir.join("src/wasmcloud_glue.rs")).unwrap();

    // Implementing one crate and using another: handlers, async clients, one `serve`;
    // `list<u8>` as wRPC's bytes; `--check` then finds it current.
    for version in ["0.10", "=0.10.0", "~0.10", "0.10.0"] {
        let deps =
            format!("wit-bindgen-wrpc = \"{version}\"\nwasmcloud-provider-sdk = \"0.17.1\"\n");
        provider(
            "implements = [\"plain-api\"]\nuses = [\"other-api\"]",
            &deps,
            impls,
        );
        run_in(&sandbox, &dir, &["wit"]).ok();
    }
    let glue = std::fs::read_to_string(dir.join("src/wasmcloud_glue.rs")).unwrap();
    for wanted in [
        "world: \"exporter\"",
        "world: \"importer\"",
        "arg0: ::wit_bindgen_wrpc::bytes::Bytes",
        "pub struct LookupClient {",
        "pub async fn linked() ->",
        "pub async fn find(&self, arg0: &str, arg1: ::core::option::Option<u8>) -> \
         ::wit_bindgen_wrpc::anyhow::Result<::core::result::Result<::std::string::String, \
         ::std::string::String>>",
        "\"acme:other-api/lookup@0.1.0\", \"find\"",
        "T: ::wasmcloud_provider_sdk::Provider + ::plain_api::Echo + ::plain_api::Count + Clone",
    ] {
        assert!(glue.contains(wanted), "{wanted:?} not in:\n{glue}");
    }
    run_in(&sandbox, &dir, &["wit", "--check"]).ok();
}
