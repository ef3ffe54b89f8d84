//! Running `cargo build` and reading what it made from its JSON messages, so workspaces,
//! `--target-dir`, profiles and renamed libraries need no guessing.

use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use cargo_metadata::Message;

use super::{BuildError, BuildOptions};
use crate::project::{Project, ProjectKind, Workspace};

/// Runs `cargo build` for `packages` and returns each package's `.wasm` (or binary) files.
/// Cargo's own progress and diagnostics go straight to our stderr.
pub(crate) fn cargo_build(
    opts: &BuildOptions,
    ws: &Workspace,
    packages: &[&Project],
    target: Option<&str>,
) -> Result<BTreeMap<String, Vec<PathBuf>>, BuildError> {
    let mut cmd = Command::new(&opts.selection.cargo);
    cmd.arg("build")
        .arg("--message-format=json-render-diagnostics")
        .args(opts.profile.args())
        .args(opts.selection.cargo_args())
        .arg("--target-dir")
        .arg(&ws.target_dir)
        .current_dir(&opts.selection.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(target) = target {
        cmd.args(["--target", target]);
    }
    for project in packages {
        cmd.args(["-p", &project.package]);
    }
    let mut child = cmd.spawn().map_err(BuildError::Spawn)?;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut artifacts: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for message in Message::parse_stream(BufReader::new(stdout)) {
        let Ok(Message::CompilerArtifact(artifact)) = message else {
            continue;
        };
        let Some(project) = packages.iter().find(|p| {
            artifact.manifest_path.as_std_path() == p.manifest_path
                && artifact.target.name.replace('-', "_") == p.artifact
        }) else {
            continue;
        };
        let files: Vec<PathBuf> = match project.kind {
            ProjectKind::Actor => artifact
                .filenames
                .iter()
                .filter(|f| f.extension() == Some("wasm"))
                .map(|f| f.clone().into_std_path_buf())
                .collect(),
            _ => artifact
                .executable
                .iter()
                .map(|f| f.clone().into_std_path_buf())
                .collect(),
        };
        artifacts
            .entry(project.package.clone())
            .or_default()
            .extend(files);
    }
    let status = child.wait().map_err(BuildError::Spawn)?;
    if !status.success() {
        return Err(BuildError::CargoFailed(status.to_string()));
    }
    Ok(artifacts)
}
