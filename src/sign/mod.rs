//! Signing: nkeys, wascap claims JWTs, and embedding them in Wasm binaries the way wasmCloud
//! 1.x reads them.

pub mod jwt;
pub mod keys;
pub mod wasm;

use std::io;
use std::path::Path;

use crate::fsutil;
use jwt::{Claims, ComponentMetadata, JwtError, Validation};
use keys::{Key, KeyError, KeyKind};
use wasm::{CanonicalError, WasmError};

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error(transparent)]
    Wasm(#[from] WasmError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("the {section} section does not hold a valid token: {reason}")]
    BadToken { section: String, reason: String },
    #[error("the embedded token has no wascap metadata, so it is not component claims")]
    NoMetadata,
    #[error(
        "module hash mismatch: the claims were made for {claimed} but the file hashes to \
         {actual}; it was changed after signing"
    )]
    HashMismatch { claimed: String, actual: String },
    #[error("the token's signature is not valid for its issuer {issuer}")]
    BadSignature { issuer: String },
    #[error(transparent)]
    Jwt(#[from] JwtError),
    #[error("invalid call alias {alias:?}: {reason}")]
    CallAlias { alias: String, reason: String },
    #[error("{path}: {source}")]
    Write { path: String, source: io::Error },
}

/// What a component's claims say besides its keys and hash.
#[derive(Debug, Clone, Default)]
pub struct ComponentClaimsSpec {
    pub name: Option<String>,
    pub tags: Vec<String>,
    pub rev: Option<i32>,
    pub ver: Option<String>,
    pub call_alias: Option<String>,
    pub expires_in_days: Option<u64>,
    pub not_before_days: Option<u64>,
}

/// Checks a call alias as wash does (wash refuses rather than rewrites): not empty, not a
/// public key, only `a-z 0-9 _ /`.
pub fn check_call_alias(alias: &str) -> Result<(), SignError> {
    let fail = |reason: &str| {
        Err(SignError::CallAlias {
            alias: alias.to_string(),
            reason: reason.to_string(),
        })
    };
    if alias.is_empty() {
        return fail("it is empty");
    }
    if alias.len() == 56
        && alias
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
    {
        return fail("it looks like a public key");
    }
    if !alias
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '/')
    {
        return fail("only lower-case letters, digits, '_' and '/' are allowed");
    }
    Ok(())
}

/// Builds component claims for `bytes` (its module hash computed here), issued `now`.
pub fn component_claims(
    bytes: &[u8],
    spec: &ComponentClaimsSpec,
    issuer: &str,
    subject: &str,
    now: u64,
) -> Result<Claims<ComponentMetadata>, SignError> {
    let hash = wasm::module_hash(bytes)?;
    let days = |d: Option<u64>| d.map(|d| now + d * jwt::SECS_PER_DAY);
    Ok(Claims {
        exp: days(spec.expires_in_days),
        jti: jwt::new_token_id(),
        iat: now,
        iss: issuer.to_string(),
        sub: subject.to_string(),
        nbf: days(spec.not_before_days),
        wascap: Some(ComponentMetadata {
            name: spec.name.clone(),
            hash,
            tags: (!spec.tags.is_empty()).then(|| spec.tags.clone()),
            rev: spec.rev,
            ver: spec.ver.clone(),
            call_alias: spec.call_alias.as_deref().map(jwt::normalize_call_alias),
            prov: false,
        }),
        wascap_revision: Some(jwt::WASCAP_REVISION),
    })
}

/// A token ready to embed and the claims it carries.
#[derive(Debug, Clone)]
pub struct SignedClaims {
    pub jwt: String,
    pub claims: Claims<ComponentMetadata>,
}

/// Makes and signs component claims: `issuer` must be an account key, `subject` a module
/// key.
pub fn sign_component(
    bytes: &[u8],
    spec: &ComponentClaimsSpec,
    issuer: &Key,
    subject: &Key,
) -> Result<SignedClaims, SignError> {
    if let Some(alias) = &spec.call_alias {
        check_call_alias(alias)?;
    }
    issuer.expect_kind(KeyKind::Account, "issuer")?;
    subject.expect_kind(KeyKind::Module, "subject")?;
    let claims = component_claims(
        bytes,
        spec,
        &issuer.public_key,
        &subject.public_key,
        jwt::now_secs(),
    )?;
    let jwt = jwt::encode(&claims, &issuer.pair()?)?;
    Ok(SignedClaims { jwt, claims })
}

/// Writes `canonical(bytes) ‖ wasmcloud_jwt section` to `dest` atomically.
pub fn write_signed_file(bytes: &[u8], jwt: &str, dest: &Path) -> Result<(), SignError> {
    // Validate the framing before creating anything on disk.
    wasm::canonical_len(bytes)?;
    let mut failure = None;
    let result = fsutil::write_atomic(dest, fsutil::Mode::Public, |out| {
        wasm::write_signed(bytes, jwt, out).map_err(|e| match e {
            CanonicalError::Io(e) => e,
            CanonicalError::Wasm(e) => {
                failure = Some(e);
                io::Error::other("invalid wasm")
            }
        })
    });
    if let Some(e) = failure {
        return Err(e.into());
    }
    result.map_err(|source| SignError::Write {
        path: dest.display().to_string(),
        source,
    })
}

/// Embedded component claims, checked.
#[derive(Debug, Clone)]
pub struct ComponentToken {
    /// The section it was found in (`wasmcloud_jwt`, or the legacy `jwt`).
    pub section: String,
    pub jwt: String,
    pub claims: Claims<ComponentMetadata>,
    /// The `wascap` object of `claims`, which a component token always has.
    pub metadata: ComponentMetadata,
    pub validation: Validation,
}

/// Reads and checks the claims embedded in a binary. `Ok(None)` when it carries none.
/// Errors on a token that cannot be read, a module hash that does not match the file (the
/// file was changed after signing) and a signature that does not verify. Dates are reported
/// in `validation`, not refused.
pub fn read_component_token(bytes: &[u8]) -> Result<Option<ComponentToken>, SignError> {
    let Some(found) = wasm::find_token(bytes)? else {
        return Ok(None);
    };
    let bad = |reason: String| SignError::BadToken {
        section: found.section.to_string(),
        reason,
    };
    let jwt = std::str::from_utf8(found.data)
        .map_err(|_| bad("it is not UTF-8 text".into()))?
        .to_string();
    let claims: Claims<ComponentMetadata> = jwt::decode(&jwt).map_err(|e| bad(e.to_string()))?;
    let Some(metadata) = claims.wascap.clone() else {
        return Err(SignError::NoMetadata);
    };
    // wascap checks the hash only from revision 3 on; older tokens predate the canonical hash.
    if claims.wascap_revision.unwrap_or(0) >= jwt::WASCAP_REVISION {
        let actual = wasm::module_hash(bytes)?;
        if metadata.hash != actual {
            return Err(SignError::HashMismatch {
                claimed: metadata.hash.clone(),
                actual,
            });
        }
    }
    let validation = jwt::validate(&jwt).map_err(|e| bad(e.to_string()))?;
    if !validation.signature_valid {
        return Err(SignError::BadSignature {
            issuer: claims.iss.clone(),
        });
    }
    Ok(Some(ComponentToken {
        section: found.section.to_string(),
        jwt,
        claims,
        metadata,
        validation,
    }))
}
