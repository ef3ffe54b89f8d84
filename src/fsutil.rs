//! File writes that never leave half a file behind: write a temporary file next to the
//! destination, flush it to disk, then rename it over the destination.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Permissions of a written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 0644 (or the existing file's mode when replacing one).
    Public,
    /// 0600: seeds and other secrets.
    Secret,
}

/// Writes `path` atomically. `write` gets a buffered writer on a temporary file in the same
/// directory; on any error the temporary file is removed and `path` is untouched.
pub fn write_atomic(
    path: &Path,
    mode: Mode,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("directory {} does not exist", dir.display()),
        ));
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // tempfile creates the file 0600, so a secret is never readable by others, not even
    // between creation and rename.
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    {
        let mut out = BufWriter::with_capacity(1 << 20, temp.as_file());
        write(&mut out)?;
        out.flush()?;
    }
    set_mode(temp.as_file(), mode, path)?;
    if mode == Mode::Secret {
        // A lost key cannot be rebuilt, so make it durable before it replaces anything.
        // Artifacts can be rebuilt, and skipping the flush halves the time to sign a large
        // component; the rename alone still means readers see the old file or the new one.
        temp.as_file().sync_all()?;
    }
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(unix)]
fn set_mode(file: &fs::File, mode: Mode, dest: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let bits = match mode {
        Mode::Secret => 0o600,
        Mode::Public => fs::metadata(dest)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o644),
    };
    file.set_permissions(fs::Permissions::from_mode(bits))
}

#[cfg(not(unix))]
fn set_mode(_file: &fs::File, _mode: Mode, _dest: &Path) -> io::Result<()> {
    Ok(())
}

/// Creates a directory (and its parents) readable only by its owner.
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.bin");
        let err = write_atomic(&dest, Mode::Public, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("boom"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "boom");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn replaces_whole_file_and_sets_modes() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("seed.nk");
        write_atomic(&dest, Mode::Secret, |w| w.write_all(b"one")).unwrap();
        write_atomic(&dest, Mode::Secret, |w| w.write_all(b"two")).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let public = dir.path().join("a.wasm");
            write_atomic(&public, Mode::Public, |w| w.write_all(b"x")).unwrap();
            let mode = fs::metadata(&public).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o644);
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("no/such/dir/out.wasm");
        let err = write_atomic(&dest, Mode::Public, |w| w.write_all(b"x")).unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }
}
