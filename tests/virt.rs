//! Virtualization without servers: the `virt-actor` fixture really built, its env and
//! config imports answered by a generated component and gone from the output (decoded with
//! wit-component), the generated component's size, the ad hoc `virt` command, and bad
//! tables named by their Cargo.toml key with nothing written. On a host: `server_virt.rs`.

mod support;

use std::path::{Path, PathBuf};

use support::Sandbox;

fn fixture(sandbox: &Sandbox, package: &str) -> PathBuf {
    let dir = sandbox.path().join(package);
    support::copy_dir(&support::fixtures_dir().join("virt-actor"), &dir);
    support::edit_file(
        &dir.join("Cargo.toml"),
        "name = \"virt-actor\"",
        &format!("name = \"{package}\""),
    );
    dir
}

fn build(sandbox: &Sandbox, dir: &Path, extra: &[&str]) -> support::Run {
    let mut args = vec!["build", "-o", "json"];
    args.extend(extra);
    sandbox.run_with(&args, |cmd| {
        cmd.current_dir(dir)
            .env("CARGO_TARGET_DIR", support::shared_build_cache());
    })
}

fn imports(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    cargo_wasmcloud::artifact::wit::component_interfaces(&bytes)
        .unwrap()
        .imports
}

#[test]
fn build_bakes_env_and_config_in_and_the_imports_are_gone() {
    let sandbox = Sandbox::new();
    let dir = fixture(&sandbox, "virt-baked");
    let run = build(&sandbox, &dir, &[]).ok();
    let artifact = &run.json()["artifacts"][0];
    let virtualized = &artifact["virtualized"];
    let interfaces: Vec<&str> = virtualized["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect();
    assert!(
        interfaces.contains(&"wasi:config/store@0.2.0-draft"),
        "{interfaces:?}"
    );
    assert!(
        interfaces
            .iter()
            .any(|i| i.starts_with("wasi:cli/environment@0.2.")),
        "{interfaces:?}"
    );
    // A few KB.
    let size = virtualized["generated_size"].as_u64().unwrap();
    assert!(size > 0 && size < 8 * 1024, "{size} bytes");
    let signed = PathBuf::from(artifact["path"].as_str().unwrap());
    let bytes = std::fs::read(&signed).unwrap();
    wasmparser::Validator::new().validate_all(&bytes).unwrap();
    let left = imports(&signed);
    assert!(
        !left
            .iter()
            .any(|i| i.starts_with("wasi:cli/environment") || i.starts_with("wasi:config/")),
        "{left:?}"
    );
    // The HTTP export and other WASI imports are untouched.
    assert!(left.iter().any(|i| i.starts_with("wasi:io/")), "{left:?}");
    let exports = cargo_wasmcloud::artifact::wit::component_interfaces(&bytes)
        .unwrap()
        .exports;
    assert!(exports
        .iter()
        .any(|e| e.starts_with("wasi:http/incoming-handler")));
    // Signed after virtualizing: the claims cover the final bytes.
    sandbox.run(&["inspect", signed.to_str().unwrap()]).ok();
    // The status line says it.
    let text = sandbox.run_with(&["build"], |cmd| {
        cmd.current_dir(&dir)
            .env("CARGO_TARGET_DIR", support::shared_build_cache());
    });
    assert!(
        text.stderr.contains("Virtualized virt-baked: "),
        "{}",
        text.stderr
    );
}

#[test]
fn build_time_variables_fill_values_and_a_missing_one_writes_nothing() {
    let sandbox = Sandbox::new();
    let dir = fixture(&sandbox, "virt-vars");
    support::edit_file(
        &dir.join("Cargo.toml"),
        "name = \"Ada\"",
        "name = \"${VIRT_TEST_NAME}\"",
    );
    let out = support::shared_build_cache().join("wasmcloud/virt_vars_s.wasm");
    let _ = std::fs::remove_file(&out);
    let run = build(&sandbox, &dir, &[]);
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(run.stderr.trim()).unwrap();
    assert_eq!(
        json["error"],
        "package `virt-vars`: package.metadata.wasmcloud.virt.config.name: the environment \
         variable VIRT_TEST_NAME is not set for this build"
    );
    assert!(!out.exists(), "an output was written");
    let run = sandbox.run_with(&["build", "-o", "json"], |cmd| {
        cmd.current_dir(&dir)
            .env("CARGO_TARGET_DIR", support::shared_build_cache())
            .env("VIRT_TEST_NAME", "from-the-environment");
    });
    run.ok();
    assert!(out.is_file());
}

#[test]
fn bad_tables_are_one_line_with_their_key_and_nothing_is_written() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "GREETING = \"baked hello\"",
            "GREETING = 3",
            "package `virt-bad`: package.metadata.wasmcloud.virt.env.GREETING: invalid type: integer `3`, expected a string",
        ),
        (
            "config = {",
            "denny = [\"filesystem\"]\nconfig = {",
            "package `virt-bad`: package.metadata.wasmcloud.virt.denny: unknown field `denny`",
        ),
        (
            "args = [\"virt-actor\", \"--flag\"]",
            "args = \"virt-actor\"",
            "package `virt-bad`: package.metadata.wasmcloud.virt.args: invalid type: string",
        ),
    ];
    let out = support::shared_build_cache().join("wasmcloud/virt_bad_s.wasm");
    let _ = std::fs::remove_file(&out);
    for (from, to, expected) in cases {
        let sandbox = Sandbox::new();
        let dir = fixture(&sandbox, "virt-bad");
        support::edit_file(&dir.join("Cargo.toml"), from, to);
        let run = sandbox.run_with(&["build"], |cmd| {
            cmd.current_dir(&dir)
                .env("CARGO_TARGET_DIR", support::shared_build_cache());
        });
        let run = run.fails();
        assert!(run.error().starts_with(expected), "{to}: {}", run.error());
        assert!(
            !run.stderr.contains("Compiling"),
            "cargo ran: {}",
            run.stderr
        );
        assert!(!out.exists(), "{to}: an output was written");
    }
}

#[test]
fn an_interface_version_the_generator_cannot_answer_is_an_error() {
    let sandbox = Sandbox::new();
    let dir = fixture(&sandbox, "virt-rc");
    for file in ["wit/world.wit", "wit/deps/config/store.wit"] {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("0.2.0-draft", "0.2.0-rc.1");
        std::fs::write(path, text).unwrap();
    }
    let out = support::shared_build_cache().join("wasmcloud/virt_rc_s.wasm");
    let _ = std::fs::remove_file(&out);
    let run = build(&sandbox, &dir, &[]);
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(run.stderr.lines().last().unwrap()).unwrap();
    assert!(
        json["error"].as_str().unwrap().starts_with(
            "package `virt-rc`: package.metadata.wasmcloud.virt.config: the component imports \
             `wasi:config/store@0.2.0-rc.1`, which the generator cannot answer"
        ),
        "{json}"
    );
    assert!(!out.exists());
}

#[test]
fn the_virt_command_does_the_same_on_any_component() {
    let sandbox = Sandbox::new();
    let dir = fixture(&sandbox, "virt-adhoc");
    support::edit_file(
        &dir.join("Cargo.toml"),
        "[package.metadata.wasmcloud.virt]",
        "[package.metadata.wasmcloud.not-virt]",
    );
    // Without the table the build leaves the imports (the unknown table is refused, so
    // drop it altogether).
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let cut = text.find("[package.metadata.wasmcloud.not-virt]").unwrap();
    let end = text[cut..].find("\n\n").map(|e| cut + e).unwrap();
    std::fs::write(&manifest, format!("{}{}", &text[..cut], &text[end..])).unwrap();
    let built = build(&sandbox, &dir, &["--build-only"]).ok();
    let unsigned = PathBuf::from(built.json()["artifacts"][0]["path"].as_str().unwrap());
    let before = imports(&unsigned);
    assert!(
        before.iter().any(|i| i.starts_with("wasi:config/store")),
        "{before:?}"
    );

    let dest = sandbox.file("out.wasm");
    let run = sandbox
        .run(&[
            "virt",
            unsigned.to_str().unwrap(),
            "--env",
            "GREETING=adhoc",
            "--config",
            "name=Bo",
            "-d",
            dest.to_str().unwrap(),
            "-o",
            "json",
        ])
        .ok();
    let json = run.json();
    assert_eq!(json["interfaces"].as_array().unwrap().len(), 2, "{json}");
    let after = imports(&dest);
    assert!(
        !after.iter().any(|i| i.starts_with("wasi:config/")),
        "{after:?}"
    );
    assert!(
        !after.iter().any(|i| i.starts_with("wasi:cli/environment")),
        "{after:?}"
    );

    // Only config, on a component that imports no config: a warning, and the file as it was.
    let hello = sandbox.write("hello.wasm", support::hello_component());
    let run = sandbox
        .run(&["virt", hello.to_str().unwrap(), "--config", "k=v"])
        .ok();
    assert!(
        run.stderr
            .contains("warning: --config: the component does not import"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read(sandbox.file("hello_virt.wasm")).unwrap(),
        support::hello_component()
    );

    // Not a component, truncated, a bad pair: one line each, nothing written.
    sandbox.write("text.wasm", b"not wasm at all");
    let run = sandbox.run(&["virt", "text.wasm", "--env", "A=b"]).fails();
    assert!(run.error().starts_with("text.wasm: "), "{}", run.error());
    let bytes = support::hello_component();
    sandbox.write("cut.wasm", &bytes[..bytes.len() / 2]);
    sandbox.run(&["virt", "cut.wasm", "--env", "A=b"]).fails();
    let run = sandbox
        .run(&["virt", "hello.wasm", "--env", "novalue"])
        .fails();
    assert!(run.error().contains("use KEY=VALUE"), "{}", run.error());
    assert!(!sandbox.file("text_virt.wasm").exists());
    assert!(!sandbox.file("cut_virt.wasm").exists());
}

#[test]
fn denied_interfaces_are_gone_from_the_output() {
    let sandbox = Sandbox::new();
    let dir = sandbox.path().join("deny-built");
    support::copy_dir(&support::fixtures_dir().join("deny-actor"), &dir);
    support::edit_file(
        &dir.join("Cargo.toml"),
        "name = \"deny-actor\"",
        "name = \"deny-built\"",
    );
    let run = build(&sandbox, &dir, &[]).ok();
    let artifact = &run.json()["artifacts"][0];
    let answered: Vec<&str> = artifact["virtualized"]["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect();
    for wanted in [
        "wasi:filesystem/preopens@",
        "wasi:filesystem/types@",
        "wasi:http/outgoing-handler@",
        "wasi:sockets/tcp-create-socket@",
        "wasi:sockets/instance-network@",
    ] {
        assert!(
            answered.iter().any(|a| a.starts_with(wanted)),
            "{wanted}: {answered:?}"
        );
    }
    let signed = PathBuf::from(artifact["path"].as_str().unwrap());
    wasmparser::Validator::new()
        .validate_all(&std::fs::read(&signed).unwrap())
        .unwrap();
    let left = imports(&signed);
    assert!(
        !left.iter().any(|i| i.starts_with("wasi:filesystem/")
            || i.starts_with("wasi:sockets/")
            || i.starts_with("wasi:http/outgoing-handler")),
        "{left:?}"
    );
    // What was not denied is still the host's.
    assert!(
        left.iter().any(|i| i.starts_with("wasi:http/types@")),
        "{left:?}"
    );

    // An unknown name: one line with its key, before cargo runs.
    support::edit_file(&dir.join("Cargo.toml"), "\"sockets\"]", "\"socket\"]");
    let run = sandbox
        .run_with(&["build"], |cmd| {
            cmd.current_dir(&dir)
                .env("CARGO_TARGET_DIR", support::shared_build_cache());
        })
        .fails();
    assert_eq!(
        run.error(),
        "package `deny-built`: package.metadata.wasmcloud.virt.deny[2]: unknown name `socket`: \
         use filesystem, sockets, http-outgoing, exit, clocks, random"
    );
    let run = sandbox
        .run(&["virt", signed.to_str().unwrap(), "--deny", "disk"])
        .fails();
    assert!(
        run.error().starts_with("--deny: unknown name `disk`"),
        "{}",
        run.error()
    );
}

#[test]
fn compose_explain_shows_virtualized_imports_and_unused_settings_warn() {
    let sandbox = Sandbox::new();
    let dir = fixture(&sandbox, "virt-explained");
    let run = sandbox
        .run_with(&["compose", "--explain", "-o", "json"], |cmd| {
            cmd.current_dir(&dir)
                .env("CARGO_TARGET_DIR", support::shared_build_cache());
        })
        .ok();
    let wires = run.json()["artifacts"][0]["composition"]["wires"].clone();
    let source_of = |import: &str| -> String {
        wires
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["import"].as_str().unwrap().starts_with(import))
            .map(|w| w["source"]["kind"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no {import} in {wires}"))
    };
    assert_eq!(source_of("wasi:config/store@0.2.0-draft"), "virtualized");
    assert_eq!(source_of("wasi:cli/environment@"), "virtualized");
    assert_eq!(source_of("wasi:io/streams@"), "host");
    let text = sandbox
        .run_with(&["compose", "--explain"], |cmd| {
            cmd.current_dir(&dir)
                .env("CARGO_TARGET_DIR", support::shared_build_cache());
        })
        .ok();
    assert!(
        text.stdout
            .lines()
            .any(|l| l.contains("wasi:config/store@0.2.0-draft") && l.contains("<- virtualized")),
        "{}",
        text.stdout
    );

    // A setting for an interface the actor does not import: a warning naming it.
    let deny = sandbox.path().join("deny-warned");
    support::copy_dir(&support::fixtures_dir().join("deny-actor"), &deny);
    support::edit_file(
        &deny.join("Cargo.toml"),
        "name = \"deny-actor\"",
        "name = \"deny-warned\"",
    );
    support::edit_file(
        &deny.join("Cargo.toml"),
        "deny = [",
        "config = { unused = \"yes\" }\ndeny = [",
    );
    let run = sandbox
        .run_with(&["build"], |cmd| {
            cmd.current_dir(&deny)
                .env("CARGO_TARGET_DIR", support::shared_build_cache());
        })
        .ok();
    assert!(
        run.stderr.contains(
            "warning: deny-warned: package.metadata.wasmcloud.virt.config: the component does \
             not import wasi:config/store or runtime"
        ),
        "{}",
        run.stderr
    );
}
