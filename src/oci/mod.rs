//! OCI registries: push and pull components and provider archives (on `oci-client`), with
//! wash's authentication order and `latest` policy. The async client runs on a runtime made
//! here, for the call, so nothing else in the tool pays for one.

pub mod artifact;
pub mod blob_info;
pub mod cache;
mod login;
mod reference;
mod retry;
mod upload;

use blob_info::BlobInfo;
pub use login::{check_login, LoginStatus};
use retry::{is_retryable_status, retrying};
use upload::{BlobUpload, MountOutcome, UploadStart};

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use oci_client::client::{ClientConfig, ClientProtocol, Config};
use oci_client::errors::OciDistributionError;
use oci_client::manifest::{OciDescriptor, OciImageManifest, OciManifest};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::artifact::wasm::WasmKind;
use crate::fsutil;
use crate::sign::par;
pub use artifact::ArtifactKind;

#[derive(Debug, thiserror::Error)]
pub enum OciError {
    #[error("invalid reference {reference:?}: {reason}")]
    InvalidReference { reference: String, reason: String },
    #[error(
        "{0}: the `latest` tag (or no tag) is refused, as wasmCloud hosts refuse it; give a \
         version tag or pass --allow-latest"
    )]
    Latest(String),
    #[error("{path} is neither a valid Wasm binary nor a provider archive: {reason}")]
    NotAnArtifact { path: String, reason: String },
    #[error("cannot reach registry {registry}: {reason}")]
    Unreachable { registry: String, reason: String },
    /// A broken transfer or a 5xx/429 answer: worth another try (see `retry`).
    #[error("registry {registry} did not complete the request: {reason}")]
    Unavailable { registry: String, reason: String },
    #[error("registry {registry} refused the credentials (401/403): check --user/--password or your docker login")]
    Unauthorized { registry: String },
    #[error("{0} not found in the registry")]
    NotFound(String),
    #[error("digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch { expected: String, actual: String },
    #[error("{0}")]
    Unsupported(String),
    #[error("registry error: {0}")]
    Registry(String),
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
}

/// A registry password. Its `Debug` shows no characters of it, so no `{:?}` of options
/// or arguments (logs, panics, `-vv` detail) can print it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(text: impl Into<String>) -> Self {
        Password(text.into())
    }

    /// The password itself, for the one place that sends it.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<hidden>)")
    }
}

/// So clap reads it like any string flag.
impl std::str::FromStr for Password {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Password::new(text))
    }
}

/// How to talk to a registry.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    pub user: Option<String>,
    pub password: Option<Password>,
    /// Plain HTTP for every registry (loopback registries use HTTP anyway).
    pub insecure: bool,
    pub allow_latest: bool,
    /// Upload the layer in 4 MiB PATCH chunks instead of one streamed request, for
    /// registries or proxies that cap request sizes.
    pub chunked_push: bool,
    /// Push: a repository of the same registry that holds the layer, to mount it from
    /// (tried before those the blob-info cache knows).
    pub mount_from: Option<String>,
}

/// Parses a reference as wash does: lower-cased, and `latest` (or no tag) refused unless
/// allowed.
pub fn parse_reference(text: &str, allow_latest: bool) -> Result<Reference, OciError> {
    let lowered = text.trim().to_ascii_lowercase();
    let reference = reference::parse(&lowered).map_err(|e| OciError::InvalidReference {
        reference: text.to_string(),
        reason: e.to_string(),
    })?;
    let tagless = reference.tag().is_none() && reference.digest().is_none();
    let latest = reference.tag() == Some("latest") || (tagless && !lowered.contains(':'));
    if latest && !allow_latest {
        return Err(OciError::Latest(text.to_string()));
    }
    Ok(reference)
}

/// Whether a registry host is this machine, which Docker also talks to over plain HTTP.
fn is_loopback(registry: &str) -> bool {
    let host = registry
        .rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(registry, |(host, _)| host);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn client_for(reference: &Reference, opts: &RegistryOptions) -> Result<Client, OciError> {
    // reqwest is built without a default crypto provider; ring is the one we link.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let registry = reference.resolve_registry().to_string();
    let protocol = if opts.insecure {
        ClientProtocol::Http
    } else if is_loopback(&registry) {
        ClientProtocol::HttpsExcept(vec![registry])
    } else {
        ClientProtocol::Https
    };
    let config = ClientConfig {
        protocol,
        connect_timeout: Some(Duration::from_secs(10)),
        read_timeout: Some(Duration::from_secs(120)),
        ..Default::default()
    };
    Client::try_from(config).map_err(|e| OciError::Registry(e.to_string()))
}

/// Credentials in wash's order: flags (or `WASH_REG_USER`/`WASH_REG_PASSWORD`), then
/// Docker's `config.json` and credential helpers, then none.
fn auth_for(reference: &Reference, opts: &RegistryOptions) -> Result<RegistryAuth, OciError> {
    match (&opts.user, &opts.password) {
        (Some(user), Some(password)) => {
            return Ok(RegistryAuth::Basic(
                user.clone(),
                password.reveal().to_string(),
            ))
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(OciError::Unsupported(
                "give both --user and --password, or neither".into(),
            ))
        }
        (None, None) => {}
    }
    match docker_credential::get_credential(reference.resolve_registry()) {
        Ok(docker_credential::DockerCredential::UsernamePassword(user, password)) => {
            Ok(RegistryAuth::Basic(user, password))
        }
        // An identity token is an OAuth refresh token, which oci-client cannot exchange.
        Ok(_) | Err(_) => Ok(RegistryAuth::Anonymous),
    }
}

/// The chain of causes of an error, on one line.
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

fn map_error(error: OciDistributionError, reference: &Reference) -> OciError {
    let registry = reference.registry().to_string();
    match error {
        OciDistributionError::RequestError(e) if e.is_connect() || e.is_timeout() => {
            OciError::Unreachable {
                registry,
                reason: causes(&e),
            }
        }
        OciDistributionError::RequestError(e)
            if e.status().is_some_and(|s| is_retryable_status(s.as_u16())) =>
        {
            OciError::Unavailable {
                registry,
                reason: causes(&e),
            }
        }
        // Sent or received in part: the connection broke mid-transfer.
        OciDistributionError::RequestError(e)
            if e.status().is_none() && (e.is_request() || e.is_body() || e.is_decode()) =>
        {
            OciError::Unavailable {
                registry,
                reason: causes(&e),
            }
        }
        OciDistributionError::ServerError {
            code, ref message, ..
        } if is_retryable_status(code) => OciError::Unavailable {
            registry,
            reason: format!("it answered {code}: {message}"),
        },
        OciDistributionError::RequestError(e)
            if matches!(e.status().map(|s| s.as_u16()), Some(401 | 403)) =>
        {
            OciError::Unauthorized { registry }
        }
        OciDistributionError::RequestError(e) if e.status().map(|s| s.as_u16()) == Some(404) => {
            OciError::NotFound(reference.whole())
        }
        OciDistributionError::UnauthorizedError { .. }
        | OciDistributionError::AuthenticationFailure(_)
        | OciDistributionError::ServerError {
            code: 401 | 403, ..
        } => OciError::Unauthorized { registry },
        OciDistributionError::ImageManifestNotFoundError(_)
        | OciDistributionError::ServerError { code: 404, .. } => {
            OciError::NotFound(reference.whole())
        }
        OciDistributionError::RegistryError { ref envelope, .. }
            if envelope.errors.iter().any(|e| {
                matches!(
                    e.code,
                    oci_client::errors::OciErrorCode::ManifestUnknown
                        | oci_client::errors::OciErrorCode::NameUnknown
                        | oci_client::errors::OciErrorCode::BlobUnknown
                )
            }) =>
        {
            OciError::NotFound(reference.whole())
        }
        OciDistributionError::RegistryError { ref envelope, .. }
            if envelope.errors.iter().any(|e| {
                matches!(
                    e.code,
                    oci_client::errors::OciErrorCode::Unauthorized
                        | oci_client::errors::OciErrorCode::Denied
                )
            }) =>
        {
            OciError::Unauthorized { registry }
        }
        OciDistributionError::DigestError(e) => OciError::Registry(causes(&e)),
        other => OciError::Registry(causes(&other)),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, OciError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| OciError::Registry(format!("cannot start the async runtime: {e}")))
}

/// The digest of a manifest as registries compute it: SHA-256 of its canonical JSON
/// (sorted keys, no whitespace), which is how oci-client sends it.
pub fn manifest_digest(manifest: &OciImageManifest) -> String {
    let mut body = Vec::new();
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut body, olpc_cjson::CanonicalFormatter::new());
    let _ = OciManifest::Image(manifest.clone()).serialize(&mut serializer);
    format!(
        "sha256:{}",
        data_encoding::HEXLOWER.encode(&Sha256::digest(&body))
    )
}

/// What was pushed.
#[derive(Debug, Clone, Serialize)]
pub struct Pushed {
    pub reference: String,
    /// Manifest digest.
    pub digest: String,
    /// Size of the artifact (the layer).
    pub size: u64,
    pub kind: ArtifactKind,
    /// How the layer got there: `uploaded`, `present` (the repository had it) or `mounted`
    /// (from another repository of the registry: `mounted_from`).
    pub layer: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mounted_from: Option<String>,
}

/// The file a layer is uploaded from, read again (in chunks) when it is sent. The handle
/// opened when it was checked and hashed is the one read: a build replacing the file by
/// rename meanwhile (atomic writes) cannot change what is sent under the digest.
#[derive(Debug, Clone)]
pub struct LayerFile {
    pub path: PathBuf,
    pub size: u64,
    file: std::sync::Arc<std::fs::File>,
}

impl LayerFile {
    /// An upload's outcome, unless the file changed size under it: then that is the error,
    /// and not one worth another try.
    fn unchanged_after<T>(&self, sent: Result<T, OciError>) -> Result<T, OciError> {
        let Err(error) = sent else {
            return sent;
        };
        match self.file.metadata() {
            Ok(now) if now.len() != self.size => Err(OciError::Io {
                path: self.path.display().to_string(),
                source: io::Error::other(format!(
                    "it changed while it was being pushed ({} bytes, was {})",
                    now.len(),
                    self.size
                )),
            }),
            _ => Err(error),
        }
    }
}

/// Reads and checks a file to push, before any network traffic, without holding it: a
/// provider archive is read entry by entry; a Wasm binary is validated as a stream with its
/// top-level custom sections unread, while another thread hashes it.
pub fn prepare_push(
    path: &Path,
    created: String,
) -> Result<(LayerFile, artifact::Artifact), OciError> {
    use std::os::unix::fs::FileExt;
    let io_error = |source: io::Error| OciError::Io {
        path: path.display().to_string(),
        source,
    };
    let not_artifact = |reason: String| OciError::NotAnArtifact {
        path: path.display().to_string(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let size = file.metadata().map_err(io_error)?.len();
    let mut head = vec![0u8; (size as usize).min(crate::artifact::SNIFF_LEN)];
    file.read_exact_at(&mut head, 0).map_err(io_error)?;
    let kind = crate::artifact::sniff(&head).map_err(|e| not_artifact(e.to_string()))?;
    let file = std::sync::Arc::new(file);
    let layer = LayerFile {
        path: path.to_path_buf(),
        size,
        file: file.clone(),
    };
    let layer_digest = |hex: String| format!("sha256:{}", hex.to_ascii_lowercase());
    if kind == ArtifactKind::ProviderArchive {
        par::read_par(path).map_err(|e| not_artifact(e.to_string()))?;
        let digest = crate::artifact::par::sha256_open_file(&file).map_err(io_error)?;
        return Ok((layer, artifact::par_artifact(layer_digest(digest))));
    }
    let (checked, digest) = std::thread::scope(|scope| {
        let hashing = scope.spawn(|| crate::artifact::par::sha256_open_file(&file));
        let checked = check_wasm(&file, size);
        let digest = hashing
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the hashing thread failed")));
        (checked, digest)
    });
    let (wasm_kind, interfaces, annotations) = checked.map_err(not_artifact)?;
    let digest = digest.map_err(io_error)?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "component".into());
    let artifact = artifact::wasm_artifact(
        layer_digest(digest),
        annotations,
        wasm_kind,
        interfaces,
        &name,
        created,
    );
    Ok((layer, artifact))
}

type CheckedWasm = (
    WasmKind,
    Option<artifact::ComponentInterfaces>,
    BTreeMap<String, String>,
);

/// Validates a Wasm file and reads what its manifest needs: a component's world, and the
/// annotations its metadata sections give.
fn check_wasm(file: &std::fs::File, size: u64) -> Result<CheckedWasm, String> {
    use crate::artifact::wasm;
    let (kind, sections) = wasm::file_sections(file, size).map_err(|e| e.to_string())?;
    wasm::validate_sections(file, &sections).map_err(|e| e.to_string())?;
    let interfaces = match kind {
        WasmKind::Component => Some(
            crate::artifact::wit::component_interfaces_file(file, &sections)
                .map_err(|e| e.to_string())?,
        ),
        WasmKind::CoreModule => None,
    };
    // Metadata fields are short texts; a huge section of that name is not one.
    let fields = sections.iter().filter_map(|s| {
        let name = s.custom_name.as_deref()?;
        Some((name, s.custom_data(file, name, 64 * 1024)?))
    });
    Ok((kind, interfaces, artifact::metadata_annotations(fields)))
}

/// Reports bytes sent or received so far, and the total when known.
pub type Progress = std::sync::Arc<dyn Fn(u64, Option<u64>) + Send + Sync>;

/// The size of each PATCH of a chunked upload (what GHCR accepts).
const UPLOAD_CHUNK: usize = 4 * 1024 * 1024;
/// The size of the reads a streamed upload sends from the file.
const READ_CHUNK: usize = 1024 * 1024;

/// The file's bytes as a stream of `chunk`-sized pieces, read as the upload asks for them
/// (so one or two pieces are in memory at a time). Each piece is counted as it is taken.
fn file_chunks(
    layer: &LayerFile,
    chunk: usize,
    progress: Progress,
) -> impl futures_util::Stream<Item = io::Result<bytes::Bytes>> {
    use std::os::unix::fs::FileExt;
    let file = layer.file.clone();
    let size = layer.size;
    let mut sent = 0u64;
    let pieces = std::iter::from_fn(move || {
        if sent >= size {
            return None;
        }
        let want = (size - sent).min(chunk as u64) as usize;
        let mut piece = vec![0u8; want];
        match file.read_exact_at(&mut piece, sent) {
            Ok(()) => {
                sent += want as u64;
                progress(sent, Some(size));
                Some(Ok(bytes::Bytes::from(piece)))
            }
            Err(e) => {
                sent = size;
                Some(Err(e))
            }
        }
    });
    futures_util::stream::iter(pieces)
}

fn scheme_for(reference: &Reference, opts: &RegistryOptions) -> &'static str {
    if opts.insecure || is_loopback(reference.resolve_registry()) {
        "http"
    } else {
        "https"
    }
}

/// Pushes a prepared artifact. `annotations` are added to (and override) the artifact's own.
/// The layer is uploaded in 4 MiB chunks (the size GHCR accepts) unless the registry has it
/// already; then the config and the manifest.
pub fn push(
    reference: &Reference,
    layer: LayerFile,
    artifact: artifact::Artifact,
    annotations: BTreeMap<String, String>,
    opts: &RegistryOptions,
    progress: Progress,
) -> Result<Pushed, OciError> {
    let size = layer.size;
    let layer_annotations =
        (!artifact.layer_annotations.is_empty()).then_some(artifact.layer_annotations);
    let config = Config::new(
        artifact.config,
        artifact.config_media_type.to_string(),
        None,
    );
    let mut all_annotations = artifact.annotations;
    all_annotations.extend(annotations);
    // Built here rather than with `OciImageManifest::build`, which would hash the layer a
    // second time.
    let mut manifest = OciImageManifest {
        annotations: (!all_annotations.is_empty()).then_some(all_annotations),
        ..Default::default()
    };
    manifest.config = OciDescriptor {
        media_type: config.media_type.clone(),
        digest: artifact::sha256_digest(&config.data),
        size: config.data.len() as i64,
        ..Default::default()
    };
    manifest.layers = vec![OciDescriptor {
        media_type: artifact.layer_media_type.to_string(),
        digest: artifact.layer_digest.clone(),
        size: size as i64,
        annotations: layer_annotations,
        ..Default::default()
    }];
    // Strict registries refuse a manifest without it; wash leaves it out for PARs.
    manifest.media_type = Some(artifact::MANIFEST_MEDIA_TYPE.to_string());
    let digest = manifest_digest(&manifest);

    let registry = reference.resolve_registry().to_string();
    let mount_from = opts
        .mount_from
        .as_deref()
        .map(|from| mount_source(from, &registry))
        .transpose()?;
    let opts = &RegistryOptions {
        mount_from,
        ..opts.clone()
    };
    let client = client_for(reference, opts)?;
    let auth = auth_for(reference, opts)?;
    let fail = |e| map_error(e, reference);
    let (layer_state, mounted_from) = runtime()?.block_on(async {
        let token = retrying(|| async {
            client
                .auth(reference, &auth, oci_client::RegistryOperation::Push)
                .await
                .map_err(fail)
        })
        .await?;
        let layer_digest = &manifest.layers[0].digest;
        let authorization = match (token, &auth) {
            (Some(token), _) => Some(format!("Bearer {token}")),
            (None, RegistryAuth::Basic(user, password)) => Some(format!(
                "Basic {}",
                data_encoding::BASE64.encode(format!("{user}:{password}").as_bytes())
            )),
            _ => None,
        };
        let upload = BlobUpload {
            reference,
            scheme: scheme_for(reference, opts),
            authorization,
        };
        let present = retrying(|| async {
            client
                .blob_exists(reference, layer_digest)
                .await
                .map_err(fail)
        })
        .await?;
        let state = if present {
            progress(size, Some(size));
            ("present", None)
        } else {
            let http = upload.http()?;
            let mut sources: Vec<String> = opts.mount_from.iter().cloned().collect();
            for known in BlobInfo::load().sources(&registry, layer_digest, reference.repository()) {
                if !sources.contains(&known) {
                    sources.push(known);
                }
            }
            sources.retain(|s| s != reference.repository());
            let mounts = retrying(|| upload.try_mounts(&http, layer_digest, &sources)).await?;
            match mounts {
                MountOutcome::Mounted(from) => {
                    progress(size, Some(size));
                    ("mounted", Some(from))
                }
                MountOutcome::Declined(_) if opts.chunked_push => {
                    retrying(|| async {
                        let sent = push_chunked(
                            &client,
                            reference,
                            &layer,
                            layer_digest,
                            progress.clone(),
                        )
                        .await;
                        layer.unchanged_after(sent)
                    })
                    .await?;
                    ("uploaded", None)
                }
                MountOutcome::Declined(declined_session) => {
                    // Each try uploads the whole blob again, in a new session but the first
                    // (a broken upload's session cannot be trusted with where it stopped).
                    let first_session = std::cell::Cell::new(declined_session);
                    retrying(|| async {
                        let session = match first_session.take() {
                            Some(url) => url,
                            None => match upload.start(&http, None).await? {
                                UploadStart::Session(url) => url,
                                UploadStart::Mounted => {
                                    return Err(OciError::Registry(
                                        "the registry mounted a blob it was not asked to".into(),
                                    ))
                                }
                            },
                        };
                        progress(0, Some(size));
                        let sent = upload
                            .put(&http, session, &layer, layer_digest, progress.clone())
                            .await;
                        layer.unchanged_after(sent)
                    })
                    .await?;
                    ("uploaded", None)
                }
            }
        };
        retrying(|| async {
            client
                .push_blob(reference, config.data.clone(), &manifest.config.digest)
                .await
                .map_err(fail)
        })
        .await?;
        let manifest = OciManifest::Image(manifest);
        retrying(|| async {
            client
                .push_manifest(reference, &manifest)
                .await
                .map_err(fail)
        })
        .await?;
        Ok::<_, OciError>(state)
    })?;
    BlobInfo::remember(&registry, reference.repository(), &artifact.layer_digest);
    Ok(Pushed {
        reference: reference.whole(),
        digest,
        size,
        kind: artifact.kind,
        layer: layer_state,
        mounted_from,
    })
}

/// The repository `--from` names: a repository path (`acme/hello`, a tag allowed), or a
/// reference on the registry being pushed to. Anything else is refused: a mount only works
/// within one registry.
fn mount_source(from: &str, registry: &str) -> Result<String, OciError> {
    let bad = |reason: String| OciError::InvalidReference {
        reference: from.to_string(),
        reason,
    };
    let text = from.trim().to_ascii_lowercase();
    let repository = if cache::looks_like_reference(&text) {
        let r = reference::parse(&text).map_err(|e| bad(e.to_string()))?;
        if r.resolve_registry() != registry {
            return Err(bad(format!(
                "--from must name a repository of {registry} (blobs mount only within one \
                 registry), not of {}",
                r.resolve_registry()
            )));
        }
        r.repository().to_string()
    } else {
        let path = text.split(['@', ':']).next().unwrap_or_default();
        let valid = !path.is_empty()
            && path.split('/').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
            });
        if !valid {
            return Err(bad("--from wants a repository such as acme/hello".into()));
        }
        path.to_string()
    };
    Ok(repository)
}

/// The layer in 4 MiB PATCH requests (oci-client's chunked upload), with progress.
async fn push_chunked(
    client: &Client,
    reference: &Reference,
    layer: &LayerFile,
    digest: &str,
    progress: Progress,
) -> Result<(), OciError> {
    let stream = file_chunks(layer, UPLOAD_CHUNK, progress).map(|piece| Ok(piece?));
    let pushed = client
        .push_blob_stream_chunked(reference, stream)
        .await
        .map_err(|e| map_error(e, reference))?;
    if pushed.blob_digest != digest {
        return Err(OciError::DigestMismatch {
            expected: digest.to_string(),
            actual: pushed.blob_digest,
        });
    }
    Ok(())
}

/// What was pulled.
#[derive(Debug, Clone, Serialize)]
pub struct Pulled {
    pub reference: String,
    /// Manifest digest.
    pub digest: String,
    pub size: u64,
    pub kind: ArtifactKind,
    pub path: PathBuf,
    /// The destination already held this layer (same digest): nothing was downloaded and
    /// the file was left as it was.
    pub unchanged: bool,
}

/// Whether `path` already holds the blob `layer` describes: same size, then same digest.
fn holds_layer(path: &Path, layer: &OciDescriptor) -> bool {
    let same_size = std::fs::metadata(path)
        .is_ok_and(|m| m.is_file() && i64::try_from(m.len()).is_ok_and(|n| n == layer.size));
    same_size
        && crate::artifact::par::sha256_file(path)
            .is_ok_and(|hex| format!("sha256:{}", hex.to_ascii_lowercase()) == layer.digest)
}

/// Normalizes a user-given digest (`sha256:` may be left out).
pub fn normalize_digest(digest: &str) -> String {
    if digest.contains(':') {
        digest.to_ascii_lowercase()
    } else {
        format!("sha256:{}", digest.to_ascii_lowercase())
    }
}

/// Whether `digest` is `sha256:` and 64 lower-case hex digits, the only form we name files
/// by (a digest from a manifest or a user could otherwise hold `/` or `..`).
pub fn is_sha256_digest(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The file name a pulled artifact gets by default: the last repository segment.
pub fn default_file_name(reference: &Reference, kind: ArtifactKind) -> String {
    let repo = reference.repository();
    let last = repo.rsplit('/').next().unwrap_or(repo);
    format!("{last}.{}", kind.extension())
}

/// Pulls an artifact into `dest` (or the default file name in `dir`), checking the manifest
/// digest against `expected_digest` when given and the layer against its digest; the file
/// is written atomically, so a failed pull leaves nothing. `progress` gets (done, total).
pub fn pull(
    reference: &Reference,
    dest: Option<&Path>,
    dir: &Path,
    expected_digest: Option<&str>,
    opts: &RegistryOptions,
    progress: Progress,
) -> Result<Pulled, OciError> {
    let client = client_for(reference, opts)?;
    let auth = auth_for(reference, opts)?;
    runtime()?.block_on(async {
        let (manifest, digest) = retrying(|| async {
            client
                .pull_image_manifest(reference, &auth)
                .await
                .map_err(|e| map_error(e, reference))
        })
        .await?;
        if let Some(expected) = expected_digest {
            let expected = normalize_digest(expected);
            if expected != digest {
                return Err(OciError::DigestMismatch {
                    expected,
                    actual: digest,
                });
            }
        }
        let [layer] = &manifest.layers[..] else {
            return Err(OciError::Unsupported(format!(
                "{} has {} layers; a Wasm or provider artifact has exactly one",
                reference.whole(),
                manifest.layers.len()
            )));
        };
        let kind = artifact::kind_of_manifest(&manifest.config.media_type, &layer.media_type)
            .map_err(OciError::Unsupported)?;
        let path = dest
            .map(Path::to_path_buf)
            .unwrap_or_else(|| dir.join(default_file_name(reference, kind)));
        let io_error = |source: io::Error| OciError::Io {
            path: path.display().to_string(),
            source,
        };
        let registry = reference.resolve_registry().to_string();
        if holds_layer(&path, layer) {
            BlobInfo::remember(&registry, reference.repository(), &layer.digest);
            let size = u64::try_from(layer.size).unwrap_or(0);
            progress(size, Some(size));
            return Ok(Pulled {
                reference: reference.whole(),
                digest,
                size,
                kind,
                path,
                unchanged: true,
            });
        }
        let mut out = fsutil::AtomicFile::create(&path, fsutil::Mode::Public).map_err(io_error)?;
        // A broken download starts again from the first byte, into the same unfinished file.
        let mut backoff = retry::Backoff::new();
        let (done, hasher) = loop {
            match download(&client, reference, layer, (&mut out, &path), &progress).await {
                Err(e) if backoff.again(&e).await => {}
                done => break done?,
            }
        };
        let actual = format!(
            "sha256:{}",
            data_encoding::HEXLOWER.encode(&hasher.finalize())
        );
        if actual != layer.digest {
            return Err(OciError::DigestMismatch {
                expected: layer.digest.clone(),
                actual,
            });
        }
        if kind == ArtifactKind::ProviderArchive {
            // Whatever unpacks it later trusts us to have looked: no entry may lead out.
            let written = out.flushed_temp_path().map_err(io_error)?;
            if let Err(e) = crate::artifact::par::read_entries(&written) {
                return Err(OciError::NotAnArtifact {
                    path: reference.whole(),
                    reason: e.to_string(),
                });
            }
        }
        out.commit().map_err(io_error)?;
        BlobInfo::remember(&registry, reference.repository(), &layer.digest);
        Ok(Pulled {
            reference: reference.whole(),
            digest,
            size: done,
            kind,
            path,
            unchanged: false,
        })
    })
}

/// One try at downloading `layer` into `out` (from its start): the bytes and their hash.
async fn download(
    client: &Client,
    reference: &Reference,
    layer: &OciDescriptor,
    (out, path): (&mut fsutil::AtomicFile, &Path),
    progress: &Progress,
) -> Result<(u64, Sha256), OciError> {
    let io_error = |source: io::Error| OciError::Io {
        path: path.display().to_string(),
        source,
    };
    out.rewind().map_err(io_error)?;
    let mut stream = client
        .pull_blob_stream(reference, layer)
        .await
        .map_err(|e| map_error(e, reference))?;
    let total = stream.content_length.or(u64::try_from(layer.size).ok());
    let mut hasher = Sha256::new();
    let mut done = 0u64;
    progress(0, total);
    while let Some(chunk) = stream.stream.next().await {
        let chunk = chunk.map_err(|e| OciError::Unavailable {
            registry: reference.resolve_registry().to_string(),
            reason: format!("the download broke off after {done} bytes: {e}"),
        })?;
        hasher.update(&chunk);
        out.write_all(&chunk).map_err(io_error)?;
        done += chunk.len() as u64;
        progress(done, total);
    }
    Ok((done, hasher))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_options_hides_the_password() {
        let opts = RegistryOptions {
            user: Some("alice".into()),
            password: "hunter2-secret".parse().ok(),
            ..Default::default()
        };
        let shown = format!("{opts:?} {opts:#?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("alice"), "{shown}");
        assert_eq!(opts.password.unwrap().reveal(), "hunter2-secret");
    }

    #[test]
    fn references_follow_wash_rules() {
        let r = parse_reference("127.0.0.1:5000/Wasm/Hello:0.1.0", false).unwrap();
        assert_eq!(r.registry(), "127.0.0.1:5000");
        assert_eq!(r.repository(), "wasm/hello");
        assert_eq!(r.tag(), Some("0.1.0"));
        assert!(matches!(
            parse_reference("127.0.0.1:5000/hello:latest", false),
            Err(OciError::Latest(_))
        ));
        assert!(matches!(
            parse_reference("127.0.0.1:5000/hello", false),
            Err(OciError::Latest(_))
        ));
        parse_reference("127.0.0.1:5000/hello:latest", true).unwrap();
        assert!(matches!(
            parse_reference("not a reference!", false),
            Err(OciError::InvalidReference { .. })
        ));
        assert!(matches!(
            parse_reference("host:5000/repo:bad tag", false),
            Err(OciError::InvalidReference { .. })
        ));
    }

    #[test]
    fn loopback_registries_are_recognised() {
        for r in [
            "localhost:5000",
            "127.0.0.1:5000",
            "127.1.2.3",
            "[::1]:5000",
            "localhost",
        ] {
            assert!(is_loopback(r), "{r}");
        }
        for r in [
            "ghcr.io",
            "10.0.0.1:5000",
            "example.com:443",
            "localhost.example.com",
        ] {
            assert!(!is_loopback(r), "{r}");
        }
    }

    #[test]
    fn mount_sources_stay_within_the_registry() {
        let reg = "127.0.0.1:5000";
        assert_eq!(mount_source("acme/hello", reg).unwrap(), "acme/hello");
        assert_eq!(mount_source("Acme/Hello:0.1.0", reg).unwrap(), "acme/hello");
        assert_eq!(
            mount_source("127.0.0.1:5000/acme/hello:0.1.0", reg).unwrap(),
            "acme/hello"
        );
        for bad in ["", "/", "acme//hello", "a b", "ghcr.io/acme/hello:1"] {
            assert!(
                matches!(
                    mount_source(bad, reg),
                    Err(OciError::InvalidReference { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn digests_normalize() {
        assert_eq!(normalize_digest("ABC"), "sha256:abc");
        assert_eq!(normalize_digest("sha256:abc"), "sha256:abc");
    }
}
