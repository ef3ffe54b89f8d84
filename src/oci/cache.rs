//! Artifacts named by reference where a file was expected (`inspect REF`): telling a
//! reference from a path, and the cache they are pulled into.

use std::path::PathBuf;

use super::{parse_reference, pull, OciError, Progress, RegistryOptions};

/// Whether an argument that is not a file names an artifact in a registry: it has a
/// registry host (with a dot or a port, or localhost) before its first slash.
pub fn looks_like_reference(text: &str) -> bool {
    match text.split_once('/') {
        Some((host, rest)) => {
            !rest.is_empty()
                && (host.contains('.') || host.contains(':') || host == "localhost")
                && !host.starts_with('.')
        }
        None => false,
    }
}

/// Where artifacts pulled for inspection are kept: `$XDG_CACHE_HOME/cargo-wasmcloud/oci`,
/// else `~/.cache/cargo-wasmcloud/oci`.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("cargo-wasmcloud/oci")
}

/// Pulls `reference` into the cache and returns the file.
pub fn pull_cached(
    reference: &str,
    allow_latest: bool,
    opts: &RegistryOptions,
    progress: Progress,
) -> Result<PathBuf, OciError> {
    let reference = parse_reference(reference, allow_latest)?;
    let dir = cache_dir();
    std::fs::create_dir_all(&dir).map_err(|source| OciError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    Ok(pull(&reference, None, &dir, None, opts, progress)?.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_told_from_paths() {
        assert!(looks_like_reference("localhost:5000/hello:0.1.0"));
        assert!(looks_like_reference("ghcr.io/acme/hello:1"));
        assert!(!looks_like_reference("target/hello.wasm"));
        assert!(!looks_like_reference("./hello.wasm"));
        assert!(!looks_like_reference("hello.wasm"));
        assert!(!looks_like_reference("ghcr.io/"));
    }
}
