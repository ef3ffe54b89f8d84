//! What goes into a registry, without any I/O: media types, the CNCF Wasm config, the
//! manifest, and its digest. Components follow the CNCF "Wasm OCI Artifact" layout; provider
//! archives wasmCloud's own.

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::artifact::wasm::WasmKind;
pub use crate::artifact::wit::ComponentInterfaces;
pub use crate::artifact::ArtifactKind;

pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
pub const WASM_CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
pub const WASM_LAYER_MEDIA_TYPE: &str = "application/wasm";
/// Written by wash before mid-2024; still read.
pub const LEGACY_WASM_LAYER_MEDIA_TYPE: &str = "application/vnd.module.wasm.content.layer.v1+wasm";
pub const LEGACY_ACTOR_CONFIG_MEDIA_TYPE: &str = "application/vnd.wasmcloud.actor.archive.config";
/// Accepted on pull, as the 1.x host does.
pub const OCI_TAR_LAYER_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar";
pub const PAR_CONFIG_MEDIA_TYPE: &str = "application/vnd.wasmcloud.provider.archive.config";
pub const PAR_LAYER_MEDIA_TYPE: &str = "application/vnd.wasmcloud.provider.archive.layer.v1+par";

pub const TITLE_ANNOTATION: &str = "org.opencontainers.image.title";

/// The config blob of a Wasm artifact (`application/vnd.wasm.config.v0+json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WasmConfig {
    pub created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    pub architecture: String,
    pub os: String,
    pub layer_digests: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<ComponentInterfaces>,
}

/// `sha256:<hex>` of some bytes.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!(
        "sha256:{}",
        data_encoding::HEXLOWER.encode(&Sha256::digest(bytes))
    )
}

/// The `created` time: `SOURCE_DATE_EPOCH` when set (reproducible pushes), else now.
pub fn created_time(source_date_epoch: Option<&str>) -> Result<String, String> {
    let time = match source_date_epoch {
        Some(value) => {
            let secs: u64 = value.trim().parse().map_err(|_| {
                format!("SOURCE_DATE_EPOCH must be a number of seconds, not {value:?}")
            })?;
            UNIX_EPOCH + Duration::from_secs(secs)
        }
        None => std::time::SystemTime::now(),
    };
    Ok(humantime::format_rfc3339_seconds(time).to_string())
}

/// The metadata sections wasm-metadata writes (one custom section per field, holding its
/// text) and the `org.opencontainers.image.*` annotation each becomes.
pub const METADATA_ANNOTATIONS: &[(&str, &str)] = &[
    ("authors", "org.opencontainers.image.authors"),
    ("description", "org.opencontainers.image.description"),
    ("licenses", "org.opencontainers.image.licenses"),
    ("source", "org.opencontainers.image.source"),
    ("homepage", "org.opencontainers.image.url"),
    ("revision", "org.opencontainers.image.revision"),
    ("version", "org.opencontainers.image.version"),
];

/// The annotations given by a binary's metadata sections, as (section name, data) pairs.
pub fn metadata_annotations<'a>(
    sections: impl IntoIterator<Item = (&'a str, Vec<u8>)>,
) -> BTreeMap<String, String> {
    let mut annotations = BTreeMap::new();
    for (name, data) in sections {
        let Some((_, key)) = METADATA_ANNOTATIONS
            .iter()
            .find(|(field, _)| *field == name)
        else {
            continue;
        };
        if let Ok(text) = String::from_utf8(data) {
            annotations.insert(key.to_string(), text);
        }
    }
    annotations
}

/// An artifact ready to push: one layer, its config, and the manifest that ties them.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub kind: ArtifactKind,
    pub layer_media_type: &'static str,
    pub layer_digest: String,
    pub layer_annotations: BTreeMap<String, String>,
    pub config_media_type: &'static str,
    pub config: Vec<u8>,
    pub annotations: BTreeMap<String, String>,
}

/// The config and annotations for a Wasm binary whose digest is `layer_digest` (`name`
/// titles the layer; `annotations` come from [`metadata_annotations`]).
pub fn wasm_artifact(
    layer_digest: String,
    annotations: BTreeMap<String, String>,
    kind: WasmKind,
    interfaces: Option<ComponentInterfaces>,
    name: &str,
    created: String,
) -> Artifact {
    let (os, kind) = match kind {
        WasmKind::Component => ("wasip2", ArtifactKind::Component),
        WasmKind::CoreModule => ("wasip1", ArtifactKind::CoreModule),
    };
    let config = WasmConfig {
        created,
        author: None,
        architecture: "wasm".into(),
        os: os.into(),
        layer_digests: vec![layer_digest.clone()],
        component: interfaces,
    };
    Artifact {
        kind,
        layer_media_type: WASM_LAYER_MEDIA_TYPE,
        layer_digest,
        layer_annotations: BTreeMap::from([(TITLE_ANNOTATION.to_string(), format!("{name}.wasm"))]),
        config_media_type: WASM_CONFIG_MEDIA_TYPE,
        config: serde_json::to_vec(&config).unwrap_or_default(),
        annotations,
    }
}

/// The config and annotations for a provider archive: config `{}`, as wash writes it.
pub fn par_artifact(layer_digest: String) -> Artifact {
    Artifact {
        kind: ArtifactKind::ProviderArchive,
        layer_media_type: PAR_LAYER_MEDIA_TYPE,
        layer_digest,
        layer_annotations: BTreeMap::new(),
        config_media_type: PAR_CONFIG_MEDIA_TYPE,
        config: b"{}".to_vec(),
        annotations: BTreeMap::new(),
    }
}

/// Which artifact a pulled manifest describes, from its config and layer media types.
pub fn kind_of_manifest(
    config_media_type: &str,
    layer_media_type: &str,
) -> Result<ArtifactKind, String> {
    match (config_media_type, layer_media_type) {
        (PAR_CONFIG_MEDIA_TYPE, PAR_LAYER_MEDIA_TYPE | OCI_TAR_LAYER_MEDIA_TYPE) => {
            Ok(ArtifactKind::ProviderArchive)
        }
        (
            WASM_CONFIG_MEDIA_TYPE | LEGACY_ACTOR_CONFIG_MEDIA_TYPE,
            WASM_LAYER_MEDIA_TYPE | LEGACY_WASM_LAYER_MEDIA_TYPE | OCI_TAR_LAYER_MEDIA_TYPE,
        ) => Ok(ArtifactKind::Component),
        (config, layer) => Err(format!(
            "not a Wasm component or provider archive (config {config}, layer {layer})"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_comes_from_source_date_epoch() {
        assert_eq!(created_time(Some("0")).unwrap(), "1970-01-01T00:00:00Z");
        assert_eq!(
            created_time(Some("1767225600")).unwrap(),
            "2026-01-01T00:00:00Z"
        );
        assert!(created_time(Some("yesterday")).is_err());
        assert!(created_time(None).unwrap().ends_with('Z'));
    }

    #[test]
    fn config_has_the_cncf_keys() {
        let module = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
        let digest = sha256_digest(&module);
        let fields = [
            ("version", b"1.2.3".to_vec()),
            ("name", b"ignored".to_vec()),
            ("licenses", vec![0xff]),
        ];
        let annotations = metadata_annotations(fields);
        assert_eq!(
            annotations,
            BTreeMap::from([(
                "org.opencontainers.image.version".to_string(),
                "1.2.3".to_string()
            )])
        );
        let artifact = wasm_artifact(
            digest,
            annotations,
            WasmKind::CoreModule,
            None,
            "m",
            "T".into(),
        );
        let config: serde_json::Value = serde_json::from_slice(&artifact.config).unwrap();
        assert_eq!(config["architecture"], "wasm");
        assert_eq!(config["os"], "wasip1");
        assert_eq!(config["created"], "T");
        assert_eq!(config["layerDigests"][0], sha256_digest(&module));
        assert_eq!(artifact.layer_annotations[TITLE_ANNOTATION], "m.wasm");
    }

    #[test]
    fn manifests_are_classified_by_media_types() {
        assert_eq!(
            kind_of_manifest(WASM_CONFIG_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE),
            Ok(ArtifactKind::Component)
        );
        assert_eq!(
            kind_of_manifest(LEGACY_ACTOR_CONFIG_MEDIA_TYPE, LEGACY_WASM_LAYER_MEDIA_TYPE),
            Ok(ArtifactKind::Component)
        );
        assert_eq!(
            kind_of_manifest(PAR_CONFIG_MEDIA_TYPE, PAR_LAYER_MEDIA_TYPE),
            Ok(ArtifactKind::ProviderArchive)
        );
        assert!(kind_of_manifest("application/vnd.oci.image.config.v1+json", "x").is_err());
    }
}
