//! `app` without servers: the manifest planned from Cargo.toml (links inferred from the
//! actors' real WIT), `--explain`, validation of hand-written manifests with their line and
//! column, and bad tables named by their Cargo.toml key. The deploying half is in
//! `server_app.rs`.

mod support;

use std::path::Path;

use cargo_wasmcloud::wadm::validate::check_text;
use support::Sandbox;

/// A failure after a build: cargo's and the build's lines come first, the one error line
/// last, exit 1, no panic.
#[track_caller]
fn fails_after_build(run: support::Run) -> support::Run {
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    let last = run.stderr.lines().last().unwrap_or("");
    assert!(last.starts_with("error: "), "{}", run.stderr);
    assert_eq!(run.stderr.matches("error: ").count(), 1, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// `cargo wasmcloud <args>` in `dir`, building into the shared cache.
fn run_in(sandbox: &Sandbox, dir: &Path, args: &[&str]) -> support::Run {
    sandbox.run_with(args, |cmd| {
        cmd.current_dir(dir)
            .env("CARGO_TARGET_DIR", support::shared_build_cache());
    })
}

/// `app` passes cargo's flags to its build: cargo refuses to make the missing lock file.
#[test]
fn app_passes_cargo_flags_to_its_build() {
    let sandbox = Sandbox::new();
    let ws = support::app_workspace(&sandbox, "127.0.0.1:18080");
    for flag in ["--frozen", "--locked"] {
        let run = run_in(&sandbox, &ws, &["app", "manifest", flag]);
        support::assert_cargo_refused_the_lock_file(&run, flag, &ws);
    }
}

#[test]
fn the_manifest_comes_from_cargo_toml_and_the_actors_wit() {
    let sandbox = Sandbox::new();
    let ws = support::app_workspace(&sandbox, "127.0.0.1:18080");
    let run = run_in(
        &sandbox,
        &ws,
        &["app", "manifest", "--explain", "-o", "json"],
    )
    .ok();
    let json = run.json();
    let links = json["plan"]["links"].as_array().unwrap();
    assert_eq!(links.len(), 2, "{json:#}");
    // Ordered by source: the HTTP server's link, then the actor's.
    let links = [links[1].clone(), links[0].clone()];
    // The actor's import of the interface crate goes to the actor exporting it.
    assert_eq!(links[0]["source"], "welcome-app");
    assert_eq!(links[0]["target"], "welcome-impl");
    assert_eq!(links[0]["namespace"], "acme");
    assert_eq!(links[0]["package"], "welcome-api");
    assert_eq!(links[0]["interfaces"], serde_json::json!(["greeter"]));
    let reason = links[0]["reasons"][0].as_str().unwrap();
    assert!(
        reason.contains("imports acme:welcome-api/greeter@0.1.0")
            && reason.contains("`welcome-impl` exports"),
        "{reason}"
    );
    // The HTTP server calls the actor exporting the handler, on the table's address.
    assert_eq!(links[1]["source"], "http");
    assert_eq!(links[1]["target"], "welcome-app");
    assert_eq!(links[1]["source_config"]["address"], "127.0.0.1:18080");
    assert!(links[1]["reasons"][0]
        .as_str()
        .unwrap()
        .contains("exports wasi:http/incoming-handler@0.2"));
    assert_eq!(json["plan"]["name"], "welcome");
    // --explain writes nothing.
    assert!(!ws.join("wadm.yaml").exists());

    // The text form says the same, link by link.
    let text = run_in(&sandbox, &ws, &["app", "manifest", "--explain"]).ok();
    assert!(
        text.stdout
            .contains("link welcome-app -> welcome-impl acme:welcome-api/{greeter}"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("  because `welcome-app` imports"),
        "{}",
        text.stdout
    );

    // The written YAML reads back (with our checks) as the manifest planned.
    run_in(&sandbox, &ws, &["app", "manifest", "-d", "wadm.yaml"]).ok();
    let yaml = std::fs::read_to_string(ws.join("wadm.yaml")).unwrap();
    assert!(yaml.starts_with("# wadm application manifest written by cargo-wasmcloud"));
    let checked = check_text(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    assert_eq!(checked.value, json["manifest"], "{yaml}");
    let m = &checked.manifest;
    assert_eq!(m.metadata.name, "welcome");
    assert_eq!(m.version(), Some("0.1.0"));
    assert_eq!(m.description(), Some("Greets whoever the path names"));
    let names: Vec<&str> = m.spec.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["welcome-impl", "welcome-app", "http"]);
    let image = m.spec.components[1].properties.image.as_deref().unwrap();
    assert!(
        image.starts_with("file:///") && image.ends_with("/welcome_app_s.wasm"),
        "{image}"
    );
    assert!(Path::new(image.trim_start_matches("file://")).is_file());
    assert_eq!(
        m.spec.components[2].properties.image.as_deref(),
        Some("wasmcloud+builtin://http-server")
    );
    // Every component has a scaler (wadm never starts one without).
    for component in &m.spec.components {
        let traits = component.traits.as_ref().unwrap();
        assert_eq!(traits[0].kind, "spreadscaler", "{}", component.name);
        assert_eq!(traits[0].properties["instances"], 1);
    }
}

#[test]
fn a_registry_placement_and_config_shape_the_manifest() {
    let sandbox = Sandbox::new();
    let ws = support::app_workspace(&sandbox, "127.0.0.1:18081");
    support::append_file(
        &ws.join("Cargo.toml"),
        r#"
[workspace.metadata.wasmcloud.app.components.welcome-app]
instances = 6
spread = [{ name = "east", requirements = { zone = "east" }, weight = 2 },
          { name = "west", requirements = { zone = "west" }, weight = 1 }]
config = { greeting = "hi" }

[workspace.metadata.wasmcloud.app.components.welcome-impl]
daemon = true
"#,
    );
    support::edit_file(
        &ws.join("Cargo.toml"),
        "version = \"0.1.0\"\n",
        "version = \"0.1.0\"\nregistry = \"localhost:5000/acme\"\n",
    );
    let run = run_in(&sandbox, &ws, &["app", "manifest", "-o", "json"]).ok();
    let manifest = &run.json()["manifest"];
    let components = manifest["spec"]["components"].as_array().unwrap();
    let app = components
        .iter()
        .find(|c| c["name"] == "welcome-app")
        .unwrap();
    assert_eq!(
        app["properties"]["image"],
        "localhost:5000/acme/welcome-app:0.1.0"
    );
    assert_eq!(
        app["properties"]["config"],
        serde_json::json!([{"name": "welcome-app-config", "properties": {"greeting": "hi"}}])
    );
    let scaler = &app["traits"][0];
    assert_eq!(scaler["type"], "spreadscaler");
    assert_eq!(scaler["properties"]["instances"], 6);
    assert_eq!(
        scaler["properties"]["spread"][0]["requirements"]["zone"],
        "east"
    );
    assert_eq!(scaler["properties"]["spread"][0]["weight"], 2);
    assert_eq!(scaler["properties"]["spread"][1]["weight"], 1);
    let imp = components
        .iter()
        .find(|c| c["name"] == "welcome-impl")
        .unwrap();
    assert_eq!(imp["traits"][0]["type"], "daemonscaler");
    let images = run.json()["plan"]["images"].clone();
    assert_eq!(
        images[0]["push_to"],
        "localhost:5000/acme/welcome-impl:0.1.0"
    );
}

#[test]
fn bad_tables_are_named_by_their_cargo_toml_key() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "image = \"http-server\"",
            "imgae = \"http-server\"",
            "workspace.metadata.wasmcloud.app.providers.http.imgae: unknown field `imgae`",
        ),
        (
            "version = \"0.1.0\"\n",
            "version = \"latest\"\n",
            "workspace.metadata.wasmcloud.app.version: version \"latest\" is refused",
        ),
        (
            "name = \"welcome\"",
            "name = \"wel come\"",
            "workspace.metadata.wasmcloud.app.name: application name `wel come`",
        ),
        (
            "[workspace.metadata.wasmcloud.app.providers.http]",
            "[workspace.metadata.wasmcloud.app.components.nobody]\n\n[workspace.metadata.wasmcloud.app.providers.http]",
            "workspace.metadata.wasmcloud.app.components.nobody: no actor package `nobody`",
        ),
        (
            "[workspace.metadata.wasmcloud.app.providers.http]",
            "[workspace.metadata.wasmcloud.app.components.welcome-app]\nconfig = { n = 3 }\n\n[workspace.metadata.wasmcloud.app.providers.http]",
            "workspace.metadata.wasmcloud.app.components.welcome-app.config.n: invalid type: integer `3`, expected a string",
        ),
    ];
    for (from, to, expected) in cases {
        let sandbox = Sandbox::new();
        let ws = support::app_workspace(&sandbox, "127.0.0.1:18082");
        support::edit_file(&ws.join("Cargo.toml"), from, to);
        let run = run_in(&sandbox, &ws, &["app", "manifest"]).fails();
        assert!(run.error().starts_with(expected), "{to}: {}", run.error());
        // Refused before anything was built or written.
        assert!(
            !ws.join("welcome-app/src/wasmcloud_glue.rs").exists(),
            "{to}"
        );
    }
}

#[test]
fn bad_links_and_providers_are_named_by_their_key() {
    let cases: &[(&str, &str)] = &[
        (
            "\n[[workspace.metadata.wasmcloud.app.links]]\nfrom = \"welcome-app\"\nto = \"ghost\"\ninterfaces = [\"acme:welcome-api/greeter\"]\n",
            "workspace.metadata.wasmcloud.app.links[0].to: no component or provider `ghost`",
        ),
        (
            "\n[workspace.metadata.wasmcloud.app.providers.kv]\nimage = \"ghcr.io/wasmcloud/keyvalue-redis:latest\"\n",
            "workspace.metadata.wasmcloud.app.providers.kv: image \"ghcr.io/wasmcloud/keyvalue-redis:latest\" is refused",
        ),
        (
            "\n[workspace.metadata.wasmcloud.app.providers.other]\nimage = \"http-server\"\naddress = \"127.0.0.1:18083\"\n",
            "component `welcome-app` imports",
        ),
    ];
    for (extra, expected) in cases {
        let sandbox = Sandbox::new();
        let ws = support::app_workspace(&sandbox, "127.0.0.1:18083");
        support::append_file(&ws.join("Cargo.toml"), extra);
        let run = run_in(&sandbox, &ws, &["app", "manifest"]);
        if expected.starts_with("component") {
            // Two HTTP servers are fine: both call the actor, each its own link name.
            let run = run.ok();
            assert!(run.stdout.contains("name: welcome-app"), "{}", run.stdout);
            continue;
        }
        let run = fails_after_build(run);
        assert!(
            run.error().starts_with(expected),
            "{extra}: {}",
            run.error()
        );
    }
}

#[test]
fn an_import_nobody_serves_is_refused_with_the_component_and_the_import() {
    let sandbox = Sandbox::new();
    sandbox
        .run(&["new", "actor", "counter", "-t", "keyvalue", "-y"])
        .ok();
    let dir = sandbox.path().join("counter");
    let run = fails_after_build(run_in(&sandbox, &dir, &["app", "manifest"]));
    assert!(
        run.error()
            .starts_with("component `counter` imports `wasi:keyvalue/"),
        "{}",
        run.error()
    );
    assert!(run.error().contains("[..app.providers]"), "{}", run.error());
    // With a keyvalue provider in the package's table, the import is linked to it, and
    // the provider's link config goes on its side of the link.
    support::append_file(
        &dir.join("Cargo.toml"),
        "\n[package.metadata.wasmcloud.app.providers.kv]\nimage = \"ghcr.io/wasmcloud/keyvalue-redis:0.28.2\"\nlink-config = { url = \"redis://127.0.0.1:6379\" }\n",
    );
    let run = run_in(
        &sandbox,
        &dir,
        &["app", "manifest", "--explain", "-o", "json"],
    )
    .ok();
    let links = run.json()["plan"]["links"].clone();
    assert_eq!(links[0]["source"], "counter");
    assert_eq!(links[0]["target"], "kv");
    assert_eq!(links[0]["namespace"], "wasi");
    assert_eq!(links[0]["package"], "keyvalue");
    assert_eq!(links[0]["target_config"]["url"], "redis://127.0.0.1:6379");
    assert_eq!(run.json()["plan"]["name"], "counter");
    // The template exports HTTP and no server calls it: a warning says so.
    assert!(
        run.stderr.contains("no provider calls it"),
        "{}",
        run.stderr
    );
}

const MANIFEST: &str = "\
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
        image: file://./build/hello_s.wasm
      traits:
        - type: spreadscaler
          properties:
            instances: 1
    - name: httpserver
      type: capability
      properties:
        image: wasmcloud+builtin://http-server
      traits:
        - type: link
          properties:
            target: hello
            namespace: wasi
            package: http
            interfaces: [incoming-handler]
";

#[test]
fn validate_lists_every_problem_with_its_line_and_column() {
    let sandbox = Sandbox::new();
    sandbox.write("good.yaml", MANIFEST.as_bytes());
    let run = sandbox.run(&["app", "validate", "good.yaml"]).ok();
    assert!(
        run.stdout
            .contains("good.yaml: valid: application hello v0.1.0, 2 components, 1 links"),
        "{}",
        run.stdout
    );
    let bad = MANIFEST
        .replace("version: v0.1.0", "version: latest")
        .replace("target: hello", "target: helo")
        .replace("name: httpserver", "name: hello");
    sandbox.write("bad.yaml", bad.as_bytes());
    let run = sandbox.run(&["app", "validate", "bad.yaml"]).fails();
    assert_eq!(run.error(), "bad.yaml: 3 problem(s); see above");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(
        lines[0].starts_with(
            "bad.yaml: line 6 column 5 (metadata.annotations.version): version `latest`"
        ),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("bad.yaml: line 17 column 7 (spec.components[1].name): component name `hello` is used twice"), "{}", lines[1]);
    assert!(lines[2].starts_with("bad.yaml: line 24 column 13 (spec.components[1].traits[0].properties.target): link from `hello` to `helo`"), "{}", lines[2]);
    let run = sandbox.run(&["app", "validate", "bad.yaml", "-o", "json"]);
    assert_eq!(run.status.code(), Some(1));
    let json = run.json();
    assert_eq!(json["success"], false);
    assert_eq!(json["problems"].as_array().unwrap().len(), 3);
    assert_eq!(json["problems"][0]["location"]["line"], 6);

    // Not YAML at all, and not there.
    sandbox.write("broken.yaml", b"spec: [unclosed\n");
    let run = sandbox.run(&["app", "validate", "broken.yaml"]).fails();
    assert!(
        run.stdout.starts_with("broken.yaml: line "),
        "{}",
        run.stdout
    );
    sandbox.write("binary.yaml", &[0xff, 0xfe, 0, 1]);
    let run = sandbox.run(&["app", "validate", "binary.yaml"]).fails();
    assert!(run.error().starts_with("binary.yaml: "), "{}", run.error());
    let run = sandbox.run(&["app", "validate", "missing.yaml"]).fails();
    assert!(run.error().starts_with("missing.yaml: "), "{}", run.error());
}

#[test]
fn deploying_a_bad_manifest_fails_before_anything_is_sent() {
    let sandbox = Sandbox::new();
    let bad = MANIFEST.replace(
        "  annotations:\n    version: v0.1.0\n",
        "  annotations: {}\n",
    );
    sandbox.write("bad.yaml", bad.as_bytes());
    // Port 1 has no NATS: the error is the manifest's, so nothing was tried on the wire.
    let run = sandbox
        .run(&["app", "deploy", "bad.yaml", "-p", "1"])
        .fails();
    assert!(
        run.error().starts_with(
            "bad.yaml: line 5 column 3 (metadata.annotations): metadata.annotations is empty"
        ),
        "{}",
        run.error()
    );
    // A good manifest whose relative file:// image is not there is refused too.
    sandbox.write("good.yaml", MANIFEST.as_bytes());
    let run = sandbox
        .run(&["app", "deploy", "good.yaml", "-p", "1"])
        .fails();
    assert!(
        run.error().contains("build/hello_s.wasm is not there"),
        "{}",
        run.error()
    );
    // With the file there, the next step is NATS, which is not there.
    std::fs::create_dir_all(sandbox.path().join("build")).unwrap();
    sandbox.write("build/hello_s.wasm", support::hello_component());
    let run = sandbox
        .run(&["app", "deploy", "good.yaml", "-p", "1", "-t", "500"])
        .fails();
    assert!(
        run.error()
            .starts_with("cannot connect to NATS at 127.0.0.1:1"),
        "{}",
        run.error()
    );
}
