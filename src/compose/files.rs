//! Ad hoc compositions of files (`compose ROOT.wasm --plug [ID=]FILE`): the one part of
//! `compose` that reads and writes; the planning and wiring stay free of I/O.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::config::wire_rule;
use super::{compose, compose_wac, explain, to_wac, ComposeError, Input, Rules, Semver, Wire};
use crate::fsutil;
use crate::project::compose_settings::{check_plug_id, WireSpec};

/// The package name an emitted `.wac` document declares.
pub const WAC_PACKAGE: &str = "cargo-wasmcloud:composition";

/// A composition of files, as the command line gives it.
#[derive(Debug, Clone, Default)]
pub struct FileComposition {
    pub root: PathBuf,
    /// `FILE` or `ID=FILE`; without an id, one is made from the file name.
    pub plugs: Vec<String>,
    /// `IMPORT=PLUG`, `IMPORT=host` or `CONSUMER::IMPORT=PLUG`.
    pub wire: Vec<String>,
    /// Import patterns left to the host (empty: the default, `wasi:*` and `wasmcloud:*`).
    pub host: Vec<String>,
    pub strict: bool,
    pub exact_versions: bool,
    /// Run this `.wac` document instead of wiring automatically.
    pub wac: Option<PathBuf>,
    /// Where the composed component goes [default: `ROOT_composed.wasm`].
    pub destination: Option<PathBuf>,
}

/// The wiring of a composition, planned and not carried out.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedFiles {
    pub wires: Vec<Wire>,
    /// Instances in the order a `.wac` document creates them.
    pub instances: Vec<String>,
}

/// A composed file.
#[derive(Debug, Clone, Serialize)]
pub struct ComposedFile {
    pub path: PathBuf,
    pub size: usize,
    /// The wiring (empty when a `.wac` document did it).
    pub wires: Vec<Wire>,
    /// The ids of the root and the plugs.
    pub inputs: Vec<String>,
}

impl FileComposition {
    /// The planner's rules from the flags.
    pub fn rules(&self) -> Result<Rules, ComposeError> {
        let mut rules = Rules::default();
        if !self.host.is_empty() {
            rules.host = self.host.clone();
        }
        rules.strict = self.strict;
        if self.exact_versions {
            rules.semver = Semver::Exact;
        }
        for spec in &self.wire {
            let (key, target) = spec
                .rsplit_once('=')
                .ok_or_else(|| ComposeError::BadWire(spec.clone()))?;
            rules
                .wire
                .push(wire_rule(key, &WireSpec::Name(target.to_string())));
        }
        Ok(rules)
    }

    /// Reads the root and the plugs.
    fn load(&self) -> Result<(Input, Vec<Input>), ComposeError> {
        let root = Input {
            id: plug_id_from_path(&self.root),
            bytes: read(&self.root)?,
        };
        let mut plugs: Vec<Input> = Vec::new();
        for spec in &self.plugs {
            let (id, path) = match spec.split_once('=') {
                Some((id, path)) => (id.to_string(), PathBuf::from(path)),
                None => (plug_id_from_path(Path::new(spec)), PathBuf::from(spec)),
            };
            check_plug_id(&id)?;
            if plugs.iter().any(|p| p.id == id) || id == root.id {
                return Err(ComposeError::DuplicateId(id));
            }
            plugs.push(Input {
                bytes: read(&path)?,
                id,
            });
        }
        Ok((root, plugs))
    }

    /// Plans the wiring; with `emit_wac`, also writes it as a `.wac` document.
    pub fn explain(&self, emit_wac: Option<&Path>) -> Result<PlannedFiles, ComposeError> {
        let (root, plugs) = self.load()?;
        let rules = self.rules()?;
        let nodes = node_ids(&root, &plugs);
        let plan = explain(&root, &plugs, &rules)?;
        if let Some(file) = emit_wac {
            write(file, to_wac(&plan, &nodes, WAC_PACKAGE).as_bytes())?;
        }
        Ok(PlannedFiles {
            instances: plan.instances.iter().map(|i| nodes[*i].clone()).collect(),
            wires: plan.wires,
        })
    }

    /// Composes and writes the result atomically.
    pub fn compose(&self) -> Result<ComposedFile, ComposeError> {
        let (root, plugs) = self.load()?;
        let rules = self.rules()?;
        let (bytes, wires) = match &self.wac {
            Some(file) => {
                let source = std::fs::read_to_string(file).map_err(io_error(file))?;
                (compose_wac(&source, &root, &plugs)?, Vec::new())
            }
            None => {
                let composed = compose(&root, &plugs, &rules)?;
                (composed.bytes, composed.plan.wires)
            }
        };
        let path = self.destination.clone().unwrap_or_else(|| {
            let stem = self.root.file_stem().unwrap_or_default().to_string_lossy();
            self.root.with_file_name(format!("{stem}_composed.wasm"))
        });
        write(&path, &bytes)?;
        Ok(ComposedFile {
            path,
            size: bytes.len(),
            wires,
            inputs: node_ids(&root, &plugs),
        })
    }
}

fn node_ids(root: &Input, plugs: &[Input]) -> Vec<String> {
    std::iter::once(root)
        .chain(plugs)
        .map(|p| p.id.clone())
        .collect()
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> ComposeError + '_ {
    move |source| ComposeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn read(path: &Path) -> Result<Vec<u8>, ComposeError> {
    std::fs::read(path).map_err(io_error(path))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ComposeError> {
    fsutil::write_atomic(path, fsutil::Mode::Public, |w| w.write_all(bytes)).map_err(io_error(path))
}

/// A plug id from a file name: `my_kv.wasm` → `my-kv`.
pub fn plug_id_from_path(path: &Path) -> String {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let mut id = String::new();
    for c in stem.chars() {
        match c {
            'a'..='z' | '0'..='9' => id.push(c),
            'A'..='Z' => id.push(c.to_ascii_lowercase()),
            _ if !id.is_empty() && !id.ends_with('-') => id.push('-'),
            _ => {}
        }
    }
    let id = id.trim_end_matches('-').to_string();
    if id.starts_with(|c: char| c.is_ascii_lowercase()) {
        id
    } else {
        format!("c-{id}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plug_ids_come_from_file_names() {
        assert_eq!(plug_id_from_path(Path::new("dir/My_KV.wasm")), "my-kv");
        assert_eq!(plug_id_from_path(Path::new("9lives.wasm")), "c-9lives");
    }

    #[test]
    fn wire_flags_become_rules() {
        let files = FileComposition {
            wire: vec!["a::x:y/z=host".into(), "wasi:keyvalue/store=kv".into()],
            strict: true,
            exact_versions: true,
            ..Default::default()
        };
        let rules = files.rules().unwrap();
        assert_eq!(rules.wire.len(), 2);
        assert_eq!(rules.semver, Semver::Exact);
        let bad = FileComposition {
            wire: vec!["nothing".into()],
            ..Default::default()
        };
        assert!(matches!(bad.rules(), Err(ComposeError::BadWire(_))));
    }
}
