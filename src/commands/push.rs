//! `push REF FILE`: a component or provider archive to an OCI registry.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;

use super::registry::{progress_bar, RegistryArgs};
use crate::output::Output;
use cargo_wasmcloud::oci::{self, artifact};

#[derive(Debug, Args)]
pub struct PushArgs {
    /// Where to push: registry/repository:tag
    reference: String,

    /// The component (.wasm) or provider archive (.par, .par.gz)
    file: PathBuf,

    /// Registry to prefix REF with when REF has none
    #[arg(short = 'r', long, env = "WASH_REG_URL")]
    registry: Option<String>,

    /// Manifest annotation KEY=VALUE (repeatable)
    #[arg(short = 'a', long = "annotation", value_name = "KEY=VALUE")]
    annotations: Vec<String>,

    /// A repository of the same registry holding this artifact already (a path, or a
    /// reference): its blob is mounted from there instead of uploaded. Repositories this
    /// tool pushed the blob to or pulled it from are tried anyway.
    #[arg(long, value_name = "REPO")]
    from: Option<String>,

    #[command(flatten)]
    registry_args: RegistryArgs,
}

pub fn run(args: PushArgs, out: &Output) -> anyhow::Result<()> {
    let text = match &args.registry {
        Some(registry) if !args.reference.starts_with(registry.as_str()) => {
            format!("{}/{}", registry.trim_end_matches('/'), args.reference)
        }
        _ => args.reference.clone(),
    };
    let reference = oci::parse_reference(&text, args.registry_args.allow_latest)?;
    let mut annotations = BTreeMap::new();
    for pair in &args.annotations {
        let (key, value) = pair
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| anyhow::anyhow!("invalid annotation {pair:?}: use KEY=VALUE"))?;
        annotations.insert(key.to_string(), value.to_string());
    }
    let source_date_epoch = std::env::var("SOURCE_DATE_EPOCH").ok();
    let created =
        artifact::created_time(source_date_epoch.as_deref()).map_err(|e| anyhow::anyhow!(e))?;
    // Everything about the file is checked before any network traffic.
    let (layer, prepared) = oci::prepare_push(&args.file, created)?;
    let (progress, _bar) = progress_bar(out, "Pushing");
    let result = oci::push(
        &reference,
        layer,
        prepared,
        annotations,
        &oci::RegistryOptions {
            mount_from: args.from.clone(),
            ..args.registry_args.options()
        },
        progress,
    );
    let pushed = result?;
    let layer = match (pushed.layer, &pushed.mounted_from) {
        ("mounted", Some(from)) => format!(", layer mounted from {from}"),
        ("present", _) => ", layer already there".to_string(),
        _ => String::new(),
    };
    out.result(
        &format!(
            "Pushed {} ({} bytes{layer})\n{}",
            pushed.reference, pushed.size, pushed.digest
        ),
        &pushed,
    )?;
    Ok(())
}
