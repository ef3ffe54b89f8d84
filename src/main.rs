//! `cargo-wasmcloud`: run as `cargo wasmcloud <command>` or directly.

mod commands;
mod output;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    install_panic_hook();
    let args = plugin_args(std::env::args_os().collect());
    if is_version_query(&args) {
        // What clap prints for it, without building the whole command tree first.
        println!("cargo-wasmcloud {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let color = requested_color(&args);
    let matches = commands::Cli::command()
        .color(color.to_clap())
        .get_matches_from(args);
    let cli = match commands::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let out = output::Output::new(cli.output, cli.color, cli.verbose);
    match commands::run(cli, &out) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`| head`): not a failure of ours.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            out.error(&e);
            ExitCode::FAILURE
        }
    }
}

/// cargo runs `cargo-wasmcloud wasmcloud <args>` for `cargo wasmcloud <args>`: drop the
/// repeated subcommand name so both spellings parse the same.
fn plugin_args(mut args: Vec<OsString>) -> Vec<OsString> {
    if args.get(1).is_some_and(|a| a == "wasmcloud") {
        args.remove(1);
    }
    args
}

/// Exactly `--version` or `-V` and nothing else.
fn is_version_query(args: &[OsString]) -> bool {
    args.len() == 2 && (args[1] == "--version" || args[1] == "-V")
}

/// `--color` has to be known before clap parses, so that its own errors obey it.
fn requested_color(args: &[OsString]) -> output::Color {
    use clap::ValueEnum;
    let mut iter = args.iter().filter_map(|a| a.to_str());
    while let Some(arg) = iter.next() {
        let value = match arg.strip_prefix("--color") {
            Some("") => iter.next(),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        };
        if let Some(choice) = value.and_then(|v| output::Color::from_str(v, true).ok()) {
            return choice;
        }
    }
    output::Color::Auto
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// A bug must still end in one line, not a backtrace.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "error: internal error{place}: {message} (this is a bug in cargo-wasmcloud; please report it)"
        );
    }));
}
