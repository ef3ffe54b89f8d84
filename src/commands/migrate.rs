//! `migrate`: move a wash project's wasmcloud.toml settings into Cargo.toml.

use std::path::PathBuf;

use clap::Args;

use crate::output::Output;
use cargo_wasmcloud::project::wasmcloud_toml;

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The package's Cargo.toml [default: ./Cargo.toml]
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,

    /// Replace an existing [package.metadata.wasmcloud]
    #[arg(long)]
    force: bool,
}

pub fn run(args: MigrateArgs, out: &Output) -> anyhow::Result<()> {
    let manifest = args
        .manifest_path
        .unwrap_or_else(|| PathBuf::from("Cargo.toml"));
    anyhow::ensure!(
        manifest.is_file(),
        "{} not found: run this in a package directory or give --manifest-path",
        manifest.display()
    );
    let migrated = wasmcloud_toml::migrate(&manifest, args.force)?;
    let mut text = format!(
        "Wrote [package.metadata.wasmcloud] to {} from {}:\n\n{}",
        migrated.manifest.display(),
        migrated.from.display(),
        migrated.table
    );
    if !migrated.ignored.is_empty() {
        text.push_str(&format!(
            "\nNot carried over (no counterpart here): {}\n",
            migrated.ignored.join(", ")
        ));
    }
    text.push_str(&format!(
        "\n{} is no longer needed; delete it when you are ready.",
        migrated.from.display()
    ));
    out.result(&text, &migrated)?;
    Ok(())
}
