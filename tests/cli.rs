//! The command line as users meet it: the plugin entry points, `-o json`, keys, signing and
//! inspecting, and every kind of bad input ending in one line of error.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use cargo_wasmcloud::artifact::wasm;
use cargo_wasmcloud::sign::jwt;
use support::{hello_component, nested_core_modules, run_command, Run, Sandbox};
use wascap::prelude::KeyPair;

const ACCOUNT_SEED: &str = "SAAAW5UDXHSLGTZ4CSTWLDTKU5LCPCJPNGQRFJKJNBIYJ2IK7I4JMGT3IU";
const MODULE_SEED: &str = "SMAAGZBEBT3RIMAX2QVGUJHHKPNECDPF3ZQBI2EPCHYR3I7RR24IKUDOQE";

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

// --- entry points ------------------------------------------------------------------------

#[test]
fn help_works_directly_and_as_a_cargo_plugin() {
    let sandbox = Sandbox::new();
    let direct = sandbox.run(&["--help"]).ok();
    assert!(direct.stdout.contains("claims"), "{}", direct.stdout);
    assert!(direct.stdout.contains("keys"));
    // cargo runs `cargo-wasmcloud wasmcloud --help` for `cargo wasmcloud --help`.
    let via_cargo_args = sandbox.run(&["wasmcloud", "--help"]).ok();
    assert_eq!(via_cargo_args.stdout, direct.stdout);

    // And through cargo itself, finding the plugin on PATH.
    let bin_dir = support::bin().parent().unwrap().to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = std::process::Command::new(cargo);
    cmd.args(["wasmcloud", "--help"]).env("PATH", path);
    let through_cargo = run_command(&mut cmd).ok();
    assert_eq!(through_cargo.stdout, direct.stdout);

    // The quick answer to a bare --version is what clap answers when it parses.
    let expected = format!("cargo-wasmcloud {}\n", env!("CARGO_PKG_VERSION"));
    for args in [
        &["--version"][..],
        &["-V"],
        &["wasmcloud", "--version"],
        &["--color", "never", "--version"],
    ] {
        assert_eq!(sandbox.run(args).ok().stdout, expected, "{args:?}");
    }
    let sub_help = sandbox.run(&["wasmcloud", "claims", "sign", "--help"]).ok();
    assert!(sub_help.stdout.contains("--call-alias"));
}

#[test]
fn unknown_arguments_fail_with_usage_not_panic() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(&["frobnicate"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        run.stderr.contains("unrecognized subcommand"),
        "{}",
        run.stderr
    );
    let run = sandbox.run(&["keys", "gen", "wizard"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(run.stderr.contains("unknown key kind"), "{}", run.stderr);
}

// --- keys --------------------------------------------------------------------------------

#[test]
fn keys_gen_prints_a_usable_pair_for_every_kind() {
    let sandbox = Sandbox::new();
    for (kind, prefix) in [
        ("account", 'A'),
        ("component", 'M'),
        ("module", 'M'),
        ("provider", 'V'),
        ("service", 'V'),
        ("host", 'N'),
        ("server", 'N'),
        ("operator", 'O'),
        ("user", 'U'),
        ("cluster", 'C'),
        ("curve", 'X'),
    ] {
        let json = sandbox
            .run(&["keys", "gen", kind, "-o", "json"])
            .ok()
            .json();
        let public = json["public_key"].as_str().unwrap();
        let seed = json["seed"].as_str().unwrap();
        assert!(public.starts_with(prefix), "{kind}: {public}");
        assert!(seed.starts_with(&format!("S{prefix}")), "{kind}");
        if prefix != 'X' {
            assert_eq!(KeyPair::from_seed(seed).unwrap().public_key(), public);
        }
        let text = sandbox.run(&["keys", "gen", kind]).ok();
        assert!(text.stdout.contains("Public key: "), "{}", text.stdout);
        assert!(text.stdout.contains("Seed: "));
    }
    // Printing a key writes nothing.
    assert!(!sandbox.keys().exists());
}

#[test]
fn keys_saved_by_name_are_private_and_listed() {
    let sandbox = Sandbox::new();
    let saved = sandbox
        .run(&["keys", "gen", "account", "--name", "alice", "-o", "json"])
        .ok()
        .json();
    assert!(saved.get("seed").is_none(), "a saved seed is not printed");
    let path = sandbox.keys().join("alice_account.nk");
    assert_eq!(saved["path"], s(&path));
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&sandbox.keys()), 0o700);
    let text = sandbox
        .run(&["keys", "gen", "component", "--name", "alice"])
        .ok();
    let module_seed = std::fs::read_to_string(sandbox.keys().join("alice_module.nk")).unwrap();
    assert!(
        !text.stdout.contains(&module_seed),
        "seed printed: {}",
        text.stdout
    );
    assert!(
        !text.stderr.contains(&module_seed),
        "seed printed: {}",
        text.stderr
    );

    // Never overwrite a key.
    let again = sandbox
        .run(&["keys", "gen", "account", "--name", "alice"])
        .fails();
    assert!(again.error().contains("already exists"), "{}", again.stderr);

    let list = sandbox.run(&["keys", "list", "-o", "json"]).ok().json();
    let names: Vec<&str> = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice_account", "alice_module"]);
    assert_eq!(list["keys"][0]["kind"], "account");
    assert_eq!(list["keys"][0]["public_key"], saved["public_key"]);
    let text = sandbox.run(&["keys", "list"]).ok();
    assert!(text.stdout.contains("alice_account"));

    let got = sandbox
        .run(&["keys", "get", "alice_account", "-o", "json"])
        .ok()
        .json();
    assert_eq!(got["public_key"], saved["public_key"]);
    let seed = got["seed"].as_str().unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), seed);
    let plain = sandbox.run(&["keys", "get", "alice_account.nk"]).ok();
    assert_eq!(plain.stdout.trim(), seed);

    let missing = sandbox.run(&["keys", "get", "bob_account"]).fails();
    assert!(missing.error().contains("no key"), "{}", missing.stderr);
}

#[test]
fn key_directory_flag_env_and_default() {
    let sandbox = Sandbox::new();
    // Default: ~/.wash/keys, so existing wash users keep their keys.
    let home_keys = sandbox.path().join("home/.wash/keys");
    sandbox
        .run_with(&["keys", "gen", "account", "--name", "d"], |c| {
            c.env_remove("WASH_KEYS");
        })
        .ok();
    assert!(home_keys.join("d_account.nk").is_file());
    // --keys-dir beats WASH_KEYS.
    let other = sandbox.path().join("elsewhere");
    sandbox
        .run(&[
            "keys",
            "gen",
            "user",
            "--name",
            "f",
            "--keys-dir",
            s(&other),
        ])
        .ok();
    assert!(other.join("f_user.nk").is_file());
    assert!(!sandbox.keys().exists());
    // wash's short flag.
    let list = sandbox
        .run(&["keys", "list", "-d", s(&other), "-o", "json"])
        .ok()
        .json();
    assert_eq!(list["keys"][0]["name"], "f_user");
}

#[test]
fn listing_an_empty_or_missing_directory_is_fine_but_a_broken_one_is_not() {
    let sandbox = Sandbox::new();
    let json = sandbox.run(&["keys", "list", "-o", "json"]).ok().json();
    assert_eq!(json["keys"], serde_json::json!([]));
    // A file where the directory should be cannot be read as one.
    std::fs::write(sandbox.keys(), b"not a directory").unwrap();
    let run = sandbox.run(&["keys", "list"]).fails();
    assert!(run.error().contains("key directory"), "{}", run.stderr);
}

// --- sign and inspect ------------------------------------------------------------------------

#[test]
fn sign_generates_wash_named_keys_and_reuses_them() {
    let sandbox = Sandbox::new();
    let file = sandbox.write("http_hello.wasm", hello_component());
    let first = sandbox
        .run(&["claims", "sign", "http_hello.wasm", "-o", "json"])
        .ok()
        .json();
    assert_eq!(first["destination"], "http_hello_s.wasm");
    let account = sandbox.keys().join("tester_account.nk");
    let module = sandbox.keys().join("http_hello_module.nk");
    assert_eq!(mode(&account), 0o600);
    assert_eq!(mode(&module), 0o600);
    let account_key = KeyPair::from_seed(&std::fs::read_to_string(&account).unwrap()).unwrap();
    assert_eq!(first["issuer"], account_key.public_key());
    assert_eq!(first["name"], "http_hello");

    // Signing again reuses both keys.
    let second = sandbox
        .run(&["claims", "sign", s(&file), "-o", "json"])
        .ok()
        .json();
    assert_eq!(second["issuer"], first["issuer"]);
    assert_eq!(second["subject"], first["subject"]);

    // Keys named in the key directory are found by name.
    sandbox
        .run(&["keys", "gen", "account", "--name", "team"])
        .ok();
    let third = sandbox
        .run(&["claims", "sign", s(&file), "-i", "team", "-o", "json"])
        .ok()
        .json();
    let team = sandbox
        .run(&["keys", "get", "team_account", "-o", "json"])
        .ok()
        .json();
    assert_eq!(third["issuer"], team["public_key"]);

    // With key generation off and no key, nothing is made.
    let run = sandbox
        .run(&["claims", "sign", s(&file), "-s", "absent"])
        .fails();
    assert!(run.error().contains("no key"), "{}", run.stderr);
    let run = sandbox
        .run(&[
            "claims",
            "sign",
            s(&file),
            "-d",
            "x.wasm",
            "--disable-keygen",
            "-n",
            "n",
        ])
        .ok();
    assert!(run.status.success());
    std::fs::remove_file(&module).unwrap();
    let run = sandbox
        .run(&[
            "claims",
            "sign",
            s(&file),
            "-d",
            "y.wasm",
            "--disable-keygen",
        ])
        .fails();
    assert!(run.error().contains("disable-keygen"), "{}", run.stderr);
    assert!(!sandbox.file("y.wasm").exists());
    assert!(!module.exists());
}

#[test]
fn inspect_shows_the_claims_table_and_json() {
    let sandbox = Sandbox::new();
    sandbox.write("c.wasm", hello_component());
    sandbox
        .run(&[
            "claims",
            "sign",
            "c.wasm",
            "-n",
            "Greeter",
            "-t",
            "a",
            "-t",
            "b",
            "-r",
            "4",
            "-v",
            "0.4.0",
            "-i",
            ACCOUNT_SEED,
            "-s",
            MODULE_SEED,
        ])
        .ok();
    let text = sandbox.run(&["inspect", "c_s.wasm"]).ok().stdout;
    let account = KeyPair::from_seed(ACCOUNT_SEED).unwrap().public_key();
    let module = KeyPair::from_seed(MODULE_SEED).unwrap().public_key();
    assert!(text.starts_with("Greeter - Component\n"), "{text}");
    for expected in [
        format!("Account        {account}"),
        format!("Component      {module}"),
        "Expires        never".into(),
        "Can Be Used    immediately".into(),
        "Version        0.4.0 (4)".into(),
        "Embedded WIT   yes".into(),
        "Tags           a, b".into(),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in\n{text}");
    }
    // `claims inspect` is the same command.
    let via_claims = sandbox.run(&["claims", "inspect", "c_s.wasm"]).ok().stdout;
    assert_eq!(via_claims, text);

    let json = sandbox
        .run(&["inspect", "c_s.wasm", "-o", "json"])
        .ok()
        .json();
    assert_eq!(json["name"], "Greeter");
    assert_eq!(json["kind"], "component");
    assert_eq!(json["embedded_wit"], true);
    assert_eq!(json["hash"], wasm::module_hash(hello_component()).unwrap());

    // The WIT world of the component, as text and JSON.
    let wit = sandbox.run(&["inspect", "c_s.wasm", "--wit"]).ok().stdout;
    assert!(wit.contains("world root"), "{wit}");
    assert!(wit.contains("import wasi:cli/stdout@"), "{wit}");
    let wit_json = sandbox
        .run(&["inspect", "c_s.wasm", "--wit", "-o", "json"])
        .ok()
        .json();
    assert_eq!(wit_json["wit"].as_str().unwrap().trim(), wit.trim());

    // A core module has no WIT and says so.
    let core = sandbox.write("core.wasm", nested_core_modules(hello_component())[0]);
    let run = sandbox.run(&["inspect", s(&core), "--wit"]).fails();
    assert!(run.error().contains("core module"), "{}", run.stderr);
    sandbox
        .run(&[
            "claims",
            "sign",
            s(&core),
            "-i",
            ACCOUNT_SEED,
            "-s",
            MODULE_SEED,
        ])
        .ok();
    let json = sandbox
        .run(&["inspect", "core_s.wasm", "-o", "json"])
        .ok()
        .json();
    assert_eq!(json["kind"], "core_module");
    assert_eq!(json["embedded_wit"], false);
}

#[test]
fn unsigned_files_are_reported_and_fail_verify() {
    let sandbox = Sandbox::new();
    sandbox.write("c.wasm", hello_component());
    let json = sandbox
        .run(&["inspect", "c.wasm", "-o", "json"])
        .ok()
        .json();
    assert_eq!(json["signed"], false);
    let run = sandbox.run(&["inspect", "c.wasm", "--verify"]).fails();
    assert!(run.error().contains("no claims"), "{}", run.stderr);
    sandbox.run(&["inspect", "c.wasm", "--jwt-only"]).fails();
}

/// Finds the offset of a byte inside the code section (id 10) of the first nested core
/// module, or of the module itself.
fn code_byte_offset(bytes: &[u8]) -> usize {
    let base = bytes.as_ptr() as usize;
    let module = if bytes[6] == 1 {
        nested_core_modules(bytes)[0]
    } else {
        bytes
    };
    let code = support::sections(module)
        .into_iter()
        .find(|(id, _)| *id == 10)
        .expect("a code section")
        .1;
    code.as_ptr() as usize - base + code.len() / 2
}

#[test]
fn a_tampered_code_byte_is_a_hash_mismatch() {
    let sandbox = Sandbox::new();
    let core = nested_core_modules(hello_component())[0].to_vec();
    for (name, input) in [("c.wasm", hello_component().to_vec()), ("m.wasm", core)] {
        sandbox.write(name, &input);
        sandbox
            .run(&["claims", "sign", name, "-d", "signed.wasm"])
            .ok();
        let mut signed = std::fs::read(sandbox.file("signed.wasm")).unwrap();
        let at = code_byte_offset(&signed);
        signed[at] ^= 0x01;
        sandbox.write("tampered.wasm", &signed);
        let run = sandbox.run(&["inspect", "tampered.wasm"]).fails();
        assert!(
            run.error().contains("module hash mismatch"),
            "{}",
            run.stderr
        );
        // wascap agrees that the file no longer matches its claims.
        let err = wascap::wasm::extract_claims(&signed).unwrap_err();
        assert!(err.to_string().contains("hash"), "{err}");
        // JSON mode reports the failure as JSON on stderr.
        let run = sandbox.run(&["inspect", "tampered.wasm", "-o", "json"]);
        assert_eq!(run.status.code(), Some(1));
        let err: serde_json::Value = serde_json::from_str(run.stderr.trim()).unwrap();
        assert_eq!(err["success"], false);
        assert!(err["error"]
            .as_str()
            .unwrap()
            .contains("module hash mismatch"));
    }
}

fn signed_with_dates(exp: Option<u64>, nbf: Option<u64>) -> Vec<u8> {
    let input = hello_component();
    let account = KeyPair::from_seed(ACCOUNT_SEED).unwrap();
    let claims = jwt::Claims {
        exp,
        jti: jwt::new_token_id(),
        iat: jwt::now_secs(),
        iss: account.public_key(),
        sub: KeyPair::from_seed(MODULE_SEED).unwrap().public_key(),
        nbf,
        wascap: Some(jwt::ComponentMetadata {
            name: Some("dated".into()),
            hash: wasm::module_hash(input).unwrap(),
            ..Default::default()
        }),
        wascap_revision: Some(jwt::WASCAP_REVISION),
    };
    let token = jwt::encode(&claims, &account).unwrap();
    let mut out = Vec::new();
    wasm::write_signed(input, &token, &mut out).unwrap();
    out
}

#[test]
fn expired_and_early_claims_show_plainly_and_fail_verify() {
    let sandbox = Sandbox::new();
    let now = jwt::now_secs();
    sandbox.write("expired.wasm", &signed_with_dates(Some(now - 7200), None));
    let text = sandbox.run(&["inspect", "expired.wasm"]).ok().stdout;
    assert!(text.contains("Expires        2h ago (expired)"), "{text}");
    let json = sandbox
        .run(&["inspect", "expired.wasm", "-o", "json"])
        .ok()
        .json();
    assert_eq!(json["expired"], true);
    let run = sandbox
        .run(&["inspect", "expired.wasm", "--verify"])
        .fails();
    assert!(run.error().contains("expired"), "{}", run.stderr);
    // The table is still printed before the verdict.
    assert!(run.stdout.contains("dated - Component"));

    // -b (not before, in days) from the command line.
    sandbox.write("c.wasm", hello_component());
    sandbox
        .run(&[
            "claims",
            "sign",
            "c.wasm",
            "-b",
            "2",
            "-x",
            "30",
            "-d",
            "early.wasm",
        ])
        .ok();
    let text = sandbox.run(&["inspect", "early.wasm"]).ok().stdout;
    assert!(text.contains("Can Be Used    in 2days (not yet)"), "{text}");
    assert!(text.contains("Expires        in 30days"), "{text}");
    let run = sandbox.run(&["inspect", "early.wasm", "--verify"]).fails();
    assert!(run.error().contains("not valid yet"), "{}", run.stderr);

    sandbox
        .run(&["claims", "sign", "c.wasm", "-x", "30", "-d", "good.wasm"])
        .ok();
    sandbox.run(&["inspect", "good.wasm", "--verify"]).ok();
}

// --- bad input ---------------------------------------------------------------------------

/// Signing `input` fails with one error line mentioning `expect`, and leaves no file.
fn sign_fails(sandbox: &Sandbox, input: &[u8], expect: &str) -> Run {
    let before = sandbox.entries();
    let path = sandbox.write("bad.wasm", input);
    let run = sandbox
        .run(&["claims", "sign", s(&path), "-d", "bad_out.wasm"])
        .fails();
    assert!(
        run.error().contains(expect),
        "expected {expect:?} in {:?}",
        run.stderr
    );
    // The line names the file, as `inspect`'s does.
    assert!(run.error().contains("bad.wasm"), "{}", run.stderr);
    let mut after = sandbox.entries();
    after.retain(|e| e != "bad.wasm");
    let mut before = before;
    before.retain(|e| e != "bad.wasm");
    assert_eq!(after, before, "files left behind");
    assert!(!sandbox.keys().exists(), "keys made for a bad input");
    run
}

#[test]
fn bad_wasm_inputs_fail_cleanly() {
    let sandbox = Sandbox::new();
    let component = hello_component();
    sign_fails(&sandbox, b"", "empty");
    sign_fails(
        &sandbox,
        b"this is a text file\n",
        "not a WebAssembly binary",
    );
    sign_fails(&sandbox, &component[..component.len() / 2], "truncated");
    sign_fails(&sandbox, &component[..6], "truncated");
    sign_fails(&sandbox, b"\0asm\x07\x00\x00\x00", "unsupported version");
    // A custom section named in bytes that are not UTF-8 (a fuzz finding): hosts refuse the
    // module, so signing it would only hide the fault.
    let not_utf8 = std::fs::read(
        support::fixtures_dir().join("fuzz/wasm_file_plan/custom-section-name-not-utf8.wasm"),
    )
    .unwrap();
    sign_fails(&sandbox, &not_utf8, "name that is not UTF-8");

    for (input, expect) in [
        (&b""[..], "empty"),
        (b"this is a text file\n", "not a WebAssembly binary"),
        (&component[..component.len() / 2], "truncated"),
    ] {
        sandbox.write("bad.wasm", input);
        let run = sandbox.run(&["inspect", "bad.wasm"]).fails();
        assert!(run.error().contains(expect), "{}", run.stderr);
    }
    let run = sandbox.run(&["inspect", "missing.wasm"]).fails();
    assert!(
        run.error().contains("cannot read missing.wasm"),
        "{}",
        run.stderr
    );
    let run = sandbox.run(&["claims", "sign", "missing.wasm"]).fails();
    assert!(
        run.error().contains("cannot read missing.wasm"),
        "{}",
        run.stderr
    );
    // A directory as the destination: said before keys are made or anything is written.
    sandbox.write("good.wasm", component);
    std::fs::create_dir(sandbox.file("taken.wasm")).unwrap();
    let run = sandbox
        .run(&["claims", "sign", "good.wasm", "-d", "taken.wasm"])
        .fails();
    assert!(
        run.error().contains("cannot write taken.wasm")
            && run.error().to_lowercase().contains("is a directory"),
        "{}",
        run.stderr
    );
    assert!(
        !sandbox.keys().exists(),
        "keys made before the destination was checked"
    );
    std::fs::create_dir(sandbox.file("dir.wasm")).unwrap();
    for command in [&["claims", "sign"][..], &["inspect"]] {
        let run = sandbox.run(&[command, &["dir.wasm"]].concat()).fails();
        assert!(
            run.error().contains("cannot read dir.wasm")
                && run.error().to_lowercase().contains("is a directory"),
            "{command:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn garbage_in_the_token_section_is_an_error() {
    let sandbox = Sandbox::new();
    let component = hello_component();
    for (data, expect) in [
        (&b"\xff\xfe\x00binary junk"[..], "not UTF-8"),
        (b"not-a-jwt", "expected 3 segments"),
        (b"a.b.c", "not valid"),
        (
            b"eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0.e30.AAAA",
            "not valid JSON",
        ),
    ] {
        let bytes = support::with_custom_section(component, "wasmcloud_jwt", data);
        sandbox.write("junk.wasm", &bytes);
        let run = sandbox.run(&["inspect", "junk.wasm"]).fails();
        assert!(run.error().contains("wasmcloud_jwt"), "{}", run.stderr);
        assert!(run.error().contains(expect), "{expect}: {}", run.stderr);
        // Signing over the junk replaces it with a good token.
        sandbox
            .run(&["claims", "sign", "junk.wasm", "-d", "fixed.wasm"])
            .ok();
        sandbox.run(&["inspect", "fixed.wasm", "--verify"]).ok();
    }
}

#[test]
fn wrong_key_kinds_are_refused() {
    let sandbox = Sandbox::new();
    sandbox.write("c.wasm", hello_component());
    let run = sandbox
        .run(&[
            "claims",
            "sign",
            "c.wasm",
            "-i",
            MODULE_SEED,
            "-s",
            MODULE_SEED,
        ])
        .fails();
    assert!(
        run.error()
            .contains("expected an account key for the issuer"),
        "{}",
        run.stderr
    );
    let run = sandbox
        .run(&[
            "claims",
            "sign",
            "c.wasm",
            "-i",
            ACCOUNT_SEED,
            "-s",
            ACCOUNT_SEED,
        ])
        .fails();
    assert!(
        run.error()
            .contains("expected a module key for the subject"),
        "{}",
        run.stderr
    );
    // A public key cannot sign.
    let public = KeyPair::from_seed(ACCOUNT_SEED).unwrap().public_key();
    let run = sandbox
        .run(&["claims", "sign", "c.wasm", "-i", &public, "-s", MODULE_SEED])
        .fails();
    assert!(run.error().contains("public key"), "{}", run.stderr);
    // A corrupted seed.
    let mut broken = ACCOUNT_SEED.to_string();
    broken.replace_range(10..11, "Z");
    let key_file = sandbox.write("broken.nk", broken.as_bytes());
    support::make_private(&key_file);
    let run = sandbox
        .run(&[
            "claims",
            "sign",
            "c.wasm",
            "-i",
            s(&key_file),
            "-s",
            MODULE_SEED,
        ])
        .fails();
    assert!(run.error().contains("seed"), "{}", run.stderr);
    assert!(!sandbox.file("c_s.wasm").exists());
    // An invalid call alias.
    let run = sandbox
        .run(&["claims", "sign", "c.wasm", "-a", "Bad Alias!"])
        .fails();
    assert!(run.error().contains("call alias"), "{}", run.stderr);
    assert!(!sandbox.file("c_s.wasm").exists());
}

#[test]
fn unreadable_key_directory_is_an_error() {
    let sandbox = Sandbox::new();
    sandbox.write("c.wasm", hello_component());
    // A file where the key directory should be: unreadable as a directory, even for root.
    std::fs::write(sandbox.keys(), b"oops").unwrap();
    let run = sandbox.run(&["claims", "sign", "c.wasm"]).fails();
    assert!(run.error().contains("key directory"), "{}", run.stderr);
    assert!(!sandbox.file("c_s.wasm").exists());

    // A directory without permissions (only meaningful when not running as root).
    if unsafe { libc::geteuid() } != 0 {
        std::fs::remove_file(sandbox.keys()).unwrap();
        std::fs::create_dir(sandbox.keys()).unwrap();
        std::fs::set_permissions(sandbox.keys(), std::fs::Permissions::from_mode(0o000)).unwrap();
        let run = sandbox.run(&["claims", "sign", "c.wasm"]).fails();
        assert!(run.error().contains("key directory"), "{}", run.stderr);
        std::fs::set_permissions(sandbox.keys(), std::fs::Permissions::from_mode(0o700)).unwrap();
    }
}

#[test]
fn destination_in_a_missing_directory_is_an_error() {
    let sandbox = Sandbox::new();
    sandbox.write("c.wasm", hello_component());
    let before = sandbox.entries();
    let run = sandbox
        .run(&["claims", "sign", "c.wasm", "-d", "no/such/dir/c.wasm"])
        .fails();
    assert!(run.error().contains("does not exist"), "{}", run.stderr);
    assert_eq!(sandbox.entries(), before);
}

#[test]
fn signing_in_place_replaces_the_file_whole() {
    let sandbox = Sandbox::new();
    let path = sandbox.write("c.wasm", hello_component());
    sandbox
        .run(&["claims", "sign", "c.wasm", "-d", "c.wasm"])
        .ok();
    sandbox.run(&["inspect", "c.wasm", "--verify"]).ok();
    assert_eq!(mode(&path), 0o644);
    // No temporary files are left next to it.
    let mut entries = sandbox.entries();
    entries.retain(|e| e != "keys");
    assert_eq!(entries, ["c.wasm"]);
}

#[test]
fn every_command_speaks_json() {
    let sandbox = Sandbox::new();
    sandbox.write("c.wasm", hello_component());
    // Plugs for an ad hoc composition: the hello component imports nothing of theirs, so
    // it is composed alone; enough to exercise the command's result.
    let hello = support::fixtures_dir().join("hello-component");
    support::copy_dir(&hello, &sandbox.path().join("hello"));
    std::fs::write(
        sandbox.path().join("hello/wasmcloud.toml"),
        "name = \"Hello\"\nlanguage = \"rust\"\ntype = \"component\"\n",
    )
    .unwrap();
    let field = |json: &serde_json::Value, pointer: &str| -> serde_json::Value {
        json.pointer(pointer)
            .cloned()
            .unwrap_or(serde_json::Value::Null)
    };
    // Each command with the fields its result must carry (JSON pointers).
    let runs: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (
            vec!["new", "interface", "api", "-y"],
            vec!["/kind", "/path", "/files/0"],
        ),
        (
            vec!["new", "actor", "act", "-y"],
            vec!["/kind", "/template", "/files/0"],
        ),
        (
            vec!["wit", "--manifest-path", "api/Cargo.toml"],
            vec!["/files/0/path", "/check"],
        ),
        (vec!["keys", "gen", "account"], vec!["/public_key", "/seed"]),
        (
            vec!["keys", "gen", "account", "--name", "j"],
            vec!["/public_key", "/path"],
        ),
        (vec!["keys", "list"], vec!["/keys/0/name", "/keys_dir"]),
        (
            vec!["keys", "get", "j_account"],
            vec!["/public_key", "/seed"],
        ),
        (
            vec!["claims", "sign", "c.wasm"],
            vec!["/destination", "/issuer", "/hash", "/jwt"],
        ),
        (
            vec!["claims", "inspect", "c_s.wasm"],
            vec!["/account", "/component", "/hash"],
        ),
        (
            vec!["inspect", "c_s.wasm"],
            vec!["/account", "/component", "/hash", "/kind"],
        ),
        (vec!["inspect", "c_s.wasm", "--jwt-only"], vec!["/token"]),
        (vec!["inspect", "c_s.wasm", "--wit"], vec!["/wit"]),
        (vec!["inspect", "c.wasm"], vec!["/signed", "/kind"]),
        (
            vec!["compose", "c.wasm", "--explain"],
            vec!["/wires", "/instances/0"],
        ),
        (
            vec!["compose", "c.wasm", "-d", "composed.wasm"],
            vec!["/path", "/size", "/inputs/0"],
        ),
        (
            vec!["migrate", "--manifest-path", "hello/Cargo.toml"],
            vec!["/manifest"],
        ),
        (
            vec!["app", "validate", "app.yaml"],
            vec!["/name", "/version", "/problems"],
        ),
    ];
    sandbox.write(
        "app.yaml",
        b"apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: a\n  \
          annotations: {version: v1}\nspec:\n  components:\n    - name: c\n      \
          type: component\n      properties: {image: 'file://./c.wasm'}\n",
    );
    for (args, fields) in runs {
        let mut with_json = args.clone();
        with_json.extend(["-o", "json"]);
        let json = sandbox.run(&with_json).ok().json();
        assert_eq!(json["success"], true, "{args:?}");
        for pointer in fields {
            let value = field(&json, pointer);
            assert!(!value.is_null(), "{args:?}: no {pointer} in {json}");
        }
    }
    // `--output json` before the command works too.
    let json = sandbox
        .run(&["--output", "json", "inspect", "c_s.wasm"])
        .ok()
        .json();
    assert_eq!(json["success"], true);
    // A command whose checks fail says so in its JSON as well as by its exit code.
    let run = sandbox.run(&["doctor", "--ctl-port", "1", "-o", "json"]);
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["success"], false);
    assert!(
        json["checks"].as_array().is_some_and(|c| !c.is_empty()),
        "{json}"
    );
    let error: serde_json::Value = serde_json::from_str(run.stderr.trim()).unwrap();
    assert_eq!(error["success"], false);
}

/// Every command path of the CLI (`["ctl", "get", "hosts"]`), read from the `Commands:`
/// sections of `--help`, recursively; `help` itself left out.
fn command_paths(sandbox: &Sandbox, parent: &[String]) -> Vec<Vec<String>> {
    let mut args: Vec<&str> = parent.iter().map(String::as_str).collect();
    args.push("--help");
    let help = sandbox.run(&args).ok().stdout;
    let mut paths = Vec::new();
    let Some(section) = help.split("Commands:\n").nth(1) else {
        return paths;
    };
    for line in section.lines() {
        if !line.starts_with(' ') {
            break;
        }
        // Wrapped descriptions continue on deeper-indented lines.
        if line.starts_with("   ") {
            continue;
        }
        let name = line.split_whitespace().next().unwrap_or_default();
        if name.is_empty() || name == "help" {
            continue;
        }
        let mut path = parent.to_vec();
        path.push(name.to_string());
        paths.extend(command_paths(sandbox, &path));
        paths.push(path);
    }
    paths
}

#[test]
fn completions_cover_every_command() {
    let sandbox = Sandbox::new();
    let paths = command_paths(&sandbox, &[]);
    // The nested commands are there, not only the top level.
    for expected in [
        &["ctl", "get", "inventory"][..],
        &["keys", "gen"],
        &["claims", "sign"],
        &["new", "interface"],
    ] {
        assert!(
            paths.iter().any(|p| p == expected),
            "{expected:?} missing from {paths:?}"
        );
    }
    let script = |shell: &str| sandbox.run(&["completions", shell]).ok().stdout;
    let (bash, zsh, fish, elvish, powershell) = (
        script("bash"),
        script("zsh"),
        script("fish"),
        script("elvish"),
        script("powershell"),
    );
    for path in &paths {
        let (last, parents) = path.split_last().unwrap();
        // bash: a case arm `<parent function>,<name>)`.
        let parent_fn: String = parents.iter().map(|p| format!("__subcmd__{p}")).collect();
        let arm = format!("cargo__wasmcloud{parent_fn},{last})");
        assert!(bash.contains(&arm), "bash lacks {path:?} ({arm})");
        // zsh: an entry `'name:...` in the parent's `_commands` list.
        let zsh_fn = format!("_cargo-wasmcloud{parent_fn}_commands() {{");
        let list = zsh
            .split(&zsh_fn)
            .nth(1)
            .and_then(|rest| rest.split("_describe").next())
            .unwrap_or_else(|| panic!("zsh lacks {zsh_fn}"));
        assert!(list.contains(&format!("'{last}:")), "zsh lacks {path:?}");
        // fish: offered after the parents and nothing else.
        let condition = match parents {
            [] => "__fish_cargo_wasmcloud_needs_command".to_string(),
            [first] => format!("__fish_cargo_wasmcloud_using_subcommand {first}; and not"),
            [first, .., parent] => format!(
                "__fish_cargo_wasmcloud_using_subcommand {first}; and __fish_seen_subcommand_from {parent}\""
            ),
        };
        assert!(
            fish.lines()
                .any(|l| l.contains(&condition) && l.contains(&format!("-a \"{last}\""))),
            "fish lacks {path:?}"
        );
        // elvish and PowerShell: a block for the full path.
        let full = format!("cargo-wasmcloud;{}", path.join(";"));
        assert!(
            elvish.contains(&format!("&'{full}'= {{")),
            "elvish lacks {path:?}"
        );
        assert!(
            powershell.contains(&format!("'{full}' {{")),
            "powershell lacks {path:?}"
        );
    }
    assert!(
        bash.contains("complete -F _cargo__wasmcloud"),
        "{}",
        &bash[bash.len() - 300..]
    );
    let run = sandbox.run(&["completions", "tcsh"]);
    assert_eq!(run.status.code(), Some(2), "{}", run.stderr);
}

/// A key made for the issuer is reported even when the subject then cannot be had, so no
/// key file appears unannounced.
#[test]
fn a_key_made_before_a_failure_is_still_reported() {
    let sandbox = Sandbox::new();
    sandbox.write("c.wasm", hello_component());
    let run = sandbox.run(&["claims", "sign", "c.wasm", "--subject", "nobody"]);
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("Generated issuer key"),
        "{}",
        run.stderr
    );
    assert!(run.error().contains("nobody"), "{}", run.stderr);
    assert!(sandbox.keys().join("tester_account.nk").is_file());
    // Nothing half-written: no signed output.
    assert!(!sandbox.file("c_s.wasm").exists());
}

/// Seeds stay secret: with `-vv` logs on, signing from seeds given as flags, as files and as
/// stored keys, failing on bad input, saving a new key and inspecting print no seed (every
/// run in the suite is checked the same way by `support::run_command`; here the detector is
/// also shown to find the seed `keys gen` prints when asked). A seed file others can read is
/// refused, with the fix, as ssh refuses such a private key.
#[test]
fn seeds_never_appear_in_output_and_open_seed_files_are_refused() {
    let sandbox = Sandbox::new();
    sandbox.write("c.wasm", hello_component());
    sandbox.write("bad.wasm", b"\0asm\x01\0\0\0\x01\x05");
    let seed_file = sandbox.write("issuer.nk", ACCOUNT_SEED.as_bytes());
    support::make_private(&seed_file);
    let runs = [
        sandbox.run(&[
            "-vv",
            "claims",
            "sign",
            "c.wasm",
            "-i",
            ACCOUNT_SEED,
            "-s",
            MODULE_SEED,
        ]),
        sandbox.run(&[
            "-vv",
            "claims",
            "sign",
            "c.wasm",
            "-i",
            "issuer.nk",
            "-s",
            MODULE_SEED,
        ]),
        sandbox.run(&["-vv", "claims", "sign", "bad.wasm", "-i", ACCOUNT_SEED]),
        sandbox.run(&["-vv", "keys", "gen", "account", "--name", "alice"]),
        sandbox.run(&[
            "-vv", "claims", "sign", "c.wasm", "-i", "alice", "-o", "json",
        ]),
        sandbox.run(&["-vv", "inspect", "c_s.wasm", "-o", "json"]),
        sandbox.run(&["-vv", "keys", "list", "-o", "json"]),
    ];
    let failed: Vec<bool> = runs.iter().map(|r| !r.status.success()).collect();
    assert_eq!(
        failed,
        [false, false, true, false, false, false, false],
        "{runs:#?}"
    );
    // `run_command` has checked each of them; the detector finds a seed printed on request.
    let asked = sandbox.run(&["keys", "gen", "account"]).ok();
    assert_eq!(
        support::seeds_in(&asked.stdout).len(),
        1,
        "{}",
        asked.stdout
    );
    let stored = sandbox.keys().join("alice_account.nk");
    let mode = std::fs::metadata(&stored).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // Readable by the group or the world: refused, the file named with the fix, the seed not.
    for (mode, shown) in [(0o644, "0644"), (0o640, "0640"), (0o606, "0606")] {
        std::fs::set_permissions(&seed_file, std::fs::Permissions::from_mode(mode)).unwrap();
        let run = sandbox
            .run(&[
                "claims",
                "sign",
                "c.wasm",
                "-i",
                "issuer.nk",
                "-s",
                MODULE_SEED,
            ])
            .fails();
        assert!(
            run.error().contains(&format!("mode {shown}")) && run.error().contains("chmod 600"),
            "{}",
            run.stderr
        );
        std::fs::set_permissions(&stored, std::fs::Permissions::from_mode(mode)).unwrap();
        let run = sandbox
            .run(&["claims", "sign", "c.wasm", "-i", "alice"])
            .fails();
        assert!(run.error().contains("alice_account.nk"), "{}", run.stderr);
        std::fs::set_permissions(&stored, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}
