//! `build`: real cargo builds for wasm32-wasip2 (and wasip1, adapted), validated, signed,
//! checked with wascap; workspaces and `-p`; no-op rebuilds; and the ways a build fails.

mod support;

use std::path::{Path, PathBuf};

use support::{Run, Sandbox};
use wascap::jwt::Component;

/// Copies a fixture directory tree into the sandbox and returns the copy's path.
fn copy_fixture(sandbox: &Sandbox, name: &str) -> PathBuf {
    let dest = sandbox.path().join(name);
    support::copy_dir(&support::fixtures_dir().join(name), &dest);
    dest
}

/// Runs `build` in `dir`, sharing one target directory per test binary run so that
/// repeated builds of the same fixture are quick.
fn build_in(sandbox: &Sandbox, dir: &Path, args: &[&str]) -> Run {
    sandbox.run_with(args, |cmd| {
        cmd.current_dir(dir);
    })
}

fn built_paths(json: &serde_json::Value) -> Vec<PathBuf> {
    json["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| PathBuf::from(a["path"].as_str().unwrap()))
        .collect()
}

fn wascap_claims(path: &Path) -> wascap::jwt::Claims<Component> {
    let bytes = std::fs::read(path).unwrap();
    let token = wascap::wasm::extract_claims(&bytes)
        .expect("wascap reads the claims")
        .expect("signed");
    let v = wascap::jwt::validate_token::<Component>(&token.jwt).unwrap();
    assert!(v.signature_valid && !v.expired && !v.cannot_use_yet);
    token.claims
}

fn assert_valid_component(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(bytes[4..8], [0x0d, 0x00, 0x01, 0x00], "not a component");
    wasmparser::Validator::new()
        .validate_all(&bytes)
        .expect("valid component");
}

#[test]
fn builds_and_signs_a_single_actor() {
    let sandbox = Sandbox::new();
    let dir = copy_fixture(&sandbox, "hello-component");
    let json = build_in(&sandbox, &dir, &["build", "-o", "json"])
        .ok()
        .json();
    let paths = built_paths(&json);
    assert_eq!(
        paths,
        [dir.join("target/wasmcloud/hello_component_s.wasm")],
        "{json}"
    );
    assert_valid_component(&paths[0]);
    let claims = wascap_claims(&paths[0]);
    let meta = claims.metadata.unwrap();
    assert_eq!(meta.name.as_deref(), Some("hello-component"));
    assert_eq!(meta.ver.as_deref(), Some("0.1.0"));
    assert_eq!(meta.rev, Some(0));
    // Keys as wash names them, in the key directory.
    assert!(sandbox.keys().join("tester_account.nk").is_file());
    assert!(sandbox.keys().join("hello_component_module.nk").is_file());
    // The release profile is the default.
    assert!(json["artifacts"][0]["cargo_artifact"]
        .as_str()
        .unwrap()
        .contains("/wasm32-wasip2/release/"));
}

#[test]
fn a_no_op_rebuild_leaves_the_signed_file_alone() {
    let sandbox = Sandbox::new();
    let dir = copy_fixture(&sandbox, "hello-component");
    let first = build_in(&sandbox, &dir, &["build", "-o", "json"])
        .ok()
        .json();
    let path = built_paths(&first).remove(0);
    let bytes = std::fs::read(&path).unwrap();
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    assert_eq!(first["artifacts"][0]["fresh"], false);

    let second = build_in(&sandbox, &dir, &["build", "-o", "json"])
        .ok()
        .json();
    assert_eq!(second["artifacts"][0]["fresh"], true, "{second}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified
    );

    // A change to the source is a new component, signed anew.
    let lib = dir.join("src/lib.rs");
    let source = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, source.replace("hello, ", "howdy, ")).unwrap();
    let third = build_in(&sandbox, &dir, &["build", "-o", "json"])
        .ok()
        .json();
    assert_eq!(third["artifacts"][0]["fresh"], false);
    assert_ne!(third["artifacts"][0]["hash"], first["artifacts"][0]["hash"]);
    wascap_claims(&path);

    // So is a change to the claims settings.
    let manifest = dir.join("Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str("\n[package.metadata.wasmcloud]\nrevision = 2\n");
    std::fs::write(&manifest, text).unwrap();
    let fourth = build_in(&sandbox, &dir, &["build", "-o", "json"])
        .ok()
        .json();
    assert_eq!(fourth["artifacts"][0]["fresh"], false);
    assert_eq!(wascap_claims(&path).metadata.unwrap().rev, Some(2));

    // A signed file damaged on disk is signed again, not trusted.
    std::fs::write(&path, b"garbage").unwrap();
    let fifth = build_in(&sandbox, &dir, &["build", "-o", "json"])
        .ok()
        .json();
    assert_eq!(fifth["artifacts"][0]["fresh"], false);
    wascap_claims(&path);
}

#[test]
fn workspace_builds_all_actors_or_the_ones_named() {
    let sandbox = Sandbox::new();
    let dir = copy_fixture(&sandbox, "workspace");
    let json = build_in(&sandbox, &dir, &["build", "--workspace", "-o", "json"])
        .ok()
        .json();
    let paths = built_paths(&json);
    let out = dir.join("target/wasmcloud");
    assert_eq!(
        paths,
        [out.join("actor_a_s.wasm"), out.join("actor_b_s.wasm")],
        "{json}"
    );
    for path in &paths {
        assert_valid_component(path);
    }
    let a = wascap_claims(&paths[0]).metadata.unwrap();
    assert_eq!(a.name.as_deref(), Some("actor-a"));
    assert_eq!(a.ver.as_deref(), Some("0.1.0"));
    // Settings from [package.metadata.wasmcloud].
    let b = wascap_claims(&paths[1]).metadata.unwrap();
    assert_eq!(b.name.as_deref(), Some("Actor Bee"));
    assert_eq!(b.ver.as_deref(), Some("0.2.0"));
    assert_eq!(b.rev, Some(7));
    assert_eq!(b.tags, Some(vec!["bee".to_string(), "demo".to_string()]));
    assert_eq!(b.call_alias.as_deref(), Some("bee"));

    // -p builds just the one named; other outputs are not touched.
    std::fs::remove_dir_all(&out).unwrap();
    let json = build_in(&sandbox, &dir, &["build", "-p", "actor-b", "-o", "json"])
        .ok()
        .json();
    assert_eq!(built_paths(&json), [out.join("actor_b_s.wasm")]);
    assert!(!out.join("actor_a_s.wasm").exists());

    // In a member's directory, that member is built.
    let json = build_in(&sandbox, &dir.join("actor-a"), &["build", "-o", "json"])
        .ok()
        .json();
    assert_eq!(built_paths(&json), [out.join("actor_a_s.wasm")]);

    // --manifest-path and --target-dir from elsewhere.
    let elsewhere = sandbox.path().join("elsewhere-target");
    let manifest = dir.join("actor-b/Cargo.toml");
    let json = sandbox
        .run(&[
            "build",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "--target-dir",
            elsewhere.to_str().unwrap(),
            "--debug",
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(
        built_paths(&json),
        [elsewhere.join("wasmcloud/actor_b_s.wasm")]
    );
    assert!(json["artifacts"][0]["cargo_artifact"]
        .as_str()
        .unwrap()
        .contains("/wasm32-wasip2/debug/"));
}

#[test]
fn build_only_skips_signing() {
    let sandbox = Sandbox::new();
    let dir = copy_fixture(&sandbox, "hello-component");
    let json = build_in(&sandbox, &dir, &["build", "--build-only", "-o", "json"])
        .ok()
        .json();
    let path = built_paths(&json).remove(0);
    assert_eq!(path, dir.join("target/wasmcloud/hello_component.wasm"));
    assert_valid_component(&path);
    assert!(wascap::wasm::extract_claims(std::fs::read(&path).unwrap())
        .unwrap()
        .is_none());
    assert!(!sandbox.keys().exists(), "no keys needed without signing");
}

#[test]
fn wasip1_modules_are_adapted_into_components() {
    let sandbox = Sandbox::new();
    let dir = copy_fixture(&sandbox, "hello-component");
    let manifest = dir.join("Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str("\n[package.metadata.wasmcloud]\ntarget = \"wasm32-wasip1\"\n");
    std::fs::write(&manifest, text).unwrap();
    let json = build_in(&sandbox, &dir, &["build", "-o", "json"])
        .ok()
        .json();
    let path = built_paths(&json).remove(0);
    assert!(json["artifacts"][0]["cargo_artifact"]
        .as_str()
        .unwrap()
        .contains("/wasm32-wasip1/"));
    assert_valid_component(&path);
    wascap_claims(&path);
    let wit = sandbox
        .run(&["inspect", "--wit", path.to_str().unwrap()])
        .ok()
        .stdout;
    assert!(wit.contains("import wasi:cli/environment@"), "{wit}");
}

// --- failures ----------------------------------------------------------------------------

/// `--locked`/`--frozen` reach cargo: a workspace without Cargo.lock is refused by cargo
/// itself, and no lock file is written.
#[test]
fn cargo_flags_reach_cargo() {
    let sandbox = Sandbox::new();
    let dir = copy_fixture(&sandbox, "workspace");
    for flag in ["--frozen", "--locked"] {
        let run = build_in(&sandbox, &dir, &["build", flag]);
        support::assert_cargo_refused_the_lock_file(&run, flag, &dir);
    }
}

#[test]
fn outside_a_cargo_project_is_an_error() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(&["build"]).fails();
    assert!(
        run.error().contains("not a cargo project"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_library_without_cdylib_is_not_an_actor() {
    let sandbox = Sandbox::new();
    let dir = copy_fixture(&sandbox, "workspace");
    let run = build_in(&sandbox, &dir, &["build", "-p", "plain-lib"]).fails();
    assert!(run.error().contains("without `cdylib`"), "{}", run.stderr);
    let run = build_in(&sandbox, &dir.join("plain-lib"), &["build"]).fails();
    assert!(run.error().contains("without `cdylib`"), "{}", run.stderr);
    // An interface crate has no component; building it is not an error.
    let json = build_in(&sandbox, &dir, &["build", "-p", "iface", "-o", "json"])
        .ok()
        .json();
    assert_eq!(json["artifacts"], serde_json::json!([]));
    // A workspace of plain libraries has nothing to build at all.
    let libs = sandbox.path().join("libs");
    std::fs::create_dir_all(libs.join("src")).unwrap();
    std::fs::write(
        libs.join("Cargo.toml"),
        "[package]\nname = \"libs\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(libs.join("src/lib.rs"), "").unwrap();
    let run = build_in(&sandbox, &libs, &["build", "--workspace"]).fails();
    assert!(run.error().contains("nothing to build"), "{}", run.stderr);
    let run = build_in(&sandbox, &dir, &["build", "-p", "nope"]).fails();
    assert!(run.error().contains("not a member"), "{}", run.stderr);
}

#[test]
fn invalid_settings_are_an_error() {
    let sandbox = Sandbox::new();
    let dir = copy_fixture(&sandbox, "hello-component");
    let manifest = dir.join("Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str("\n[package.metadata.wasmcloud]\nrevison = 2\n");
    std::fs::write(&manifest, text).unwrap();
    let run = build_in(&sandbox, &dir, &["build"]).fails();
    assert!(run.error().contains("revison"), "{}", run.stderr);
}

#[test]
fn a_missing_wasm_target_names_the_rustup_command() {
    let sandbox = Sandbox::new();
    let dir = copy_fixture(&sandbox, "hello-component");
    // A real rustc pointed at an empty sysroot: exactly what a toolchain without the
    // wasm32-wasip2 standard library looks like to us.
    let empty_sysroot = sandbox.path().join("empty-sysroot");
    std::fs::create_dir_all(empty_sysroot.join("lib/rustlib")).unwrap();
    let wrapper = sandbox.path().join("rustc-empty-sysroot");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec rustc --sysroot {} \"$@\"\n",
            empty_sysroot.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = sandbox
        .run_with(&["build"], |cmd| {
            cmd.current_dir(&dir).env("RUSTC", &wrapper);
        })
        .fails();
    assert!(
        run.error()
            .contains("run `rustup target add wasm32-wasip2`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_compile_error_shows_cargo_errors_and_fails() {
    let sandbox = Sandbox::new();
    let dir = copy_fixture(&sandbox, "hello-component");
    std::fs::write(dir.join("src/lib.rs"), "pub fn broken( {\n").unwrap();
    let run = build_in(&sandbox, &dir, &["build"]);
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    // cargo's own diagnostics come through...
    assert!(run.stderr.contains("src/lib.rs"), "{}", run.stderr);
    // ...and ours is the last line.
    let last = run.stderr.lines().last().unwrap();
    assert!(last.starts_with("error: cargo build failed"), "{last}");
    assert!(!run.stderr.contains("panicked"));
    assert!(!dir.join("target/wasmcloud/hello_component_s.wasm").exists());
}

// --- wash compatibility ------------------------------------------------------------------

const WASH_TOML: &str = r#"name = "Legacy Hello"
language = "rust"
type = "component"
version = "0.9.0"
revision = 5

[component]
wasm_target = "wasm32-wasip2"
key_directory = "./project-keys"
tags = ["legacy"]

[registry]
url = "localhost:5000"
"#;

#[test]
fn a_wash_project_builds_from_wasmcloud_toml_and_migrates() {
    let sandbox = Sandbox::new();
    let dir = copy_fixture(&sandbox, "hello-component");
    std::fs::write(dir.join("wasmcloud.toml"), WASH_TOML).unwrap();
    // WASH_KEYS would win over the project's key directory, as --keys-dir does.
    let run = sandbox.run_with(&["build", "-o", "json"], |cmd| {
        cmd.current_dir(&dir).env_remove("WASH_KEYS");
    });
    let json = run.ok().json();
    let path = built_paths(&json).remove(0);
    let meta = wascap_claims(&path).metadata.unwrap();
    assert_eq!(meta.name.as_deref(), Some("Legacy Hello"));
    assert_eq!(meta.ver.as_deref(), Some("0.9.0"));
    assert_eq!(meta.rev, Some(5));
    assert_eq!(meta.tags, Some(vec!["legacy".to_string()]));
    assert!(dir.join("project-keys/hello_component_module.nk").is_file());
    let text = sandbox
        .run_with(&["build"], |cmd| {
            cmd.current_dir(&dir).env_remove("WASH_KEYS");
        })
        .ok();
    assert!(
        text.stderr.contains("cargo wasmcloud migrate"),
        "{}",
        text.stderr
    );

    // migrate writes the same settings into Cargo.toml, keeping what was there.
    let manifest = dir.join("Cargo.toml");
    let before = std::fs::read_to_string(&manifest).unwrap();
    let migrated = sandbox
        .run_with(&["migrate", "-o", "json"], |cmd| {
            cmd.current_dir(&dir);
        })
        .ok()
        .json();
    assert_eq!(migrated["ignored"], serde_json::json!(["registry"]));
    let after = std::fs::read_to_string(&manifest).unwrap();
    // Every line that was there is still there, in order (comments included).
    let mut remaining = after.lines();
    for line in before.lines() {
        assert!(
            remaining.any(|l| l == line),
            "lost {line:?} from the manifest:\n{after}"
        );
    }
    assert!(after.contains("[package.metadata.wasmcloud]"), "{after}");
    assert!(after.contains("name = \"Legacy Hello\""), "{after}");

    // Without wasmcloud.toml the build gives the same claims, now from Cargo.toml.
    std::fs::remove_file(dir.join("wasmcloud.toml")).unwrap();
    let json = sandbox
        .run_with(&["build", "-o", "json"], |cmd| {
            cmd.current_dir(&dir).env_remove("WASH_KEYS");
        })
        .ok()
        .json();
    let again = wascap_claims(&built_paths(&json)[0]).metadata.unwrap();
    assert_eq!(again.name, meta.name);
    assert_eq!(again.rev, meta.rev);
    assert_eq!(again.tags, meta.tags);
    assert_eq!(
        json["artifacts"][0]["fresh"], true,
        "same settings and keys: {json}"
    );

    // Migrating again: nothing to migrate, and an existing table is not overwritten.
    let run = sandbox
        .run_with(&["migrate"], |cmd| {
            cmd.current_dir(&dir);
        })
        .fails();
    assert!(run.error().contains("no wasmcloud.toml"), "{}", run.stderr);
    std::fs::write(dir.join("wasmcloud.toml"), WASH_TOML).unwrap();
    let run = sandbox
        .run_with(&["migrate"], |cmd| {
            cmd.current_dir(&dir);
        })
        .fails();
    assert!(run.error().contains("--force"), "{}", run.stderr);
    sandbox
        .run_with(&["migrate", "--force"], |cmd| {
            cmd.current_dir(&dir);
        })
        .ok();
}

#[test]
fn a_broken_wasmcloud_toml_is_an_error() {
    let sandbox = Sandbox::new();
    let dir = copy_fixture(&sandbox, "hello-component");
    std::fs::write(dir.join("wasmcloud.toml"), "language = \"tinygo\"\n").unwrap();
    let run = build_in(&sandbox, &dir, &["build"]).fails();
    assert!(run.error().contains("Rust projects"), "{}", run.stderr);
    std::fs::write(dir.join("wasmcloud.toml"), "name = = 1\n").unwrap();
    let run = build_in(&sandbox, &dir, &["build"]).fails();
    assert!(run.error().contains("wasmcloud.toml"), "{}", run.stderr);
}
