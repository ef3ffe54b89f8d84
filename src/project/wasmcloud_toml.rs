//! wash's `wasmcloud.toml`, read for compatibility and migrated into
//! `[package.metadata.wasmcloud]` of `Cargo.toml` by `migrate`.

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table};

use super::settings::{ProjectKind, Settings, WasmTarget};
use crate::fsutil;

pub const FILE_NAME: &str = "wasmcloud.toml";

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0} already has [package.metadata.wasmcloud]; remove it first or pass --force")]
    AlreadyMigrated(String),
    #[error("{0} has no [package] table: migrate a package's manifest, not a workspace's")]
    NotAPackage(String),
}

/// Settings read from a `wasmcloud.toml`, and the keys in it that have no counterpart.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Legacy {
    pub settings: Settings,
    /// Dotted keys that were not carried over (`language`, `registry.url`, ...).
    pub ignored: Vec<String>,
    /// wash's output directory (`build`, default `build/`), relative to the project.
    pub build_dir: Option<PathBuf>,
}

fn invalid(path: &Path, reason: impl Into<String>) -> MigrateError {
    MigrateError::Invalid {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// The `wasmcloud.toml` beside a manifest, if there is one.
pub fn find(manifest_path: &Path) -> Option<PathBuf> {
    let path = manifest_path.parent()?.join(FILE_NAME);
    path.is_file().then_some(path)
}

/// Reads a `wasmcloud.toml`.
pub fn read(path: &Path) -> Result<Legacy, MigrateError> {
    let text = std::fs::read_to_string(path).map_err(|source| MigrateError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse(&text).map_err(|reason| invalid(path, reason))
}

fn string(table: &Table, key: &str) -> Result<Option<String>, String> {
    match table.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_str()
            .map(|s| Some(s.to_string()))
            .ok_or_else(|| format!("`{key}` must be a string")),
    }
}

/// Parses `wasmcloud.toml` text.
pub fn parse(text: &str) -> Result<Legacy, String> {
    let doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        e.to_string()
            .lines()
            .next()
            .unwrap_or("invalid TOML")
            .to_string()
    })?;
    let root = doc.as_table();
    let mut legacy = Legacy::default();
    let s = &mut legacy.settings;
    s.name = string(root, "name")?;
    s.version = string(root, "version")?;
    if let Some(rev) = root.get("revision") {
        let rev = rev.as_integer().ok_or("`revision` must be a number")?;
        s.revision = Some(i32::try_from(rev).map_err(|_| "`revision` is out of range")?);
    }
    s.kind = match string(root, "type")?.as_deref() {
        None => None,
        Some("component" | "actor") => Some(ProjectKind::Actor),
        Some("provider") => Some(ProjectKind::Provider),
        Some(other) => return Err(format!("unknown project type {other:?}")),
    };
    if let Some(language) = string(root, "language")? {
        if language != "rust" {
            return Err(format!(
                "language is {language:?}: cargo wasmcloud builds Rust projects"
            ));
        }
    }
    legacy.build_dir = string(root, "build")?.map(PathBuf::from);
    const TOP: &[&str] = &["name", "version", "revision", "type", "language", "build"];
    for (key, _) in root.iter() {
        if !TOP.contains(&key) && !matches!(key, "component" | "actor" | "provider") {
            legacy.ignored.push(key.to_string());
        }
    }
    // `[actor]` is what wash called `[component]` before 0.30.
    for section in ["component", "actor"] {
        let Some(table) = root.get(section).and_then(Item::as_table) else {
            continue;
        };
        if let Some(dir) = string(table, "key_directory")? {
            s.key_directory = Some(PathBuf::from(dir));
        }
        if let Some(target) = string(table, "wasm_target")? {
            s.target = Some(match target.as_str() {
                "wasm32-wasip2" | "wasm32-wasi-preview2" => WasmTarget::Wasip2,
                "wasm32-wasip1" | "wasm32-wasi" | "wasm32-wasi-preview1" => WasmTarget::Wasip1,
                other => {
                    return Err(format!(
                        "wasm_target {other:?} is not supported: use wasm32-wasip2 or wasm32-wasip1"
                    ))
                }
            });
        }
        if let Some(tags) = table.get("tags") {
            let tags = tags.as_array().ok_or("`tags` must be an array")?;
            for tag in tags {
                s.tags
                    .push(tag.as_str().ok_or("`tags` must hold strings")?.to_string());
            }
        }
        if let Some(alias) = string(table, "call_alias")? {
            s.call_alias = Some(alias);
        }
        ignore_others(
            table,
            section,
            &["key_directory", "wasm_target", "tags", "call_alias"],
            &mut legacy.ignored,
        );
    }
    if let Some(table) = root.get("provider").and_then(Item::as_table) {
        s.vendor = string(table, "vendor")?;
        ignore_others(table, "provider", &["vendor"], &mut legacy.ignored);
    }
    Ok(legacy)
}

fn ignore_others(table: &Table, section: &str, known: &[&str], ignored: &mut Vec<String>) {
    for (key, _) in table.iter() {
        if !known.contains(&key) {
            ignored.push(format!("{section}.{key}"));
        }
    }
}

/// The `[package.metadata.wasmcloud]` table for `settings`, keys as `Settings` reads them.
fn settings_table(settings: &Settings) -> Table {
    let mut table = Table::new();
    let mut put = |key: &str, value: toml_edit::Value| {
        table.insert(key, Item::Value(value));
    };
    if let Some(kind) = settings.kind {
        put("kind", kind.to_string().into());
    }
    if let Some(name) = &settings.name {
        put("name", name.as_str().into());
    }
    if let Some(version) = &settings.version {
        put("version", version.as_str().into());
    }
    if let Some(revision) = settings.revision {
        put("revision", i64::from(revision).into());
    }
    if !settings.tags.is_empty() {
        put(
            "tags",
            toml_edit::Value::Array(settings.tags.iter().map(String::as_str).collect()),
        );
    }
    if let Some(alias) = &settings.call_alias {
        put("call-alias", alias.as_str().into());
    }
    if let Some(dir) = &settings.key_directory {
        put("key-directory", dir.display().to_string().into());
    }
    if let Some(target) = settings.target {
        put("target", target.triple().into());
    }
    if let Some(vendor) = &settings.vendor {
        put("vendor", vendor.as_str().into());
    }
    table
}

/// What `migrate` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Migrated {
    pub manifest: PathBuf,
    pub from: PathBuf,
    /// The table as written.
    pub table: String,
    pub ignored: Vec<String>,
}

/// Writes the settings of the `wasmcloud.toml` beside `manifest_path` into its
/// `[package.metadata.wasmcloud]`, keeping the rest of the manifest as it was (comments and
/// formatting included). The manifest is replaced atomically.
pub fn migrate(manifest_path: &Path, force: bool) -> Result<Migrated, MigrateError> {
    let from = manifest_path
        .parent()
        .map(|d| d.join(FILE_NAME))
        .filter(|p| p.is_file())
        .ok_or_else(|| {
            invalid(
                manifest_path,
                format!("no {FILE_NAME} beside it to migrate"),
            )
        })?;
    let legacy = read(&from)?;
    let io = |source| MigrateError::Io {
        path: manifest_path.display().to_string(),
        source,
    };
    let text = std::fs::read_to_string(manifest_path).map_err(io)?;
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| invalid(manifest_path, e.to_string()))?;
    let package = doc
        .get_mut("package")
        .and_then(Item::as_table_mut)
        .ok_or_else(|| MigrateError::NotAPackage(manifest_path.display().to_string()))?;
    let metadata = package
        .entry("metadata")
        .or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        })
        .as_table_mut()
        .ok_or_else(|| invalid(manifest_path, "`package.metadata` is not a table"))?;
    if metadata.contains_key("wasmcloud") && !force {
        return Err(MigrateError::AlreadyMigrated(
            manifest_path.display().to_string(),
        ));
    }
    let table = settings_table(&legacy.settings);
    let shown = {
        let mut metadata = Table::new();
        metadata.set_implicit(true);
        metadata.insert("wasmcloud", Item::Table(table.clone()));
        let mut package = Table::new();
        package.set_implicit(true);
        package.insert("metadata", Item::Table(metadata));
        let mut doc = DocumentMut::new();
        doc.insert("package", Item::Table(package));
        doc.to_string()
    };
    metadata.insert("wasmcloud", Item::Table(table));
    let new_text = doc.to_string();
    fsutil::write_atomic(manifest_path, fsutil::Mode::Public, |w| {
        w.write_all(new_text.as_bytes())
    })
    .map_err(io)?;
    Ok(Migrated {
        manifest: manifest_path.to_path_buf(),
        from,
        table: shown,
        ignored: legacy.ignored,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const WASH_TOML: &str = r#"
name = "http-hello-world"
language = "rust"
type = "component"
version = "0.2.0"
revision = 3

[component]
wit_world = "hello"
wasm_target = "wasm32-wasip2"
key_directory = "./keys"
tags = ["a", "b"]
call_alias = "hello"

[registry]
url = "localhost:5000"
"#;

    #[test]
    fn reads_what_wash_projects_have() {
        let legacy = parse(WASH_TOML).unwrap();
        let s = &legacy.settings;
        assert_eq!(s.kind, Some(ProjectKind::Actor));
        assert_eq!(s.name.as_deref(), Some("http-hello-world"));
        assert_eq!(s.version.as_deref(), Some("0.2.0"));
        assert_eq!(s.revision, Some(3));
        assert_eq!(s.target, Some(WasmTarget::Wasip2));
        assert_eq!(s.key_directory.as_deref(), Some(Path::new("./keys")));
        assert_eq!(s.tags, ["a", "b"]);
        assert_eq!(s.call_alias.as_deref(), Some("hello"));
        assert_eq!(legacy.ignored, ["registry", "component.wit_world"]);
    }

    #[test]
    fn the_written_table_reads_back_as_the_same_settings() {
        let legacy = parse(WASH_TOML).unwrap();
        let table = settings_table(&legacy.settings);
        let mut doc = DocumentMut::new();
        doc.insert("wasmcloud", Item::Table(table));
        let value: serde_json::Value = toml_edit::de::from_str(&doc.to_string()).unwrap();
        let back = Settings::from_package_metadata(&value).unwrap();
        assert_eq!(back, legacy.settings);
    }

    #[test]
    fn refuses_what_it_cannot_carry_over() {
        assert!(parse(r#"language = "go""#).unwrap_err().contains("Rust"));
        assert!(parse(r#"type = "widget""#).is_err());
        assert!(
            parse("[component]\nwasm_target = \"wasm32-unknown-unknown\"")
                .unwrap_err()
                .contains("not supported")
        );
        assert!(parse(r#"revision = "x""#).is_err());
        assert!(parse("not toml = = =").is_err());
    }
}
