//! A provider's binary packed into a signed provider archive, unless its stamp says
//! nothing changed.

use std::path::Path;

use super::stamp::{read_stamp, stamp_path, write_stamp, Stamp};
use super::{io_error, BuildError, Built, SigningKeys};
use crate::artifact::par::sha256_file;
use crate::project::Project;
use crate::sign::par;

pub(crate) fn pack_provider(
    project: &Project,
    binary: &Path,
    out_dir: &Path,
    keys: &mut SigningKeys<'_>,
) -> Result<Built, BuildError> {
    let binary_hash = sha256_file(binary).map_err(io_error(binary))?;
    let spec = project.claims_spec();
    let vendor = project
        .settings
        .vendor
        .clone()
        .or_else(|| project.authors.first().cloned())
        .unwrap_or_else(|| "NoVendor".into());
    let (issuer, subject) = keys(project)?;
    let stamp = Stamp {
        input_sha256: binary_hash.clone(),
        vendor: Some(vendor.clone()),
        name: spec.name.clone(),
        tags: Vec::new(),
        rev: spec.rev,
        ver: spec.ver.clone(),
        call_alias: None,
        issuer: issuer.public_key.clone(),
        subject: subject.public_key.clone(),
    };
    let output = out_dir.join(format!("{}.par.gz", project.artifact));
    let stamp_file = stamp_path(&output);
    let previous = read_stamp(&stamp_file);
    let target = par::native_target();
    let output_intact = || {
        par::read_par(&output)
            .ok()
            .is_some_and(|p| p.metadata.target_hashes.get(&target) == Some(&binary_hash))
    };
    let fresh = previous.as_ref() == Some(&stamp) && output_intact();
    if !fresh {
        let par_spec = par::ParSpec {
            name: spec.name.clone().unwrap_or(project.package.clone()),
            vendor,
            rev: spec.rev,
            ver: spec.ver.clone(),
            binaries: vec![(target, binary.to_path_buf())],
            wit_world: None,
            config_schema: None,
            compress: true,
        };
        par::write_par(&output, &par_spec, &issuer, &subject)?;
        write_stamp(&stamp_file, &stamp)?;
    }
    Ok(Built {
        package: project.package.clone(),
        kind: project.kind,
        path: output,
        cargo_artifact: binary.to_path_buf(),
        hash: binary_hash,
        issuer: stamp.issuer,
        subject: stamp.subject,
        fresh,
        composition: None,
        virtualized: None,
    })
}
