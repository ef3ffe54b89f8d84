//! `doctor`'s registry check: does `/v2/` answer, and does it take our credentials.

use super::*;

/// What a registry said to a login check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoginStatus {
    /// `/v2/` answered 200 (with the credentials, if any).
    Accepted { with_credentials: bool },
    /// It wants credentials and none were found.
    NeedsLogin,
    /// The credentials given were refused.
    Refused,
    /// It uses token authentication, which this check does not go through.
    TokenAuth { with_credentials: bool },
}

/// Checks that a registry answers and whether it takes our credentials (from the options,
/// else Docker's config), with one `GET /v2/`.
pub fn check_login(registry: &str, opts: &RegistryOptions) -> Result<LoginStatus, OciError> {
    let reference = parse_reference(&format!("{registry}/cargo-wasmcloud-doctor:probe"), true)?;
    let auth = auth_for(&reference, opts)?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = format!(
        "{}://{}/v2/",
        scheme_for(&reference, opts),
        reference.resolve_registry()
    );
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| OciError::Registry(e.to_string()))?;
    runtime()?.block_on(async {
        let mut request = client.get(&url);
        let with_credentials = match &auth {
            RegistryAuth::Basic(user, password) => {
                request = request.basic_auth(user, Some(password));
                true
            }
            _ => false,
        };
        let response = request.send().await.map_err(|e| {
            OciError::Registry(format!("cannot reach registry {registry}: {}", causes(&e)))
        })?;
        let challenge = response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        Ok(match response.status().as_u16() {
            200..=299 => LoginStatus::Accepted { with_credentials },
            401 if challenge.starts_with("bearer") => LoginStatus::TokenAuth { with_credentials },
            401 if with_credentials => LoginStatus::Refused,
            401 => LoginStatus::NeedsLogin,
            status => {
                return Err(OciError::Registry(format!(
                    "registry {registry} answered {status} to GET /v2/"
                )))
            }
        })
    })
}
