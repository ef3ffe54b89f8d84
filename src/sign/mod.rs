//! Signing: nkeys, wascap claims JWTs, and embedding them in Wasm binaries the way wasmCloud
//! 1.x reads them.

pub mod jwt;
pub mod keys;
pub mod par;
pub mod summary;

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::artifact::wasm::{self, WasmError, WasmKind};
use crate::fsutil;
use jwt::{Claims, ComponentMetadata, JwtError, Validation};
use keys::{Key, KeyError, KeyKind};

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
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: io::Error },
    /// The input is not Wasm we can sign.
    #[error("{path}: {source}")]
    Input { path: String, source: WasmError },
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: io::Error },
    #[error("I/O error: {0}")]
    Io(#[source] io::Error),
    #[error("{path}: not a valid provider archive: {reason}")]
    BadArchive { path: String, reason: String },
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

/// Builds component claims for a binary with module hash `hash`, issued `now`.
pub fn component_claims(
    hash: String,
    spec: &ComponentClaimsSpec,
    issuer: &str,
    subject: &str,
    now: u64,
) -> Claims<ComponentMetadata> {
    let days = |d: Option<u64>| d.map(|d| now + d * jwt::SECS_PER_DAY);
    Claims {
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
    }
}

/// The outcome of signing a file.
#[derive(Debug, Clone)]
pub struct SignedFile {
    pub kind: WasmKind,
    pub jwt: String,
    pub claims: Claims<ComponentMetadata>,
    pub issuer: String,
    pub subject: String,
}

/// Signs the Wasm file `input` into `dest` (which may be `input` itself).
///
/// One pass: the canonical form of the input streams into a temporary file beside `dest`
/// while it is hashed; then `keys` is asked for the issuer (account) and subject (module)
/// keys, so that no key is made for an input that turns out not to be Wasm; the token is
/// appended and the file renamed over `dest`. On any error `dest` is untouched and the
/// temporary file removed.
pub fn sign_file(
    input: &Path,
    dest: &Path,
    spec: &ComponentClaimsSpec,
    keys: impl FnOnce() -> Result<(Key, Key), SignError>,
) -> Result<SignedFile, SignError> {
    if let Some(alias) = &spec.call_alias {
        check_call_alias(alias)?;
    }
    let read_error = |source: io::Error| SignError::Read {
        path: input.display().to_string(),
        source,
    };
    let write_error = |source: io::Error| SignError::Write {
        path: dest.display().to_string(),
        source,
    };
    let source = File::open(input).map_err(read_error)?;
    let meta = source.metadata().map_err(read_error)?;
    if meta.is_dir() {
        return Err(read_error(io::ErrorKind::IsADirectory.into()));
    }
    // The canonical form planned from the section headers, then read once in order: the
    // input is never held in memory, however large.
    let plan = wasm::plan_canonical(&source, meta.len()).map_err(|e| SignError::Input {
        path: input.display().to_string(),
        source: e,
    })?;
    let kind = plan.kind;

    let mut out = fsutil::AtomicFile::create(dest, fsutil::Mode::Public).map_err(write_error)?;
    let hasher = hash_and_write(&plan, &source, &mut out).map_err(|e| match e {
        Failed::Read(e) => read_error(e),
        Failed::Write(e) => write_error(e),
    })?;
    let hash = data_encoding::HEXUPPER.encode(&hasher.finalize());

    let (issuer, subject) = keys()?;
    issuer.expect_kind(KeyKind::Account, "issuer")?;
    subject.expect_kind(KeyKind::Module, "subject")?;
    let claims = component_claims(
        hash,
        spec,
        &issuer.public_key,
        &subject.public_key,
        jwt::now_secs(),
    );
    let jwt = jwt::encode(&claims, &issuer.pair()?)?;
    out.write_all(&wasm::jwt_section(&jwt))
        .map_err(write_error)?;
    out.commit().map_err(write_error)?;
    Ok(SignedFile {
        kind,
        jwt,
        claims,
        issuer: issuer.public_key,
        subject: subject.public_key,
    })
}

enum Failed {
    Read(io::Error),
    Write(io::Error),
}

/// Streams the planned canonical form into `out` while hashing it: this thread reads and
/// hashes, a second one writes (the two costs are alike, and there are two cores to give
/// them). A few 1 MiB buffers go round between them; each is read into straight from the
/// file, so the bytes are copied once in and once out, and what is written is exactly what
/// was hashed.
fn hash_and_write(
    plan: &wasm::CanonicalPlan,
    source: &File,
    out: &mut fsutil::AtomicFile,
) -> Result<Sha256, Failed> {
    use std::io::Read;
    use std::sync::mpsc;
    const BUFFERS: usize = 4;
    const BUFFER: usize = 1 << 20;
    // A buffer and how much of it is filled.
    let (full_tx, full_rx) = mpsc::sync_channel::<(Vec<u8>, usize)>(BUFFERS);
    let (empty_tx, empty_rx) = mpsc::sync_channel::<Vec<u8>>(BUFFERS);
    for _ in 0..BUFFERS {
        let _ = empty_tx.send(vec![0u8; BUFFER]);
    }
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> io::Result<()> {
            for (buffer, filled) in full_rx {
                out.write_all(&buffer[..filled])?;
                // The reader may have stopped; then nobody takes the buffer back.
                let _ = empty_tx.send(buffer);
            }
            Ok(())
        });
        let mut hasher = Sha256::new();
        let mut reader = plan.reader(source);
        let read = (|| -> io::Result<()> {
            let mut left = plan.len;
            while left > 0 {
                let mut buffer = empty_rx.recv().map_err(|_| writer_gone())?;
                let filled = left.min(BUFFER as u64) as usize;
                reader.read_exact(&mut buffer[..filled])?;
                hasher.update(&buffer[..filled]);
                full_tx.send((buffer, filled)).map_err(|_| writer_gone())?;
                left -= filled as u64;
            }
            Ok(())
        })();
        drop(full_tx);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")));
        // A write failure shows on the reader's side as a writer that went away: report it.
        written.map_err(Failed::Write)?;
        read.map_err(Failed::Read)?;
        Ok(hasher)
    })
}

fn writer_gone() -> io::Error {
    io::Error::other("the output stopped")
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
    check_token(found.section, found.data, || Ok(wasm::module_hash(bytes)?)).map(Some)
}

/// The same for a file, which is never read whole: its token and module hash come from the
/// canonical plan (headers, then one streamed pass to hash).
pub fn read_component_token_file(
    file: &File,
    plan: &wasm::CanonicalPlan,
) -> Result<Option<ComponentToken>, SignError> {
    let Some((section, data)) = plan.token_data(file).map_err(SignError::Io)? else {
        return Ok(None);
    };
    check_token(section, &data, || {
        let mut hasher = Sha256::new();
        plan.stream::<io::Error>(file, &mut |piece| {
            hasher.update(piece);
            Ok(())
        })
        .map_err(SignError::Io)?;
        Ok(data_encoding::HEXUPPER.encode(&hasher.finalize()))
    })
    .map(Some)
}

fn check_token(
    section: &str,
    data: &[u8],
    module_hash: impl FnOnce() -> Result<String, SignError>,
) -> Result<ComponentToken, SignError> {
    let bad = |reason: String| SignError::BadToken {
        section: section.to_string(),
        reason,
    };
    let jwt = std::str::from_utf8(data)
        .map_err(|_| bad("it is not UTF-8 text".into()))?
        .to_string();
    let claims: Claims<ComponentMetadata> = jwt::decode(&jwt).map_err(|e| bad(e.to_string()))?;
    let Some(metadata) = claims.wascap.clone() else {
        return Err(SignError::NoMetadata);
    };
    // wascap checks the hash only from revision 3 on; older tokens predate the canonical hash.
    if claims.wascap_revision.unwrap_or(0) >= jwt::WASCAP_REVISION {
        let actual = module_hash()?;
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
    Ok(ComponentToken {
        section: section.to_string(),
        jwt,
        claims,
        metadata,
        validation,
    })
}

/// A local Wasm file, examined.
#[derive(Debug, Clone)]
pub struct WasmInspection {
    pub kind: WasmKind,
    pub token: Option<ComponentToken>,
}

/// Reads the kind and the checked claims of a binary (see [`read_component_token`]).
pub fn inspect_wasm(bytes: &[u8]) -> Result<WasmInspection, SignError> {
    let kind = wasm::kind_of(bytes)?;
    let token = read_component_token(bytes)?;
    Ok(WasmInspection { kind, token })
}

/// The same for a file, read in one streamed pass with a fixed buffer.
pub fn inspect_wasm_file(file: &File) -> Result<WasmInspection, SignError> {
    let len = file.metadata().map_err(SignError::Io)?.len();
    let plan = wasm::plan_canonical(file, len)?;
    let token = read_component_token_file(file, &plan)?;
    Ok(WasmInspection {
        kind: plan.kind,
        token,
    })
}
