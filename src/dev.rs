//! `dev`: noticing that a crate's sources changed, and keeping one component running on a
//! host in step with them.
//!
//! Changes are found by polling file metadata (no OS watcher: the same code everywhere, and
//! a crate is small), skipping build output and generated glue, after a quiet moment so one
//! save of several files is one rebuild.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crate::ctl::{file_reference, AuctionRequest, CtlError, Lattice, Link, ScaleRequest, Workload};
use crate::fsutil;
use crate::pipeline::{BuildError, BuildEvent, BuildOptions, Pipeline};
use crate::project::{Project, ProjectKind};

#[derive(Debug, thiserror::Error)]
pub enum DevError {
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error("`dev` runs actors, and `{package}` is not one ({kind})")]
    NotAnActor { package: String, kind: ProjectKind },
    #[error("no actor here: run `dev` in an actor's directory or give --package")]
    NoActor,
    #[error("`dev` runs one actor: choose it with --package")]
    ManyActors,
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The actor `dev` runs, built again after every change. Each build is copied to a new
/// file (`<target-dir>/wasmcloud/dev/<name>-<n>.wasm`) so that every update names a new
/// image: a host does not reload a reference it already runs.
#[derive(Debug)]
pub struct DevBuild {
    pipeline: Pipeline,
    dir: PathBuf,
    /// Builds so far.
    pub generation: u32,
}

impl DevBuild {
    /// Selects the one actor to run.
    pub fn new(opts: BuildOptions) -> Result<DevBuild, DevError> {
        let pipeline = Pipeline::load(opts)?;
        match pipeline.projects.as_slice() {
            [one] if one.kind == ProjectKind::Actor => {}
            [one] => {
                return Err(DevError::NotAnActor {
                    package: one.package.clone(),
                    kind: one.kind,
                })
            }
            [] => return Err(DevError::NoActor),
            _ => return Err(DevError::ManyActors),
        }
        let dir = pipeline.ws.target_dir.join("wasmcloud/dev");
        Ok(DevBuild {
            pipeline,
            dir,
            generation: 0,
        })
    }

    pub fn project(&self) -> &Project {
        &self.pipeline.projects[0]
    }

    /// Builds and signs the actor, and returns the `file://` reference of a fresh copy.
    pub fn build(&mut self, events: &mut dyn FnMut(BuildEvent<'_>)) -> Result<String, DevError> {
        let built = self.pipeline.build(events)?;
        let signed = &built.first().ok_or(DevError::NoActor)?.path;
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| DevError::Io { path, source }
        };
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        self.generation += 1;
        let copy = self.dir.join(format!(
            "{}-{}.wasm",
            self.project().artifact,
            self.generation
        ));
        let bytes = std::fs::read(signed).map_err(io(signed))?;
        fsutil::write_atomic(&copy, fsutil::Mode::Public, |w| w.write_all(&bytes))
            .map_err(io(&copy))?;
        Ok(file_reference(&copy.display().to_string()))
    }
}

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

/// The builtin HTTP server's reference on wasmCloud 1.x hosts.
pub const HTTP_SERVER_REF: &str = "wasmcloud+builtin://http-server";
/// The id `dev` gives it (as the README walkthrough does).
pub const HTTP_SERVER_ID: &str = "http-server";

/// A component `dev` runs, and what it started around it, to undo on the way out.
pub struct DevSession {
    lattice: Lattice,
    pub host_id: String,
    pub component_id: String,
    /// The HTTP server's config name and whether this session started the server.
    http: Option<(String, bool)>,
}

impl DevSession {
    /// Starts the component from `reference` on `host_id` (else the host an auction picks),
    /// waiting until the host reports it running.
    pub fn start(
        lattice: Lattice,
        host_id: Option<&str>,
        component_id: &str,
        reference: &str,
    ) -> Result<DevSession, CtlError> {
        let auction = AuctionRequest {
            kind: Workload::Component,
            reference: reference.to_string(),
            id: component_id.to_string(),
            constraints: Default::default(),
        };
        let host_id = lattice.place(&auction, host_id)?;
        lattice.scale_component(
            &ScaleRequest {
                host_id: host_id.clone(),
                component_ref: reference.to_string(),
                component_id: component_id.to_string(),
                count: 1,
                ..Default::default()
            },
            Some(Duration::from_secs(30)),
        )?;
        Ok(DevSession {
            lattice,
            host_id,
            component_id: component_id.to_string(),
            http: None,
        })
    }

    /// Serves the component at `address` through the builtin HTTP server, started here if
    /// no host runs it yet. The link is named after the component, so one server can serve
    /// several.
    pub fn serve_http(&mut self, address: &str) -> Result<(), CtlError> {
        let config_name = format!("{}-http", self.component_id);
        let start = self.lattice.hosts_running(HTTP_SERVER_ID, true)?.is_empty();
        // From here on, cleaning up includes what this step made.
        self.http = Some((config_name.clone(), start));
        if start {
            self.lattice.start_provider(
                &self.host_id,
                HTTP_SERVER_REF,
                HTTP_SERVER_ID,
                &[],
                Some(Duration::from_secs(30)),
            )?;
        }
        self.lattice.put_config(
            &config_name,
            &[("address".to_string(), address.to_string())]
                .into_iter()
                .collect(),
        )?;
        let link = Link {
            source_id: HTTP_SERVER_ID.to_string(),
            target: self.component_id.clone(),
            name: self.component_id.clone(),
            wit_namespace: "wasi".into(),
            wit_package: "http".into(),
            interfaces: vec!["incoming-handler".into()],
            source_config: vec![config_name],
            target_config: Vec::new(),
        };
        self.lattice.check_http_link_address(&link)?;
        self.lattice.put_link(&link)
    }

    /// Points the running component at a new image.
    pub fn update(&self, reference: &str) -> Result<(), CtlError> {
        self.lattice
            .update_component(&self.host_id, &self.component_id, reference)
            .map(|_| ())
    }

    /// Undoes what the session started; returns what could not be undone.
    pub fn stop(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some((config_name, started_server)) = &self.http {
            let _ = self
                .lattice
                .delete_link(HTTP_SERVER_ID, &self.component_id, "wasi", "http");
            let _ = self.lattice.delete_config(config_name);
            if *started_server {
                if let Err(e) = self.lattice.stop_provider(
                    &self.host_id,
                    HTTP_SERVER_ID,
                    Some(Duration::from_secs(10)),
                ) {
                    problems.push(format!("stopping the HTTP server: {e}"));
                }
            }
        }
        let request = ScaleRequest {
            host_id: self.host_id.clone(),
            component_id: self.component_id.clone(),
            count: 0,
            ..Default::default()
        };
        if let Err(e) = self
            .lattice
            .scale_component(&request, Some(Duration::from_secs(10)))
        {
            problems.push(format!("stopping {}: {e}", self.component_id));
        }
        problems
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
        // Far longer than the gaps between writes, so that only a stall of a second under
        // load could split the burst: the change is reported once, after the last write.
        watcher.quiet = Duration::from_secs(1);
        let writer = {
            let file = file.clone();
            std::thread::spawn(move || {
                for i in 0..5 {
                    if i > 0 {
                        std::thread::sleep(Duration::from_millis(30));
                    }
                    std::fs::write(&file, "x".repeat(i + 2)).unwrap();
                }
            })
        };
        let stop = AtomicBool::new(false);
        let changed = watcher.wait(&stop).expect("a change");
        // Reported once the burst was over: the file already holds the last write.
        let seen = std::fs::read_to_string(&file).unwrap();
        writer.join().unwrap();
        assert_eq!(changed, vec![file]);
        assert_eq!(seen, "x".repeat(6), "the change was reported mid-burst");
        stop.store(true, Ordering::SeqCst);
        assert_eq!(watcher.wait(&stop), None);
    }
}
