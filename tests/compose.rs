//! `compose`: real components (encoded from WIT with wit-component, or built from the
//! `compose-ws` fixture) wired transitively, checked with wasmparser and wit-component, side
//! by side with wac-graph's one-level `plug`; every wiring error names what it is about.

mod support;

use std::path::{Path, PathBuf};

use support::{Run, Sandbox};

/// The WASI interface the chain's last link imports, left to the host.
const WASI: &str = "package wasi:cli@0.2.0;
interface environment { get-environment: func() -> list<tuple<string, string>>; }";

/// A component of the test package for `world`, with the WASI package available.
fn component(wit: &str, world: &str) -> Vec<u8> {
    support::component_from_wit(&[WASI], wit, world)
}

/// root → a → b → host: the root imports `a`, plug `a` imports `b`, plug `b` imports WASI.
const CHAIN: &str = "package test:chain@0.1.0;
interface a { hello: func(name: string) -> string; }
interface b { count: func() -> u32; }
interface run { go: func() -> string; }
world root { import a; export run; }
world plug-a { import b; export a; }
world plug-b { import wasi:cli/environment@0.2.0; export b; }
world plug-b2 { export b; }
world plug-a-loop { import b; export a; }
world plug-b-loop { import a; export b; }
";

fn write(sandbox: &Sandbox, name: &str, bytes: &[u8]) -> PathBuf {
    sandbox.write(name, bytes)
}

fn chain(sandbox: &Sandbox) {
    write(sandbox, "root.wasm", &component(CHAIN, "root"));
    write(sandbox, "a.wasm", &component(CHAIN, "plug-a"));
    write(sandbox, "b.wasm", &component(CHAIN, "plug-b"));
}

/// Import and export names of a component.
fn world_names(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
    let wit_component::DecodedWasm::Component(resolve, world) =
        wit_component::decode(bytes).expect("decodes")
    else {
        panic!("not a component")
    };
    let w = &resolve.worlds[world];
    let names = |items: &wit_parser::IndexMap<wit_parser::WorldKey, wit_parser::WorldItem>| {
        let mut v: Vec<String> = items
            .iter()
            .filter(|(_, item)| !matches!(item, wit_parser::WorldItem::Type { .. }))
            .map(|(k, _)| resolve.name_world_key(k))
            .collect();
        v.sort();
        v
    };
    (names(&w.imports), names(&w.exports))
}

fn validate(bytes: &[u8]) {
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(bytes)
        .expect("a valid component");
}

/// `root.wasm --plug a.wasm --plug b.wasm` and then `extra`.
fn chain_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["root.wasm", "--plug", "a.wasm", "--plug", "b.wasm"];
    args.extend_from_slice(extra);
    args
}

fn compose(sandbox: &Sandbox, args: &[&str]) -> Run {
    let mut all = vec!["compose"];
    all.extend_from_slice(args);
    sandbox.run(&all)
}

#[test]
fn a_three_level_chain_composes_transitively() {
    let sandbox = Sandbox::new();
    chain(&sandbox);
    let json = compose(&sandbox, &chain_args(&["-d", "out.wasm", "-o", "json"]))
        .ok()
        .json();
    let out = std::fs::read(sandbox.file("out.wasm")).unwrap();
    validate(&out);
    let (imports, exports) = world_names(&out);
    assert_eq!(imports, ["wasi:cli/environment@0.2.0"]);
    assert_eq!(exports, ["test:chain/run@0.1.0"]);
    let wires = json["wires"].as_array().unwrap();
    assert_eq!(wires.len(), 3, "{json}");
    assert_eq!(wires[0]["consumer"], "root");
    assert_eq!(wires[0]["source"]["plug"], "a");
    assert_eq!(wires[1]["consumer"], "a");
    assert_eq!(wires[1]["source"]["plug"], "b");
    assert_eq!(wires[2]["source"]["kind"], "host");

    // wac's `plug` wires one level only: the root's import from `a` (which we wire too),
    // but b's export never reaches a, so `test:chain/b` stays an import and b is dropped.
    let by_wac = wac_plug(
        &sandbox.file("root.wasm"),
        &[sandbox.file("a.wasm"), sandbox.file("b.wasm")],
    );
    validate(&by_wac);
    let (wac_imports, wac_exports) = world_names(&by_wac);
    assert_eq!(wac_exports, exports);
    assert_eq!(wac_imports, ["test:chain/b@0.1.0"]);
    assert!(!imports.contains(&"test:chain/a@0.1.0".to_string()));
}

/// `wac plug` semantics, through wac-graph's library form.
fn wac_plug(socket: &Path, plugs: &[PathBuf]) -> Vec<u8> {
    use wac_graph::{types::Package, CompositionGraph, EncodeOptions};
    let mut graph = CompositionGraph::new();
    let package = Package::from_file("socket", None, socket, graph.types_mut()).unwrap();
    let socket = graph.register_package(package).unwrap();
    let mut ids = Vec::new();
    for (i, plug) in plugs.iter().enumerate() {
        let package =
            Package::from_file(&format!("plug:p{i}"), None, plug, graph.types_mut()).unwrap();
        ids.push(graph.register_package(package).unwrap());
    }
    wac_graph::plug(&mut graph, ids, socket).unwrap();
    graph.encode(EncodeOptions::default()).unwrap()
}

#[test]
fn explain_prints_the_wiring_and_writes_nothing() {
    let sandbox = Sandbox::new();
    chain(&sandbox);
    let before = sandbox.entries();
    let run = compose(&sandbox, &chain_args(&["--explain"])).ok();
    assert!(
        run.stdout.contains("root\n  test:chain/a@0.1.0"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("<- a"), "{}", run.stdout);
    assert!(
        run.stdout.contains("wasi:cli/environment@0.2.0  <- host"),
        "{}",
        run.stdout
    );
    assert_eq!(sandbox.entries(), before);
}

#[test]
fn two_exporters_of_one_import_is_an_error_naming_both_and_the_fix() {
    let sandbox = Sandbox::new();
    chain(&sandbox);
    write(&sandbox, "b2.wasm", &component(CHAIN, "plug-b2"));
    let run = compose(
        &sandbox,
        &chain_args(&["--plug", "b2.wasm", "-d", "out.wasm"]),
    )
    .fails();
    let error = run.error();
    assert!(
        error.contains("`a` imports `test:chain/b@0.1.0`"),
        "{error}"
    );
    assert!(
        error.contains("`b` (as `test:chain/b@0.1.0`) and `b2`"),
        "{error}"
    );
    assert!(error.contains("\"test:chain/b@0.1.0\" = \"b\""), "{error}");
    assert!(!sandbox.file("out.wasm").exists());
    // The wire the message suggests settles it.
    compose(
        &sandbox,
        &chain_args(&[
            "--plug",
            "b2.wasm",
            "--wire",
            "test:chain/b=b2",
            "-d",
            "out.wasm",
        ]),
    )
    .ok();
    let (imports, _) = world_names(&std::fs::read(sandbox.file("out.wasm")).unwrap());
    assert!(imports.is_empty(), "b2 imports nothing: {imports:?}");
}

#[test]
fn an_unsatisfied_import_names_the_import_and_who_needs_it() {
    let sandbox = Sandbox::new();
    chain(&sandbox);
    let run = compose(
        &sandbox,
        &["root.wasm", "--plug", "a.wasm", "-d", "out.wasm"],
    )
    .fails();
    let error = run.error();
    assert!(
        error.contains("`a` imports `test:chain/b@0.1.0`, which no plug exports"),
        "{error}"
    );
    assert!(
        error.contains("host = [\"wasi:*\", \"wasmcloud:*\"]"),
        "{error}"
    );
    // Not strict: the import stays an import.
    compose(
        &sandbox,
        &[
            "root.wasm",
            "--plug",
            "a.wasm",
            "--no-strict",
            "-d",
            "out.wasm",
        ],
    )
    .ok();
    let (imports, _) = world_names(&std::fs::read(sandbox.file("out.wasm")).unwrap());
    assert_eq!(imports, ["test:chain/b@0.1.0"]);
    // Or a host pattern covers it.
    compose(
        &sandbox,
        &[
            "root.wasm",
            "--plug",
            "a.wasm",
            "--host",
            "test:chain/b*",
            "-d",
            "out2.wasm",
        ],
    )
    .ok();
}

#[test]
fn a_cycle_is_an_error_that_prints_it() {
    let sandbox = Sandbox::new();
    write(&sandbox, "root.wasm", &component(CHAIN, "root"));
    write(&sandbox, "a.wasm", &component(CHAIN, "plug-a-loop"));
    write(&sandbox, "b.wasm", &component(CHAIN, "plug-b-loop"));
    let run = compose(&sandbox, &chain_args(&["-d", "out.wasm"])).fails();
    assert!(run.error().contains("cycle: a → b → a"), "{}", run.stderr);
}

#[test]
fn versions_that_do_not_fit_are_named() {
    let sandbox = Sandbox::new();
    chain(&sandbox);
    let newer = CHAIN.replace("package test:chain@0.1.0;", "package test:chain@0.2.0;");
    write(&sandbox, "b.wasm", &component(&newer, "plug-b2"));
    let run = compose(&sandbox, &chain_args(&["-d", "out.wasm"])).fails();
    let error = run.error();
    assert!(
        error.contains("`a` imports `test:chain/b@0.1.0`"),
        "{error}"
    );
    assert!(
        error.contains("`b` exports `test:chain/b@0.2.0`"),
        "{error}"
    );
    assert!(error.contains("not semver-compatible"), "{error}");

    // 0.1.0 and 0.1.1 are compatible, unless versions must be exact.
    let patch = CHAIN.replace("package test:chain@0.1.0;", "package test:chain@0.1.1;");
    write(&sandbox, "b.wasm", &component(&patch, "plug-b2"));
    compose(&sandbox, &chain_args(&["-d", "out.wasm"])).ok();
    let run = compose(
        &sandbox,
        &chain_args(&["--exact-versions", "-d", "out.wasm"]),
    )
    .fails();
    assert!(run.error().contains("semver = \"exact\""), "{}", run.stderr);
}

#[test]
fn emitted_wac_composes_the_same_through_the_escape_hatch() {
    let sandbox = Sandbox::new();
    chain(&sandbox);
    compose(&sandbox, &chain_args(&["--emit-wac", "chain.wac"])).ok();
    let wac = std::fs::read_to_string(sandbox.file("chain.wac")).unwrap();
    assert!(wac.contains("let a-instance = new plug:a {"), "{wac}");
    assert!(!sandbox.file("root_composed.wasm").exists());

    compose(&sandbox, &chain_args(&["-d", "direct.wasm"])).ok();
    compose(
        &sandbox,
        &chain_args(&["--wac", "chain.wac", "-d", "via-wac.wasm"]),
    )
    .ok();
    let direct = std::fs::read(sandbox.file("direct.wasm")).unwrap();
    let via_wac = std::fs::read(sandbox.file("via-wac.wasm")).unwrap();
    validate(&via_wac);
    assert_eq!(world_names(&direct), world_names(&via_wac));

    // A .wac naming a package nobody supplied is an error.
    std::fs::write(sandbox.file("bad.wac"), wac.replace("plug:b", "plug:zzz")).unwrap();
    let run = compose(
        &sandbox,
        &chain_args(&["--wac", "bad.wac", "-d", "bad.wasm"]),
    )
    .fails();
    assert!(run.error().contains("plug:zzz"), "{}", run.stderr);
}

#[test]
fn bad_inputs_fail_cleanly() {
    let sandbox = Sandbox::new();
    chain(&sandbox);
    let truncated = &component(CHAIN, "plug-b")[..40];
    for (file, bytes, expect) in [
        (
            "junk.wasm",
            &b"not wasm at all"[..],
            "`junk` is not a component: not a WebAssembly binary (no \\0asm magic number)",
        ),
        (
            "core.wasm",
            b"\0asm\x01\0\0\0",
            "`core` is not a component: it is a core module",
        ),
        ("cut.wasm", truncated, "`cut` is not a component"),
    ] {
        sandbox.write(file, bytes);
        let run = compose(&sandbox, &["root.wasm", "--plug", file, "-d", "out.wasm"]).fails();
        assert!(run.error().contains(expect), "{file}: {}", run.stderr);
        assert!(!sandbox.file("out.wasm").exists(), "{file}");
    }
    let run = compose(&sandbox, &["root.wasm", "--plug", "missing.wasm"]).fails();
    assert!(run.error().contains("missing.wasm"), "{}", run.stderr);
    let run = compose(&sandbox, &chain_args(&["--wire", "test:chain/b=nobody"])).fails();
    assert!(
        run.error().contains("`nobody`, which is not a plug"),
        "{}",
        run.stderr
    );
    let run = compose(&sandbox, &chain_args(&["--wire", "x:y/z=b"])).fails();
    assert!(
        run.error().contains("`x:y/z` matches no import"),
        "{}",
        run.stderr
    );
    let run = compose(&sandbox, &chain_args(&["--wire", "no-equals-sign"])).fails();
    assert!(
        run.error().contains("expected IMPORT=PLUG or IMPORT=host"),
        "{}",
        run.stderr
    );
    let run = compose(
        &sandbox,
        &["root.wasm", "--plug", "b=b.wasm", "--plug", "b=c.wasm"],
    )
    .fails();
    assert!(
        run.error().contains("two components are named `b`"),
        "{}",
        run.stderr
    );
    assert!(!sandbox.file("out.wasm").exists() && !sandbox.file("root_composed.wasm").exists());
}

#[test]
fn a_workspace_actor_is_composed_with_its_sibling_by_one_build() {
    let sandbox = Sandbox::new();
    let ws = sandbox.path().join("compose-ws");
    support::copy_dir(&support::fixtures_dir().join("compose-ws"), &ws);
    let json = sandbox
        .run_with(&["build", "-p", "greeter-app", "-o", "json"], |cmd| {
            cmd.current_dir(&ws)
                .env("CARGO_TARGET_DIR", support::shared_build_cache());
        })
        .ok()
        .json();
    let artifact = &json["artifacts"][0];
    assert_eq!(artifact["package"], "greeter-app");
    let composition = &artifact["composition"];
    assert_eq!(
        composition["inputs"][1]["source"], "crate:greeter-impl",
        "{json}"
    );
    assert_eq!(
        composition["inputs"][1]["sha256"].as_str().unwrap().len(),
        64
    );
    assert!(
        composition["wires"].as_array().unwrap().iter().any(|w| {
            w["import"] == "acme:greeter-api/greeter@0.1.0" && w["source"]["plug"] == "greeter"
        }),
        "{json}"
    );
    let bytes = std::fs::read(artifact["path"].as_str().unwrap()).unwrap();
    validate(&bytes);
    let (imports, exports) = world_names(&bytes);
    assert!(
        imports.iter().all(|i| i.starts_with("wasi:")),
        "{imports:?}"
    );
    assert!(
        exports
            .iter()
            .any(|e| e.starts_with("wasi:http/incoming-handler@")),
        "{exports:?}"
    );
    // The composed component is what was signed.
    let token = wascap::wasm::extract_claims(&bytes)
        .unwrap()
        .expect("signed");
    assert!(
        wascap::jwt::validate_token::<wascap::jwt::Component>(&token.jwt)
            .unwrap()
            .signature_valid
    );

    // A second build changes nothing.
    let again = sandbox
        .run_with(&["build", "-p", "greeter-app", "-o", "json"], |cmd| {
            cmd.current_dir(&ws)
                .env("CARGO_TARGET_DIR", support::shared_build_cache());
        })
        .ok()
        .json();
    assert_eq!(again["artifacts"][0]["fresh"], true, "{again}");
}

#[test]
fn server_an_oci_plug_pinned_by_digest_is_pulled_and_composed() {
    let registry = support::Registry::start();
    let sandbox = Sandbox::new();
    chain(&sandbox);
    let reference = format!("{}/plugs/b:0.1.0", registry.host());
    let pushed = sandbox
        .run(&["push", &reference, "b.wasm", "-o", "json"])
        .ok()
        .json();
    let digest = pushed["digest"].as_str().unwrap().to_string();

    // The `compose-ws` greeter app, composed with its greeter pulled from the registry
    // instead of built from the sibling crate. (`b`'s digest serves as a wrong pin.)
    let ws = sandbox.path().join("compose-ws");
    support::copy_dir(&support::fixtures_dir().join("compose-ws"), &ws);
    let build = |ws: &Path| {
        sandbox.run_with(&["build", "-p", "greeter-impl", "-o", "json"], |cmd| {
            cmd.current_dir(ws)
                .env("CARGO_TARGET_DIR", support::shared_build_cache());
        })
    };
    let greeter = build(&ws).ok().json();
    let greeter_wasm = greeter["artifacts"][0]["path"]
        .as_str()
        .unwrap()
        .to_string();
    let greeter_ref = format!("{}/plugs/greeter:0.1.0", registry.host());
    let pushed = sandbox
        .run(&["push", &greeter_ref, &greeter_wasm, "-o", "json"])
        .ok()
        .json();
    let greeter_digest = pushed["digest"].as_str().unwrap().to_string();

    let manifest = ws.join("greeter-app/Cargo.toml");
    let original = std::fs::read_to_string(&manifest).unwrap();
    let with_oci = |digest: &str| {
        original.replace(
            "greeter = { crate = \"greeter-impl\" }",
            &format!("greeter = {{ oci = \"{greeter_ref}\", digest = \"{digest}\" }}"),
        )
    };
    let app_build = || {
        sandbox.run_with(&["build", "-p", "greeter-app", "-o", "json"], |cmd| {
            cmd.current_dir(&ws)
                .env("CARGO_TARGET_DIR", support::shared_build_cache());
        })
    };
    // A digest that is not the manifest's: refused, nothing composed. (Pulls are cached by
    // digest only once checked, so a shared target directory is safe.)
    std::fs::write(&manifest, with_oci(&digest)).unwrap();
    let run = app_build();
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    let error: serde_json::Value =
        serde_json::from_str(run.stderr.lines().last().unwrap()).unwrap();
    let error = error["error"].as_str().unwrap();
    assert!(error.contains("plug `greeter`: digest mismatch"), "{error}");

    std::fs::write(&manifest, with_oci(&greeter_digest)).unwrap();
    let json = app_build().ok().json();
    let composition = &json["artifacts"][0]["composition"];
    assert_eq!(
        composition["inputs"][1]["source"],
        format!("oci:{greeter_ref}@{greeter_digest}").as_str(),
        "{json}"
    );
    let bytes = std::fs::read(json["artifacts"][0]["path"].as_str().unwrap()).unwrap();
    let (imports, _) = world_names(&bytes);
    assert!(
        imports.iter().all(|i| i.starts_with("wasi:")),
        "{imports:?}"
    );

    // The pull is cached by digest: with the registry gone, the build still composes.
    drop(registry);
    app_build().ok();
}

#[test]
fn workspace_explain_emit_wac_and_the_wac_escape_hatch() {
    let sandbox = Sandbox::new();
    let ws = sandbox.path().join("compose-ws");
    support::copy_dir(&support::fixtures_dir().join("compose-ws"), &ws);
    let run = |args: &[&str]| {
        sandbox.run_with(args, |cmd| {
            cmd.current_dir(&ws)
                .env("CARGO_TARGET_DIR", support::shared_build_cache());
        })
    };
    // Explain plans from the built inputs and signs nothing.
    let explained = run(&["compose", "-p", "greeter-app", "--explain"]).ok();
    assert!(
        explained
            .stdout
            .contains("greeter-app:\ngreeter-app\n  acme:greeter-api/greeter@0.1.0"),
        "{}",
        explained.stdout
    );
    assert!(
        explained.stdout.contains("<- greeter"),
        "{}",
        explained.stdout
    );
    run(&[
        "compose",
        "-p",
        "greeter-app",
        "--emit-wac",
        "greeter-app/app.wac",
    ])
    .ok();
    let wac = std::fs::read_to_string(ws.join("greeter-app/app.wac")).unwrap();
    assert!(wac.contains("new plug:greeter"), "{wac}");

    // The greeter as a file plug, wired by the emitted document.
    let impl_built = run(&["build", "-p", "greeter-impl", "-o", "json"])
        .ok()
        .json();
    std::fs::copy(
        impl_built["artifacts"][0]["path"].as_str().unwrap(),
        ws.join("greeter-app/greeter.wasm"),
    )
    .unwrap();
    let manifest = ws.join("greeter-app/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap().replace(
        "greeter = { crate = \"greeter-impl\" }",
        "greeter = { path = \"greeter.wasm\" }",
    );
    let text = text.replace(
        "[package.metadata.wasmcloud.compose.plugs]",
        "[package.metadata.wasmcloud.compose]\nwac = \"app.wac\"\n\n[package.metadata.wasmcloud.compose.plugs]",
    );
    std::fs::write(&manifest, text).unwrap();
    let json = run(&["build", "-p", "greeter-app", "-o", "json"])
        .ok()
        .json();
    let composition = &json["artifacts"][0]["composition"];
    assert_eq!(composition["wac"], "app.wac", "{json}");
    assert_eq!(
        composition["inputs"][1]["source"], "path:greeter.wasm",
        "{json}"
    );
    let bytes = std::fs::read(json["artifacts"][0]["path"].as_str().unwrap()).unwrap();
    validate(&bytes);
    let (imports, exports) = world_names(&bytes);
    assert!(
        imports.iter().all(|i| i.starts_with("wasi:")),
        "{imports:?}"
    );
    assert!(exports
        .iter()
        .any(|e| e.starts_with("wasi:http/incoming-handler@")));

    // A broken document is an error naming it.
    std::fs::write(ws.join("greeter-app/app.wac"), "package x:y;\nlet = ;").unwrap();
    let run = run(&["build", "-p", "greeter-app"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(run.stderr.contains("the .wac document"), "{}", run.stderr);
}

#[test]
fn plugs_that_cannot_be_had_are_named() {
    let sandbox = Sandbox::new();
    chain(&sandbox);
    // An output in a directory that is not there: one line, nothing written.
    let run = compose(&sandbox, &chain_args(&["-d", "no/such/dir/out.wasm"])).fails();
    assert!(
        run.error().contains("no/such/dir/out.wasm"),
        "{}",
        run.stderr
    );
    assert!(!sandbox.path().join("no").exists());

    let ws = sandbox.path().join("compose-ws");
    support::copy_dir(&support::fixtures_dir().join("compose-ws"), &ws);
    // Generated files first, so the failing builds below print only their error.
    sandbox
        .run_with(&["wit", "--workspace"], |cmd| {
            cmd.current_dir(&ws);
        })
        .ok();
    let manifest = ws.join("greeter-app/Cargo.toml");
    let original = std::fs::read_to_string(&manifest).unwrap();
    let build = |plug: &str| {
        std::fs::write(
            &manifest,
            original.replace("greeter = { crate = \"greeter-impl\" }", plug),
        )
        .unwrap();
        sandbox
            .run_with(&["build", "-p", "greeter-app"], |cmd| {
                cmd.current_dir(&ws)
                    .env("CARGO_TARGET_DIR", support::shared_build_cache());
            })
            .fails()
    };
    let run = build("greeter = { crate = \"nowhere\" }");
    assert!(
        run.error()
            .contains("plug `greeter`: crate `nowhere` is not a member of this workspace"),
        "{}",
        run.stderr
    );
    let run = build("greeter = { crate = \"greeter-api\" }");
    assert!(
        run.error()
            .contains("plug `greeter`: crate `greeter-api` is not an actor"),
        "{}",
        run.stderr
    );
    let run = build("greeter = { path = \"missing.wasm\" }");
    assert!(run.error().contains("missing.wasm"), "{}", run.stderr);
    let run = build("greeter = { oci = \"127.0.0.1:1/x:1\" }");
    assert!(
        run.error().contains("needs its manifest `digest`"),
        "{}",
        run.stderr
    );
    let run = build("Greeter = { crate = \"greeter-impl\" }");
    assert!(run.error().contains("plug id `Greeter`"), "{}", run.stderr);
}
