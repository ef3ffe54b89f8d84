//! `new`: every template scaffolds a project that really builds (for wasm32-wasip2, with the
//! crates it names fetched by cargo), validates, has the expected WIT exports and carries
//! valid claims; names, paths and templates are checked; prompts work on a terminal.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{run_command, Sandbox};
use wascap::jwt::Component;

/// One target directory for all template builds, so the crates the templates share
/// (wasip2, wit-bindgen) compile once.
fn shared_target_dir() -> PathBuf {
    support::shared_build_cache()
}

fn new_and_build(sandbox: &Sandbox, args: &[&str], dir_name: &str) -> (PathBuf, serde_json::Value) {
    let created = sandbox.run(args).ok();
    assert!(created.stdout.contains("Created"), "{}", created.stdout);
    let project = sandbox.path().join(dir_name);
    assert!(project.join("Cargo.toml").is_file());
    let built = sandbox
        .run_with(&["build", "-o", "json"], |cmd| {
            cmd.current_dir(&project)
                .env("CARGO_TARGET_DIR", shared_target_dir());
        })
        .ok()
        .json();
    let path = PathBuf::from(built["artifacts"][0]["path"].as_str().unwrap());
    (path, built)
}

fn check_component(path: &Path, expected_export: &str) {
    let bytes = std::fs::read(path).unwrap();
    wasmparser::Validator::new()
        .validate_all(&bytes)
        .expect("valid component");
    let wit = cargo_wasmcloud::artifact::wit::component_wit(&bytes).unwrap();
    assert!(
        wit.lines()
            .any(|l| l.trim().starts_with(&format!("export {expected_export}@"))),
        "no export {expected_export} in\n{wit}"
    );
    let token = wascap::wasm::extract_claims(&bytes)
        .unwrap()
        .expect("signed");
    let v = wascap::jwt::validate_token::<Component>(&token.jwt).unwrap();
    assert!(v.signature_valid);
}

#[test]
fn http_template_builds_a_signed_http_component() {
    let sandbox = Sandbox::new();
    let (path, built) = new_and_build(&sandbox, &["new", "actor", "hello-web", "-y"], "hello-web");
    assert!(path.ends_with("wasmcloud/hello_web_s.wasm"), "{built}");
    check_component(&path, "wasi:http/incoming-handler");
    let claims = wascap::wasm::extract_claims(std::fs::read(&path).unwrap())
        .unwrap()
        .unwrap()
        .claims;
    assert_eq!(claims.metadata.unwrap().name.as_deref(), Some("hello-web"));
    let manifest = std::fs::read_to_string(sandbox.path().join("hello-web/Cargo.toml")).unwrap();
    assert!(manifest.contains("name = \"hello-web\""));
    assert!(manifest.contains("[package.metadata.wasmcloud]"));
    assert!(sandbox.path().join("hello-web/.gitignore").is_file());
}

#[test]
fn keyvalue_template_exports_http_and_imports_keyvalue() {
    let sandbox = Sandbox::new();
    let (path, _) = new_and_build(
        &sandbox,
        &["new", "actor", "counter", "--template", "keyvalue", "-y"],
        "counter",
    );
    check_component(&path, "wasi:http/incoming-handler");
    let wit =
        cargo_wasmcloud::artifact::wit::component_wit(&std::fs::read(&path).unwrap()).unwrap();
    assert!(
        wit.contains("import wasi:keyvalue/store@0.2.0-draft"),
        "{wit}"
    );
}

#[test]
fn messaging_template_exports_the_handler() {
    let sandbox = Sandbox::new();
    let (path, _) = new_and_build(
        &sandbox,
        &[
            "new",
            "actor",
            "echo",
            "-t",
            "messaging",
            "--namespace",
            "acme",
            "-y",
        ],
        "echo",
    );
    check_component(&path, "wasmcloud:messaging/handler");
    let world = std::fs::read_to_string(sandbox.path().join("echo/wit/world.wit")).unwrap();
    assert!(world.starts_with("package acme:echo;"), "{world}");
}

#[test]
fn interface_template_is_a_plain_library_marked_as_interface() {
    let sandbox = Sandbox::new();
    let json = sandbox
        .run(&["new", "interface", "greeter-api", "-y", "-o", "json"])
        .ok()
        .json();
    assert_eq!(json["kind"], "interface");
    let dir = sandbox.path().join("greeter-api");
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("kind = \"interface\""), "{manifest}");
    // It compiles as an ordinary crate.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run_command(
        Command::new(cargo)
            .args(["check", "--offline", "--quiet"])
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", shared_target_dir()),
    )
    .ok();
    // And `build` succeeds with nothing to sign in it.
    let run = sandbox.run_with(&["build", "-o", "json"], |cmd| {
        cmd.current_dir(&dir);
    });
    assert_eq!(run.ok().json()["artifacts"], serde_json::json!([]));
}

/// Imports or exports of a built component, by name.
fn world_items(path: &Path, exports: bool) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    let wit_component::DecodedWasm::Component(resolve, world) =
        wit_component::decode(&bytes).unwrap()
    else {
        panic!("not a component")
    };
    let world = &resolve.worlds[world];
    let items = if exports {
        &world.exports
    } else {
        &world.imports
    };
    items.keys().map(|k| resolve.name_world_key(k)).collect()
}

#[test]
fn actors_made_to_implement_or_use_an_interface_build_wired_to_it() {
    let sandbox = Sandbox::new();
    sandbox
        .run(&[
            "new",
            "interface",
            "greeter-api",
            "--namespace",
            "acme",
            "-y",
        ])
        .ok();
    // The new interface crate comes with its WIT.
    let wit =
        std::fs::read_to_string(sandbox.path().join("greeter-api/wit/greeter-api.wit")).unwrap();
    assert!(wit.contains("package acme:greeter-api@0.1.0;"), "{wit}");
    assert!(
        wit.contains("greet: func(name: string) -> greeting;"),
        "{wit}"
    );

    // Implementing: every trait method is stubbed; the project builds and exports the interface.
    let (path, _) = new_and_build(
        &sandbox,
        &[
            "new",
            "actor",
            "greeter-impl",
            "--implements",
            "greeter-api",
            "-y",
        ],
        "greeter-impl",
    );
    let lib = std::fs::read_to_string(sandbox.path().join("greeter-impl/src/lib.rs")).unwrap();
    assert!(
        lib.contains("impl greeter_api::Greeter for Component {"),
        "{lib}"
    );
    assert!(
        lib.contains("fn greet(&self, _name: String) -> greeter_api::Greeting {"),
        "{lib}"
    );
    assert!(
        lib.contains("wasmcloud_glue::greeter_api::export!(Component);"),
        "{lib}"
    );
    let manifest = std::fs::read_to_string(sandbox.path().join("greeter-impl/Cargo.toml")).unwrap();
    assert!(
        manifest.contains("greeter-api = { path = \"../greeter-api\" }"),
        "{manifest}"
    );
    assert!(
        manifest.contains("implements = [\"greeter-api\"]"),
        "{manifest}"
    );
    assert!(sandbox
        .path()
        .join("greeter-impl/src/wasmcloud_glue.rs")
        .is_file());
    let exports = world_items(&path, true);
    assert_eq!(exports, ["acme:greeter-api/greeter@0.1.0"]);

    // Using: the HTTP template with the client types in scope; imports the interface.
    let (path, _) = new_and_build(
        &sandbox,
        &[
            "new",
            "actor",
            "greeter-web",
            "--uses",
            "./greeter-api",
            "-y",
        ],
        "greeter-web",
    );
    let lib_path = sandbox.path().join("greeter-web/src/lib.rs");
    let lib = std::fs::read_to_string(&lib_path).unwrap();
    assert!(
        lib.contains("use wasmcloud_glue::greeter_api::{GreeterClient};"),
        "{lib}"
    );
    // Nothing calls the client yet, so nothing is imported; one plain call later, it is.
    assert!(!world_items(&path, false)
        .iter()
        .any(|i| i.starts_with("acme:")));
    let call =
        "let body_text = format!(\"{:?}\\n\", greeter_api::Greeter::greet(&GreeterClient, path));";
    let edited = lib
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("let body_text") {
                call
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(edited, lib);
    std::fs::write(&lib_path, edited).unwrap();
    let built = sandbox
        .run_with(&["build", "-o", "json"], |cmd| {
            cmd.current_dir(sandbox.path().join("greeter-web"))
                .env("CARGO_TARGET_DIR", shared_target_dir());
        })
        .ok()
        .json();
    let path = PathBuf::from(built["artifacts"][0]["path"].as_str().unwrap());
    assert!(world_items(&path, false)
        .iter()
        .any(|i| i == "acme:greeter-api/greeter@0.1.0"));
    assert!(world_items(&path, true)
        .iter()
        .any(|e| e.starts_with("wasi:http/incoming-handler@")));

    // What cannot be wired is refused, leaving nothing behind.
    let run = sandbox
        .run(&["new", "actor", "x1", "--implements", "greeter-web", "-y"])
        .fails();
    assert!(
        run.error().contains("is not an interface crate"),
        "{}",
        run.stderr
    );
    let run = sandbox
        .run(&["new", "provider", "x2", "--uses", "greeter-api", "-y"])
        .fails();
    assert!(
        run.error().contains("`new provider` takes --implements"),
        "{}",
        run.stderr
    );
    let run = sandbox
        .run(&["new", "actor", "x3", "--uses", "no-such-dir", "-y"])
        .fails();
    assert!(run.error().contains("no-such-dir"), "{}", run.stderr);
    assert!(!sandbox.path().join("x1").exists() && !sandbox.path().join("x2").exists());
    assert!(!sandbox.path().join("x3").exists());
}

#[test]
fn list_templates_names_every_template() {
    let sandbox = Sandbox::new();
    let json = sandbox
        .run(&["new", "--list-templates", "-o", "json"])
        .ok()
        .json();
    let names: Vec<(&str, &str)> = json["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["kind"].as_str().unwrap(), t["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("actor", "http"),
            ("actor", "keyvalue"),
            ("actor", "messaging"),
            ("provider", "provider"),
            ("interface", "interface")
        ]
    );
    let text = sandbox.run(&["new", "--list-templates"]).ok().stdout;
    assert!(text.contains("keyvalue"));
}

#[test]
fn path_puts_the_project_where_asked() {
    let sandbox = Sandbox::new();
    std::fs::create_dir(sandbox.path().join("apps")).unwrap();
    let json = sandbox
        .run(&[
            "new",
            "actor",
            "api",
            "--path",
            "apps/the-api",
            "-y",
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(json["path"], "apps/the-api");
    let manifest = std::fs::read_to_string(sandbox.path().join("apps/the-api/Cargo.toml")).unwrap();
    assert!(manifest.contains("name = \"api\""));
}

// --- bad input ---------------------------------------------------------------------------

#[test]
fn bad_names_templates_and_places_are_refused_leaving_nothing() {
    let sandbox = Sandbox::new();
    for (args, expect) in [
        (vec!["new", "actor", "1st", "-y"], "invalid project name"),
        (
            vec!["new", "actor", "has space", "-y"],
            "invalid project name",
        ),
        (vec!["new", "actor", "fn", "-y"], "Rust keyword"),
        (vec!["new", "actor", "héllo", "-y"], "invalid project name"),
        (
            vec!["new", "actor", "ok", "-t", "nope", "-y"],
            "no actor template named \"nope\"",
        ),
        (vec!["new", "actor", "-y"], "project name is required"),
        (
            vec!["new", "actor", "ok", "--namespace", "Bad_NS", "-y"],
            "invalid WIT namespace",
        ),
        (
            vec!["new", "actor", "ok", "--path", "missing/dir/ok", "-y"],
            "does not exist",
        ),
        (vec!["new"], "new actor NAME"),
    ] {
        let run = sandbox.run(&args).fails();
        assert!(run.error().contains(expect), "{args:?}: {}", run.stderr);
    }
    assert!(
        sandbox.entries().is_empty(),
        "left behind: {:?}",
        sandbox.entries()
    );
}

#[test]
fn an_existing_directory_is_never_overwritten() {
    let sandbox = Sandbox::new();
    let dir = sandbox.path().join("taken");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("keep.txt"), b"mine").unwrap();
    let run = sandbox.run(&["new", "actor", "taken", "-y"]).fails();
    assert!(run.error().contains("already exists"), "{}", run.stderr);
    assert_eq!(std::fs::read(dir.join("keep.txt")).unwrap(), b"mine");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    // Nothing staged is left beside it either.
    assert_eq!(sandbox.entries(), ["taken"]);
}

/// On a terminal, missing answers are asked for (dialoguer), here through a real pty made
/// by `script`.
#[test]
fn prompts_for_the_name_and_template_on_a_terminal() {
    let sandbox = Sandbox::new();
    let bin = support::bin();
    // Type the name, Enter; then arrow down once to `keyvalue`, Enter.
    let keys = "prompted-app\r\x1b[B\r";
    let mut cmd = Command::new("script");
    cmd.args(["-qfec"])
        .arg(format!("{} new actor", bin.display()))
        .arg("/dev/null")
        .current_dir(sandbox.path())
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("script(1) from util-linux");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        for chunk in keys.split_inclusive('\r') {
            stdin.write_all(chunk.as_bytes()).unwrap();
            stdin.flush().unwrap();
            std::thread::sleep(std::time::Duration::from_millis(400));
        }
    }
    let output = child.wait_with_output().unwrap();
    let screen = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{screen}");
    assert!(screen.contains("Name of the new actor"), "{screen}");
    let manifest = std::fs::read_to_string(sandbox.path().join("prompted-app/Cargo.toml")).unwrap();
    assert!(
        manifest.contains("wit-bindgen"),
        "keyvalue template not chosen: {manifest}"
    );
}
