//! `dev`: noticing that a crate's sources changed. Polls file metadata (no OS watcher: the
//! same code everywhere, and a crate is small), skipping build output and generated glue,
//! and waits for a quiet moment so one save of several files is one rebuild.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// Directories and files that change because of a build, not because of the user.
const IGNORED: &[&str] = &["target", ".git", "wasmcloud_glue.rs"];

/// The state of a set of source trees.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot(BTreeMap<PathBuf, (u64, Option<SystemTime>)>);

impl Snapshot {
    /// Size and modification time of every file under `roots` (skipping build output).
    pub fn take(roots: &[PathBuf]) -> Snapshot {
        let mut files = BTreeMap::new();
        for root in roots {
            walk(root, &mut files);
        }
        Snapshot(files)
    }

    /// Files added, removed or changed since `earlier`.
    pub fn changes_since(&self, earlier: &Snapshot) -> Vec<PathBuf> {
        let mut changed: Vec<PathBuf> = self
            .0
            .iter()
            .filter(|(path, meta)| earlier.0.get(*path) != Some(meta))
            .map(|(path, _)| path.clone())
            .collect();
        changed.extend(
            earlier
                .0
                .keys()
                .filter(|p| !self.0.contains_key(*p))
                .cloned(),
        );
        changed
    }
}

fn walk(dir: &Path, files: &mut BTreeMap<PathBuf, (u64, Option<SystemTime>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if IGNORED.iter().any(|i| name == *i) {
            continue;
        }
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, files),
            Ok(t) if t.is_file() => {
                if let Ok(meta) = entry.metadata() {
                    files.insert(path, (meta.len(), meta.modified().ok()));
                }
            }
            _ => {}
        }
    }
}

/// Watches source trees for changes.
pub struct Watcher {
    roots: Vec<PathBuf>,
    last: Snapshot,
    /// How often to look.
    pub poll: Duration,
    /// How long the trees must stay unchanged before a change is reported.
    pub quiet: Duration,
}

impl Watcher {
    pub fn new(roots: Vec<PathBuf>) -> Watcher {
        let last = Snapshot::take(&roots);
        Watcher {
            roots,
            last,
            poll: Duration::from_millis(250),
            quiet: Duration::from_millis(400),
        }
    }

    /// Blocks until something changed and then stayed quiet, returning what changed; `None`
    /// once `stop` is set.
    pub fn wait(&mut self, stop: &AtomicBool) -> Option<Vec<PathBuf>> {
        let mut changed: Vec<PathBuf> = Vec::new();
        let mut last_change: Option<Instant> = None;
        loop {
            if stop.load(Ordering::SeqCst) {
                return None;
            }
            std::thread::sleep(self.poll);
            let now = Snapshot::take(&self.roots);
            let new = now.changes_since(&self.last);
            if !new.is_empty() {
                for path in new {
                    if !changed.contains(&path) {
                        changed.push(path);
                    }
                }
                self.last = now;
                last_change = Some(Instant::now());
            } else if last_change.is_some_and(|t| t.elapsed() >= self.quiet) {
                return Some(changed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sees_edits_additions_and_removals_but_not_build_output() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::create_dir_all(dir.path().join("target/debug")).unwrap();
        std::fs::write(src.join("lib.rs"), "a").unwrap();
        let roots = vec![dir.path().to_path_buf()];
        let before = Snapshot::take(&roots);
        std::fs::write(dir.path().join("target/debug/out"), "x").unwrap();
        std::fs::write(src.join("wasmcloud_glue.rs"), "x").unwrap();
        assert!(Snapshot::take(&roots).changes_since(&before).is_empty());
        std::fs::write(src.join("lib.rs"), "ab").unwrap();
        std::fs::write(src.join("new.rs"), "n").unwrap();
        let after = Snapshot::take(&roots);
        let changes = after.changes_since(&before);
        assert_eq!(changes, vec![src.join("lib.rs"), src.join("new.rs")]);
        std::fs::remove_file(src.join("new.rs")).unwrap();
        assert_eq!(
            Snapshot::take(&roots).changes_since(&after),
            vec![src.join("new.rs")]
        );
    }

    #[test]
    fn a_burst_of_writes_is_one_change_and_stop_ends_the_wait() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.rs");
        std::fs::write(&file, "1").unwrap();
        let mut watcher = Watcher::new(vec![dir.path().to_path_buf()]);
        watcher.poll = Duration::from_millis(20);
        watcher.quiet = Duration::from_millis(150);
        let writer = {
            let file = file.clone();
            std::thread::spawn(move || {
                for i in 0..5 {
                    std::fs::write(&file, "x".repeat(i + 2)).unwrap();
                    std::thread::sleep(Duration::from_millis(30));
                }
            })
        };
        let stop = AtomicBool::new(false);
        let changed = watcher.wait(&stop).expect("a change");
        writer.join().unwrap();
        assert_eq!(changed, vec![file]);
        stop.store(true, Ordering::SeqCst);
        assert_eq!(watcher.wait(&stop), None);
    }
}
