//! `new`: projects from templates compiled into the binary (no git, no network).
//!
//! A template is a directory under `templates/`. Files ending in `.tmpl` have their
//! placeholders filled in and lose the suffix (so `cargo package` keeps `Cargo.toml.tmpl`);
//! a leading `_` becomes `.` (`_gitignore`); everything else is copied as it is.

use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir, DirEntry};
use serde::Serialize;

use crate::build::ProjectKind;

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// A template users can pick.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Template {
    /// What `--template` takes.
    pub name: &'static str,
    pub kind: ProjectKind,
    pub description: &'static str,
    /// Its directory under `templates/`.
    #[serde(skip)]
    dir: &'static str,
}

/// Every template, the default of each kind first.
pub const TEMPLATES_LIST: &[Template] = &[
    Template {
        name: "http",
        kind: ProjectKind::Actor,
        description: "HTTP actor: exports wasi:http/incoming-handler (hello world)",
        dir: "actor-http",
    },
    Template {
        name: "keyvalue",
        kind: ProjectKind::Actor,
        description: "HTTP actor that counts visits in wasi:keyvalue",
        dir: "actor-keyvalue",
    },
    Template {
        name: "messaging",
        kind: ProjectKind::Actor,
        description: "messaging actor: handles wasmcloud:messaging messages and replies",
        dir: "actor-messaging",
    },
    Template {
        name: "provider",
        kind: ProjectKind::Provider,
        description: "capability provider on wasmcloud-provider-sdk (native, packed as a PAR)",
        dir: "provider",
    },
    Template {
        name: "interface",
        kind: ProjectKind::Interface,
        description: "interface crate: plain Rust traits that become WIT",
        dir: "interface",
    },
];

/// The templates of a kind, the default first.
pub fn templates_for(kind: ProjectKind) -> impl Iterator<Item = &'static Template> {
    TEMPLATES_LIST.iter().filter(move |t| t.kind == kind)
}

#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("invalid project name {name:?}: {reason}")]
    InvalidName { name: String, reason: String },
    #[error("invalid WIT namespace {0:?}: use lower-case letters, digits and single dashes, starting with a letter")]
    InvalidNamespace(String),
    #[error("no {kind} template named {name:?} (available: {available})")]
    UnknownTemplate {
        kind: ProjectKind,
        name: String,
        available: String,
    },
    #[error("{0} already exists; choose another name or --path")]
    Exists(String),
    #[error("parent directory {0} does not exist")]
    NoParent(String),
    #[error("writing {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Finds a template by kind and name (`None`: the kind's default).
pub fn find_template(
    kind: ProjectKind,
    name: Option<&str>,
) -> Result<&'static Template, ScaffoldError> {
    let mut candidates = templates_for(kind);
    let found = match name {
        None => candidates.next(),
        Some(name) => candidates.find(|t| t.name == name),
    };
    found.ok_or_else(|| ScaffoldError::UnknownTemplate {
        kind,
        name: name.unwrap_or("").to_string(),
        available: templates_for(kind)
            .map(|t| t.name)
            .collect::<Vec<_>>()
            .join(", "),
    })
}

const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Names cargo refuses or that clash with the standard library's crates.
const RESERVED: &[&str] = &["std", "core", "alloc", "proc_macro", "test"];

/// Checks a project name as cargo would for a package, plus what WIT needs: ASCII letters,
/// digits, `-` and `_`, starting with a letter, not a keyword.
pub fn check_name(name: &str) -> Result<(), ScaffoldError> {
    let fail = |reason: &str| {
        Err(ScaffoldError::InvalidName {
            name: name.to_string(),
            reason: reason.to_string(),
        })
    };
    if name.is_empty() {
        return fail("it is empty");
    }
    if name.len() > 64 {
        return fail("it is longer than 64 characters");
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return fail("it must start with a letter");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return fail("use only ASCII letters, digits, '-' and '_'");
    }
    let snake = name.replace('-', "_");
    if RUST_KEYWORDS.contains(&name) || RUST_KEYWORDS.contains(&snake.as_str()) {
        return fail("it is a Rust keyword");
    }
    if RESERVED.contains(&snake.as_str()) {
        return fail("it is reserved by Rust");
    }
    Ok(())
}

/// Checks a WIT namespace (a kebab-case identifier).
pub fn check_namespace(namespace: &str) -> Result<(), ScaffoldError> {
    let ok = namespace.split('-').all(|part| {
        !part.is_empty()
            && part.starts_with(|c: char| c.is_ascii_lowercase())
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    });
    if ok {
        Ok(())
    } else {
        Err(ScaffoldError::InvalidNamespace(namespace.to_string()))
    }
}

/// The values a template is filled in with.
#[derive(Debug, Clone)]
pub struct Values {
    /// The crate name as given (`my-actor`).
    pub name: String,
    pub namespace: String,
    pub description: String,
}

impl Values {
    fn placeholders(&self) -> Vec<(&'static str, String)> {
        let words: Vec<&str> = self
            .name
            .split(['-', '_'])
            .filter(|w| !w.is_empty())
            .collect();
        let pascal: String = words
            .iter()
            .map(|w| {
                let mut chars = w.chars();
                chars
                    .next()
                    .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect();
        // A WIT word must start with a letter: one that starts with a digit joins the word
        // before it (`actor-2x` → `actor2x`).
        let mut kebab = String::new();
        for word in &words {
            if !kebab.is_empty() && !word.starts_with(|c: char| c.is_ascii_digit()) {
                kebab.push('-');
            }
            kebab.push_str(&word.to_ascii_lowercase());
        }
        vec![
            ("{{name}}", self.name.clone()),
            ("{{name_snake}}", self.name.replace('-', "_")),
            ("{{name_pascal}}", pascal),
            ("{{package}}", kebab),
            ("{{namespace}}", self.namespace.clone()),
            ("{{description}}", self.description.replace('"', "'")),
        ]
    }
}

fn render(text: &str, placeholders: &[(&'static str, String)]) -> String {
    placeholders
        .iter()
        .fold(text.to_string(), |acc, (key, value)| {
            acc.replace(key, value)
        })
}

/// What `create` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    pub path: PathBuf,
    pub template: &'static str,
    pub kind: ProjectKind,
    pub files: Vec<PathBuf>,
}

/// Writes a new project from `template` into `dest`, which must not exist. The project is
/// written to a temporary directory beside `dest` and renamed into place, so a failure
/// leaves nothing behind.
pub fn create(
    template: &'static Template,
    values: &Values,
    dest: &Path,
) -> Result<Created, ScaffoldError> {
    check_name(&values.name)?;
    check_namespace(&values.namespace)?;
    if dest.exists() {
        return Err(ScaffoldError::Exists(dest.display().to_string()));
    }
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(ScaffoldError::NoParent(parent.display().to_string()));
    }
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| ScaffoldError::Io { path, source }
    };
    let staging = tempfile::Builder::new()
        .prefix(".cargo-wasmcloud-new.")
        .tempdir_in(&parent)
        .map_err(io(&parent))?;
    let root = TEMPLATES
        .get_dir(template.dir)
        .expect("every listed template is embedded");
    let placeholders = values.placeholders();
    let mut files = Vec::new();
    write_dir(root, root.path(), staging.path(), &placeholders, &mut files)?;
    files.sort();
    let staged = staging.keep();
    std::fs::rename(&staged, dest).map_err(|e| {
        let _ = std::fs::remove_dir_all(&staged);
        if dest.exists() {
            ScaffoldError::Exists(dest.display().to_string())
        } else {
            io(dest)(e)
        }
    })?;
    Ok(Created {
        path: dest.to_path_buf(),
        template: template.name,
        kind: template.kind,
        files,
    })
}

fn write_dir(
    dir: &Dir<'static>,
    root: &Path,
    out: &Path,
    placeholders: &[(&'static str, String)],
    files: &mut Vec<PathBuf>,
) -> Result<(), ScaffoldError> {
    for entry in dir.entries() {
        match entry {
            DirEntry::Dir(sub) => write_dir(sub, root, out, placeholders, files)?,
            DirEntry::File(file) => {
                let relative = file.path().strip_prefix(root).unwrap_or(file.path());
                let mut target = PathBuf::new();
                for part in relative.iter() {
                    let part = part.to_string_lossy();
                    let part = part
                        .strip_prefix('_')
                        .map_or(part.to_string(), |p| format!(".{p}"));
                    target.push(part);
                }
                let (target, contents) = match target.to_string_lossy().strip_suffix(".tmpl") {
                    Some(stripped) => {
                        let text = String::from_utf8_lossy(file.contents());
                        (
                            PathBuf::from(stripped),
                            render(&text, placeholders).into_bytes(),
                        )
                    }
                    None => (target.clone(), file.contents().to_vec()),
                };
                let full = out.join(&target);
                if let Some(parent) = full.parent() {
                    std::fs::create_dir_all(parent).map_err(|source| ScaffoldError::Io {
                        path: parent.display().to_string(),
                        source,
                    })?;
                }
                std::fs::write(&full, contents).map_err(|source| ScaffoldError::Io {
                    path: full.display().to_string(),
                    source,
                })?;
                files.push(target);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for good in ["hello", "my-actor", "my_actor2", "A1"] {
            check_name(good).unwrap();
        }
        for bad in [
            "",
            "1abc",
            "-x",
            "héllo",
            "has space",
            "fn",
            "self",
            "std",
            "a/b",
            "a.b",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?} accepted");
        }
        check_namespace("wasmcloud").unwrap();
        check_namespace("my-org2").unwrap();
        for bad in ["", "Upper", "a--b", "-a", "1a", "a_b"] {
            assert!(check_namespace(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn every_listed_template_is_embedded_with_a_manifest() {
        for t in TEMPLATES_LIST {
            let dir = TEMPLATES
                .get_dir(t.dir)
                .unwrap_or_else(|| panic!("{}", t.dir));
            assert!(
                dir.get_file(format!("{}/Cargo.toml.tmpl", t.dir)).is_some(),
                "{} has no Cargo.toml.tmpl",
                t.name
            );
        }
    }

    #[test]
    fn placeholders_render_every_form() {
        let values = Values {
            name: "my_cool-actor".into(),
            namespace: "acme".into(),
            description: "say \"hi\"".into(),
        };
        let out = render(
            "{{name}} {{name_snake}} {{name_pascal}} {{package}} {{namespace}} {{description}}",
            &values.placeholders(),
        );
        assert_eq!(
            out,
            "my_cool-actor my_cool_actor MyCoolActor my-cool-actor acme say 'hi'"
        );
        let values = Values {
            name: "Actor-2x".into(),
            ..values
        };
        assert_eq!(render("{{package}}", &values.placeholders()), "actor2x");
    }
}
