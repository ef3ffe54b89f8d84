//! `dev`: noticing that a crate's sources changed, and keeping one component running in
//! step with them: on a host of a lattice (`lattice`), or in this process on the embedded
//! runtime (`local`) when there is no lattice to run on ([`choose`] says which and why).
//!
//! Changes are found by polling file metadata (no OS watcher: the same code everywhere, and
//! a crate is small), skipping build output and generated glue, after a quiet moment so one
//! save of several files is one rebuild.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crate::ctl::{file_reference, CtlError, CtlOptions, Lattice};
use crate::fsutil;
use crate::pipeline::{BuildError, BuildEvent, BuildOptions, Pipeline};
use crate::project::app_settings::{AppSettings, AppSettingsError};
use crate::project::{Project, ProjectKind};
use crate::runtime::RuntimeError;

mod lattice;
mod local;
pub use lattice::{DevSession, HTTP_SERVER_ID, HTTP_SERVER_REF};
pub use local::LocalSession;

#[derive(Debug, thiserror::Error)]
pub enum DevError {
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error("`{command}` runs actors, and `{package}` is not one ({kind})")]
    NotAnActor {
        command: &'static str,
        package: String,
        kind: ProjectKind,
    },
    #[error("no actor here: run `{command}` in an actor's directory or give --package")]
    NoActor { command: &'static str },
    #[error("`{command}` runs one actor: choose it with --package")]
    ManyActors { command: &'static str },
    #[error(transparent)]
    Settings(#[from] AppSettingsError),
    /// Serving failed (the address is taken): not the component's fault.
    #[error(transparent)]
    Serve(RuntimeError),
    #[error("{name}: {source}")]
    Runtime {
        name: String,
        #[source]
        source: RuntimeError,
    },
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
    /// Selects the one actor to run; `command` words the errors (`dev`, `run`).
    pub fn new(opts: BuildOptions, command: &'static str) -> Result<DevBuild, DevError> {
        let pipeline = Pipeline::load(opts)?;
        match pipeline.projects.as_slice() {
            [one] if one.kind == ProjectKind::Actor => {}
            [one] => {
                return Err(DevError::NotAnActor {
                    command,
                    package: one.package.clone(),
                    kind: one.kind,
                })
            }
            [] => return Err(DevError::NoActor { command }),
            _ => return Err(DevError::ManyActors { command }),
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

    /// Builds and signs the actor; returns the signed file.
    pub fn build_file(
        &mut self,
        events: &mut dyn FnMut(BuildEvent<'_>),
    ) -> Result<PathBuf, DevError> {
        let built = self.pipeline.build(events)?;
        self.generation += 1;
        let first = built.into_iter().next();
        Ok(first.ok_or(DevError::NoActor { command: "dev" })?.path)
    }

    /// The actor's config as the application table gives it
    /// (`[workspace|package.metadata.wasmcloud.app.components.<package>] config`): what
    /// `wasi:config` answers it on the embedded runtime, as wadm gives it on a lattice.
    pub fn config(&self) -> Result<BTreeMap<String, String>, DevError> {
        let project = self.project();
        let (value, table) = match self.pipeline.ws.workspace_metadata().get("wasmcloud") {
            Some(w) if w.get("app").is_some() => {
                (w["app"].clone(), "workspace.metadata.wasmcloud.app")
            }
            _ => match &project.settings.app {
                Some(app) => (app.clone(), "package.metadata.wasmcloud.app"),
                None => return Ok(BTreeMap::new()),
            },
        };
        let settings = AppSettings::read(&value, table)?;
        Ok(settings
            .components
            .get(&project.package)
            .map(|c| c.config.clone())
            .unwrap_or_default())
    }

    /// Builds and signs the actor, and returns the `file://` reference of a fresh copy.
    pub fn build(&mut self, events: &mut dyn FnMut(BuildEvent<'_>)) -> Result<String, DevError> {
        let signed = &self.build_file(events)?;
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| DevError::Io { path, source }
        };
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
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

/// Where `dev` runs the actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// In this process, on the embedded runtime.
    Embedded,
    /// On a host of a lattice.
    Lattice,
}

/// Where `dev` runs, why, and the lattice connection when it is a lattice.
pub struct Choice {
    pub place: Place,
    pub reason: String,
    pub lattice: Option<Lattice>,
}

/// How long the look for a lattice may take when none was asked for.
const PROBE_TIMEOUT: Duration = Duration::from_millis(500);

/// Chooses where `dev` runs: `forced` when given; a lattice when one was named (`named`:
/// any connection option or `--host-id` given; failing to reach it is an error); otherwise
/// the lattice at `opts` if a wasmCloud host answers there within moments, else embedded.
pub fn choose(forced: Option<Place>, opts: &CtlOptions, named: bool) -> Result<Choice, CtlError> {
    let address = format!("{}:{}", opts.host, opts.port);
    let on_lattice = |lattice: Lattice, why: String| Choice {
        place: Place::Lattice,
        reason: why,
        lattice: Some(lattice),
    };
    let embedded = |why: String| Choice {
        place: Place::Embedded,
        reason: why,
        lattice: None,
    };
    match forced {
        Some(Place::Embedded) => return Ok(embedded("as asked (--embedded)".into())),
        Some(Place::Lattice) => {
            return Ok(on_lattice(
                Lattice::connect_watching(opts)?,
                "as asked (--lattice)".into(),
            ))
        }
        None if named => {
            return Ok(on_lattice(
                Lattice::connect_watching(opts)?,
                format!("lattice `{}` at {address} as given", opts.lattice),
            ))
        }
        None => {}
    }
    let probe = CtlOptions {
        timeout: PROBE_TIMEOUT.min(opts.timeout),
        ..opts.clone()
    };
    let Ok(lattice) = Lattice::connect(&probe) else {
        return Ok(embedded(format!("no NATS server at {address}")));
    };
    match lattice.get_hosts() {
        Ok(hosts) if !hosts.is_empty() => {
            drop(lattice);
            Ok(on_lattice(
                Lattice::connect_watching(opts)?,
                format!(
                    "{} wasmCloud host(s) answer on lattice `{}` at {address}",
                    hosts.len(),
                    opts.lattice
                ),
            ))
        }
        _ => Ok(embedded(format!(
            "NATS at {address}, but no wasmCloud host answers on lattice `{}`",
            opts.lattice
        ))),
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
            poll: Duration::from_millis(100),
            quiet: Duration::from_millis(200),
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
        use std::sync::atomic::AtomicUsize;
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.rs");
        std::fs::write(&file, "1").unwrap();
        let mut watcher = Watcher::new(vec![dir.path().to_path_buf()]);
        watcher.poll = Duration::from_millis(20);
        // Far longer than the gaps between writes, so that only a stall of seconds under
        // load (seen once at 1 s on a loaded CI machine) could split the burst.
        watcher.quiet = Duration::from_secs(3);
        let written = Arc::new(AtomicUsize::new(0));
        let writer = {
            let (file, written) = (file.clone(), written.clone());
            std::thread::spawn(move || {
                for i in 0..5 {
                    if i > 0 {
                        std::thread::sleep(Duration::from_millis(30));
                    }
                    std::fs::write(&file, "x".repeat(i + 2)).unwrap();
                    written.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        let stop = AtomicBool::new(false);
        let changed = watcher.wait(&stop).expect("a change");
        // Reported once the burst was over: every write had been made.
        let seen = written.load(Ordering::SeqCst);
        writer.join().unwrap();
        assert_eq!(changed, vec![file]);
        assert_eq!(seen, 5, "the change was reported mid-burst");
        stop.store(true, Ordering::SeqCst);
        assert_eq!(watcher.wait(&stop), None);
    }
}
