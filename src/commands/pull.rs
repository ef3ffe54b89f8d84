//! `pull REF`: a component or provider archive from an OCI registry.

use std::path::PathBuf;

use clap::Args;

use super::registry::{progress_bar, RegistryArgs};
use crate::output::Output;
use cargo_wasmcloud::oci;

#[derive(Debug, Args)]
pub struct PullArgs {
    /// What to pull: registry/repository:tag (or @sha256:...)
    reference: String,

    /// File to write [default: the last repository segment, .wasm or .par.gz]
    #[arg(long, value_name = "FILE")]
    destination: Option<PathBuf>,

    /// Fail unless the manifest has this digest
    #[arg(short = 'd', long)]
    digest: Option<String>,

    #[command(flatten)]
    registry_args: RegistryArgs,
}

pub fn run(args: PullArgs, out: &Output) -> anyhow::Result<()> {
    let reference = oci::parse_reference(&args.reference, args.registry_args.allow_latest)?;
    let (progress, _bar) = progress_bar(out, "Pulling");
    let result = oci::pull(
        &reference,
        args.destination.as_deref(),
        &std::env::current_dir()?,
        args.digest.as_deref(),
        &args.registry_args.options(),
        progress,
    );
    let pulled = result?;
    let verb = if pulled.unchanged {
        "Up to date:"
    } else {
        "Pulled"
    };
    out.result(
        &format!(
            "{verb} {} -> {} ({} bytes)\n{}",
            pulled.reference,
            pulled.path.display(),
            pulled.size,
            pulled.digest
        ),
        &pulled,
    )?;
    Ok(())
}
