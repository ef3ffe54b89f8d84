//! push / pull against a real Debian `docker-registry` (with and without htpasswd), checked
//! with skopeo as an independent client; and every way a registry operation fails.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{run_command, Registry, Run, Sandbox};

const ACCOUNT_SEED: &str = "SAAAW5UDXHSLGTZ4CSTWLDTKU5LCPCJPNGQRFJKJNBIYJ2IK7I4JMGT3IU";
const MODULE_SEED: &str = "SMAAGZBEBT3RIMAX2QVGUJHHKPNECDPF3ZQBI2EPCHYR3I7RR24IKUDOQE";

/// The three kinds of artifact: an unsigned component, a signed one, a provider archive.
fn artifacts(sandbox: &Sandbox) -> Vec<(&'static str, PathBuf)> {
    let component = sandbox.write("hello.wasm", support::hello_component());
    sandbox
        .run(&[
            "claims",
            "sign",
            "hello.wasm",
            "-d",
            "hello_s.wasm",
            "-i",
            ACCOUNT_SEED,
            "-s",
            MODULE_SEED,
        ])
        .ok();
    let provider_dir = sandbox.path().join("tiny-provider");
    support::copy_dir(
        &support::fixtures_dir().join("tiny-provider"),
        &provider_dir,
    );
    let built = sandbox
        .run_with(&["build", "-o", "json"], |cmd| {
            cmd.current_dir(&provider_dir);
        })
        .ok()
        .json();
    let par = PathBuf::from(built["artifacts"][0]["path"].as_str().unwrap());
    vec![
        ("component", component),
        ("signed", sandbox.file("hello_s.wasm")),
        ("provider", par),
    ]
}

/// The digest of the manifest skopeo reads for `reference` (SHA-256 of its raw bytes).
fn skopeo_manifest_digest(reference: &str) -> String {
    use sha2::Digest;
    let raw = skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{reference}"),
    ])
    .ok();
    format!(
        "sha256:{}",
        data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(raw.stdout.as_bytes()))
    )
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn skopeo(args: &[&str]) -> Run {
    run_command(Command::new("skopeo").args(args))
}

fn round_trip(sandbox: &Sandbox, registry: &Registry, creds: &[&str]) {
    for (name, file) in artifacts(sandbox) {
        let reference = format!("{}/wasm/{name}:0.1.0", registry.host());
        let mut push = vec!["push", reference.as_str(), s(&file), "-o", "json"];
        push.extend_from_slice(creds);
        let pushed = sandbox.run(&push).ok().json();
        assert_eq!(pushed["reference"], reference.as_str());
        assert_eq!(pushed["size"], std::fs::metadata(&file).unwrap().len());
        assert!(pushed["digest"].as_str().unwrap().starts_with("sha256:"));

        let dest = sandbox.path().join(format!("pulled-{name}"));
        let mut pull = vec![
            "pull",
            reference.as_str(),
            "--destination",
            s(&dest),
            "-o",
            "json",
        ];
        pull.extend_from_slice(creds);
        let pulled = sandbox.run(&pull).ok().json();
        assert_eq!(pulled["digest"], pushed["digest"], "{name}");
        assert_eq!(
            std::fs::read(&dest).unwrap(),
            std::fs::read(&file).unwrap(),
            "{name}: pulled bytes differ"
        );
    }
}

#[test]
fn round_trip_without_auth() {
    let registry = Registry::start();
    let sandbox = Sandbox::new();
    round_trip(&sandbox, &registry, &[]);

    // The default file name comes from the repository, with the kind's extension.
    let json = sandbox
        .run(&[
            "pull",
            &format!("{}/wasm/provider:0.1.0", registry.host()),
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(json["kind"], "provider_archive");
    assert_eq!(json["path"], s(&sandbox.path().join("provider.par.gz")));
    let json = sandbox
        .run(&[
            "pull",
            &format!("{}/wasm/signed:0.1.0", registry.host()),
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(json["path"], s(&sandbox.path().join("signed.wasm")));
    // The pulled signed component still verifies.
    sandbox.run(&["inspect", "signed.wasm", "--verify"]).ok();
}

#[test]
fn round_trip_with_htpasswd_auth() {
    let registry = Registry::start_with_auth("alice", "s3cret");
    let sandbox = Sandbox::new();
    round_trip(&sandbox, &registry, &["-u", "alice", "-p", "s3cret"]);

    let file = sandbox.write("c.wasm", support::hello_component());
    let reference = format!("{}/wasm/auth:1.0.0", registry.host());
    // No credentials, and wrong ones: refused, with a message that says so.
    let run = sandbox.run(&["push", &reference, s(&file)]).fails();
    assert!(
        run.error().contains("refused the credentials"),
        "{}",
        run.stderr
    );
    let run = sandbox
        .run(&["push", &reference, s(&file), "-u", "alice", "-p", "wrong"])
        .fails();
    assert!(
        run.error().contains("refused the credentials"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("wrong"),
        "the password leaked: {}",
        run.stderr
    );
    // The environment variables wash reads.
    sandbox
        .run_with(&["push", &reference, s(&file)], |cmd| {
            cmd.env("WASH_REG_USER", "alice")
                .env("WASH_REG_PASSWORD", "s3cret");
        })
        .ok();
    // Docker's config.json.
    let docker = sandbox.path().join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    let token = data_encoding::BASE64.encode(b"alice:s3cret");
    std::fs::write(
        docker.join("config.json"),
        format!(
            r#"{{"auths":{{"{}":{{"auth":"{token}"}}}}}}"#,
            registry.host()
        ),
    )
    .unwrap();
    let pulled = sandbox.file("from-docker-config.wasm");
    sandbox
        .run_with(&["pull", &reference, "--destination", s(&pulled)], |cmd| {
            cmd.env("DOCKER_CONFIG", &docker);
        })
        .ok();
    assert_eq!(std::fs::read(&pulled).unwrap(), support::hello_component());
    // Chunked uploads (4 MiB PATCHes) work too.
    let chunked = format!("{}/wasm/chunked:1.0.0", registry.host());
    let big = sandbox.file("big.wasm");
    support::write_padded_component(&big, support::hello_component(), 9_000_000);
    sandbox
        .run(&[
            "push",
            &chunked,
            s(&big),
            "--chunked-push",
            "-u",
            "alice",
            "-p",
            "s3cret",
        ])
        .ok();
    sandbox
        .run(&[
            "pull",
            &chunked,
            "--destination",
            "big-back.wasm",
            "-u",
            "alice",
            "-p",
            "s3cret",
        ])
        .ok();
    assert_eq!(
        std::fs::read(sandbox.file("big-back.wasm")).unwrap(),
        std::fs::read(&big).unwrap()
    );
    // Anonymous pull is refused too.
    let run = sandbox
        .run(&["pull", &reference, "--destination", "anon.wasm"])
        .fails();
    assert!(
        run.error().contains("refused the credentials"),
        "{}",
        run.stderr
    );
    assert!(!sandbox.file("anon.wasm").exists());
}

#[test]
fn skopeo_agrees_on_layout_and_digest() {
    let registry = Registry::start();
    let sandbox = Sandbox::new();
    // The component with wasm-metadata's sections (they become annotations) and padding
    // past several of the upload's 1 MiB reads (the layer is streamed from the file).
    let mut component = support::padded_bytes(support::hello_component(), 3 * 1024 * 1024 + 7);
    component.extend(support::custom_section("description", b"Says hello"));
    component.extend(support::custom_section("version", b"0.2.0"));
    let file = sandbox.write("hello.wasm", &component);
    let reference = format!("{}/wasm/hello:0.2.0", registry.host());
    let pushed = sandbox
        .run(&[
            "push",
            &reference,
            s(&file),
            "-o",
            "json",
            "-a",
            "com.example.team=core",
        ])
        .ok()
        .json();

    let raw = skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{reference}"),
    ])
    .ok();
    let manifest: serde_json::Value = serde_json::from_str(&raw.stdout).unwrap();
    assert_eq!(manifest["schemaVersion"], 2);
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert!(manifest.get("artifactType").is_none());
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.wasm.config.v0+json"
    );
    assert_eq!(manifest["layers"].as_array().unwrap().len(), 1);
    assert_eq!(manifest["layers"][0]["mediaType"], "application/wasm");
    assert_eq!(manifest["annotations"]["com.example.team"], "core");
    assert_eq!(
        manifest["annotations"]["org.opencontainers.image.description"],
        "Says hello"
    );
    assert_eq!(
        manifest["annotations"]["org.opencontainers.image.version"],
        "0.2.0"
    );
    assert_eq!(manifest["layers"][0]["size"], component.len());
    // The digest we printed is the digest of the bytes the registry serves.
    let digest = format!(
        "sha256:{}",
        data_encoding::HEXLOWER.encode(&sha256(raw.stdout.as_bytes()))
    );
    assert_eq!(pushed["digest"], digest.as_str());

    // The config carries the component's imports and exports and its layer digest.
    let config = skopeo(&[
        "inspect",
        "--config",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{reference}"),
    ])
    .ok();
    let config: serde_json::Value = serde_json::from_str(&config.stdout).unwrap();
    assert_eq!(config["architecture"], "wasm");
    assert_eq!(config["os"], "wasip2");
    assert_eq!(config["layerDigests"][0], manifest["layers"][0]["digest"]);
    assert!(config["component"]["imports"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i.as_str().unwrap().starts_with("wasi:cli/stdout@")));

    // skopeo copies the artifact elsewhere; we pull the copy back intact.
    let copy = format!("{}/mirror/hello:0.2.0", registry.host());
    skopeo(&[
        "copy",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        &format!("docker://{reference}"),
        &format!("docker://{copy}"),
    ])
    .ok();
    let pulled = sandbox.file("copied.wasm");
    sandbox
        .run(&["pull", &copy, "--destination", s(&pulled)])
        .ok();
    assert!(std::fs::read(&pulled).unwrap() == component);

    // inspect takes a reference too.
    let json = sandbox
        .run(&["inspect", &reference, "-o", "json"])
        .ok()
        .json();
    assert_eq!(json["signed"], false);
    assert_eq!(json["kind"], "component");
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

#[test]
fn source_date_epoch_makes_pushes_reproducible() {
    let registry = Registry::start();
    let sandbox = Sandbox::new();
    let file = sandbox.write("hello.wasm", support::hello_component());
    let push = |tag: &str, epoch: &str| {
        sandbox
            .run_with(
                &[
                    "push",
                    &format!("{}/wasm/repro:{tag}", registry.host()),
                    s(&file),
                    "-o",
                    "json",
                ],
                |cmd| {
                    cmd.env("SOURCE_DATE_EPOCH", epoch);
                },
            )
            .ok()
            .json()["digest"]
            .clone()
    };
    let first = push("1", "0");
    let second = push("2", "0");
    assert_eq!(first, second, "same file, same epoch, same digest");
    let later = push("3", "86400");
    assert_ne!(first, later, "the epoch is what `created` says");
    let config = skopeo(&[
        "inspect",
        "--config",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{}/wasm/repro:1", registry.host()),
    ])
    .ok();
    assert!(
        config
            .stdout
            .contains(r#""created":"1970-01-01T00:00:00Z""#),
        "{}",
        config.stdout
    );
    let run = sandbox.run_with(
        &[
            "push",
            &format!("{}/wasm/repro:4", registry.host()),
            s(&file),
        ],
        |cmd| {
            cmd.env("SOURCE_DATE_EPOCH", "yesterday");
        },
    );
    run.fails();
}

// --- failures ----------------------------------------------------------------------------

#[test]
fn an_unreachable_registry_fails_quickly() {
    let sandbox = Sandbox::new();
    let file = sandbox.write("hello.wasm", support::hello_component());
    let port = support::free_port();
    let reference = format!("127.0.0.1:{port}/wasm/hello:0.1.0");
    let started = std::time::Instant::now();
    let run = sandbox.run(&["push", &reference, s(&file)]).fails();
    assert!(
        run.error().contains("cannot reach registry"),
        "{}",
        run.stderr
    );
    let run = sandbox.run(&["pull", &reference]).fails();
    assert!(
        run.error().contains("cannot reach registry"),
        "{}",
        run.stderr
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(sandbox.entries(), ["hello.wasm"]);
}

#[test]
fn unknown_tags_bad_files_and_bad_references_fail_cleanly() {
    let mut registry = Registry::start();
    let sandbox = Sandbox::new();
    let host = registry.host();
    let run = sandbox
        .run(&["pull", &format!("{host}/wasm/nothing:9.9.9")])
        .fails();
    assert!(run.error().contains("not found"), "{}", run.stderr);

    // Files that are not artifacts are refused before any network traffic: the registry is
    // stopped, and the error is about the file.
    registry.stop();
    let text = sandbox.write("notes.txt", b"just some text\n");
    let truncated = sandbox.write(
        "cut.wasm",
        &support::hello_component()[..support::hello_component().len() / 2],
    );
    let empty = sandbox.write("empty.wasm", b"");
    for (file, expect) in [
        (&text, "neither a valid Wasm binary nor a provider archive"),
        (
            &truncated,
            "neither a valid Wasm binary nor a provider archive",
        ),
        (&empty, "empty"),
    ] {
        let run = sandbox
            .run(&["push", &format!("{host}/wasm/bad:1.0.0"), s(file)])
            .fails();
        assert!(run.error().contains(expect), "{}", run.stderr);
    }
    let wasm = sandbox.write("ok.wasm", support::hello_component());
    for (reference, expect) in [
        ("not a reference!", "invalid reference"),
        (":1.0", "invalid reference"),
        ("127.0.0.1:5000/wasm/x:latest", "latest"),
        ("127.0.0.1:5000/wasm/x", "latest"),
    ] {
        let run = sandbox.run(&["push", reference, s(&wasm)]).fails();
        assert!(run.error().contains(expect), "{reference}: {}", run.stderr);
        let run = sandbox.run(&["pull", reference]).fails();
        assert!(run.error().contains(expect), "{reference}: {}", run.stderr);
    }
    let run = sandbox
        .run(&["push", "127.0.0.1:5000/wasm/x:1", s(&wasm), "-a", "novalue"])
        .fails();
    assert!(run.error().contains("KEY=VALUE"), "{}", run.stderr);
}

#[test]
fn digest_mismatches_leave_no_file() {
    let registry = Registry::start();
    let sandbox = Sandbox::new();
    let file = sandbox.write("hello.wasm", support::hello_component());
    let reference = format!("{}/wasm/pinned:1.0.0", registry.host());
    let pushed = sandbox
        .run(&["push", &reference, s(&file), "-o", "json"])
        .ok()
        .json();
    let digest = pushed["digest"].as_str().unwrap();

    // -d pins the manifest digest, with or without the `sha256:` prefix.
    sandbox
        .run(&["pull", &reference, "-d", digest, "--destination", "a.wasm"])
        .ok();
    sandbox
        .run(&[
            "pull",
            &reference,
            "-d",
            digest.trim_start_matches("sha256:"),
            "--destination",
            "b.wasm",
        ])
        .ok();
    let wrong = format!("sha256:{}", "0".repeat(64));
    let run = sandbox
        .run(&["pull", &reference, "-d", &wrong, "--destination", "c.wasm"])
        .fails();
    assert!(run.error().contains("digest mismatch"), "{}", run.stderr);
    assert!(!sandbox.file("c.wasm").exists());

    // A layer corrupted in the registry's storage is caught while downloading.
    let layer = sha256(support::hello_component());
    let hex = data_encoding::HEXLOWER.encode(&layer);
    let blob = registry.storage().join(format!(
        "docker/registry/v2/blobs/sha256/{}/{hex}/data",
        &hex[..2]
    ));
    let mut bytes = std::fs::read(&blob).expect("the layer blob in the registry storage");
    bytes[1000] ^= 0xff;
    std::fs::write(&blob, bytes).unwrap();
    let before = sandbox.entries();
    let run = sandbox
        .run(&["pull", &reference, "--destination", "d.wasm"])
        .fails();
    assert!(run.error().contains("digest"), "{}", run.stderr);
    assert_eq!(sandbox.entries(), before, "a partial file was left");
}

/// A registry behind a bearer-token challenge: the tool trades the credentials for a token
/// and pushes and pulls with it; neither the token nor the password is ever printed, with
/// `-v` or in errors (the suite-wide scan of every run, and here by name).
#[test]
fn a_bearer_token_registry_works_and_its_token_is_never_printed() {
    let registry = Registry::start();
    let gate = support::BearerGate::start(registry.port, "carol", "gate-pass-7f3a");
    let sandbox = Sandbox::new();
    let file = sandbox.write("hello.wasm", support::hello_component());
    let reference = format!("{}/wasm/gated:1.0.0", gate.host());
    let creds = ["-u", "carol", "-p", "gate-pass-7f3a"];
    let mut push = vec!["-vv", "push", &reference, s(&file)];
    push.extend(creds);
    let pushed = sandbox.run(&push).ok();
    let mut pull = vec!["-vv", "pull", &reference, "--destination", "back.wasm"];
    pull.extend(creds);
    let pulled = sandbox.run(&pull).ok();
    assert_eq!(
        std::fs::read(sandbox.file("back.wasm")).unwrap(),
        support::hello_component()
    );
    for run in [&pushed, &pulled] {
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(
            !all.contains(&gate.token) && !all.contains("gate-pass-7f3a"),
            "{all}"
        );
    }

    // Without credentials, and with wrong ones: one line, no secret in it.
    let run = sandbox.run(&["push", &reference, s(&file)]).fails();
    assert!(
        run.error().contains("credentials") || run.error().contains("401"),
        "{}",
        run.stderr
    );
    let run = sandbox
        .run(&[
            "pull",
            &reference,
            "--destination",
            "x.wasm",
            "-u",
            "carol",
            "-p",
            "wrong-pass",
        ])
        .fails();
    assert!(
        run.error().contains("refused the credentials"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&gate.token), "{}", run.stderr);
    assert!(!sandbox.file("x.wasm").exists());
}

/// A provider archive in a registry (put there by skopeo from a hand-made OCI layout, past
/// our own push's checks) with an entry leading out of the directory: `pull` refuses it
/// after the digest checks and before it lands, so nothing that unpacks it later can be led
/// astray.
#[test]
fn a_pulled_provider_archive_with_an_escaping_entry_leaves_no_file() {
    use cargo_wasmcloud::oci::artifact::{PAR_CONFIG_MEDIA_TYPE, PAR_LAYER_MEDIA_TYPE};
    let registry = Registry::start();
    let sandbox = Sandbox::new();
    let mut builder = tar::Builder::new(Vec::new());
    let mut good = tar::Header::new_gnu();
    good.set_size(4);
    good.set_mode(0o644);
    good.set_cksum();
    builder
        .append_data(&mut good, "x86_64-linux.bin", &b"\x7fELF"[..])
        .unwrap();
    // A raw header: the tar crate's own path setters refuse this name.
    let mut evil = tar::Header::new_old();
    evil.as_old_mut().name[..11].copy_from_slice(b"../evil.bin");
    evil.set_size(4);
    evil.set_mode(0o644);
    evil.set_cksum();
    builder.append(&evil, &b"evil"[..]).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &builder.into_inner().unwrap()).unwrap();
    let layer = gz.finish().unwrap();

    let layout = sandbox.path().join("layout");
    std::fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
    let blob = |bytes: &[u8]| {
        let hex = data_encoding::HEXLOWER.encode(&sha256(bytes));
        std::fs::write(layout.join("blobs/sha256").join(&hex), bytes).unwrap();
        serde_json::json!({ "digest": format!("sha256:{hex}"), "size": bytes.len() })
    };
    let mut config = blob(b"{}");
    config["mediaType"] = PAR_CONFIG_MEDIA_TYPE.into();
    let mut layer_desc = blob(&layer);
    layer_desc["mediaType"] = PAR_LAYER_MEDIA_TYPE.into();
    let manifest_type = "application/vnd.oci.image.manifest.v1+json";
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": manifest_type,
        "config": config,
        "layers": [layer_desc],
    }))
    .unwrap();
    let mut manifest_desc = blob(&manifest);
    manifest_desc["mediaType"] = manifest_type.into();
    manifest_desc["annotations"] =
        serde_json::json!({ "org.opencontainers.image.ref.name": "evil" });
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(
            &serde_json::json!({ "schemaVersion": 2, "manifests": [manifest_desc] }),
        )
        .unwrap(),
    )
    .unwrap();
    let reference = format!("{}/providers/evil:0.1.0", registry.host());
    skopeo(&[
        "copy",
        "--dest-tls-verify=false",
        &format!("oci:{}:evil", layout.display()),
        &format!("docker://{reference}"),
    ])
    .ok();

    let before = sandbox.entries();
    let run = sandbox
        .run(&["pull", &reference, "--destination", "evil.par.gz"])
        .fails();
    assert!(
        run.error().contains("../evil.bin") && run.error().contains("not a plain file name"),
        "{}",
        run.stderr
    );
    assert_eq!(
        sandbox.entries(),
        before,
        "the archive, or part of it, was left"
    );
}

/// Progress bars draw on a terminal (a real pty made by `script`) and nowhere else.
#[test]
fn progress_shows_on_a_terminal_only() {
    let registry = Registry::start();
    let sandbox = Sandbox::new();
    let big = sandbox.file("big.wasm");
    support::write_padded_component(&big, support::hello_component(), 20_000_000);
    let reference = format!("{}/wasm/progress:1.0.0", registry.host());

    // Not a terminal: only the result on stdout, nothing on stderr.
    let run = sandbox.run(&["push", &reference, s(&big)]).ok();
    assert_eq!(run.stderr, "", "stderr without a terminal");
    let run = sandbox
        .run(&["pull", &reference, "--destination", "quiet.wasm"])
        .ok();
    assert_eq!(run.stderr, "", "stderr without a terminal");

    // On a terminal the bar is drawn (then cleared).
    for (args, label) in [
        (format!("push {reference} {}", big.display()), "Pushing"),
        (
            format!("pull {reference} --destination loud.wasm"),
            "Pulling",
        ),
    ] {
        let output = Command::new("script")
            .args(["-qfec"])
            .arg(format!("{} {args}", support::bin().display()))
            .arg("/dev/null")
            .current_dir(sandbox.path())
            .env("TERM", "xterm")
            .env("HOME", sandbox.path())
            .stdin(std::process::Stdio::null())
            .output()
            .expect("script(1)");
        let screen = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{screen}");
        assert!(
            screen.contains(label),
            "no progress bar on the terminal: {screen:?}"
        );
    }
    assert_eq!(
        std::fs::read(sandbox.file("loud.wasm")).unwrap(),
        std::fs::read(&big).unwrap()
    );
}

/// Blobs the registry has are not sent again: a push to a new repository mounts the layer
/// from the repository it was pushed to before (the blob-info cache) or from `--from`, a
/// re-push finds it present, a registry that declines mounts still gets the upload, and
/// every copy pulls back with its digest checked and agrees with skopeo. Bytes are counted
/// in a proxy between the tool and the registry.
#[test]
fn pushes_mount_or_skip_blobs_the_registry_has_and_upload_when_it_declines() {
    let registry = Registry::start();
    let proxy = support::CountingProxy::start(registry.port, false);
    let sandbox = Sandbox::new();
    let big = sandbox.write(
        "big.wasm",
        &support::padded_bytes(support::hello_component(), 2 << 20),
    );
    let size = std::fs::metadata(&big).unwrap().len();
    let provider = artifacts(&sandbox).pop().unwrap().1;
    for (name, file) in [("component", &big), ("provider", &provider)] {
        let file_size = std::fs::metadata(file).unwrap().len();
        assert!(
            file_size > 64 * 1024,
            "{name} is too small to tell: {file_size}"
        );
        let push = |reference: &str, extra: &[&str]| {
            let mut args = vec!["push", reference, s(file), "-o", "json"];
            args.extend_from_slice(extra);
            sandbox.run(&args).ok().json()
        };
        let first = format!("{}/first/{name}:0.1.0", proxy.host());
        let pushed = push(&first, &[]);
        assert_eq!(pushed["layer"], "uploaded");
        let sent = proxy.take_sent();
        assert!(sent > file_size, "{name}: an upload sent only {sent} bytes");

        // Another repository of the registry: mounted from the first, no blob bytes sent.
        let second = format!("{}/second/{name}:0.2.0", proxy.host());
        let mounted = push(&second, &[]);
        assert_eq!(mounted["layer"], "mounted", "{mounted}");
        assert_eq!(mounted["mounted_from"], format!("first/{name}"));
        let sent = proxy.take_sent();
        assert!(sent < 16 * 1024, "{name}: a mount sent {sent} bytes");

        // The same repository again: the layer is present.
        let present = push(&second, &[]);
        assert_eq!(present["layer"], "present");
        assert!(proxy.take_sent() < 16 * 1024);

        // With an empty blob-info cache, `--from` names where to mount from.
        std::fs::remove_file(
            sandbox
                .path()
                .join("home/.cache/cargo-wasmcloud/blob-info.json"),
        )
        .unwrap();
        let third = format!("{}/third/{name}:0.1.0", proxy.host());
        let from = push(&third, &["--from", &first]);
        assert_eq!(from["layer"], "mounted", "{from}");
        assert!(proxy.take_sent() < 16 * 1024);

        // Each copy pulls back whole (the layer digest is checked), and skopeo agrees.
        for (reference, pushed) in [(&second, &present), (&third, &from)] {
            let dest = sandbox.path().join(format!("back-{name}"));
            let _ = std::fs::remove_file(&dest);
            let pulled = sandbox
                .run(&["pull", reference, "--destination", s(&dest), "-o", "json"])
                .ok()
                .json();
            assert_eq!(pulled["digest"], pushed["digest"]);
            assert_eq!(std::fs::read(&dest).unwrap(), std::fs::read(file).unwrap());
            assert_eq!(pushed["digest"], skopeo_manifest_digest(reference).as_str());
        }
    }

    // `--from` naming another registry, or no repository at all: one line, nothing sent.
    proxy.take_sent();
    for (from, says) in [
        (
            "ghcr.io/acme/big:1.0.0",
            "blobs mount only within one registry",
        ),
        ("a b", "--from wants a repository"),
    ] {
        let target = format!("{}/fifth/component:0.1.0", proxy.host());
        let run = sandbox
            .run(&["push", &target, s(&big), "--from", from])
            .fails();
        assert!(run.error().contains(says), "{}", run.stderr);
    }
    assert_eq!(proxy.take_sent(), 0);

    // A registry that declines mounts (the proxy's fake): the upload happens, and the
    // artifact is whole.
    let declining = support::CountingProxy::start(registry.port, true);
    let fourth = format!("{}/fourth/component:0.1.0", declining.host());
    let pushed = sandbox
        .run(&[
            "push",
            &fourth,
            s(&big),
            "--from",
            "first/component",
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(pushed["layer"], "uploaded", "{pushed}");
    assert!(declining.take_sent() > size);
    let dest = sandbox.path().join("back-fourth.wasm");
    sandbox
        .run(&["pull", &fourth, "--destination", s(&dest)])
        .ok();
    assert_eq!(std::fs::read(&dest).unwrap(), std::fs::read(&big).unwrap());
}

/// A pull into a file that already holds the layer downloads nothing and leaves the file
/// untouched (same mtime); a file with other bytes is replaced.
#[test]
fn pulling_what_the_destination_already_holds_leaves_it_alone() {
    let registry = Registry::start();
    let sandbox = Sandbox::new();
    let big = sandbox.write(
        "big.wasm",
        &support::padded_bytes(support::hello_component(), 1 << 20),
    );
    let reference = format!("{}/keep/component:0.1.0", registry.host());
    sandbox.run(&["push", &reference, s(&big)]).ok();
    let dest = sandbox.path().join("kept.wasm");
    let first = sandbox
        .run(&["pull", &reference, "--destination", s(&dest), "-o", "json"])
        .ok()
        .json();
    assert_eq!(first["unchanged"], false);
    let mtime = std::fs::metadata(&dest).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let again = sandbox
        .run(&["pull", &reference, "--destination", s(&dest), "-o", "json"])
        .ok()
        .json();
    assert_eq!(again["unchanged"], true);
    assert_eq!(again["digest"], first["digest"]);
    assert_eq!(std::fs::metadata(&dest).unwrap().modified().unwrap(), mtime);
    let text = sandbox
        .run(&["pull", &reference, "--destination", s(&dest)])
        .ok()
        .stdout;
    assert!(text.starts_with("Up to date: "), "{text}");

    // Same size, other bytes: replaced with the registry's.
    let mut other = std::fs::read(&big).unwrap();
    let last = other.len() - 1;
    other[last] ^= 1;
    std::fs::write(&dest, &other).unwrap();
    let replaced = sandbox
        .run(&["pull", &reference, "--destination", s(&dest), "-o", "json"])
        .ok()
        .json();
    assert_eq!(replaced["unchanged"], false);
    assert_eq!(std::fs::read(&dest).unwrap(), std::fs::read(&big).unwrap());
}

/// Load: 20 pushes of distinct artifacts to one registry at once (20 processes): every one
/// lands, under its own tag, with the digest it reported, and pulls back byte for byte
/// (skopeo agrees on each manifest digest).
#[test]
fn twenty_concurrent_pushes_all_land_with_their_digests() {
    let registry = Registry::start();
    let sandbox = Sandbox::new();
    let files: Vec<std::path::PathBuf> = (0..20)
        .map(|i| {
            // Distinct bytes and sizes: each a different layer.
            let mut bytes =
                support::padded_bytes(support::hello_component(), (256 << 10) + i * 4099);
            let at = bytes.len() - 1;
            bytes[at] = i as u8;
            sandbox.write(&format!("c{i}.wasm"), &bytes)
        })
        .collect();
    let children: Vec<(usize, std::process::Child)> = files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            let reference = format!("{}/load/c{i}:0.1.0", registry.host());
            let child = sandbox
                .command()
                .args(["push", &reference, s(file), "-o", "json"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            (i, child)
        })
        .collect();
    for (i, child) in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "push {i}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let pushed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let reference = format!("{}/load/c{i}:0.1.0", registry.host());
        let dest = sandbox.file(&format!("back{i}.wasm"));
        let pulled = sandbox
            .run(&["pull", &reference, "--destination", s(&dest), "-o", "json"])
            .ok()
            .json();
        assert_eq!(pulled["digest"], pushed["digest"], "push {i}");
        assert_eq!(
            std::fs::read(&dest).unwrap(),
            std::fs::read(&files[i]).unwrap()
        );
        assert_eq!(
            pushed["digest"],
            skopeo_manifest_digest(&reference).as_str(),
            "push {i}"
        );
    }
}

/// Credentials never travel in plain HTTP to a registry that is not this machine: to an
/// address of this machine's that is not loopback, the tool speaks TLS (the listener sees
/// a TLS handshake, never the user name or password), and only `--insecure` makes it
/// speak HTTP there.
#[test]
fn credentials_go_over_plain_http_only_to_loopback_or_with_insecure() {
    // An address of this machine that is not loopback (the one a default route would use;
    // no packet is sent to find it).
    let probe = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    probe.connect("192.0.2.1:9").expect("a route off loopback");
    let ip = probe.local_addr().unwrap().ip();
    assert!(!ip.is_loopback() && !ip.is_unspecified(), "{ip}");
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind((ip, 0)).unwrap();
    let address = listener.local_addr().unwrap();
    // Records the first bytes of every connection, answers 401 to anything that looks like
    // HTTP. (The thread ends with the test process.)
    let received: std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>> = Default::default();
    let log = received.clone();
    std::thread::spawn(move || {
        for mut client in listener.incoming().flatten() {
            client
                .set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            let mut buf = vec![0u8; 4096];
            let n = client.read(&mut buf).unwrap_or(0);
            if buf[..n].starts_with(b"GET ") || buf[..n].starts_with(b"HEAD ") {
                let _ = client.write_all(
                    b"HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Basic realm=\"t\"\r\n\
                      content-length: 0\r\nconnection: close\r\n\r\n",
                );
            }
            log.lock().unwrap().push(buf[..n].to_vec());
        }
    });
    let sandbox = Sandbox::new();
    let file = sandbox.write("c.wasm", support::hello_component());
    let reference = format!("{address}/secret/c:0.1.0");
    let password = "do-not-send-me-in-clear";
    support::register_secret(password);
    sandbox
        .run(&["push", &reference, s(&file), "-u", "alice", "-p", password])
        .fails();
    // Without --insecure: only TLS ClientHellos (record type 22), nothing readable.
    let tls = std::mem::take(&mut *received.lock().unwrap());
    assert!(!tls.is_empty());
    for hello in &tls {
        let clear = String::from_utf8_lossy(hello);
        assert_eq!(hello.first(), Some(&0x16), "{clear:?}");
        assert!(
            !clear.contains(password) && !clear.contains("alice"),
            "{clear}"
        );
    }
    // With it: plain HTTP.
    sandbox
        .run(&[
            "push",
            &reference,
            s(&file),
            "-u",
            "alice",
            "-p",
            password,
            "--insecure",
        ])
        .fails();
    let plain = std::mem::take(&mut *received.lock().unwrap());
    assert!(
        plain
            .iter()
            .any(|r| String::from_utf8_lossy(r).contains("HTTP/1.1")),
        "{plain:?}"
    );
}
