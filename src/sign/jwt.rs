//! wascap JWTs: the claims envelope, the component metadata, encoding with an nkeys signing
//! key, and validation. Field order and omission rules follow wascap 0.16 so that what we
//! write is byte-identical to what wascap writes for the same inputs.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use data_encoding::BASE64URL_NOPAD;
use nkeys::KeyPair;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// `{"typ":"jwt","alg":"Ed25519"}`, base64url: wascap's header is fixed, so is this segment.
pub const HEADER_SEGMENT: &str = "eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0";
const HEADER_TYPE: &str = "jwt";
const HEADER_ALGORITHM: &str = "Ed25519";
/// The internal revision every wascap constructor writes; hashes are checked from 3 on.
pub const WASCAP_REVISION: u32 = 3;
pub const SECS_PER_DAY: u64 = 86_400;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    #[error("invalid token format: expected 3 segments, found {0}")]
    Segments(usize),
    #[error("the token is not valid base64url: {0}")]
    Base64(String),
    #[error("the token is not valid JSON: {0}")]
    Json(String),
    #[error("the token header is not a wascap header (alg {alg:?}, typ {typ:?})")]
    Header { alg: String, typ: String },
    #[error("the token has no issuer")]
    MissingIssuer,
    #[error("the token has no subject")]
    MissingSubject,
    #[error("the token issuer {0:?} is not a valid public key")]
    BadIssuer(String),
    #[error("could not sign the token: {0}")]
    Signing(String),
}

/// The envelope every wascap token shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims<T> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<u64>,
    pub jti: String,
    pub iat: u64,
    pub iss: String,
    pub sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wascap: Option<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wascap_revision: Option<u32>,
}

/// The `wascap` object of a component (or core module) token.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ComponentMetadata {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// Module hash of the canonical binary (upper-case hex SHA-256).
    pub hash: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rev: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub call_alias: Option<String>,
    /// Always written; `false` for components.
    #[serde(default)]
    pub prov: bool,
}

#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    alg: String,
    #[serde(default)]
    typ: String,
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A fresh 22-character token id, as wascap makes them.
pub fn new_token_id() -> String {
    nuid::next().to_string()
}

/// wascap's `normalize_call_alias`: lower-case, trim, drop non-ASCII, and turn spaces,
/// dashes and dots into underscores.
pub fn normalize_call_alias(alias: &str) -> String {
    alias
        .to_lowercase()
        .trim()
        .chars()
        .filter(char::is_ascii)
        .map(|c| if matches!(c, ' ' | '-' | '.') { '_' } else { c })
        .collect()
}

/// Encodes and signs claims with the issuer's key.
pub fn encode<T: Serialize>(claims: &Claims<T>, issuer: &KeyPair) -> Result<String, JwtError> {
    let body = serde_json::to_vec(claims).map_err(|e| JwtError::Json(e.to_string()))?;
    let mut token = String::with_capacity(HEADER_SEGMENT.len() + body.len() * 4 / 3 + 90);
    token.push_str(HEADER_SEGMENT);
    token.push('.');
    token.push_str(&BASE64URL_NOPAD.encode(&body));
    let signature = issuer
        .sign(token.as_bytes())
        .map_err(|e| JwtError::Signing(e.to_string()))?;
    token.push('.');
    token.push_str(&BASE64URL_NOPAD.encode(&signature));
    Ok(token)
}

struct Segments<'a> {
    header: &'a str,
    claims: &'a str,
    signature: &'a str,
}

fn split(token: &str) -> Result<Segments<'_>, JwtError> {
    let parts: Vec<&str> = token.split('.').collect();
    match parts[..] {
        [header, claims, signature] => Ok(Segments {
            header,
            claims,
            signature,
        }),
        _ => Err(JwtError::Segments(parts.len())),
    }
}

fn decode_segment(segment: &str) -> Result<Vec<u8>, JwtError> {
    BASE64URL_NOPAD
        .decode(segment.as_bytes())
        .map_err(|e| JwtError::Base64(e.to_string()))
}

/// Decodes the claims without checking the signature (like wascap's `Claims::decode`).
pub fn decode<T: DeserializeOwned>(token: &str) -> Result<Claims<T>, JwtError> {
    let segments = split(token)?;
    let body = decode_segment(segments.claims)?;
    serde_json::from_slice(&body).map_err(|e| JwtError::Json(e.to_string()))
}

/// What checking a token's signature and dates found. Bad signatures and dates are results,
/// not errors, as in wascap: the caller decides what to refuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validation {
    pub expired: bool,
    pub cannot_use_yet: bool,
    pub expires_human: String,
    pub not_before_human: String,
    pub signature_valid: bool,
}

/// Validates a token at the given time (seconds since the epoch), in wascap's order: format,
/// header, issuer and subject present, issuer a public key, then the signature.
pub fn validate_at(token: &str, now: u64) -> Result<Validation, JwtError> {
    let segments = split(token)?;
    let signature = decode_segment(segments.signature)?;
    let header: Header = serde_json::from_slice(&decode_segment(segments.header)?)
        .map_err(|e| JwtError::Json(e.to_string()))?;
    if header.alg != HEADER_ALGORITHM || header.typ != HEADER_TYPE {
        return Err(JwtError::Header {
            alg: header.alg,
            typ: header.typ,
        });
    }
    let claims: Claims<serde::de::IgnoredAny> = decode(token)?;
    if claims.iss.is_empty() {
        return Err(JwtError::MissingIssuer);
    }
    if claims.sub.is_empty() {
        return Err(JwtError::MissingSubject);
    }
    let issuer = KeyPair::from_public_key(&claims.iss)
        .map_err(|_| JwtError::BadIssuer(claims.iss.clone()))?;
    let signed_len = segments.header.len() + 1 + segments.claims.len();
    let signature_valid = issuer
        .verify(&token.as_bytes()[..signed_len], &signature)
        .is_ok();
    Ok(Validation {
        expired: claims.exp.is_some_and(|exp| exp < now),
        cannot_use_yet: claims.nbf.is_some_and(|nbf| now < nbf),
        expires_human: claims
            .exp
            .map_or_else(|| "never".to_string(), |t| relative_time(t, now)),
        not_before_human: claims
            .nbf
            .map_or_else(|| "immediately".to_string(), |t| relative_time(t, now)),
        signature_valid,
    })
}

/// Validates a token now.
pub fn validate(token: &str) -> Result<Validation, JwtError> {
    validate_at(token, now_secs())
}

/// "in 3days", "17m ago": the distance to `at`, rounded to the nearest of its largest unit
/// (to nearest, so a date set "2 days" ahead still reads 2 days a second later).
pub fn relative_time(at: u64, now: u64) -> String {
    let (distance, future) = if at >= now {
        (at - now, true)
    } else {
        (now - at, false)
    };
    const UNITS: [u64; 5] = [365 * SECS_PER_DAY, SECS_PER_DAY, 3600, 60, 1];
    let unit = UNITS.into_iter().find(|u| distance >= *u).unwrap_or(1);
    let rounded = Duration::from_secs((distance + unit / 2) / unit * unit);
    let text = humantime::format_duration(rounded).to_string();
    if future {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT_SEED: &str = "SAAAW5UDXHSLGTZ4CSTWLDTKU5LCPCJPNGQRFJKJNBIYJ2IK7I4JMGT3IU";
    const MODULE_PUBLIC: &str = "MALN37JUVBAU7I2FRKIDUHDGOZRWIA7CNVQHE4HZLWESWGBQW3MT6TQM";

    fn vector_claims() -> Claims<ComponentMetadata> {
        Claims {
            exp: None,
            jti: "Zq3xXo2b1YfT0bA1cD2eF3".into(),
            iat: 1_767_225_600,
            iss: "ACEHKPUXJTI7PM4XTZHKQUW4YXWLWKKXMKAP4OS6NMTQVPHPPRLC2LGV".into(),
            sub: MODULE_PUBLIC.into(),
            nbf: None,
            wascap: Some(ComponentMetadata {
                name: Some("hello".into()),
                hash: "968E98ACD3E2898569441C1769845BC3AD79616458FFCD1CCE35FADB48FF7381".into(),
                tags: Some(vec!["demo".into()]),
                rev: Some(1),
                ver: Some("0.1.0".into()),
                call_alias: Some(normalize_call_alias("Hello World")),
                prov: false,
            }),
            wascap_revision: Some(WASCAP_REVISION),
        }
    }

    /// The byte-exact signing vector of the claims spec (§13.2).
    #[test]
    fn encodes_the_spec_vector_byte_for_byte() {
        let issuer = KeyPair::from_seed(ACCOUNT_SEED).unwrap();
        let token = encode(&vector_claims(), &issuer).unwrap();
        assert_eq!(token.len(), 630);
        assert!(token.starts_with(HEADER_SEGMENT));
        assert!(token.ends_with(
            "JsbH2HHaIiDR8Qg1qwIU8bzsgyzIAXjK6N_1IAdpWfqrdBu8q8c_8xRD5l0vYneidjZSWlGklWlLG8KBmHAlAA"
        ));
        let back: Claims<ComponentMetadata> = decode(&token).unwrap();
        assert_eq!(back, vector_claims());
        let v = validate_at(&token, 1_767_225_600).unwrap();
        assert!(v.signature_valid && !v.expired && !v.cannot_use_yet);
        assert_eq!(v.expires_human, "never");
        assert_eq!(v.not_before_human, "immediately");
    }

    #[test]
    fn detects_a_foreign_signature() {
        let issuer = KeyPair::from_seed(ACCOUNT_SEED).unwrap();
        let token = encode(&vector_claims(), &issuer).unwrap();
        // Same claims (same iss), signed by another account key.
        let other = KeyPair::new_account();
        let forged = encode(&vector_claims(), &other).unwrap();
        let (signed, _) = token.rsplit_once('.').unwrap();
        let (_, foreign_sig) = forged.rsplit_once('.').unwrap();
        let v = validate(&format!("{signed}.{foreign_sig}")).unwrap();
        assert!(!v.signature_valid);
    }

    #[test]
    fn reports_dates() {
        let issuer = KeyPair::from_seed(ACCOUNT_SEED).unwrap();
        let mut claims = vector_claims();
        claims.exp = Some(1000);
        claims.nbf = Some(5000);
        let token = encode(&claims, &issuer).unwrap();
        let v = validate_at(&token, 2000).unwrap();
        assert!(v.expired && v.cannot_use_yet && v.signature_valid);
        assert_eq!(v.expires_human, "17m ago");
        assert_eq!(relative_time(2 * SECS_PER_DAY, 1), "in 2days");
        assert_eq!(v.not_before_human, "in 50m");
    }

    #[test]
    fn rejects_malformed_tokens() {
        assert_eq!(validate("a.b"), Err(JwtError::Segments(2)));
        assert!(matches!(validate("!!.b.c"), Err(JwtError::Base64(_))));
        let nats_header = BASE64URL_NOPAD.encode(br#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
        let body = BASE64URL_NOPAD.encode(br#"{"jti":"x","iat":1,"iss":"a","sub":"b"}"#);
        assert!(matches!(
            validate(&format!("{nats_header}.{body}.AAAA")),
            Err(JwtError::Header { .. })
        ));
        let body = BASE64URL_NOPAD.encode(br#"{"jti":"x","iat":1,"iss":"","sub":"b"}"#);
        assert_eq!(
            validate(&format!("{HEADER_SEGMENT}.{body}.AAAA")),
            Err(JwtError::MissingIssuer)
        );
        let body = BASE64URL_NOPAD.encode(br#"{"jti":"x","iat":1,"iss":"nope","sub":"b"}"#);
        assert!(matches!(
            validate(&format!("{HEADER_SEGMENT}.{body}.AAAA")),
            Err(JwtError::BadIssuer(_))
        ));
    }

    #[test]
    fn call_alias_normalization() {
        assert_eq!(normalize_call_alias("My-Alias.x"), "my_alias_x");
        assert_eq!(normalize_call_alias("  Über Cool "), "ber_cool");
    }
}
