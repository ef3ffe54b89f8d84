//! Which keys sign a project's artifacts.

use std::path::PathBuf;

use super::{Project, ProjectKind};
use crate::sign::keys::{signing_pair, ChosenKey, Key, KeyDir, KeyError, KeyKind};

/// Where signing keys come from, as `build` and `dev` are told.
#[derive(Debug, Clone)]
pub struct KeyPolicy {
    /// `--keys-dir` or `WASH_KEYS`; it wins over a project's `key-directory`.
    pub keys_dir: Option<PathBuf>,
    /// Make missing default keys (off with `--disable-keygen`).
    pub generate: bool,
}

impl Default for KeyPolicy {
    fn default() -> Self {
        KeyPolicy {
            keys_dir: None,
            generate: true,
        }
    }
}

impl KeyPolicy {
    /// The issuer and subject keys of a project: from its `key-directory` setting (unless a
    /// directory was given), else the given directory or `~/.wash/keys`. Components are
    /// subjects with module keys, providers with service keys.
    /// `chosen` hears of each key as it is had.
    pub fn keys_for(
        &self,
        project: &Project,
        chosen: &mut dyn FnMut(&ChosenKey),
    ) -> Result<(Key, Key), KeyError> {
        let dir = match &project.settings.key_directory {
            Some(own) if self.keys_dir.is_none() => KeyDir::at(project.dir().join(own)),
            _ => KeyDir::resolve(self.keys_dir.clone())?,
        };
        let subject_kind = match project.kind {
            ProjectKind::Provider => KeyKind::Service,
            _ => KeyKind::Module,
        };
        signing_pair(
            &dir,
            project.settings.issuer.as_deref(),
            project.settings.subject.as_deref(),
            &project.artifact,
            subject_kind,
            self.generate,
            chosen,
        )
    }
}
