//! `wit`: WIT generated from plain Rust traits, and the glue that lets actors implement or
//! call those traits with no hand-written WIT or wit-bindgen calls.
//!
//! `scan` reads an interface crate into the `model`; `print` writes the model as WIT, which
//! is always re-parsed with wit-parser before anyone sees it; `glue` writes the Rust that
//! actors compile against; `sync` decides which files of a workspace to (re)write.

pub mod glue;
pub mod impls;
pub mod model;
pub mod names;
pub mod print;
pub mod scan;
pub mod source;
pub mod sync;

use std::path::PathBuf;

pub use model::Package;
pub use scan::CrateInfo;

#[derive(Debug, thiserror::Error)]
pub enum WitgenError {
    /// A problem in the Rust source, with its location.
    #[error("{file}:{line}:{column}: {message}")]
    At {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Other(String),
    /// The WIT made from valid Rust did not parse: a bug here, shown with wit-parser's
    /// rendering so it can be reported.
    #[error("the generated WIT for `{package}` does not parse (please report this): {rendered}")]
    InvalidWit { package: String, rendered: String },
}

/// An interface crate's package and WIT text.
#[derive(Debug, Clone)]
pub struct Generated {
    pub package: Package,
    pub wit: String,
}

/// Scans an interface crate and prints its WIT, validated by wit-parser.
pub fn generate(info: &CrateInfo) -> Result<Generated, WitgenError> {
    // The scan and wit-parser both recurse over the nesting the source has.
    source::with_deep_stack(|| generate_here(info))
}

fn generate_here(info: &CrateInfo) -> Result<Generated, WitgenError> {
    let package = scan::scan_here(info)?;
    let wit = print::wit_text(&package, info.package_name);
    validate(&wit, &format!("{}.wit", package.name)).map_err(|rendered| {
        WitgenError::InvalidWit {
            package: package.id(),
            rendered,
        }
    })?;
    Ok(Generated { package, wit })
}

/// Parses and resolves WIT text; the error is wit-parser's rendering, with the location.
pub fn validate(wit: &str, file_name: &str) -> Result<(), String> {
    let mut resolve = wit_parser::Resolve::default();
    resolve
        .push_str(file_name, wit)
        .map(|_| ())
        .map_err(|e| resolve.render_error(&e))
}
