//! Providers: built natively, packed into a signed provider archive that the
//! `provider-archive` crate (what wasmCloud 1.x hosts use) loads and verifies.

mod support;

use std::path::{Path, PathBuf};

use provider_archive::ProviderArchive;
use support::Sandbox;

fn native_target() -> String {
    format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS)
}

fn build_tiny_provider(sandbox: &Sandbox) -> (PathBuf, serde_json::Value) {
    let dir = sandbox.path().join("tiny-provider");
    support::copy_dir(&support::fixtures_dir().join("tiny-provider"), &dir);
    let json = sandbox
        .run_with(&["build", "-o", "json"], |cmd| {
            cmd.current_dir(&dir);
        })
        .ok()
        .json();
    (dir, json)
}

fn load_par(path: &Path) -> ProviderArchive {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(ProviderArchive::try_load_file(path))
        .expect("provider-archive loads our PAR")
}

#[test]
fn provider_builds_into_an_archive_the_host_library_loads() {
    let sandbox = Sandbox::new();
    let (dir, json) = build_tiny_provider(&sandbox);
    let artifact = &json["artifacts"][0];
    assert_eq!(artifact["kind"], "provider");
    let path = PathBuf::from(artifact["path"].as_str().unwrap());
    assert_eq!(path, dir.join("target/wasmcloud/tiny_provider.par.gz"));
    // gzip, as wash writes .par.gz
    assert_eq!(std::fs::read(&path).unwrap()[..2], [0x1f, 0x8b]);

    let par = load_par(&path);
    let claims = par.claims().expect("claims");
    let meta = claims.metadata.as_ref().unwrap();
    assert_eq!(meta.name.as_deref(), Some("tiny-provider"));
    assert_eq!(meta.vendor, "Acme Corp <dev@acme.invalid>");
    assert_eq!(meta.ver.as_deref(), Some("0.3.0"));
    assert_eq!(meta.rev, Some(0));
    assert_eq!(par.targets(), [native_target()]);
    // The binary inside is the one cargo built, and its hash is the one claimed.
    let binary = std::fs::read(artifact["cargo_artifact"].as_str().unwrap()).unwrap();
    assert_eq!(par.target_bytes(&native_target()).unwrap(), binary);
    // The claims verify: signed by the account key, about a service key.
    let token = par.claims_token().unwrap();
    let v = wascap::jwt::validate_token::<wascap::jwt::CapabilityProvider>(&token.jwt).unwrap();
    assert!(v.signature_valid);
    assert!(claims.issuer.starts_with('A'));
    assert!(claims.subject.starts_with('V'));
    assert!(sandbox.keys().join("tiny_provider_service.nk").is_file());

    // inspect shows vendor, version and targets.
    let text = sandbox
        .run(&["inspect", path.to_str().unwrap()])
        .ok()
        .stdout;
    assert!(
        text.starts_with("tiny-provider - Capability Provider"),
        "{text}"
    );
    assert!(text.contains("Vendor         Acme Corp"), "{text}");
    assert!(text.contains("Version        0.3.0 (0)"), "{text}");
    assert!(
        text.contains(&format!("Targets        {}", native_target())),
        "{text}"
    );
    let json = sandbox
        .run(&["inspect", path.to_str().unwrap(), "-o", "json"])
        .ok()
        .json();
    assert_eq!(json["vendor"], "Acme Corp <dev@acme.invalid>");
    assert_eq!(json["targets"], serde_json::json!([native_target()]));
    assert_eq!(json["service"], claims.subject);
}

#[test]
fn rebuilding_an_unchanged_provider_keeps_the_archive() {
    let sandbox = Sandbox::new();
    let (dir, first) = build_tiny_provider(&sandbox);
    let path = PathBuf::from(first["artifacts"][0]["path"].as_str().unwrap());
    let bytes = std::fs::read(&path).unwrap();
    let again = sandbox
        .run_with(&["build", "-o", "json"], |cmd| {
            cmd.current_dir(&dir);
        })
        .ok()
        .json();
    assert_eq!(again["artifacts"][0]["fresh"], true);
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn a_tampered_archive_is_refused() {
    let sandbox = Sandbox::new();
    let (_, json) = build_tiny_provider(&sandbox);
    let path = PathBuf::from(json["artifacts"][0]["path"].as_str().unwrap());
    // Unpack, change the binary, repack with the same claims: the hash no longer matches.
    let gz = std::fs::read(&path).unwrap();
    let mut tar_bytes = Vec::new();
    use std::io::Read;
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut tar_bytes)
        .unwrap();
    let mut entries = Vec::new();
    let mut archive = tar::Archive::new(&tar_bytes[..]);
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if name.ends_with(".bin") {
            data[100] ^= 0xff;
        }
        entries.push((name, data));
    }
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in &entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_cksum();
        builder.append_data(&mut header, name, &data[..]).unwrap();
    }
    let tampered = sandbox.write("tampered.par", &builder.into_inner().unwrap());
    let run = sandbox
        .run(&["inspect", tampered.to_str().unwrap()])
        .fails();
    assert!(run.error().contains("hash mismatch"), "{}", run.stderr);

    // Not an archive at all, and a truncated one.
    let junk = sandbox.write("junk.par.gz", &[0x1f, 0x8b, 0x08, 0x00, 1, 2, 3]);
    sandbox.run(&["inspect", junk.to_str().unwrap()]).fails();
    let half = sandbox.write("half.par.gz", &gz[..gz.len() / 2]);
    sandbox.run(&["inspect", half.to_str().unwrap()]).fails();

    // Entries that would lead an unpacker out of its directory, beside the real ones: the
    // archive is refused whole, naming the entry, by inspect and by push (before a byte is
    // sent: the registry here is an address nothing listens on).
    let bad_entries: [(&[u8], tar::EntryType, &str); 5] = [
        (
            b"../evil.bin",
            tar::EntryType::Regular,
            "not a plain file name",
        ),
        (
            b"/etc/evil.bin",
            tar::EntryType::Regular,
            "not a plain file name",
        ),
        (
            b"sub/x86_64-linux.bin",
            tar::EntryType::Regular,
            "not a plain file name",
        ),
        (
            b"aarch64-linux.bin",
            tar::EntryType::Symlink,
            "symbolic link",
        ),
        (b"riscv64-linux.bin", tar::EntryType::Link, "hard link"),
    ];
    for (name, kind, says) in bad_entries {
        let mut builder = tar::Builder::new(Vec::new());
        for (good, data) in &entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_cksum();
            builder.append_data(&mut header, good, &data[..]).unwrap();
        }
        // Raw header bytes: the tar crate's own path setters refuse these names.
        let mut header = tar::Header::new_old();
        header.as_old_mut().name[..name.len()].copy_from_slice(name);
        header.set_entry_type(kind);
        if kind == tar::EntryType::Regular {
            header.set_size(4);
        } else {
            header.set_size(0);
            header.as_old_mut().linkname[..11].copy_from_slice(b"/etc/passwd");
        }
        header.set_mode(0o644);
        header.set_cksum();
        let data: &[u8] = if kind == tar::EntryType::Regular {
            b"evil"
        } else {
            b""
        };
        builder.append(&header, data).unwrap();
        let shown = String::from_utf8_lossy(name).into_owned();
        let file = sandbox.write("escaping.par", &builder.into_inner().unwrap());
        let run = sandbox.run(&["inspect", file.to_str().unwrap()]).fails();
        assert!(
            run.error().contains(says) && run.error().contains(&shown),
            "{shown}: {}",
            run.stderr
        );
        let unreachable = format!("127.0.0.1:{}/evil/par:0.1.0", support::free_port());
        let run = sandbox
            .run(&["push", &unreachable, file.to_str().unwrap()])
            .fails();
        assert!(run.error().contains(says), "{shown}: {}", run.stderr);
    }
}

/// The provider template: a real wasmcloud-provider-sdk provider, built and packed.
#[test]
fn slow_provider_template_builds_into_a_loadable_archive() {
    let sandbox = Sandbox::new();
    sandbox.run(&["new", "provider", "my-prov", "-y"]).ok();
    let dir = sandbox.path().join("my-prov");
    let json = sandbox
        .run_with(&["build", "-o", "json"], |cmd| {
            cmd.current_dir(&dir)
                .env("CARGO_TARGET_DIR", support::shared_build_cache());
        })
        .ok()
        .json();
    let artifact = &json["artifacts"][0];
    let path = PathBuf::from(artifact["path"].as_str().unwrap());
    let par = load_par(&path);
    let claims = par.claims().unwrap();
    assert_eq!(
        claims.metadata.as_ref().unwrap().name.as_deref(),
        Some("my-prov")
    );
    assert_eq!(claims.metadata.as_ref().unwrap().vendor, "NoVendor");
    let binary = std::fs::read(artifact["cargo_artifact"].as_str().unwrap()).unwrap();
    assert_eq!(par.target_bytes(&native_target()).unwrap(), binary);
    let token = par.claims_token().unwrap();
    let v = wascap::jwt::validate_token::<wascap::jwt::CapabilityProvider>(&token.jwt).unwrap();
    assert!(v.signature_valid);
    let text = sandbox
        .run(&["inspect", path.to_str().unwrap()])
        .ok()
        .stdout;
    assert!(text.contains("Vendor         NoVendor"), "{text}");
}

/// `new provider NAME --implements DIR`: the provider type with every trait method stubbed,
/// `main` serving it through the generated glue, the wit-bindgen-wrpc line the glue needs;
/// it builds and packs as it is. A crate with resources is refused before anything is made.
#[test]
fn slow_a_provider_made_to_implement_an_interface_builds_with_its_glue() {
    let sandbox = Sandbox::new();
    sandbox
        .run(&["new", "interface", "tally-api", "--namespace", "acme", "-y"])
        .ok();
    std::fs::write(
        sandbox.path().join("tally-api/src/lib.rs"),
        "/// Counts things.\npub trait Tally {\n    fn add(&self, name: String, by: u32) -> u64;\n    \
         fn names(&self) -> Vec<String>;\n}\n",
    )
    .unwrap();
    sandbox
        .run(&[
            "new",
            "provider",
            "tally-native",
            "--implements",
            "tally-api",
            "-y",
        ])
        .ok();
    let dir = sandbox.path().join("tally-native");
    let main = std::fs::read_to_string(dir.join("src/main.rs")).unwrap();
    for wanted in [
        "impl tally_api::Tally for Server {",
        "fn add(&self, _name: String, _by: u32) -> u64 {",
        "fn names(&self) -> Vec<String> {",
        "impl wasmcloud_provider_sdk::Provider for Server {}",
        "wasmcloud_glue::serve(Server, \"tally-native\").await",
    ] {
        assert!(main.contains(wanted), "{wanted:?} not in:\n{main}");
    }
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("wit-bindgen-wrpc = \"0.10\""),
        "{manifest}"
    );
    assert!(
        manifest.contains("implements = [\"tally-api\"]"),
        "{manifest}"
    );
    assert!(!manifest.contains("wit-bindgen = "), "{manifest}");
    assert!(dir.join("src/wasmcloud_glue.rs").is_file());
    let json = sandbox
        .run_with(&["build", "-o", "json"], |cmd| {
            cmd.current_dir(&dir)
                .env("CARGO_TARGET_DIR", support::shared_build_cache());
        })
        .ok()
        .json();
    let path = PathBuf::from(json["artifacts"][0]["path"].as_str().unwrap());
    let par = load_par(&path);
    assert_eq!(
        par.claims().unwrap().metadata.unwrap().name.as_deref(),
        Some("tally-native")
    );

    std::fs::write(
        sandbox.path().join("tally-api/src/lib.rs"),
        "pub trait Files {\n    type File: File;\n    fn open(&self, name: String) -> Self::File;\n}\n\
         pub trait File {\n    fn size(&self) -> u64;\n}\n",
    )
    .unwrap();
    let run = sandbox
        .run(&[
            "new",
            "provider",
            "files-native",
            "--implements",
            "tally-api",
            "-y",
        ])
        .fails();
    assert!(
        run.error()
            .contains("declares resource `File`: resources cannot cross"),
        "{}",
        run.stderr
    );
    assert!(!sandbox.path().join("files-native").exists());
}
