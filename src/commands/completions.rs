//! `completions SHELL`: a completion script for `cargo-wasmcloud`.

use std::io::Write;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    shell: Shell,
}

pub fn run(args: CompletionsArgs) -> anyhow::Result<()> {
    let mut command = super::Cli::command().bin_name("cargo-wasmcloud");
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "cargo-wasmcloud", &mut script);
    match std::io::stdout().write_all(&script) {
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
