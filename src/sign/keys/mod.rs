//! nkeys key kinds and the key directory wash users already have (`<name>_<kind>.nk` files
//! holding a seed each).

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use nkeys::{KeyPair, KeyPairType, XKey};

use crate::fsutil;

mod dir;
mod signing;

pub use dir::{default_account_name, read_key_file, KeyDir, StoredKey};
pub use signing::{resolve_key, signing_pair, ChosenKey, KeyOrigin, KeySource};

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
    #[error(
        "key file {path} is open to other users (mode {mode:04o}); a seed must be private: \
         `chmod 600 {path}`"
    )]
    TooOpen { path: String, mode: u32 },
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
