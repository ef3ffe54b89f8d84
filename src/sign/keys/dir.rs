//! The key directory: wash's `<name>_<kind>.nk` seed files, 0600 in a 0700 directory.

use super::*;

/// A key found in the key directory.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredKey {
    pub name: String,
    pub kind: Option<KeyKind>,
    pub public_key: Option<String>,
    pub path: PathBuf,
}

/// The directory of `.nk` seed files.
#[derive(Debug, Clone)]
pub struct KeyDir {
    pub(super) path: PathBuf,
}

impl KeyDir {
    /// `explicit` comes from `--keys-dir` or `WASH_KEYS`; otherwise `~/.wash/keys`.
    pub fn resolve(explicit: Option<PathBuf>) -> Result<KeyDir, KeyError> {
        let path = match explicit {
            Some(p) => p,
            None => home_dir()
                .ok_or(KeyError::NoHome)?
                .join(".wash")
                .join("keys"),
        };
        Ok(KeyDir { path })
    }

    pub fn at(path: impl Into<PathBuf>) -> KeyDir {
        KeyDir { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn dir_error(&self, source: io::Error) -> KeyError {
        KeyError::Dir {
            path: self.path.display().to_string(),
            source,
        }
    }

    /// Creates the directory (0700) if it does not exist.
    pub fn ensure(&self) -> Result<(), KeyError> {
        if self.path.is_dir() {
            return Ok(());
        }
        fsutil::create_private_dir(&self.path).map_err(|e| self.dir_error(e))
    }

    /// Path of the file for `name` of `kind`.
    pub fn file_for(&self, name: &str, kind: KeyKind) -> PathBuf {
        self.path.join(format!("{name}_{}.nk", kind.file_suffix()))
    }

    /// Reads a key by file name: `alice_account`, `alice_account.nk`.
    pub fn get(&self, name: &str) -> Result<Key, KeyError> {
        let file = if name.ends_with(".nk") {
            name.to_string()
        } else {
            format!("{name}.nk")
        };
        let path = self.path.join(&file);
        if !path.exists() {
            self.check_readable()?;
            return Err(KeyError::NotFound {
                name: name.to_string(),
                dir: self.path.display().to_string(),
                tried: file,
            });
        }
        read_key_file(&path)
    }

    /// Finds `name` of `kind`: `<name>.nk` or `<name>_<kind>.nk`.
    pub fn find(&self, name: &str, kind: KeyKind) -> Result<Option<Key>, KeyError> {
        self.check_readable()?;
        for path in [
            self.path.join(format!("{name}.nk")),
            self.file_for(name, kind),
        ] {
            if path.is_file() {
                return read_key_file(&path).map(Some);
            }
        }
        Ok(None)
    }

    fn check_readable(&self) -> Result<(), KeyError> {
        match fs::read_dir(&self.path) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.dir_error(e)),
        }
    }

    /// Reads `<name>_<kind>.nk`, or makes and saves a new key when it is missing and
    /// `generate` allows. Returns the key and whether it was made now.
    pub fn get_or_generate(
        &self,
        name: &str,
        kind: KeyKind,
        generate: bool,
    ) -> Result<(Key, bool), KeyError> {
        if let Some(key) = self.find(name, kind)? {
            return Ok((key, false));
        }
        let path = self.file_for(name, kind);
        if !generate {
            return Err(KeyError::KeygenDisabled(path.display().to_string()));
        }
        let key = Key::generate(kind);
        self.save(&key, name)?;
        Ok((key, true))
    }

    /// The key for a signing role: `given` (a seed, a seed file or a key name) when set,
    /// else `<default_name>_<kind>.nk`, made now when missing and `generate` allows.
    pub fn signing_key(
        &self,
        given: Option<&str>,
        default_name: &str,
        kind: KeyKind,
        role: &'static str,
        generate: bool,
    ) -> Result<(Key, KeyOrigin), KeyError> {
        if let Some(value) = given {
            let (key, source) = resolve_key(value, kind, role, self)?;
            return Ok((key, KeyOrigin::Given(source)));
        }
        let path = self.file_for(default_name, kind);
        let (key, generated) = self.get_or_generate(default_name, kind, generate)?;
        let origin = if generated {
            KeyOrigin::Generated(path)
        } else {
            KeyOrigin::Stored(path)
        };
        Ok((key, origin))
    }

    /// Writes a key as `<name>_<kind>.nk` (0600) without overwriting an existing file.
    pub fn save(&self, key: &Key, name: &str) -> Result<PathBuf, KeyError> {
        self.ensure()?;
        let path = self.file_for(name, key.kind);
        if path.exists() {
            return Err(KeyError::Exists {
                path: path.display().to_string(),
            });
        }
        fsutil::write_atomic(&path, fsutil::Mode::Secret, |w| {
            w.write_all(key.seed.as_bytes())
        })
        .map_err(|source| KeyError::File {
            path: path.display().to_string(),
            source,
        })?;
        Ok(path)
    }

    /// Every `.nk` file in the directory, sorted by name. A missing directory has no keys.
    pub fn list(&self) -> Result<Vec<StoredKey>, KeyError> {
        let entries = match fs::read_dir(&self.path) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.dir_error(e)),
        };
        let mut keys = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| self.dir_error(e))?;
            let path = entry.path();
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".nk"))
            else {
                continue;
            };
            // An unreadable or corrupt file is listed without a key rather than hidden.
            let key = read_key_file(&path).ok();
            keys.push(StoredKey {
                name: name.to_string(),
                kind: key.as_ref().map(|k| k.kind),
                public_key: key.map(|k| k.public_key),
                path,
            });
        }
        keys.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(keys)
    }
}

/// Reads a seed file. As ssh does with private keys, a file that others may read or write
/// is refused: its seed may already be known, and using it would hide that.
pub fn read_key_file(path: &Path) -> Result<Key, KeyError> {
    use std::io::Read;
    let file_error = |source| KeyError::File {
        path: path.display().to_string(),
        source,
    };
    let mut file = fs::File::open(path).map_err(file_error)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata().map_err(file_error)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::TooOpen {
                path: path.display().to_string(),
                mode,
            });
        }
    }
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(file_error)?;
    Key::from_seed(&text).map_err(|e| KeyError::InvalidSeed(format!("{}: {e}", path.display())))
}

/// The account key name wash uses: `$USER`, or `user`.
pub fn default_account_name() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "user".into())
}

fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}
