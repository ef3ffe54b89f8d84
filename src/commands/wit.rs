//! `wit`: write the WIT of interface crates and the glue of the actors using them, or check
//! that both are up to date (`--check`, for CI).

use clap::Args;
use serde_json::json;

use super::PackageArgs;
use crate::output::Output;
use cargo_wasmcloud::project::Workspace;
use cargo_wasmcloud::witgen::sync::{self, Mode};

#[derive(Debug, Args)]
pub struct WitArgs {
    /// Write nothing; fail if a generated file is missing or out of date
    #[arg(long)]
    check: bool,

    #[command(flatten)]
    select: PackageArgs,
}

pub fn run(args: WitArgs, out: &Output) -> anyhow::Result<()> {
    let opts = args.select.selection()?;
    let cwd = opts.cwd.clone();
    let ws = Workspace::load(&opts)?;
    let selected = ws.select(&opts)?;
    let members = ws.projects()?;
    let mode = if args.check { Mode::Check } else { Mode::Write };
    let states = sync::sync(&opts.cargo, &cwd, &selected, &members, mode)?;
    anyhow::ensure!(
        !states.is_empty(),
        "nothing to generate: no interface crate (kind = \"interface\") or actor with \
         `implements`/`uses` in the selected packages"
    );
    let shown = |p: &std::path::Path| p.strip_prefix(&cwd).unwrap_or(p).display().to_string();
    let stale: Vec<String> = states
        .iter()
        .filter(|s| s.changed)
        .map(|s| shown(&s.path))
        .collect();
    if args.check && !stale.is_empty() {
        anyhow::bail!(
            "out of date: {} (run `cargo wasmcloud wit`)",
            stale.join(", ")
        );
    }
    let text = states
        .iter()
        .map(|s| {
            let verb = match (s.changed, args.check) {
                (true, _) => "Generated",
                (false, true) => "Up to date",
                (false, false) => "Unchanged",
            };
            format!("{verb:>12} {}", shown(&s.path))
        })
        .collect::<Vec<_>>()
        .join("\n");
    out.result(&text, json!({ "files": states, "check": args.check }))?;
    Ok(())
}
