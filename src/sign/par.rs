//! Signed provider archives: capability-provider claims (signed by an account key, subject
//! a service key) that cover every binary of the archive by hash. The tar layout itself is
//! `artifact::par`.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::jwt::{self, Claims, Validation};
use super::keys::{Key, KeyKind};
use super::SignError;
use crate::artifact::par::{self as layout, ArchiveError, WIT_HASH_KEY};
use crate::fsutil;

pub use layout::{looks_like_par, native_target};

/// The `wascap` object of provider claims (wascap's `CapabilityProvider`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderMetadata {
    /// Written even when absent (as `null`), as wascap does.
    pub name: Option<String>,
    pub vendor: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rev: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ver: Option<String>,
    /// Upper-case hex SHA-256 of each binary (and of `world.wasm`), by target.
    pub target_hashes: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_schema: Option<serde_json::Value>,
}

/// What to put in a provider archive.
#[derive(Debug, Clone)]
pub struct ParSpec {
    pub name: String,
    pub vendor: String,
    pub rev: Option<i32>,
    pub ver: Option<String>,
    /// `(target, binary path)`, e.g. `("x86_64-linux", "target/release/my-provider")`.
    pub binaries: Vec<(String, PathBuf)>,
    /// The provider's WIT world encoded as Wasm, if any.
    pub wit_world: Option<Vec<u8>>,
    pub config_schema: Option<serde_json::Value>,
    /// gzip the tar (`.par.gz`).
    pub compress: bool,
}

/// Signed provider claims, as written into an archive.
#[derive(Debug, Clone)]
pub struct SignedProvider {
    pub jwt: String,
    pub claims: Claims<ProviderMetadata>,
}

/// Writes a provider archive to `dest` atomically, with claims issued by `issuer` (an account
/// key) for `subject` (a service key).
pub fn write_par(
    dest: &Path,
    spec: &ParSpec,
    issuer: &Key,
    subject: &Key,
) -> Result<SignedProvider, SignError> {
    issuer.expect_kind(KeyKind::Account, "issuer")?;
    subject.expect_kind(KeyKind::Service, "subject")?;
    let read_error = |path: &Path| {
        let path = path.display().to_string();
        move |source| SignError::Read { path, source }
    };
    let mut target_hashes = BTreeMap::new();
    for (target, path) in &spec.binaries {
        target_hashes.insert(
            target.clone(),
            layout::sha256_file(path).map_err(read_error(path))?,
        );
    }
    if let Some(wit) = &spec.wit_world {
        target_hashes.insert(WIT_HASH_KEY.to_string(), layout::sha256_upper(wit));
    }
    let now = jwt::now_secs();
    let claims = Claims {
        exp: None,
        jti: jwt::new_token_id(),
        iat: now,
        iss: issuer.public_key.clone(),
        sub: subject.public_key.clone(),
        nbf: None,
        wascap: Some(ProviderMetadata {
            name: Some(spec.name.clone()),
            vendor: spec.vendor.clone(),
            rev: spec.rev,
            ver: spec.ver.clone(),
            target_hashes,
            config_schema: spec.config_schema.clone(),
        }),
        wascap_revision: Some(jwt::WASCAP_REVISION),
    };
    let token = jwt::encode(&claims, &issuer.pair()?)?;

    let write_error = |source: io::Error| SignError::Write {
        path: dest.display().to_string(),
        source,
    };
    let mut out = fsutil::AtomicFile::create(dest, fsutil::Mode::Public).map_err(write_error)?;
    let wit = spec.wit_world.as_deref();
    if spec.compress {
        let mut gz = flate2::write::GzEncoder::new(&mut out, flate2::Compression::best());
        layout::write_entries(&mut gz, &token, wit, &spec.binaries).map_err(write_error)?;
        gz.finish().map_err(write_error)?;
    } else {
        layout::write_entries(&mut out, &token, wit, &spec.binaries).map_err(write_error)?;
    }
    out.commit().map_err(write_error)?;
    Ok(SignedProvider { jwt: token, claims })
}

/// A provider archive, read and checked.
#[derive(Debug, Clone)]
pub struct ParInspection {
    pub jwt: String,
    pub claims: Claims<ProviderMetadata>,
    pub metadata: ProviderMetadata,
    pub validation: Validation,
    /// Targets with a binary in the archive, sorted.
    pub targets: Vec<String>,
    pub has_wit: bool,
    pub compressed: bool,
}

/// Reads a provider archive: its claims must decode, be signed by their issuer, and list a
/// hash for every binary (and the WIT world) that matches it.
pub fn read_par(path: &Path) -> Result<ParInspection, SignError> {
    let bad = |reason: String| SignError::BadArchive {
        path: path.display().to_string(),
        reason,
    };
    let layout::ArchiveContents {
        token,
        hashes,
        has_wit,
        compressed,
    } = layout::read_entries(path).map_err(|e| match e {
        ArchiveError::Read { path, source } => SignError::Read { path, source },
        ArchiveError::Format(reason) => bad(reason),
    })?;
    let token = token.ok_or_else(|| bad("no claims.jwt in the archive".into()))?;
    let claims: Claims<ProviderMetadata> =
        jwt::decode(&token).map_err(|e| bad(format!("claims.jwt: {e}")))?;
    let metadata = claims
        .wascap
        .clone()
        .ok_or_else(|| bad("claims.jwt has no provider metadata".into()))?;
    let targets: Vec<String> = hashes
        .keys()
        .filter(|k| *k != WIT_HASH_KEY)
        .cloned()
        .collect();
    if targets.is_empty() {
        return Err(bad("the archive holds no provider binary".into()));
    }
    for (name, hash) in &hashes {
        match metadata.target_hashes.get(name) {
            Some(claimed) if claimed == hash => {}
            Some(claimed) => {
                return Err(bad(format!(
                    "hash mismatch for {name}: the claims say {claimed} but it hashes to {hash}; \
                     the archive was changed after signing"
                )))
            }
            None => return Err(bad(format!("{name} is not covered by the claims"))),
        }
    }
    let validation = jwt::validate(&token).map_err(|e| bad(format!("claims.jwt: {e}")))?;
    if !validation.signature_valid {
        return Err(SignError::BadSignature {
            issuer: claims.iss.clone(),
        });
    }
    Ok(ParInspection {
        jwt: token,
        claims,
        metadata,
        validation,
        targets,
        has_wit,
        compressed,
    })
}
