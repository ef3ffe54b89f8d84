//! An actor's component: validated (and adapted from a wasip1 module), written beside its
//! signed copy, and signed unless its stamp says nothing changed.

use std::path::Path;

use super::stamp::{read_stamp, stamp_path, write_stamp, Stamp};
use super::{io_error, sha256_hex, BuildError, Built, SigningKeys};
use crate::artifact::wasm;
use crate::fsutil;
use crate::project::{Project, WasmTarget};
use crate::sign::{self, SignError};

/// The component cargo built for an actor: validated, and adapted if it is a wasip1 module.
pub(crate) fn load_component(project: &Project, artifact: &Path) -> Result<Vec<u8>, BuildError> {
    let bytes = std::fs::read(artifact).map_err(io_error(artifact))?;
    let component = match wasm::kind_of(&bytes) {
        Ok(wasm::WasmKind::Component) => bytes,
        Ok(wasm::WasmKind::CoreModule) if project.target() == WasmTarget::Wasip1 => {
            adapt_wasip1(&bytes, artifact)?
        }
        Ok(wasm::WasmKind::CoreModule) => {
            return Err(BuildError::InvalidWasm {
                path: artifact.display().to_string(),
                reason: "cargo produced a core module, not a component".into(),
            })
        }
        Err(e) => {
            return Err(BuildError::InvalidWasm {
                path: artifact.display().to_string(),
                reason: e.to_string(),
            })
        }
    };
    wasmparser::Validator::new()
        .validate_all(&component)
        .map_err(|e| BuildError::InvalidWasm {
            path: artifact.display().to_string(),
            reason: e.to_string(),
        })?;
    Ok(component)
}

/// Writes an actor's component to `<out>/<name>.wasm` and signs it into `<name>_s.wasm`
/// (unless the last signing was of the same bytes with the same claims).
pub(crate) fn finish_actor(
    project: &Project,
    component: Vec<u8>,
    artifact: &Path,
    out_dir: &Path,
    sign_outputs: bool,
    keys: &mut SigningKeys<'_>,
) -> Result<Built, BuildError> {
    let hash = wasm::module_hash(&component).map_err(SignError::from)?;

    // The component as built (adapted if need be), beside the signed one.
    let unsigned = out_dir.join(format!("{}.wasm", project.artifact));
    let output = out_dir.join(format!("{}_s.wasm", project.artifact));
    if std::fs::read(&unsigned).ok().as_deref() != Some(&component[..]) {
        fsutil::write_atomic(&unsigned, fsutil::Mode::Public, |w| w.write_all(&component))
            .map_err(io_error(&unsigned))?;
    }
    if !sign_outputs {
        return Ok(Built {
            package: project.package.clone(),
            kind: project.kind,
            path: unsigned,
            cargo_artifact: artifact.to_path_buf(),
            hash,
            issuer: String::new(),
            subject: String::new(),
            fresh: false,
            composition: None,
            virtualized: None,
        });
    }

    let (issuer, subject) = keys(project)?;
    let spec = project.claims_spec();
    let stamp = Stamp {
        input_sha256: sha256_hex(&component),
        vendor: None,
        name: spec.name.clone(),
        tags: spec.tags.clone(),
        rev: spec.rev,
        ver: spec.ver.clone(),
        call_alias: spec.call_alias.clone(),
        issuer: issuer.public_key.clone(),
        subject: subject.public_key.clone(),
    };
    let stamp_file = stamp_path(&output);
    let previous = read_stamp(&stamp_file);
    let output_intact = || {
        std::fs::read(&output)
            .ok()
            .and_then(|signed| sign::read_component_token(&signed).ok().flatten())
            .is_some_and(|token| token.metadata.hash == hash)
    };
    let fresh = previous.as_ref() == Some(&stamp) && output_intact();
    if !fresh {
        sign::sign_file(&unsigned, &output, &spec, || Ok((issuer, subject)))?;
        write_stamp(&stamp_file, &stamp)?;
    }
    Ok(Built {
        package: project.package.clone(),
        kind: project.kind,
        path: output,
        cargo_artifact: artifact.to_path_buf(),
        hash,
        issuer: stamp.issuer,
        subject: stamp.subject,
        fresh,
        composition: None,
        virtualized: None,
    })
}

/// Wraps a `wasm32-wasip1` core module into a component with the WASI preview 1 reactor
/// adapter.
fn adapt_wasip1(module: &[u8], path: &Path) -> Result<Vec<u8>, BuildError> {
    use wasi_preview1_component_adapter_provider::{
        WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
    };
    let fail = |e: anyhow::Error| BuildError::Adapt {
        path: path.display().to_string(),
        reason: format!("{e:#}"),
    };
    wit_component::ComponentEncoder::default()
        .module(module)
        .map_err(fail)?
        .adapter(
            WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
            WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
        )
        .map_err(fail)?
        .validate(true)
        .encode()
        .map_err(fail)
}
