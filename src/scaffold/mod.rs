//! `new`: projects from templates compiled into the binary (no git, no network).
//!
//! A template is a directory under `templates/`. Files ending in `.tmpl` have their
//! placeholders filled in and lose the suffix (so `cargo package` keeps `Cargo.toml.tmpl`);
//! a leading `_` becomes `.` (`_gitignore`); everything else is copied as it is.

mod new;

pub use new::{new_project, NewError, NewProject};

use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir, DirEntry};
use serde::Serialize;

use crate::project::ProjectKind;
use crate::witgen::glue::{starter_implementation, starter_provider, Role, GLUE_MODULE};
use crate::witgen::Generated;

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
    create_linked(template, values, dest, None)
}

/// An interface crate a new actor implements or uses.
pub struct InterfaceLink<'a> {
    pub role: Role,
    /// The interface crate's package name.
    pub package: &'a str,
    /// Its directory.
    pub dir: &'a Path,
    pub generated: &'a Generated,
}

/// Like [`create`], with the new actor depending on an interface crate: its Cargo.toml
/// gets the path dependency, wit-bindgen and `implements`/`uses`; its `src/lib.rs` stubs
/// the traits (implements) or brings in the client types (uses).
pub fn create_linked(
    template: &'static Template,
    values: &Values,
    dest: &Path,
    link: Option<&InterfaceLink>,
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
    if let Some(link) = link {
        let final_dir = std::path::absolute(&parent)
            .map_err(io(&parent))?
            .join(dest.file_name().unwrap_or_default());
        wire(template, staging.path(), &final_dir, values, link)?;
    }
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

/// The wit-bindgen the generated glue is written for.
const WIT_BINDGEN_REQ: &str = "0.57";
/// The wit-bindgen-wrpc of provider glue (the line wasmcloud-provider-sdk 0.17 speaks).
const WIT_BINDGEN_WRPC_REQ: &str = "0.10";

fn wire(
    template: &Template,
    staged: &Path,
    final_dir: &Path,
    values: &Values,
    link: &InterfaceLink,
) -> Result<(), ScaffoldError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| ScaffoldError::Io { path, source }
    };
    let manifest_path = staged.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest_path).map_err(io(&manifest_path))?;
    let mut manifest: toml_edit::DocumentMut =
        text.parse().expect("templates have valid Cargo.toml files");
    let iface_dir = std::path::absolute(link.dir).map_err(io(link.dir))?;
    let relative = relative_path(final_dir, &iface_dir);
    let mut dep = toml_edit::InlineTable::new();
    dep.insert("path", relative.to_string_lossy().replace('\\', "/").into());
    let deps = manifest["dependencies"].or_insert(toml_edit::table());
    deps[link.package] = toml_edit::value(dep);
    let provider = template.kind == ProjectKind::Provider;
    if provider {
        deps["wit-bindgen-wrpc"] = toml_edit::value(WIT_BINDGEN_WRPC_REQ);
    } else {
        deps["wit-bindgen"] = toml_edit::value(WIT_BINDGEN_REQ);
    }
    if link.role == Role::Implements && !provider {
        // The stub replaces the template's code, and with it the use of the WASI crate.
        if let Some(deps) = deps.as_table_like_mut() {
            deps.remove("wasip2");
        }
    }
    let key = match link.role {
        Role::Implements => "implements",
        Role::Uses => "uses",
    };
    let mut list = toml_edit::Array::new();
    list.push(link.package);
    manifest["package"]["metadata"]["wasmcloud"][key] = toml_edit::value(list);
    std::fs::write(&manifest_path, manifest.to_string()).map_err(io(&manifest_path))?;

    let crate_ident = link.package.replace('-', "_");
    if provider {
        let main_path = staged.join("src/main.rs");
        let main = starter_provider(
            &link.generated.package,
            &crate_ident,
            &values.description,
            &values.name,
        );
        return std::fs::write(&main_path, main).map_err(io(&main_path));
    }
    let lib_path = staged.join("src/lib.rs");
    let lib = match link.role {
        Role::Implements => {
            starter_implementation(&link.generated.package, &crate_ident, &values.description)
        }
        Role::Uses => {
            let text = std::fs::read_to_string(&lib_path).map_err(io(&lib_path))?;
            let clients: Vec<String> = link
                .generated
                .package
                .interfaces
                .iter()
                .map(|i| format!("{}Client", i.rust_name))
                .collect();
            let header_end = text
                .lines()
                .take_while(|l| l.starts_with("//!"))
                .map(|l| l.len() + 1)
                .sum::<usize>();
            format!(
                "{}\nmod {GLUE_MODULE};\n\n/// Clients implementing the `{crate_ident}` traits over this component's imports of\n\
                 /// `{}`: call them like any implementation of the traits.\n\
                 #[allow(unused_imports)]\nuse {GLUE_MODULE}::{crate_ident}::{{{}}};\n{}",
                &text[..header_end],
                link.generated.package.id(),
                clients.join(", "),
                &text[header_end..]
            )
        }
    };
    std::fs::write(&lib_path, lib).map_err(io(&lib_path))?;
    Ok(())
}

/// `to` relative to directory `from` (both absolute).
fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let canonical = |p: &Path| -> PathBuf {
        // The new project does not exist yet: canonicalize what does.
        match (p.parent(), p.file_name()) {
            _ if p.exists() => p.canonicalize().unwrap_or_else(|_| p.to_path_buf()),
            (Some(parent), Some(name)) => {
                let parent = parent
                    .canonicalize()
                    .unwrap_or_else(|_| parent.to_path_buf());
                parent.join(name)
            }
            _ => p.to_path_buf(),
        }
    };
    let (from, to) = (canonical(from), canonical(to));
    let from_parts: Vec<_> = from.components().collect();
    let to_parts: Vec<_> = to.components().collect();
    let common = from_parts
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = PathBuf::new();
    for _ in common..from_parts.len() {
        out.push("..");
    }
    for part in &to_parts[common..] {
        out.push(part);
    }
    out
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
