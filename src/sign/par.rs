//! Provider archives (PAR): a tar, usually gzipped, holding `claims.jwt` (capability-provider
//! claims signed by an account key, subject a service key), an optional `world.wasm`, and
//! one `<arch>-<os>.bin` per target, as wasmCloud 1.x hosts load them.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::jwt::{self, Claims, Validation};
use super::keys::{Key, KeyKind};
use super::SignError;
use crate::fsutil;

const CLAIMS_ENTRY: &str = "claims.jwt";
const WIT_ENTRY: &str = "world.wasm";
const WIT_HASH_KEY: &str = "world.wasm";
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

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

/// The target name of this machine, as hosts look it up: `x86_64-linux`, `aarch64-macos`.
pub fn native_target() -> String {
    format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS)
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

fn sha256_file(path: &Path) -> io::Result<String> {
    let mut reader = BufReader::with_capacity(1 << 20, File::open(path)?);
    let mut hasher = Sha256::new();
    io::copy(&mut reader, &mut HashWriter(&mut hasher))?;
    Ok(data_encoding::HEXUPPER.encode(&hasher.finalize()))
}

struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
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
        target_hashes.insert(target.clone(), sha256_file(path).map_err(read_error(path))?);
    }
    if let Some(wit) = &spec.wit_world {
        target_hashes.insert(
            WIT_HASH_KEY.to_string(),
            data_encoding::HEXUPPER.encode(&Sha256::digest(wit)),
        );
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
    if spec.compress {
        let mut gz = flate2::write::GzEncoder::new(&mut out, flate2::Compression::best());
        write_tar(&mut gz, &token, spec)?;
        gz.finish().map_err(write_error)?;
    } else {
        write_tar(&mut out, &token, spec)?;
    }
    out.commit().map_err(write_error)?;
    Ok(SignedProvider { jwt: token, claims })
}

fn write_tar(out: &mut dyn Write, token: &str, spec: &ParSpec) -> Result<(), SignError> {
    let io_error = |e: io::Error| SignError::Io(e.to_string());
    let mut tar = tar::Builder::new(out);
    let mut append = |name: &str, size: u64, data: &mut dyn Read| -> io::Result<()> {
        // Like provider-archive: a GNU header with only path, size and checksum set.
        let mut header = tar::Header::new_gnu();
        header.set_path(name)?;
        header.set_size(size);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append(&header, data)
    };
    append(CLAIMS_ENTRY, token.len() as u64, &mut token.as_bytes()).map_err(io_error)?;
    if let Some(wit) = &spec.wit_world {
        append(WIT_ENTRY, wit.len() as u64, &mut wit.as_slice()).map_err(io_error)?;
    }
    for (target, path) in &spec.binaries {
        let file = File::open(path).map_err(|source| SignError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let size = file.metadata().map_err(io_error)?.len();
        append(
            &format!("{target}.bin"),
            size,
            &mut BufReader::with_capacity(1 << 20, file),
        )
        .map_err(io_error)?;
    }
    tar.into_inner().and_then(|w| w.flush()).map_err(io_error)?;
    Ok(())
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

/// Whether `bytes` start like a provider archive (gzip, or a tar whose first entry is named
/// like one).
pub fn looks_like_par(head: &[u8]) -> bool {
    head.starts_with(&GZIP_MAGIC)
        || (head.len() >= 262 && &head[257..262] == b"ustar" && head[0] != 0)
}

/// Reads a provider archive: its claims must decode, be signed by their issuer, and list a
/// hash for every binary (and the WIT world) that matches it.
pub fn read_par(path: &Path) -> Result<ParInspection, SignError> {
    let read_error = |source: io::Error| SignError::Read {
        path: path.display().to_string(),
        source,
    };
    let mut file = BufReader::new(File::open(path).map_err(read_error)?);
    let mut magic = [0u8; 2];
    let compressed = file.read_exact(&mut magic).is_ok() && magic == GZIP_MAGIC;
    drop(file);
    let file = BufReader::with_capacity(1 << 20, File::open(path).map_err(read_error)?);
    let reader: Box<dyn Read> = if compressed {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let bad = |reason: String| SignError::BadArchive {
        path: path.display().to_string(),
        reason,
    };
    let mut archive = tar::Archive::new(reader);
    let mut token = None;
    let mut hashes = BTreeMap::new();
    let mut has_wit = false;
    for entry in archive.entries().map_err(|e| bad(e.to_string()))? {
        let mut entry = entry.map_err(|e| bad(e.to_string()))?;
        let name = entry
            .path()
            .map_err(|e| bad(e.to_string()))?
            .to_string_lossy()
            .into_owned();
        if name == CLAIMS_ENTRY {
            let mut text = String::new();
            entry
                .read_to_string(&mut text)
                .map_err(|e| bad(format!("claims.jwt: {e}")))?;
            token = Some(text.trim().to_string());
            continue;
        }
        let mut hasher = Sha256::new();
        io::copy(&mut entry, &mut HashWriter(&mut hasher)).map_err(|e| bad(e.to_string()))?;
        let hash = data_encoding::HEXUPPER.encode(&hasher.finalize());
        if name == WIT_ENTRY {
            has_wit = true;
            hashes.insert(WIT_HASH_KEY.to_string(), hash);
        } else if let Some(target) = name.strip_suffix(".bin") {
            hashes.insert(target.to_string(), hash);
        }
    }
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
