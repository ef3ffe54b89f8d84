//! File writes that never leave half a file behind: write a temporary file next to the
//! destination, flush it to disk, then rename it over the destination.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

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
    let mut file = AtomicFile::create(path, mode)?;
    write(&mut file)?;
    file.commit()
}

/// A file being written beside its destination, which it replaces on [`commit`]. Dropped
/// without a commit, it is deleted and the destination is untouched.
///
/// On Linux the file has no name until the commit (`O_TMPFILE`), so even a process killed
/// outright (SIGKILL, a crash) leaves nothing behind: the kernel frees the unnamed file. It
/// is named at the last moment, `.NAME.XXXXXX.tmp` beside the destination, and renamed over
/// it at once. Elsewhere, or on a filesystem without `O_TMPFILE`, the file has that name from
/// the start, so a killed process may leave it.
///
/// [`commit`]: AtomicFile::commit
pub struct AtomicFile {
    temp: Temp,
    out: BufWriter<fs::File>,
    dest: PathBuf,
    mode: Mode,
}

enum Temp {
    /// Linux: not in any directory until [`AtomicFile::commit`] links it into `dir`.
    #[cfg(target_os = "linux")]
    Unnamed {
        file: fs::File,
        dir: PathBuf,
    },
    Named(tempfile::NamedTempFile),
}

impl Temp {
    fn file(&self) -> &fs::File {
        match self {
            #[cfg(target_os = "linux")]
            Temp::Unnamed { file, .. } => file,
            Temp::Named(temp) => temp.as_file(),
        }
    }
}

impl AtomicFile {
    pub fn create(dest: &Path, mode: Mode) -> io::Result<AtomicFile> {
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("directory {} does not exist", dir.display()),
            ));
        }
        // Said now rather than at the rename, after all the work (and, for signing, after
        // keys were made).
        if dest.is_dir() {
            return Err(io::ErrorKind::IsADirectory.into());
        }
        let temp = match unnamed_in(dir) {
            Some(temp) => temp,
            // Created 0600 by tempfile, so a secret is never readable by others, not even
            // between creation and rename.
            None => Temp::Named(
                tempfile::Builder::new()
                    .prefix(&temp_prefix(dest))
                    .suffix(".tmp")
                    .tempfile_in(dir)?,
            ),
        };
        let out = BufWriter::with_capacity(1 << 20, temp.file().try_clone()?);
        Ok(AtomicFile {
            temp,
            out,
            dest: dest.to_path_buf(),
            mode,
        })
    }

    /// The temporary file, with everything written so far flushed to it: for checking what
    /// was written before it replaces anything.
    pub fn flushed_temp_path(&mut self) -> io::Result<PathBuf> {
        self.out.flush()?;
        Ok(match &self.temp {
            #[cfg(target_os = "linux")]
            Temp::Unnamed { file, .. } => proc_path(file),
            Temp::Named(temp) => temp.path().to_path_buf(),
        })
    }

    /// Drops everything written so far, to write the file again from its start.
    pub fn rewind(&mut self) -> io::Result<()> {
        use std::io::{Seek, SeekFrom};
        self.out.flush()?;
        let file = self.out.get_mut();
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        Ok(())
    }

    /// Flushes, sets the mode and renames the file over its destination.
    pub fn commit(mut self) -> io::Result<()> {
        self.out.flush()?;
        set_mode(self.temp.file(), self.mode, &self.dest)?;
        if self.mode == Mode::Secret {
            // A lost key cannot be rebuilt, so make it durable before it replaces anything.
            // Artifacts can be rebuilt, and skipping the flush halves the time to sign a
            // large component; the rename alone still means readers see the old file or the
            // new one, never a part.
            self.temp.file().sync_all()?;
        }
        match self.temp {
            #[cfg(target_os = "linux")]
            Temp::Unnamed { file, dir } => link_over(&file, &dir, &self.dest),
            Temp::Named(temp) => temp.persist(&self.dest).map(drop).map_err(|e| e.error),
        }
    }
}

fn temp_prefix(dest: &Path) -> String {
    let file_name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{file_name}.")
}

/// An unnamed file in `dir` (0600), or `None` where the filesystem cannot make one.
#[cfg(target_os = "linux")]
fn unnamed_in(dir: &Path) -> Option<Temp> {
    use rustix::fs::{Mode as Perm, OFlags};
    // The file is named later through /proc/self/fd: without /proc it could never be.
    if !Path::new("/proc/self/fd").is_dir() {
        return None;
    }
    let fd = rustix::fs::open(
        dir,
        OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
        Perm::from_raw_mode(0o600),
    )
    .ok()?;
    Some(Temp::Unnamed {
        file: fs::File::from(fd),
        dir: dir.to_path_buf(),
    })
}

#[cfg(not(target_os = "linux"))]
fn unnamed_in(_dir: &Path) -> Option<Temp> {
    None
}

#[cfg(target_os = "linux")]
fn proc_path(file: &fs::File) -> PathBuf {
    use std::os::fd::AsRawFd;
    PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()))
}

/// Gives the unnamed `file` a temporary name in `dir` and renames it over `dest`: the name
/// exists for the two system calls between, and is removed if the rename fails.
#[cfg(target_os = "linux")]
fn link_over(file: &fs::File, dir: &Path, dest: &Path) -> io::Result<()> {
    use rustix::fs::{AtFlags, CWD};
    let prefix = temp_prefix(dest);
    let mut attempt = 0u32;
    loop {
        let name = dir.join(format!("{prefix}{:08x}.tmp", random_suffix(attempt)));
        match rustix::fs::linkat(CWD, proc_path(file), CWD, &name, AtFlags::SYMLINK_FOLLOW) {
            Ok(()) => {
                return fs::rename(&name, dest).inspect_err(|_| {
                    let _ = fs::remove_file(&name);
                })
            }
            Err(rustix::io::Errno::EXIST) if attempt < 16 => attempt += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Not for secrecy, only to keep concurrent writers' names apart.
#[cfg(target_os = "linux")]
fn random_suffix(attempt: u32) -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.write_u32(attempt);
    hasher.finish() as u32
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
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
    fn a_directory_as_destination_is_refused_before_any_write() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("taken");
        fs::create_dir(&dest).unwrap();
        let err = AtomicFile::create(&dest, Mode::Public).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::IsADirectory);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(fs::read_dir(&dest).unwrap().next().is_none());
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
