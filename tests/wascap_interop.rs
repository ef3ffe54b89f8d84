//! Interop both ways with the `wascap` crate (what wasmCloud 1.x hosts use): what we sign,
//! wascap reads and validates; what wascap signs, we read with the same fields. On a core
//! module, a real component with nested core modules, binaries with padded LEB128 section
//! sizes, and files signed before (re-signing).

mod support;

use std::path::Path;

use cargo_wasmcloud::artifact::wasm;
use cargo_wasmcloud::sign::jwt;
use support::{hello_component, nested_core_modules, pad_section_sizes, Sandbox};
use wascap::jwt::{Claims, Component};
use wascap::prelude::KeyPair;

const ACCOUNT_SEED: &str = "SAAAW5UDXHSLGTZ4CSTWLDTKU5LCPCJPNGQRFJKJNBIYJ2IK7I4JMGT3IU";
const MODULE_SEED: &str = "SMAAGZBEBT3RIMAX2QVGUJHHKPNECDPF3ZQBI2EPCHYR3I7RR24IKUDOQE";

/// The inputs every interop test runs on, by name.
fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let component = hello_component().to_vec();
    let core = nested_core_modules(&component)[0].to_vec();
    vec![
        ("core_module", core.clone()),
        ("component", component.clone()),
        ("padded_core_module", pad_section_sizes(&core)),
        ("padded_component", pad_section_sizes(&component)),
        // Several of the signer's 1 MiB buffers, not a multiple of them.
        (
            "large_component",
            support::padded_bytes(&pad_section_sizes(&component), 3_500_001),
        ),
    ]
}

fn account() -> KeyPair {
    KeyPair::from_seed(ACCOUNT_SEED).unwrap()
}

fn module() -> KeyPair {
    KeyPair::from_seed(MODULE_SEED).unwrap()
}

/// Signs `file` with our CLI and returns the signed bytes.
fn sign_with_cli(sandbox: &Sandbox, file: &Path, out: &str) -> Vec<u8> {
    sandbox
        .run(&[
            "claims",
            "sign",
            file.to_str().unwrap(),
            "-d",
            out,
            "-n",
            "interop",
            "-t",
            "alpha",
            "-t",
            "wasmcloud.com/experimental",
            "-r",
            "7",
            "-v",
            "1.2.3",
            "-a",
            "my/alias_1",
            "-i",
            ACCOUNT_SEED,
            "-s",
            MODULE_SEED,
        ])
        .ok();
    std::fs::read(sandbox.file(out)).unwrap()
}

fn assert_wascap_accepts(signed: &[u8], label: &str) -> Claims<Component> {
    let token = wascap::wasm::extract_claims(signed)
        .unwrap_or_else(|e| panic!("{label}: wascap rejects our file: {e}"))
        .unwrap_or_else(|| panic!("{label}: wascap finds no claims"));
    let validation = wascap::jwt::validate_token::<Component>(&token.jwt).unwrap();
    assert!(validation.signature_valid, "{label}");
    assert!(!validation.expired && !validation.cannot_use_yet, "{label}");
    token.claims
}

#[test]
fn wascap_reads_what_we_sign() {
    let sandbox = Sandbox::new();
    for (label, input) in inputs() {
        let file = sandbox.write(&format!("{label}.wasm"), &input);
        let signed = sign_with_cli(&sandbox, &file, &format!("{label}_signed.wasm"));
        let claims = assert_wascap_accepts(&signed, label);
        let meta = claims.metadata.as_ref().unwrap();
        assert_eq!(meta.name.as_deref(), Some("interop"), "{label}");
        assert_eq!(
            meta.tags.as_deref(),
            Some(
                &[
                    "alpha".to_string(),
                    "wasmcloud.com/experimental".to_string()
                ][..]
            ),
            "{label}"
        );
        assert_eq!(meta.rev, Some(7), "{label}");
        assert_eq!(meta.ver.as_deref(), Some("1.2.3"), "{label}");
        assert_eq!(meta.call_alias.as_deref(), Some("my/alias_1"), "{label}");
        assert!(!meta.provider, "{label}");
        assert_eq!(claims.issuer, account().public_key(), "{label}");
        assert_eq!(claims.subject, module().public_key(), "{label}");

        // Byte layout: wascap signing the same input writes the same canonical bytes before
        // its token section, so only the token differs.
        let theirs = wascap::wasm::embed_claims(&input, &claims, &account()).unwrap();
        let ours_body = &signed[..signed.len() - wasm::jwt_section(&jwt_of(&signed)).len()];
        let theirs_body = &theirs[..theirs.len() - wasm::jwt_section(&jwt_of(&theirs)).len()];
        assert_eq!(ours_body, theirs_body, "{label}: canonical bytes differ");
        // The same claims give the same token, so the files are identical.
        assert_eq!(signed, theirs, "{label}: signed files differ");
    }
}

fn jwt_of(signed: &[u8]) -> String {
    let token = wasm::find_token(signed).unwrap().unwrap();
    String::from_utf8(token.data.to_vec()).unwrap()
}

fn wascap_claims() -> Claims<Component> {
    Claims::<Component>::with_dates(
        "from-wascap".into(),
        account().public_key(),
        module().public_key(),
        Some(vec!["one".into(), "two".into()]),
        None,
        Some(jwt::now_secs() + 3 * 86_400),
        false,
        Some(42),
        Some("9.9.9".into()),
        Some("Their Alias".into()),
    )
}

#[test]
fn we_read_what_wascap_signs() {
    let sandbox = Sandbox::new();
    for (label, input) in inputs() {
        let claims = wascap_claims();
        let signed = wascap::wasm::embed_claims(&input, &claims, &account()).unwrap();
        let file = sandbox.write(&format!("{label}_wascap.wasm"), &signed);

        let json = sandbox
            .run(&["inspect", file.to_str().unwrap(), "-o", "json"])
            .ok()
            .json();
        assert_eq!(json["success"], true);
        assert_eq!(json["name"], "from-wascap", "{label}");
        assert_eq!(json["tags"], serde_json::json!(["one", "two"]), "{label}");
        assert_eq!(json["revision"], 42, "{label}");
        assert_eq!(json["version"], "9.9.9", "{label}");
        assert_eq!(json["call_alias"], "their_alias", "{label}");
        assert_eq!(json["account"], account().public_key(), "{label}");
        assert_eq!(json["component"], module().public_key(), "{label}");
        assert_eq!(json["expires"], "in 3days", "{label}");
        assert_eq!(json["signature_valid"], true, "{label}");
        assert_eq!(json["expired"], false, "{label}");

        // Our hash of the unsigned input is the hash wascap put in the claims...
        let their_hash = &wascap::wasm::extract_claims(&signed)
            .unwrap()
            .unwrap()
            .claims
            .metadata
            .unwrap()
            .module_hash;
        assert_eq!(&wasm::module_hash(&input).unwrap(), their_hash, "{label}");
        assert_eq!(json["hash"], their_hash.as_str(), "{label}");
        // ...and their signed file is our canonical form plus one token section.
        let mut expected = wasm::canonical_bytes(&input).unwrap();
        expected.extend_from_slice(&wasm::jwt_section(&jwt_of(&signed)));
        assert_eq!(signed, expected, "{label}");

        let raw = sandbox
            .run(&["inspect", file.to_str().unwrap(), "--jwt-only"])
            .ok();
        assert_eq!(raw.stdout.trim(), jwt_of(&signed), "{label}");
    }
}

#[test]
fn resigning_replaces_claims_either_way() {
    let sandbox = Sandbox::new();
    for (label, input) in inputs() {
        // wascap first, then us: one token, ours, still valid for wascap.
        let theirs = wascap::wasm::embed_claims(&input, &wascap_claims(), &account()).unwrap();
        let file = sandbox.write(&format!("{label}_theirs.wasm"), &theirs);
        let resigned = sign_with_cli(&sandbox, &file, &format!("{label}_resigned.wasm"));
        let claims = assert_wascap_accepts(&resigned, label);
        assert_eq!(
            claims.metadata.unwrap().name.as_deref(),
            Some("interop"),
            "{label}"
        );
        let sections = support::sections(&resigned);
        let tokens = sections
            .iter()
            .filter(|(id, payload)| *id == 0 && payload[1..].starts_with(b"wasmcloud_jwt"))
            .count();
        assert_eq!(tokens, 1, "{label}: exactly one token section");

        // Us twice: the second signature replaces the first and the module hash holds.
        let again_in = sandbox.write(&format!("{label}_again_in.wasm"), &resigned);
        let again = sign_with_cli(&sandbox, &again_in, &format!("{label}_again.wasm"));
        assert_wascap_accepts(&again, label);
        assert_eq!(
            wasm::module_hash(&again).unwrap(),
            wasm::module_hash(&input).unwrap()
        );

        // Us, then wascap re-signs our output.
        let by_wascap = wascap::wasm::embed_claims(&again, &wascap_claims(), &account()).unwrap();
        let file = sandbox.write(&format!("{label}_by_wascap.wasm"), &by_wascap);
        let json = sandbox
            .run(&["inspect", file.to_str().unwrap(), "-o", "json"])
            .ok()
            .json();
        assert_eq!(json["name"], "from-wascap", "{label}");
    }
}

/// With identical `jti` and `iat`, our library and wascap produce the same bytes.
#[test]
fn library_signing_is_byte_identical_to_wascap() {
    for (label, input) in inputs() {
        let mut theirs_claims = wascap_claims();
        theirs_claims.id = "Zq3xXo2b1YfT0bA1cD2eF3".into();
        theirs_claims.issued_at = 1_767_225_600;
        let theirs = wascap::wasm::embed_claims(&input, &theirs_claims, &account()).unwrap();

        let their_meta = theirs_claims.metadata.as_ref().unwrap();
        let ours_claims = jwt::Claims {
            exp: theirs_claims.expires,
            jti: theirs_claims.id.clone(),
            iat: theirs_claims.issued_at,
            iss: theirs_claims.issuer.clone(),
            sub: theirs_claims.subject.clone(),
            nbf: theirs_claims.not_before,
            wascap: Some(jwt::ComponentMetadata {
                name: their_meta.name.clone(),
                hash: wasm::module_hash(&input).unwrap(),
                tags: their_meta.tags.clone(),
                rev: their_meta.rev,
                ver: their_meta.ver.clone(),
                call_alias: their_meta.call_alias.clone(),
                prov: false,
            }),
            wascap_revision: Some(jwt::WASCAP_REVISION),
        };
        let token = jwt::encode(&ours_claims, &account()).unwrap();
        let mut ours = Vec::new();
        wasm::write_signed(&input, &token, &mut ours).unwrap();
        assert_eq!(ours, theirs, "{label}");
    }
}

/// A token whose signature was made by a key other than its issuer: we refuse it, and so
/// does wascap.
#[test]
fn foreign_signature_is_refused_by_both() {
    let sandbox = Sandbox::new();
    let input = hello_component();
    let file = sandbox.write("c.wasm", input);
    let signed = sign_with_cli(&sandbox, &file, "c_s.wasm");
    let token = jwt_of(&signed);
    let claims: jwt::Claims<jwt::ComponentMetadata> = jwt::decode(&token).unwrap();
    let forged = jwt::encode(&claims, &KeyPair::new_account()).unwrap();
    let mut tampered = Vec::new();
    wasm::write_signed(&signed, &forged, &mut tampered).unwrap();

    let checked = wascap::jwt::validate_token::<Component>(&forged).unwrap();
    assert!(!checked.signature_valid, "wascap accepts the forged token");

    let path = sandbox.write("forged.wasm", &tampered);
    let run = sandbox.run(&["inspect", path.to_str().unwrap()]).fails();
    assert!(
        run.error().contains("signature is not valid"),
        "{}",
        run.stderr
    );
}
