//! `virt FILE`: bake environment and config into any component, and deny it interfaces,
//! as `build` does for actors
//! with a `[package.metadata.wasmcloud.virt]` table.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::key_value_pairs;
use crate::output::Output;
use cargo_wasmcloud::virt::{self, Deny, VirtSpec};

#[derive(Debug, Args)]
pub struct VirtArgs {
    /// The component to virtualize
    file: PathBuf,

    /// Environment variable KEY=VALUE its wasi:cli/environment answers (repeatable)
    #[arg(long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,

    /// Argument its wasi:cli/environment answers (repeatable, in order)
    #[arg(long = "arg", value_name = "ARG")]
    args: Vec<String>,

    /// Initial working directory it is told
    #[arg(long, value_name = "DIR")]
    cwd: Option<String>,

    /// wasi:config value KEY=VALUE (repeatable)
    #[arg(long = "config", value_name = "KEY=VALUE")]
    config: Vec<String>,

    /// Deny the component these WASI interfaces (repeatable): filesystem, sockets,
    /// http-outgoing, exit, clocks, random
    #[arg(long = "deny", value_name = "NAME")]
    deny: Vec<String>,

    /// Where to write the result [default: <stem>_virt.wasm beside FILE]
    #[arg(short = 'd', long = "destination", value_name = "FILE")]
    destination: Option<PathBuf>,
}

pub fn run(args: VirtArgs, out: &Output) -> anyhow::Result<()> {
    let spec = VirtSpec {
        env: key_value_pairs(&args.env, "--env")?,
        args: args.args.clone(),
        cwd: args.cwd.clone(),
        config: key_value_pairs(&args.config, "--config")?,
        deny: args
            .deny
            .iter()
            .map(|name| {
                Deny::parse(name).ok_or_else(|| {
                    anyhow::anyhow!("--deny: unknown name `{name}`: use {}", Deny::NAMES)
                })
            })
            .collect::<anyhow::Result<_>>()?,
        ..VirtSpec::default()
    };
    let destination = args.destination.clone().unwrap_or_else(|| {
        let stem = args
            .file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "component".into());
        args.file.with_file_name(format!("{stem}_virt.wasm"))
    });
    let done = virt::virtualize_file(&args.file, &destination, &spec)?;
    for warning in &done.warnings {
        out.warn(warning);
    }
    out.status(
        "Virtualized",
        &format!(
            "{} -> {} ({})",
            args.file.display(),
            destination.display(),
            if done.interfaces.is_empty() {
                "nothing to answer".to_string()
            } else {
                done.interfaces.join(", ")
            }
        ),
    );
    out.result(
        "",
        json!({
            "path": destination,
            "interfaces": done.interfaces,
            "generated_size": done.generated_size,
            "warnings": done.warnings,
        }),
    )?;
    Ok(())
}
