//! What `inspect` reports of signed claims: flat views of a component's or a provider
//! archive's claims and their validation, serialized as `inspect -o json` prints them.

use std::collections::BTreeMap;

use serde::Serialize;

use super::par::ParInspection;
use super::ComponentToken;
use crate::artifact::wasm::WasmKind;

/// A signed component's claims.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentSummary {
    pub name: Option<String>,
    /// The issuer (an account key).
    pub account: String,
    /// The subject (a module key; a service key for a provider's component).
    pub component: String,
    pub kind: WasmKind,
    pub expires: String,
    pub can_be_used: String,
    pub version: Option<String>,
    pub revision: Option<i32>,
    pub tags: Vec<String>,
    pub call_alias: Option<String>,
    pub hash: String,
    pub embedded_wit: bool,
    pub issued_at: u64,
    pub expires_at: Option<u64>,
    pub not_before: Option<u64>,
    pub expired: bool,
    pub cannot_use_yet: bool,
    pub signature_valid: bool,
    /// The custom section the token was in.
    pub section: String,
}

impl ComponentSummary {
    pub fn new(token: &ComponentToken, kind: WasmKind, embedded_wit: bool) -> Self {
        let (claims, meta, v) = (&token.claims, &token.metadata, &token.validation);
        ComponentSummary {
            name: meta.name.clone(),
            account: claims.iss.clone(),
            component: claims.sub.clone(),
            kind,
            expires: v.expires_human.clone(),
            can_be_used: v.not_before_human.clone(),
            version: meta.ver.clone(),
            revision: meta.rev,
            tags: meta.tags.clone().unwrap_or_default(),
            call_alias: meta.call_alias.clone(),
            hash: meta.hash.clone(),
            embedded_wit,
            issued_at: claims.iat,
            expires_at: claims.exp,
            not_before: claims.nbf,
            expired: v.expired,
            cannot_use_yet: v.cannot_use_yet,
            signature_valid: v.signature_valid,
            section: token.section.clone(),
        }
    }
}

/// A provider archive's claims.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderSummary {
    pub name: Option<String>,
    pub account: String,
    /// The subject (a service key).
    pub service: String,
    pub vendor: String,
    pub version: Option<String>,
    pub revision: Option<i32>,
    pub targets: Vec<String>,
    pub target_hashes: BTreeMap<String, String>,
    pub expires: String,
    pub can_be_used: String,
    pub signature_valid: bool,
    pub embedded_wit: bool,
    pub compressed: bool,
    pub schema: Option<serde_json::Value>,
    /// Always `provider_archive`.
    pub kind: &'static str,
}

impl From<&ParInspection> for ProviderSummary {
    fn from(par: &ParInspection) -> Self {
        let (meta, v) = (&par.metadata, &par.validation);
        ProviderSummary {
            name: meta.name.clone(),
            account: par.claims.iss.clone(),
            service: par.claims.sub.clone(),
            vendor: meta.vendor.clone(),
            version: meta.ver.clone(),
            revision: meta.rev,
            targets: par.targets.clone(),
            target_hashes: meta.target_hashes.clone(),
            expires: v.expires_human.clone(),
            can_be_used: v.not_before_human.clone(),
            signature_valid: v.signature_valid,
            embedded_wit: par.has_wit,
            compressed: par.compressed,
            schema: meta.config_schema.clone(),
            kind: "provider_archive",
        }
    }
}
