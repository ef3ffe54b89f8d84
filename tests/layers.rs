//! The library's layers import one way only: a module uses modules of lower layers, never of
//! its own or a higher one (so there is no cycle). The order is the one in `src/lib.rs` and
//! the README. The command layer (`src/commands`, `main.rs`, `output.rs`) is on top and may
//! use anything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each library module and its layer, lowest first.
const LAYERS: &[(&str, u8)] = &[
    ("fsutil", 0),
    ("artifact", 1),
    ("sign", 2),
    ("oci", 3),
    ("ctl", 3),
    ("runtime", 3),
    ("project", 4),
    ("wadm", 4),
    ("witgen", 5),
    ("compose", 5),
    ("scaffold", 6),
    ("virt", 6),
    ("pipeline", 7),
    ("dev", 8),
    ("doctor", 8),
    ("app", 8),
];

const COMMAND_LAYER: &[&str] = &["commands", "main", "output", "lib"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to: `src/pipeline/cargo.rs` → `pipeline`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The top-level modules a source text names as `crate::x` or in `crate::{x, y::z}`
/// (macro `$crate::` paths and comments are not imports).
fn crate_references(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().last();
            let after = &rest[at + "crate::".len()..];
            rest = after;
            if before.is_some_and(|c| c == '$' || c.is_alphanumeric() || c == '_') {
                continue;
            }
            if let Some(group) = after.strip_prefix('{') {
                // Top-level names of the group, up to its closing brace.
                let mut depth = 0;
                let mut item = String::new();
                let mut items = Vec::new();
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => items.push(std::mem::take(&mut item)),
                        _ => item.push(c),
                    }
                }
                items.push(item);
                for item in items {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        found.push(name);
                    }
                }
            } else {
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.push(name);
            }
        }
    }
    found
}

#[test]
fn reference_parsing_sees_groups_and_skips_macros() {
    let text = "use crate::{fsutil, sign::keys::{Key, KeyKind}};\n\
                use crate::artifact::wasm;\n\
                let x = \"$crate::glue\"; // crate::doctor\n";
    assert_eq!(crate_references(text), ["fsutil", "sign", "artifact"]);
}

#[test]
fn lower_layers_never_import_higher_ones() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layers: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    for file in &files {
        let module = module_of(&src, file);
        if COMMAND_LAYER.contains(&module.as_str()) {
            continue;
        }
        let Some(&own) = layers.get(module.as_str()) else {
            problems.push(format!(
                "{}: module `{module}` has no layer: add it to LAYERS here, in src/lib.rs and in the README",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for used in crate_references(&text) {
            if used == module {
                continue;
            }
            match layers.get(used.as_str()) {
                Some(&layer) if layer < own => {}
                Some(&layer) => problems.push(format!(
                    "{}: `{module}` (layer {own}) uses `crate::{used}` (layer {layer})",
                    file.strip_prefix(&src).unwrap().display()
                )),
                None => problems.push(format!(
                    "{}: `{module}` uses `crate::{used}`, which is not a library module",
                    file.strip_prefix(&src).unwrap().display()
                )),
            }
        }
    }
    assert!(
        problems.is_empty(),
        "layering broken:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_library_module_is_declared_in_lib_rs_in_layer_order() {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let declared: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';'))
        .collect();
    let mut expected: Vec<&str> = LAYERS.iter().map(|(m, _)| *m).collect();
    let mut got = declared.clone();
    expected.sort();
    got.sort();
    assert_eq!(got, expected, "src/lib.rs declares {declared:?}");
    let layer_of = |m: &str| LAYERS.iter().find(|(n, _)| *n == m).unwrap().1;
    let ranks: Vec<u8> = declared.iter().map(|m| layer_of(m)).collect();
    assert!(
        ranks.windows(2).all(|w| w[0] <= w[1]),
        "src/lib.rs should list modules lowest layer first: {declared:?}"
    );
}
