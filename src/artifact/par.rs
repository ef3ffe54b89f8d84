//! The provider archive (PAR) layout: a tar, usually gzipped, holding `claims.jwt`, an
//! optional `world.wasm`, and one `<arch>-<os>.bin` per target, as wasmCloud 1.x hosts load
//! them. What the claims say, and signing them, is `sign::par`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub const CLAIMS_ENTRY: &str = "claims.jwt";
pub const WIT_ENTRY: &str = "world.wasm";
/// The key of the WIT world's hash among the claims' target hashes.
pub const WIT_HASH_KEY: &str = "world.wasm";
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The target name of this machine, as hosts look it up: `x86_64-linux`, `aarch64-macos`.
pub fn native_target() -> String {
    format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS)
}

/// Whether `bytes` start like a provider archive (gzip, or a tar whose first entry is named
/// like one).
pub fn looks_like_par(head: &[u8]) -> bool {
    head.starts_with(&GZIP_MAGIC)
        || (head.len() >= 262 && &head[257..262] == b"ustar" && head[0] != 0)
}

/// Upper-case hex SHA-256 of some bytes, as the claims list them.
pub fn sha256_upper(bytes: &[u8]) -> String {
    data_encoding::HEXUPPER.encode(&Sha256::digest(bytes))
}

/// Upper-case hex SHA-256 of a file, streamed.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    sha256_open_file(&File::open(path)?)
}

/// The same for a file already open, read from its start with positional reads (the
/// handle's offset is left alone, so other threads may read it too).
pub fn sha256_open_file(file: &File) -> io::Result<String> {
    use std::os::unix::fs::FileExt;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut at = 0u64;
    loop {
        let n = match file.read_at(&mut buf, at) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        at += n as u64;
    }
    Ok(data_encoding::HEXUPPER.encode(&hasher.finalize()))
}

struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes the archive's tar entries: the token, the WIT world, then each `(target, binary)`.
pub fn write_entries(
    out: &mut dyn Write,
    token: &str,
    wit_world: Option<&[u8]>,
    binaries: &[(String, PathBuf)],
) -> io::Result<()> {
    let mut tar = tar::Builder::new(out);
    let mut append = |name: &str, size: u64, data: &mut dyn Read| -> io::Result<()> {
        // Like provider-archive: a GNU header with only path, size and checksum set.
        let mut header = tar::Header::new_gnu();
        header.set_path(name)?;
        header.set_size(size);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append(&header, data)
    };
    append(CLAIMS_ENTRY, token.len() as u64, &mut token.as_bytes())?;
    if let Some(wit) = wit_world {
        append(WIT_ENTRY, wit.len() as u64, &mut &wit[..])?;
    }
    for (target, path) in binaries {
        let file = File::open(path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let size = file.metadata()?.len();
        append(
            &format!("{target}.bin"),
            size,
            &mut BufReader::with_capacity(1 << 20, file),
        )?;
    }
    tar.into_inner().and_then(|w| w.flush())
}

/// What an archive holds, hashed as it was read.
#[derive(Debug, Clone)]
pub struct ArchiveContents {
    /// The text of `claims.jwt`, trimmed.
    pub token: Option<String>,
    /// Upper-case hex SHA-256 of each binary by target, and of the WIT world.
    pub hashes: BTreeMap<String, String>,
    pub has_wit: bool,
    pub compressed: bool,
}

/// Why an archive could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: io::Error },
    #[error("{0}")]
    Format(String),
}

/// Reads every entry of an archive once (gzipped or not), hashing the binaries.
pub fn read_entries(path: &Path) -> Result<ArchiveContents, ArchiveError> {
    let file = File::open(path).map_err(|source| ArchiveError::Read {
        path: path.display().to_string(),
        source,
    })?;
    read_entries_from(BufReader::with_capacity(1 << 20, file))
}

/// The same for an archive read from `input` (gzipped or not: told by its first bytes).
pub fn read_entries_from(mut input: impl BufRead) -> Result<ArchiveContents, ArchiveError> {
    let head = input
        .fill_buf()
        .map_err(|e| ArchiveError::Format(e.to_string()))?;
    let compressed = head.starts_with(&GZIP_MAGIC);
    let reader: Box<dyn Read + '_> = if compressed {
        Box::new(flate2::bufread::GzDecoder::new(input))
    } else {
        Box::new(input)
    };
    let bad = |e: io::Error| ArchiveError::Format(e.to_string());
    let mut archive = tar::Archive::new(reader);
    let mut contents = ArchiveContents {
        token: None,
        hashes: BTreeMap::new(),
        has_wit: false,
        compressed,
    };
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let name = entry_name(&entry)?;
        if name == CLAIMS_ENTRY {
            let mut text = String::new();
            entry
                .read_to_string(&mut text)
                .map_err(|e| ArchiveError::Format(format!("claims.jwt: {e}")))?;
            contents.token = Some(text.trim().to_string());
            continue;
        }
        let mut hasher = Sha256::new();
        io::copy(&mut entry, &mut HashWriter(&mut hasher)).map_err(bad)?;
        let hash = data_encoding::HEXUPPER.encode(&hasher.finalize());
        if name == WIT_ENTRY {
            contents.has_wit = true;
            contents.hashes.insert(WIT_HASH_KEY.to_string(), hash);
        } else if let Some(target) = name.strip_suffix(".bin") {
            contents.hashes.insert(target.to_string(), hash);
        }
    }
    Ok(contents)
}

/// An entry's name, when it is a plain file at the top of the archive. Anything else (a
/// path with `..` or `/`, a link, a directory, a device) is refused: a PAR holds only files,
/// and whoever unpacks one must never be led outside its directory.
fn entry_name<R: Read>(entry: &tar::Entry<'_, R>) -> Result<String, ArchiveError> {
    let path = entry
        .path()
        .map_err(|e| ArchiveError::Format(e.to_string()))?;
    let shown = path.to_string_lossy().into_owned();
    let mut components = path.components();
    let plain = matches!(
        (components.next(), components.next()),
        (Some(std::path::Component::Normal(_)), None)
    );
    if !plain {
        return Err(ArchiveError::Format(format!(
            "entry `{shown}` is not a plain file name (a PAR holds files at its top only)"
        )));
    }
    let kind = entry.header().entry_type();
    if !kind.is_file() {
        return Err(ArchiveError::Format(format!(
            "entry `{shown}` is a {}, not a file",
            match kind {
                tar::EntryType::Symlink => "symbolic link",
                tar::EntryType::Link => "hard link",
                tar::EntryType::Directory => "directory",
                _ => "special file",
            }
        )));
    }
    Ok(shown)
}
