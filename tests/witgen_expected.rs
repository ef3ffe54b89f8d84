//! Expected-output tests for the WIT generator, without building anything: the scanner's
//! model, the WIT text, the actor glue (both roles) and the starter implementation for the
//! tricky interface crate are compared with the files in `tests/expected/`. A change in
//! the generator shows up as a diff here; `BLESS=1 cargo test --test witgen_expected`
//! rewrites the files after a deliberate change (review the diff before committing).

use std::path::{Path, PathBuf};

use cargo_wasmcloud::witgen::glue::{
    glue_file, provider_glue_file, starter_implementation, starter_provider, GlueInput, Role,
};
use cargo_wasmcloud::witgen::{generate, scan, CrateInfo};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compares `actual` with `tests/expected/<name>`, or writes it there with `BLESS=1`.
#[track_caller]
fn expect(name: &str, actual: &str) {
    let path = root().join("tests/expected").join(name);
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with BLESS=1 to create it)", path.display()));
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from tests/expected/{name} at line {}:\n  expected: {:?}\n  actual:   {:?}\n(BLESS=1 rewrites it)",
            first + 1,
            expected.lines().nth(first).unwrap_or("<end>"),
            actual.lines().nth(first).unwrap_or("<end>"),
        );
    }
}

fn tricky_info(root: &Path) -> (PathBuf, PathBuf) {
    let dir = root.join("tests/fixtures/witgen/tricky-api");
    (dir.join("src/lib.rs"), dir)
}

#[test]
fn the_scanner_reads_the_tricky_crate_into_the_expected_model() {
    let root = root();
    let (lib, dir) = tricky_info(&root);
    let info = CrateInfo {
        lib_path: &lib,
        display_root: &dir,
        package_name: "tricky-api",
        version: Some("0.1.0"),
        namespace: "acme",
    };
    let package = scan::scan(&info).unwrap();
    expect("tricky-api.model.txt", &format!("{package:#?}\n"));
}

#[test]
fn wit_glue_and_starter_of_the_tricky_crate_are_as_expected() {
    let root = root();
    let (lib, dir) = tricky_info(&root);
    let generated = generate(&CrateInfo {
        lib_path: &lib,
        display_root: &dir,
        package_name: "tricky-api",
        version: Some("0.1.0"),
        namespace: "acme",
    })
    .unwrap();
    expect("tricky-api.wit", &generated.wit);
    for (role, name) in [
        (Role::Implements, "tricky-api.implements.rs"),
        (Role::Uses, "tricky-api.uses.rs"),
    ] {
        let glue = glue_file(&[GlueInput {
            pkg: &generated.package,
            wit: &generated.wit,
            crate_ident: "tricky_api",
            role,
        }]);
        // The glue is Rust that parses (its types are checked by the fixture builds).
        syn::parse_file(&glue).unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
        expect(name, &glue);
    }
    let starter = starter_implementation(&generated.package, "tricky_api", "tricky");
    syn::parse_file(&starter).unwrap_or_else(|e| panic!("the starter does not parse: {e}"));
    expect("tricky-api.starter.rs", &starter);
}

/// The ledger crate of the provider fixtures (no resources): its WIT, the provider glue
/// implementing it and using it, and the provider starter.
#[test]
fn wit_provider_glue_and_provider_starter_of_the_ledger_crate_are_as_expected() {
    let dir = root().join("tests/fixtures/ledger-ws/ledger-api");
    let generated = generate(&CrateInfo {
        lib_path: &dir.join("src/lib.rs"),
        display_root: &dir,
        package_name: "ledger-api",
        version: Some("0.1.0"),
        namespace: "acme",
    })
    .unwrap();
    expect("ledger-api.wit", &generated.wit);
    for (role, name) in [
        (Role::Implements, "ledger-api.provider-implements.rs"),
        (Role::Uses, "ledger-api.provider-uses.rs"),
    ] {
        let glue = provider_glue_file(&[GlueInput {
            pkg: &generated.package,
            wit: &generated.wit,
            crate_ident: "ledger_api",
            role,
        }])
        .unwrap();
        syn::parse_file(&glue).unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
        expect(name, &glue);
    }
    let starter = starter_provider(&generated.package, "ledger_api", "ledger", "ledger-native");
    syn::parse_file(&starter).unwrap_or_else(|e| panic!("the starter does not parse: {e}"));
    expect("ledger-api.provider-starter.rs", &starter);
}

/// wit-bindgen-wrpc 0.10 reads the WIT with wit-parser 0.220: every generated package (the
/// tricky one has every shape the mapping makes, resources included) must parse there too,
/// with both worlds.
#[test]
fn generated_wit_parses_with_the_wit_parser_of_wit_bindgen_wrpc() {
    for (crate_dir, name) in [
        ("tests/fixtures/witgen/tricky-api", "tricky-api"),
        ("tests/fixtures/ledger-ws/ledger-api", "ledger-api"),
    ] {
        let dir = root().join(crate_dir);
        let generated = generate(&CrateInfo {
            lib_path: &dir.join("src/lib.rs"),
            display_root: &dir,
            package_name: name,
            version: Some("0.1.0"),
            namespace: "acme",
        })
        .unwrap();
        let mut resolve = wit_parser_0220::Resolve::default();
        let package = resolve
            .push_str(format!("{name}.wit"), &generated.wit)
            .unwrap_or_else(|e| panic!("wit-parser 0.220 refuses {name}: {e:#}"));
        for world in ["exporter", "importer"] {
            resolve
                .select_world(package, Some(world))
                .unwrap_or_else(|e| panic!("{name}: no world {world}: {e:#}"));
        }
    }
}

#[test]
fn a_scan_error_points_at_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib.rs");
    std::fs::write(
        &lib,
        "pub trait Store {\n    fn get(&self, key: *const u8) -> u32;\n}\n",
    )
    .unwrap();
    let error = scan::scan(&CrateInfo {
        lib_path: &lib,
        display_root: dir.path(),
        package_name: "bad-api",
        version: Some("0.1.0"),
        namespace: "acme",
    })
    .unwrap_err()
    .to_string();
    assert!(error.starts_with("lib.rs:2:"), "{error}");
}
