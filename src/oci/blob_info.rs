//! Where blobs were seen: for each registry and digest, the repositories this tool pushed it
//! to or pulled it from (most recent first), as skopeo's blob-info cache keeps them. A push
//! to another repository of the same registry then mounts the blob from one of them
//! instead of uploading it again. The cache is advice only: a stale entry costs one
//! declined mount, and an unreadable file is an empty cache.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fsutil;

/// Repositories kept per blob: enough to find a live one, small enough to stay a small file.
const REPOSITORIES_PER_BLOB: usize = 4;
/// Blobs kept per registry, the least recently recorded dropped first.
const BLOBS_PER_REGISTRY: usize = 512;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct BlobInfo {
    /// registry → digest → (order of recording, repositories most recent first).
    registries: BTreeMap<String, BTreeMap<String, (u64, Vec<String>)>>,
    #[serde(default)]
    clock: u64,
}

/// `$XDG_CACHE_HOME/cargo-wasmcloud/blob-info.json`, else under `~/.cache`.
pub fn blob_info_path() -> PathBuf {
    super::cache::cache_dir()
        .parent()
        .map(|p| p.join("blob-info.json"))
        .unwrap_or_else(|| PathBuf::from("blob-info.json"))
}

impl BlobInfo {
    pub fn load() -> BlobInfo {
        load_from(&blob_info_path())
    }

    /// Repositories of `registry` known to hold `digest`, most recent first, without
    /// `except` (the push's own repository).
    pub fn sources(&self, registry: &str, digest: &str, except: &str) -> Vec<String> {
        self.registries
            .get(registry)
            .and_then(|blobs| blobs.get(digest))
            .map(|(_, repos)| repos.iter().filter(|r| *r != except).cloned().collect())
            .unwrap_or_default()
    }

    pub fn record(&mut self, registry: &str, repository: &str, digest: &str) {
        self.clock += 1;
        let blobs = self.registries.entry(registry.to_string()).or_default();
        let (when, repos) = blobs.entry(digest.to_string()).or_default();
        *when = self.clock;
        repos.retain(|r| r != repository);
        repos.insert(0, repository.to_string());
        repos.truncate(REPOSITORIES_PER_BLOB);
        if blobs.len() > BLOBS_PER_REGISTRY {
            if let Some(oldest) = blobs
                .iter()
                .min_by_key(|(_, (when, _))| *when)
                .map(|(d, _)| d.clone())
            {
                blobs.remove(&oldest);
            }
        }
    }

    /// Records one sighting and saves, ignoring failures (the cache is advice).
    pub fn remember(registry: &str, repository: &str, digest: &str) {
        remember_in(&blob_info_path(), registry, repository, digest);
    }
}

/// Load, record and save under an exclusive lock on a sibling file, so concurrent pushes
/// and pulls (each its own process) do not drop each other's sightings. Without the lock
/// (a file system that has none) it goes ahead: the cache is advice.
fn remember_in(path: &Path, registry: &str, repository: &str, digest: &str) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path.with_extension("lock"));
    // Held until `lock` drops at the end of this function.
    let _held = lock.as_ref().ok().map(|file| file.lock());
    let mut info = load_from(path);
    info.record(registry, repository, digest);
    if let Ok(text) = serde_json::to_vec(&info) {
        let _ = fsutil::write_atomic(path, fsutil::Mode::Public, |w| w.write_all(&text));
    }
}

fn load_from(path: &Path) -> BlobInfo {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sightings_are_kept_most_recent_first_and_bounded() {
        let mut info = BlobInfo::default();
        for repo in ["a", "b", "c", "d", "e", "b"] {
            info.record("reg:5000", repo, "sha256:1");
        }
        assert_eq!(
            info.sources("reg:5000", "sha256:1", "x"),
            ["b", "e", "d", "c"]
        );
        assert_eq!(info.sources("reg:5000", "sha256:1", "b"), ["e", "d", "c"]);
        assert!(info.sources("other:5000", "sha256:1", "x").is_empty());
        assert!(info.sources("reg:5000", "sha256:2", "x").is_empty());
        for n in 0..(BLOBS_PER_REGISTRY + 1) {
            info.record("reg:5000", "r", &format!("sha256:{n:04}"));
        }
        // The oldest (sha256:1) made room.
        assert!(info.sources("reg:5000", "sha256:1", "x").is_empty());
        assert_eq!(info.sources("reg:5000", "sha256:0512", "x"), ["r"]);
    }

    /// Processes record at once (one per thread here, each with its own open lock file, as
    /// separate processes have): every sighting is kept.
    #[test]
    fn concurrent_sightings_are_all_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache/blob-info.json");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for n in 0..25 {
                        remember_in(
                            &path,
                            "reg:5000",
                            &format!("repo{t}"),
                            &format!("sha256:{n}"),
                        );
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let info = load_from(&path);
        for n in 0..25 {
            let repos = info.sources("reg:5000", &format!("sha256:{n}"), "x");
            assert_eq!(repos.len(), REPOSITORIES_PER_BLOB, "sha256:{n}: {repos:?}");
        }
        // Each record ticks the clock once: a lost update shows as a lower count.
        assert_eq!(info.clock, 8 * 25);
    }
}
