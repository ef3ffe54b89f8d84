//! nkeys key kinds and the key directory wash users already have (`<name>_<kind>.nk` files
//! holding a seed each).

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use nkeys::{KeyPair, KeyPairType, XKey};

use crate::fsutil;

/// The kinds of nkeys wasmCloud uses. File suffixes are wash's, so existing keys are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    Account,
    Module,
    Service,
    Server,
    Operator,
    User,
    Cluster,
    Curve,
}

impl KeyKind {
    pub const ALL: [KeyKind; 8] = [
        KeyKind::Account,
        KeyKind::Module,
        KeyKind::Service,
        KeyKind::Server,
        KeyKind::Operator,
        KeyKind::User,
        KeyKind::Cluster,
        KeyKind::Curve,
    ];

    /// The suffix of key files of this kind (`alice_account.nk`).
    pub fn file_suffix(self) -> &'static str {
        match self {
            KeyKind::Account => "account",
            KeyKind::Module => "module",
            KeyKind::Service => "service",
            KeyKind::Server => "server",
            KeyKind::Operator => "operator",
            KeyKind::User => "user",
            KeyKind::Cluster => "cluster",
            KeyKind::Curve => "curve",
        }
    }

    /// What wasmCloud calls the holder of such a key.
    pub fn role(self) -> &'static str {
        match self {
            KeyKind::Account => "account",
            KeyKind::Module => "component",
            KeyKind::Service => "provider",
            KeyKind::Server => "host",
            KeyKind::Operator => "operator",
            KeyKind::User => "user",
            KeyKind::Cluster => "cluster",
            KeyKind::Curve => "curve",
        }
    }

    /// First character of public keys of this kind.
    pub fn public_prefix(self) -> char {
        match self {
            KeyKind::Account => 'A',
            KeyKind::Module => 'M',
            KeyKind::Service => 'V',
            KeyKind::Server => 'N',
            KeyKind::Operator => 'O',
            KeyKind::User => 'U',
            KeyKind::Cluster => 'C',
            KeyKind::Curve => 'X',
        }
    }

    /// Accepts wash's names and wasmCloud's role names: `component` = `module`,
    /// `provider` = `service`, `host` = `server`.
    pub fn parse(name: &str) -> Option<KeyKind> {
        Some(match name.to_ascii_lowercase().as_str() {
            "account" => KeyKind::Account,
            "module" | "component" | "actor" => KeyKind::Module,
            "service" | "provider" => KeyKind::Service,
            "server" | "host" => KeyKind::Server,
            "operator" => KeyKind::Operator,
            "user" => KeyKind::User,
            "cluster" => KeyKind::Cluster,
            "curve" => KeyKind::Curve,
            _ => return None,
        })
    }

    fn from_public_prefix(c: char) -> Option<KeyKind> {
        KeyKind::ALL.into_iter().find(|k| k.public_prefix() == c)
    }

    fn nkeys_type(self) -> KeyPairType {
        match self {
            KeyKind::Account => KeyPairType::Account,
            KeyKind::Module => KeyPairType::Module,
            KeyKind::Service => KeyPairType::Service,
            KeyKind::Server => KeyPairType::Server,
            KeyKind::Operator => KeyPairType::Operator,
            KeyKind::User => KeyPairType::User,
            KeyKind::Cluster => KeyPairType::Cluster,
            KeyKind::Curve => KeyPairType::Curve,
        }
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file_suffix())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0}")]
    InvalidSeed(String),
    #[error("expected {expected} key for the {role}, but got {found} key ({hint})")]
    WrongKind {
        role: &'static str,
        expected: String,
        found: String,
        hint: String,
    },
    #[error("{what} is a public key; signing needs the seed (it starts with S)")]
    PublicKeyGiven { what: String },
    #[error("no key {name:?} in {dir} (looked for {tried})")]
    NotFound {
        name: String,
        dir: String,
        tried: String,
    },
    #[error("key {0} is missing and key generation is disabled (--disable-keygen)")]
    KeygenDisabled(String),
    #[error("key file {path} already exists; refusing to overwrite it")]
    Exists { path: String },
    #[error("no home directory: set --keys-dir or WASH_KEYS")]
    NoHome,
    #[error("key directory {path}: {source}")]
    Dir { path: String, source: io::Error },
    #[error("key file {path}: {source}")]
    File { path: String, source: io::Error },
}

fn article(kind: KeyKind) -> String {
    let name = kind.file_suffix();
    if name.starts_with(['a', 'o', 'u']) {
        format!("an {name}")
    } else {
        format!("a {name}")
    }
}

/// A seed and the key pair it makes.
pub struct Key {
    pub kind: KeyKind,
    pub public_key: String,
    seed: String,
}

impl fmt::Debug for Key {
    // Never print seeds by accident.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("kind", &self.kind)
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

impl Key {
    /// Generates a fresh key of the given kind.
    pub fn generate(kind: KeyKind) -> Key {
        if kind == KeyKind::Curve {
            // Curve keys are x25519: their public key is not the ed25519 one.
            let xkey = XKey::new();
            let seed = xkey.seed().unwrap_or_default();
            return Key {
                kind,
                public_key: xkey.public_key(),
                seed,
            };
        }
        let pair = KeyPair::new(kind.nkeys_type());
        Key {
            kind,
            public_key: pair.public_key(),
            seed: pair.seed().unwrap_or_default(),
        }
    }

    /// Parses a seed (`S…`).
    pub fn from_seed(seed: &str) -> Result<Key, KeyError> {
        let seed = seed.trim();
        let (prefix, _) = nkeys::decode_seed(seed)
            .map_err(|e| KeyError::InvalidSeed(format!("not a valid nkeys seed: {e}")))?;
        let kind = kind_from_prefix_byte(prefix)
            .ok_or_else(|| KeyError::InvalidSeed("seed of an unknown key kind".into()))?;
        let public_key = if kind == KeyKind::Curve {
            XKey::from_seed(seed)
                .map_err(|e| KeyError::InvalidSeed(e.to_string()))?
                .public_key()
        } else {
            KeyPair::from_seed(seed)
                .map_err(|e| KeyError::InvalidSeed(e.to_string()))?
                .public_key()
        };
        Ok(Key {
            kind,
            public_key,
            seed: seed.to_string(),
        })
    }

    /// The secret seed. Callers print it only when the user asked for it.
    pub fn seed(&self) -> &str {
        &self.seed
    }

    /// The signing key pair (not for curve keys, which do not sign).
    pub fn pair(&self) -> Result<KeyPair, KeyError> {
        if self.kind == KeyKind::Curve {
            return Err(KeyError::InvalidSeed("curve keys cannot sign".into()));
        }
        KeyPair::from_seed(&self.seed).map_err(|e| KeyError::InvalidSeed(e.to_string()))
    }

    /// Fails unless this key is of the kind `role` needs.
    pub fn expect_kind(&self, expected: KeyKind, role: &'static str) -> Result<(), KeyError> {
        if self.kind == expected {
            return Ok(());
        }
        Err(KeyError::WrongKind {
            role,
            expected: article(expected),
            found: article(self.kind),
            hint: format!(
                "its public key starts with {}, {} key's with {}",
                self.kind.public_prefix(),
                article(expected),
                expected.public_prefix()
            ),
        })
    }
}

fn kind_from_prefix_byte(prefix: u8) -> Option<KeyKind> {
    // nkeys prefix bytes are the base32 value of the public-key letter shifted by 3.
    let letter = data_encoding::BASE32_NOPAD
        .encode(&[prefix])
        .chars()
        .next()?;
    KeyKind::from_public_prefix(letter)
}

/// The kind of a public key (`A…`, `M…`), if it is one.
pub fn public_key_kind(public_key: &str) -> Option<KeyKind> {
    let (prefix, _) = nkeys::from_public_key(public_key).ok()?;
    kind_from_prefix_byte(prefix)
}

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
    path: PathBuf,
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

/// Reads a seed file.
pub fn read_key_file(path: &Path) -> Result<Key, KeyError> {
    let text = fs::read_to_string(path).map_err(|source| KeyError::File {
        path: path.display().to_string(),
        source,
    })?;
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

/// Where a key given on the command line comes from.
#[derive(Debug)]
pub enum KeySource {
    /// The seed itself.
    Seed,
    /// A seed file given by path.
    File(PathBuf),
    /// A key in the key directory.
    Stored(PathBuf),
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Seed => f.write_str("the seed given"),
            KeySource::File(p) | KeySource::Stored(p) => write!(f, "{}", p.display()),
        }
    }
}

/// Where a signing key came from.
#[derive(Debug)]
pub enum KeyOrigin {
    /// Named on the command line or in settings.
    Given(KeySource),
    /// The default key file, which existed.
    Stored(PathBuf),
    /// The default key file, made now.
    Generated(PathBuf),
}

/// A signing key, its role (`issuer` or `subject`), and where it came from.
#[derive(Debug)]
pub struct ChosenKey {
    pub role: &'static str,
    pub key: Key,
    pub origin: KeyOrigin,
}

/// The issuer (account) and subject keys for signing: each from its setting when given,
/// else the default key file (`$USER_account.nk`, `<subject_default>_<kind>.nk`), made now
/// when missing and `generate` allows.
pub fn signing_pair(
    dir: &KeyDir,
    issuer: Option<&str>,
    subject: Option<&str>,
    subject_default: &str,
    subject_kind: KeyKind,
    generate: bool,
) -> Result<[ChosenKey; 2], KeyError> {
    let choose = |given: Option<&str>, default_name: &str, kind: KeyKind, role: &'static str| {
        let (key, origin) = dir.signing_key(given, default_name, kind, role, generate)?;
        Ok::<_, KeyError>(ChosenKey { role, key, origin })
    };
    Ok([
        choose(issuer, &default_account_name(), KeyKind::Account, "issuer")?,
        choose(subject, subject_default, subject_kind, "subject")?,
    ])
}

/// Resolves a `--issuer`/`--subject` value: a seed, a path to a seed file, or a key name in
/// the key directory (`alice` finds `alice.nk` or `alice_<kind>.nk`). The key must be of
/// `expected` kind.
pub fn resolve_key(
    value: &str,
    expected: KeyKind,
    role: &'static str,
    dir: &KeyDir,
) -> Result<(Key, KeySource), KeyError> {
    let value = value.trim();
    let (key, source) = if value.starts_with('S') && nkeys::decode_seed(value).is_ok() {
        (Key::from_seed(value)?, KeySource::Seed)
    } else if public_key_kind(value).is_some() {
        return Err(KeyError::PublicKeyGiven {
            what: format!("the {role} key {value}"),
        });
    } else if Path::new(value).is_file() {
        let path = PathBuf::from(value);
        (read_key_file(&path)?, KeySource::File(path))
    } else {
        let key = dir
            .find(value, expected)?
            .ok_or_else(|| KeyError::NotFound {
                name: value.to_string(),
                dir: dir.path.display().to_string(),
                tried: format!("{value}.nk, {value}_{expected}.nk"),
            })?;
        let path = dir.file_for(value, expected);
        (key, KeySource::Stored(path))
    };
    key.expect_kind(expected, role)?;
    Ok((key, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_seeds() {
        for kind in KeyKind::ALL {
            let key = Key::generate(kind);
            assert!(key.public_key.starts_with(kind.public_prefix()), "{kind}");
            assert_eq!(key.public_key.len(), 56);
            assert_eq!(key.seed().len(), 58);
            assert!(key
                .seed()
                .starts_with(&format!("S{}", kind.public_prefix())));
            let back = Key::from_seed(key.seed()).unwrap();
            assert_eq!(back.kind, kind);
            assert_eq!(back.public_key, key.public_key);
            if kind != KeyKind::Curve {
                assert_eq!(public_key_kind(&key.public_key), Some(kind));
            }
        }
    }

    #[test]
    fn spec_keys_decode() {
        let account =
            Key::from_seed("SAAAW5UDXHSLGTZ4CSTWLDTKU5LCPCJPNGQRFJKJNBIYJ2IK7I4JMGT3IU").unwrap();
        assert_eq!(account.kind, KeyKind::Account);
        assert_eq!(
            account.public_key,
            "ACEHKPUXJTI7PM4XTZHKQUW4YXWLWKKXMKAP4OS6NMTQVPHPPRLC2LGV"
        );
        let module =
            Key::from_seed("SMAAGZBEBT3RIMAX2QVGUJHHKPNECDPF3ZQBI2EPCHYR3I7RR24IKUDOQE").unwrap();
        assert_eq!(module.kind, KeyKind::Module);
        let err = module.expect_kind(KeyKind::Account, "issuer").unwrap_err();
        assert!(err.to_string().contains("expected an account key"), "{err}");
    }

    #[test]
    fn rejects_bad_seeds() {
        assert!(Key::from_seed("").is_err());
        assert!(
            Key::from_seed("SAAAW5UDXHSLGTZ4CSTWLDTKU5LCPCJPNGQRFJKJNBIYJ2IK7I4JMGT3IV").is_err()
        );
        assert!(Key::from_seed("hello").is_err());
    }

    #[test]
    fn role_names_parse() {
        assert_eq!(KeyKind::parse("component"), Some(KeyKind::Module));
        assert_eq!(KeyKind::parse("provider"), Some(KeyKind::Service));
        assert_eq!(KeyKind::parse("host"), Some(KeyKind::Server));
        assert_eq!(KeyKind::parse("Account"), Some(KeyKind::Account));
        assert_eq!(KeyKind::parse("nope"), None);
    }
}
