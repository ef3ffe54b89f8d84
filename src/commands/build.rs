//! `build`: build the selected actors with cargo, then validate and sign them.

use clap::Args;
use serde_json::json;

use super::{report_build_event, CargoArgs, KeyDirArgs, PackageArgs};
use crate::output::Output;
use cargo_wasmcloud::pipeline::{self, BuildOptions, Profile};

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    select: PackageArgs,

    /// Build with the release profile (the default, as wash does)
    #[arg(long, conflicts_with_all = ["debug", "profile"])]
    release: bool,

    /// Build with the dev profile
    #[arg(long, conflicts_with = "profile")]
    debug: bool,

    /// Build with the given profile
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,

    #[command(flatten)]
    cargo: CargoArgs,

    /// Build, validate and adapt, but do not sign
    #[arg(long)]
    build_only: bool,

    /// Fail instead of generating missing keys
    #[arg(long)]
    disable_keygen: bool,

    #[command(flatten)]
    dir: KeyDirArgs,
}

pub fn run(args: BuildArgs, out: &Output) -> anyhow::Result<()> {
    let mut selection = args.select.selection()?;
    args.cargo.apply_to(&mut selection);
    let cwd = selection.cwd.clone();
    let opts = BuildOptions {
        selection,
        profile: match (&args.profile, args.debug) {
            (Some(name), _) => Profile::Named(name.clone()),
            (None, true) => Profile::Dev,
            (None, false) => Profile::Release,
        },
        sign: !args.build_only,
        keys: args.dir.policy(!args.disable_keygen),
    };
    let built = pipeline::build(opts, &mut |event| report_build_event(out, &cwd, event))?;
    let text = built
        .iter()
        .map(|a| a.path.display().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    out.result(&text, json!({ "artifacts": built }))?;
    Ok(())
}
