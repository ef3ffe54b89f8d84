//! wash's output layout for wash projects: their `local.wadm.yaml` points at
//! `file://./build/<name>_s.wasm` (or wasmcloud.toml's `build` directory), so the signed
//! output is written there too, and such a project deploys as it did with wash.

use super::{io_error, BuildError, Built};
use crate::fsutil;
use crate::project::Project;

/// Copies a finished output into the project's wash build directory, if it has one.
pub(super) fn mirror(project: &Project, built: &Built) -> Result<(), BuildError> {
    let (Some(dir), Some(name)) = (&project.wash_build_dir, built.path.file_name()) else {
        return Ok(());
    };
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let dest = dir.join(name);
    let bytes = std::fs::read(&built.path).map_err(io_error(&built.path))?;
    if std::fs::read(&dest).ok().as_deref() != Some(&bytes[..]) {
        fsutil::write_atomic(&dest, fsutil::Mode::Public, |w| w.write_all(&bytes))
            .map_err(io_error(&dest))?;
    }
    Ok(())
}
