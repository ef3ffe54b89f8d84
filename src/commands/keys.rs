//! `keys gen|list|get`.

use clap::{Args, Subcommand};
use serde_json::json;

use std::path::PathBuf;

use crate::output::{Output, Table};
use cargo_wasmcloud::sign::keys::{Key, KeyKind};
use cargo_wasmcloud::sign::keys::{KeyDir, KeyError};

/// The key directory for `keys` commands, with wash's `-d` short flag (which `claims sign`
/// uses for its destination).
#[derive(Debug, Clone, Args)]
pub struct KeyDirArgs {
    /// Directory of `<name>_<kind>.nk` seed files [default: ~/.wash/keys]
    #[arg(
        short = 'd',
        long = "keys-dir",
        visible_alias = "directory",
        env = "WASH_KEYS",
        value_name = "DIR",
        hide_env_values = true
    )]
    keys_dir: Option<PathBuf>,
}

impl KeyDirArgs {
    fn resolve(&self) -> Result<KeyDir, KeyError> {
        KeyDir::resolve(self.keys_dir.clone())
    }
}

#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Generate a key pair and print its public key and seed
    Gen {
        /// account, component (module), provider (service), host (server), operator, user,
        /// cluster or curve
        #[arg(value_parser = parse_kind, value_name = "KIND")]
        kind: KeyKind,
        /// Save the seed as <NAME>_<kind>.nk in the key directory instead of printing it
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        #[command(flatten)]
        dir: KeyDirArgs,
    },
    /// List the keys in the key directory
    List {
        #[command(flatten)]
        dir: KeyDirArgs,
    },
    /// Print a key's seed and public key (NAME is the file name: alice_account)
    Get {
        name: String,
        #[command(flatten)]
        dir: KeyDirArgs,
    },
}

fn parse_kind(s: &str) -> Result<KeyKind, String> {
    KeyKind::parse(s).ok_or_else(|| {
        format!(
            "unknown key kind {s:?}; expected one of account, component, provider, host, \
             operator, user, cluster, curve"
        )
    })
}

pub fn run(args: KeysArgs, out: &Output) -> anyhow::Result<()> {
    match args.command {
        KeysCommand::Gen { kind, name, dir } => {
            let key = Key::generate(kind);
            match name {
                Some(name) => {
                    check_key_name(&name)?;
                    let path = dir.resolve()?.save(&key, &name)?;
                    let text = format!(
                        "Saved {kind} key to {}\nPublic key: {}",
                        path.display(),
                        key.public_key
                    );
                    out.result(
                        &text,
                        json!({"kind": kind, "public_key": key.public_key, "path": path}),
                    )?;
                }
                None => {
                    let text = format!(
                        "Public key: {}\nSeed:       {}\n\nThe seed is a secret: keep it safe.",
                        key.public_key,
                        key.seed()
                    );
                    out.result(
                        &text,
                        json!({"kind": kind, "public_key": key.public_key, "seed": key.seed()}),
                    )?;
                }
            }
        }
        KeysCommand::List { dir } => {
            let dir = dir.resolve()?;
            let keys = dir.list()?;
            let mut text = format!("Keys in {}:\n", dir.path().display());
            if keys.is_empty() {
                text.push_str("  (none)\n");
            }
            let mut table = Table::default();
            for key in &keys {
                let kind = key.kind.map_or("?", |k| k.file_suffix());
                let public = key.public_key.as_deref().unwrap_or("(unreadable seed)");
                table.row(format!("  {}", key.name), format!("{kind:<9} {public}"));
            }
            text.push_str(&table.render());
            out.result(&text, json!({"keys_dir": dir.path(), "keys": keys}))?;
        }
        KeysCommand::Get { name, dir } => {
            let dir = dir.resolve()?;
            let key = dir.get(&name)?;
            out.result(
                key.seed(),
                json!({
                    "name": name.trim_end_matches(".nk"),
                    "kind": key.kind,
                    "public_key": key.public_key,
                    "seed": key.seed(),
                }),
            )?;
        }
    }
    Ok(())
}

/// A key name becomes part of a file name: keep it to one plain path component.
pub fn check_key_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        anyhow::bail!("invalid key name {name:?}: use letters, digits, '_', '-' and '.'")
    }
}
