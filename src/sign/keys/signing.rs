//! Choosing the keys that sign: a seed, a seed file or a key name given, else the
//! default key file, made when missing.

use super::*;

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
/// when missing and `generate` allows. `chosen` hears of each key as soon as it is had, so a
/// key file made for the issuer is reported even when the subject then fails.
pub fn signing_pair(
    dir: &KeyDir,
    issuer: Option<&str>,
    subject: Option<&str>,
    subject_default: &str,
    subject_kind: KeyKind,
    generate: bool,
    chosen: &mut dyn FnMut(&ChosenKey),
) -> Result<(Key, Key), KeyError> {
    let mut choose =
        |given: Option<&str>, default_name: &str, kind: KeyKind, role: &'static str| {
            let (key, origin) = dir.signing_key(given, default_name, kind, role, generate)?;
            let key = ChosenKey { role, key, origin };
            chosen(&key);
            Ok::<_, KeyError>(key.key)
        };
    let issuer = choose(issuer, &default_account_name(), KeyKind::Account, "issuer")?;
    let subject = choose(subject, subject_default, subject_kind, "subject")?;
    Ok((issuer, subject))
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
