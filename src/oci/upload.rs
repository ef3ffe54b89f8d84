//! Blob uploads done by hand (one streamed `PUT`, or 4 MiB chunks), with progress.

use super::*;

/// A blob upload done by hand, the way docker and skopeo do it: `POST` for an upload
/// session, then one `PUT` streaming the whole blob with its digest. oci-client's own
/// uploads either cut the blob into 4 MiB requests or send it with no way to report
/// progress.
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

    pub(super) async fn put_whole(
        &self,
        data: bytes::Bytes,
        digest: &str,
        progress: Progress,
    ) -> Result<(), OciError> {
        let registry = self.reference.resolve_registry();
        let unreachable = |e: reqwest::Error| OciError::Unreachable {
            registry: registry.to_string(),
            reason: causes(&e),
        };
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(120))
            // Plain HTTP needs no certificates; loading the system's takes time.
            .tls_certs_only(std::iter::empty())
            .https_only(false);
        let http = if self.scheme == "http" {
            http
        } else {
            reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .read_timeout(Duration::from_secs(120))
        }
        .build()
        .map_err(|e| OciError::Registry(causes(&e)))?;
        let base = format!("{}://{registry}", self.scheme);
        let start = format!("{base}/v2/{}/blobs/uploads/", self.reference.repository());
        let response = self
            .request(&http, reqwest::Method::POST, &start)
            .header(reqwest::header::CONTENT_LENGTH, 0)
            .send()
            .await
            .map_err(unreachable)?;
        let location = self.check(response, reqwest::StatusCode::ACCEPTED).await?;
        let location = location
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| OciError::Registry("the registry gave no upload location".into()))?
            .to_string();
        let mut url = if location.starts_with("http://") || location.starts_with("https://") {
            location
        } else {
            format!("{base}{location}")
        };
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str("digest=");
        url.push_str(digest);

        let size = data.len() as u64;
        let mut sent = 0u64;
        let chunks: Vec<bytes::Bytes> = (0..data.len())
            .step_by(UPLOAD_CHUNK)
            .map(|start| data.slice(start..(start + UPLOAD_CHUNK).min(data.len())))
            .collect();
        let body = futures_util::stream::iter(chunks).map(move |chunk| {
            sent += chunk.len() as u64;
            progress(sent, Some(size));
            Ok::<_, std::io::Error>(chunk)
        });
        let response = self
            .request(&http, reqwest::Method::PUT, &url)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header(reqwest::header::CONTENT_LENGTH, size)
            .body(reqwest::Body::wrap_stream(body))
            .send()
            .await
            .map_err(unreachable)?;
        self.check(response, reqwest::StatusCode::CREATED).await?;
        Ok(())
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
