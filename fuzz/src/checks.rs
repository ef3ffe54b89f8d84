//! The checks behind each fuzz target, shared with the regression test that runs every
//! input the fuzzer ever found (tests/fuzz_regressions.rs includes this file): one function
//! per parser of untrusted input. Each must return normally on any input; a panic is a bug.

use cargo_wasmcloud::artifact::par;
use cargo_wasmcloud::artifact::wasm;
use cargo_wasmcloud::compose::plan::{self, Node};
use cargo_wasmcloud::compose::{Rules, Semver, Source, Target, WireRule};
use cargo_wasmcloud::oci;
use cargo_wasmcloud::oci::artifact;
use cargo_wasmcloud::project::{app_settings::AppSettings, virt_settings::VirtSettings, Settings};
use cargo_wasmcloud::sign::jwt;
use cargo_wasmcloud::wadm;
use cargo_wasmcloud::witgen::{self, CrateInfo};
use oci_client::manifest::OciManifest;
use std::io::{Seek, Write};
use std::sync::Mutex;
use std::sync::OnceLock;

/// One target's check: returns on any input, panics on a bug.
pub type Check = fn(&[u8]);

/// Every target by name, as `cargo fuzz list` and the fixture folders name them.
pub const TARGETS: &[(&str, Check)] = &[
    ("wasm_sections", wasm_sections),
    ("wasm_file_plan", wasm_file_plan),
    ("jwt_claims", jwt_claims),
    ("par_reader", par_reader),
    ("oci_manifest", oci_manifest),
    ("oci_reference", oci_reference),
    ("wadm_manifest", wadm_manifest),
    ("package_settings", package_settings),
    ("trait_scanner", trait_scanner),
    ("compose_planner", compose_planner),
];

/// The in-memory Wasm section reader and canonicalizer, with its properties: the canonical
/// form of a canonical form is itself, and its length is what `canonical_len` says.
pub fn wasm_sections(data: &[u8]) {
    let _ = wasm::kind_of(data);
    let _ = wasm::find_token(data);
    let _ = wasm::module_hash(data);
    if let Ok(canonical) = wasm::canonical_bytes(data) {
        assert_eq!(wasm::canonical_len(data).ok(), Some(canonical.len() as u64));
        let again = wasm::canonical_bytes(&canonical).expect("a canonical form reads back");
        assert_eq!(again, canonical, "canonicalizing is not idempotent");
    }
}

static FILE: Mutex<Option<std::fs::File>> = Mutex::new(None);

/// The on-disk reader: the canonical plan made from section headers, streamed, must agree
/// with the in-memory canonicalizer on every input (both fail, or both give the same bytes
/// and token); and the streamed validator never panics.
pub fn wasm_file_plan(data: &[u8]) {
    let mut slot = FILE.lock().unwrap();
    let file = slot.get_or_insert_with(|| tempfile::tempfile().unwrap());
    file.set_len(0).unwrap();
    file.rewind().unwrap();
    file.write_all(data).unwrap();
    let planned = wasm::plan_canonical(file, data.len() as u64);
    let in_memory = wasm::canonical_bytes(data);
    match (planned, in_memory) {
        (Ok(plan), Ok(expected)) => {
            let mut streamed = Vec::new();
            plan.stream::<std::io::Error>(file, &mut |piece| {
                streamed.extend_from_slice(piece);
                Ok(())
            })
            .unwrap();
            assert_eq!(streamed, expected, "plan and in-memory disagree");
            let token = plan
                .token_data(file)
                .unwrap()
                .map(|(n, d)| (n.to_string(), d));
            let expected_token = wasm::find_token(data)
                .unwrap()
                .map(|t| (t.section.to_string(), t.data.to_vec()));
            assert_eq!(token, expected_token);
        }
        (Err(_), Err(_)) => {}
        (planned, in_memory) => panic!(
            "plan {:?} but in memory {:?}",
            planned.map(|p| p.len),
            in_memory.map(|b| b.len())
        ),
    }
    // The streamed validator, with wasmparser's whole-buffer one as the oracle where it can
    // judge: what the whole-buffer validator refuses, the streamed one must refuse too.
    let streamed = wasm::validate_file(file, data.len() as u64);
    if streamed.is_ok() {
        let whole = wasmparser::Validator::new().validate_all(data);
        if let Err(e) = whole {
            panic!("streamed accepts what validate_all refuses: {e}");
        }
    }
}

/// Claims JWT decoding and validation (signature, dates, wascap metadata).
pub fn jwt_claims(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = jwt::decode::<jwt::ComponentMetadata>(text);
    let _ = jwt::decode::<cargo_wasmcloud::sign::par::ProviderMetadata>(text);
    let _ = jwt::validate_at(text, 1_700_000_000);
    let _ = cargo_wasmcloud::sign::read_component_token(data);
}

/// The provider archive reader (tar, gzipped or not): never a panic, and no entry it
/// accepts may be anything but a plain top-level file.
pub fn par_reader(data: &[u8]) {
    if let Ok(contents) = par::read_entries_from(data) {
        for name in contents.hashes.keys() {
            assert!(
                !name.contains('/') && name != ".." && !name.is_empty(),
                "{name}"
            );
        }
    }
}

/// A registry's manifest and config as pull reads them: the manifest JSON, then which
/// artifact its media types describe.
pub fn oci_manifest(data: &[u8]) {
    let Ok(OciManifest::Image(manifest)) = serde_json::from_slice::<OciManifest>(data) else {
        return;
    };
    for layer in &manifest.layers {
        let _ = artifact::kind_of_manifest(&manifest.config.media_type, &layer.media_type);
    }
    let _ = cargo_wasmcloud::oci::manifest_digest(&manifest);
    let _ = cargo_wasmcloud::oci::is_sha256_digest(&manifest.config.digest);
}

/// The hand-written reference parser (`registry/repository:tag@digest`): never a panic,
/// and what it accepts prints back to a reference that parses to the same parts.
pub fn oci_reference(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = oci::cache::looks_like_reference(text);
    if let Ok(reference) = oci::parse_reference(text, true) {
        let again = oci::parse_reference(&reference.whole(), true)
            .unwrap_or_else(|e| panic!("{text:?} -> {:?} does not parse: {e}", reference.whole()));
        assert_eq!(again.registry(), reference.registry());
        assert_eq!(again.repository(), reference.repository());
        assert_eq!(again.tag(), reference.tag());
        assert_eq!(again.digest(), reference.digest());
    }
}

/// The wadm manifest reader: YAML (our reader) and the checks `app validate` runs.
pub fn wadm_manifest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(doc) = wadm::yaml::parse(text) {
        let _ = wadm::validate::check_document(&doc);
    }
    let _ = wadm::validate::check_text(text);
}

/// `[package.metadata.wasmcloud]` as cargo metadata hands it over (JSON): the settings,
/// their compose plugs, app and virtualization tables.
pub fn package_settings(data: &[u8]) {
    let Ok(metadata) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(settings) = Settings::from_package_metadata(&metadata) else {
        return;
    };
    if let Some(compose) = &settings.compose {
        let _ = compose.sources();
    }
    if let Some(app) = &settings.app {
        let _ = AppSettings::read(app, "package.metadata.wasmcloud.app");
    }
    if let Some(virt) = &settings.virt {
        let _ = VirtSettings::read(virt);
    }
}

static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();

/// The trait scanner (Rust source → WIT package) on arbitrary source text, and the WIT it
/// prints for whatever it accepts, which must parse (wit-parser).
pub fn trait_scanner(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // In memory where the machine has it: a write per input is most of this target's time.
    let dir = DIR.get_or_init(|| {
        tempfile::tempdir_in("/dev/shm")
            .or_else(|_| tempfile::tempdir())
            .unwrap()
    });
    let lib = dir.path().join("lib.rs");
    std::fs::write(&lib, text).unwrap();
    let info = CrateInfo {
        lib_path: &lib,
        display_root: dir.path(),
        package_name: "fuzzed-api",
        version: Some("0.1.0"),
        namespace: "fuzz",
    };
    if let Err(e @ witgen::WitgenError::InvalidWit { .. }) = witgen::generate(&info) {
        panic!("{e}");
    }
}

const NAMES: &[&str] = &[
    "wasi:http/incoming-handler@0.2.0",
    "wasi:keyvalue/store@0.2.0-draft",
    "acme:kv/store@0.1.0",
    "acme:kv/store@0.1.1",
    "acme:kv/store@0.2.0",
    "acme:kv/store",
    "acme:auth/check@1.0.0",
    "acme:auth/check@1.2.0",
    "wasmcloud:bus/lattice@1.0.0",
    "acme:log/sink@0.1.0",
];
const IDS: &[&str] = &["root", "kv", "auth", "log", "kv2"];
const PATTERNS: &[&str] = &[
    "acme:*",
    "acme:kv/*",
    "*",
    "acme:auth/check@1.0.0",
    "wasi:*",
];

/// The fuzzer's bytes read as choices (no `arbitrary`, so the regression test can include
/// this file as it is): each byte picks one thing; running out ends the input.
struct Choices<'a>(&'a [u8]);

impl Choices<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(first)
    }

    fn pick<'n>(&mut self, from: &[&'n str]) -> Option<&'n str> {
        Some(from[self.byte()? as usize % from.len()])
    }

    fn flag(&mut self) -> Option<bool> {
        Some(self.byte()? & 1 == 1)
    }

    fn up_to(&mut self, most: usize) -> Option<usize> {
        Some(self.byte()? as usize % (most + 1))
    }

    fn names(&mut self) -> Option<Vec<String>> {
        let n = self.up_to(4)?;
        (0..n).map(|_| self.pick(NAMES).map(String::from)).collect()
    }
}

fn input(u: &mut Choices) -> Option<(Vec<Node>, Rules)> {
    let count = 1 + u.up_to(4)?;
    let mut nodes = Vec::new();
    for id in &IDS[..count] {
        nodes.push(Node {
            id: id.to_string(),
            imports: u.names()?,
            exports: u.names()?,
        });
    }
    let mut rules = Rules {
        strict: u.flag()?,
        semver: if u.flag()? {
            Semver::Exact
        } else {
            Semver::Compatible
        },
        ..Rules::default()
    };
    if u.flag()? {
        rules.host.clear();
    }
    for _ in 0..u.up_to(3)? {
        let pattern = u.pick(PATTERNS)?.to_string();
        let consumer = match u.flag()? {
            true => Some(u.pick(IDS)?.to_string()),
            false => None,
        };
        let target = match u.flag()? {
            true => Target::Host,
            false => Target::Plug {
                id: u.pick(IDS)?.to_string(),
                export: match u.flag()? {
                    true => Some(u.pick(NAMES)?.to_string()),
                    false => None,
                },
            },
        };
        rules.wire.push(WireRule {
            key: pattern.clone(),
            consumer,
            pattern,
            target,
        });
    }
    Some((nodes, rules))
}

/// The composition planner on arbitrary import/export sets and rules, names drawn from a
/// small vocabulary so that they meet. Whatever plan it gives wires only to exports that
/// exist and instances it lists.
pub fn compose_planner(data: &[u8]) {
    let Some((nodes, rules)) = input(&mut Choices(data)) else {
        return;
    };
    let Ok(plan) = plan::plan(&nodes, &rules) else {
        return;
    };
    for &instance in &plan.instances {
        assert!(instance < nodes.len());
    }
    for wire in &plan.wires {
        assert!(nodes.iter().any(|n| n.id == wire.consumer), "{wire:?}");
        if let Source::Plug { plug, export } = &wire.source {
            let node = nodes
                .iter()
                .find(|n| &n.id == plug)
                .expect("the plug exists");
            assert!(
                node.exports.contains(export),
                "{wire:?} wires to a missing export"
            );
        }
    }
}
