//! Every input the fuzzers found a failure with (`tests/fixtures/fuzz/<target>/`), and the
//! seeds they start from (`fuzz/seeds/<target>/`), run through the same checks as the fuzz
//! targets: `fuzz/src/checks.rs` is included here as it is, so a fixed crash stays fixed.

#[allow(dead_code)]
#[path = "../fuzz/src/checks.rs"]
mod checks;

use std::path::Path;

fn inputs(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

#[test]
fn every_fuzz_finding_and_seed_passes_its_target_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (target, check) in checks::TARGETS {
        let seeds = inputs(&root.join("fuzz/seeds").join(target));
        assert!(!seeds.is_empty(), "{target} has no seeds");
        let findings = inputs(&root.join("tests/fixtures/fuzz").join(target));
        for file in seeds.iter().chain(&findings) {
            let bytes = std::fs::read(file).unwrap();
            let outcome = std::panic::catch_unwind(|| check(&bytes));
            assert!(outcome.is_ok(), "{target} fails on {}", file.display());
        }
    }
    // The targets are the folders: none is missing its check, none is left out.
    let mut listed: Vec<&str> = checks::TARGETS.iter().map(|(name, _)| *name).collect();
    listed.sort();
    let mut folders: Vec<String> = inputs(&root.join("fuzz/seeds"))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    assert_eq!(listed, folders);
}
