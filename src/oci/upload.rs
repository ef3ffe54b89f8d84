//! Blob uploads done by hand (one streamed `PUT`), with progress, and cross-repository
//! mounts.

use super::*;

/// What opening an upload gave.
pub(super) enum UploadStart {
    /// The registry mounted the blob from another repository: nothing to send.
    Mounted,
    /// An upload session's URL.
    Session(String),
}

/// What asking for mounts gave.
pub(super) enum MountOutcome {
    /// Mounted from this repository.
    Mounted(String),
    /// No source would do; the session a declining registry opened, if any.
    Declined(Option<String>),
}

/// A blob upload done by hand, the way docker and skopeo do it: `POST` for an upload
/// session (or a mount), then one `PUT` streaming the whole blob with its digest.
/// oci-client's own uploads either cut the blob into 4 MiB requests or send it with no way
/// to report progress.
pub(super) struct BlobUpload<'a> {
    pub(super) reference: &'a Reference,
    pub(super) scheme: &'static str,
    pub(super) authorization: Option<String>,
}

impl BlobUpload<'_> {
    pub(super) fn request(
        &self,
        http: &reqwest::Client,
        method: reqwest::Method,
        url: &str,
    ) -> reqwest::RequestBuilder {
        let request = http.request(method, url);
        match &self.authorization {
            Some(value) => request.header(reqwest::header::AUTHORIZATION, value),
            None => request,
        }
    }

    /// The HTTP client for these requests.
    pub(super) fn http(&self) -> Result<reqwest::Client, OciError> {
        let builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(120));
        let builder = if self.scheme == "http" {
            // Plain HTTP needs no certificates; loading the system's takes time.
            builder.tls_certs_only(std::iter::empty()).https_only(false)
        } else {
            builder
        };
        builder.build().map_err(|e| OciError::Registry(causes(&e)))
    }

    /// A request that got no answer: the registry could not be reached, or the connection
    /// broke while the request was sent (both worth another try).
    fn unreachable(&self) -> impl Fn(reqwest::Error) -> OciError + '_ {
        move |e| {
            let registry = self.reference.resolve_registry().to_string();
            let reason = causes(&e);
            if e.is_connect() {
                OciError::Unreachable { registry, reason }
            } else {
                OciError::Unavailable { registry, reason }
            }
        }
    }

    /// Opens an upload session (`POST .../blobs/uploads/`), or with `mount` = (digest,
    /// repository) asks the registry to mount the blob from that repository of its own:
    /// 201 is done, 202 is a declined mount and an upload session to use instead.
    pub(super) async fn start(
        &self,
        http: &reqwest::Client,
        mount: Option<(&str, &str)>,
    ) -> Result<UploadStart, OciError> {
        let registry = self.reference.resolve_registry();
        let base = format!("{}://{registry}", self.scheme);
        let mut url = format!("{base}/v2/{}/blobs/uploads/", self.reference.repository());
        if let Some((digest, from)) = mount {
            url.push_str(&format!("?mount={digest}&from={from}"));
        }
        let response = self
            .request(http, reqwest::Method::POST, &url)
            .header(reqwest::header::CONTENT_LENGTH, 0)
            .send()
            .await
            .map_err(self.unreachable())?;
        if mount.is_some() && response.status() == reqwest::StatusCode::CREATED {
            return Ok(UploadStart::Mounted);
        }
        let response = self.check(response, reqwest::StatusCode::ACCEPTED).await?;
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| OciError::Registry("the registry gave no upload location".into()))?;
        let url = if location.starts_with("http://") || location.starts_with("https://") {
            location.to_string()
        } else {
            format!("{base}{location}")
        };
        Ok(UploadStart::Session(url))
    }

    /// Sends the whole blob to an upload session in one streamed `PUT` with its digest.
    pub(super) async fn put(
        &self,
        http: &reqwest::Client,
        session: String,
        layer: &LayerFile,
        digest: &str,
        progress: Progress,
    ) -> Result<(), OciError> {
        let mut url = session;
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str("digest=");
        url.push_str(digest);
        let size = layer.size;
        let body = file_chunks(layer, READ_CHUNK, progress);
        let response = self
            .request(http, reqwest::Method::PUT, &url)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header(reqwest::header::CONTENT_LENGTH, size)
            .body(reqwest::Body::wrap_stream(body))
            .send()
            .await
            .map_err(self.unreachable())?;
        self.check(response, reqwest::StatusCode::CREATED).await?;
        Ok(())
    }

    /// Mounts the blob from the first of `sources` that the registry agrees to, or gives
    /// the upload session of the last declined mount (if any) to upload to instead.
    pub(super) async fn try_mounts(
        &self,
        http: &reqwest::Client,
        digest: &str,
        sources: &[String],
    ) -> Result<MountOutcome, OciError> {
        let mut session = None;
        for from in sources {
            match self.start(http, Some((digest, from))).await {
                Ok(UploadStart::Mounted) => return Ok(MountOutcome::Mounted(from.clone())),
                Ok(UploadStart::Session(url)) => session = Some(url),
                // An unreachable registry fails the upload that follows as well; anything
                // else (no pull right on the source, say) just means: upload.
                Err(e @ OciError::Unreachable { .. }) => return Err(e),
                Err(_) => {}
            }
        }
        Ok(MountOutcome::Declined(session))
    }

    pub(super) async fn check(
        &self,
        response: reqwest::Response,
        expected: reqwest::StatusCode,
    ) -> Result<reqwest::Response, OciError> {
        let status = response.status();
        if status == expected {
            return Ok(response);
        }
        let registry = self.reference.resolve_registry().to_string();
        Err(match status.as_u16() {
            401 | 403 => OciError::Unauthorized { registry },
            404 => OciError::NotFound(self.reference.whole()),
            code if is_retryable_status(code) => OciError::Unavailable {
                registry,
                reason: format!("it answered {status} to a blob upload"),
            },
            _ => {
                let body = response.text().await.unwrap_or_default();
                OciError::Registry(format!(
                    "{registry} answered {status} to a blob upload: {}",
                    body.trim()
                ))
            }
        })
    }
}
