//! `ctl`: talk to the hosts of a wasmCloud 1.x lattice over NATS.

mod config;
mod get;
mod link;
mod watch;
mod workload;

use std::collections::BTreeMap;

use clap::{Args, Subcommand};

use super::CtlConnArgs;
use crate::output::Output;
use config::{ConfigCommand, LabelCommand};
use get::GetCommand;
use link::LinkCommand;
use workload::{ScaleCommand, StartCommand, StopCommand, UpdateCommand};

#[derive(Debug, Args)]
pub struct CtlArgs {
    #[command(flatten)]
    conn: CtlConnArgs,

    #[command(subcommand)]
    command: CtlCommand,
}

#[derive(Debug, Subcommand)]
enum CtlCommand {
    /// Read the lattice's state
    #[command(subcommand)]
    Get(GetCommand),
    /// Named configuration
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Host labels
    #[command(subcommand)]
    Label(LabelCommand),
    /// Links between components and providers
    #[command(subcommand)]
    Link(LinkCommand),
    /// Start a component or provider
    #[command(subcommand)]
    Start(StartCommand),
    /// Scale a component on a host (0 stops it)
    #[command(subcommand)]
    Scale(ScaleCommand),
    /// Replace a running component's image
    #[command(subcommand)]
    Update(UpdateCommand),
    /// Stop a component, provider or host
    #[command(subcommand)]
    Stop(StopCommand),
    /// Ask a provider whether it is healthy (fails when it is not)
    Health { provider_id: String },
    /// Print lattice events as they arrive, until interrupted
    Events {
        /// Only events of this type (repeatable), e.g. component_scaled
        #[arg(long = "type", value_name = "NAME")]
        types: Vec<String>,
    },
}

/// KEY=VALUE arguments, by key.
fn pairs(items: &[String], what: &str) -> anyhow::Result<BTreeMap<String, String>> {
    Ok(super::key_value_pairs(items, what)?.into_iter().collect())
}

pub fn run(args: CtlArgs, out: &Output) -> anyhow::Result<()> {
    let conn = &args.conn;
    match args.command {
        CtlCommand::Get(command) => get::run(command, conn, out),
        CtlCommand::Config(command) => config::run_config(command, conn, out),
        CtlCommand::Label(command) => config::run_label(command, conn, out),
        CtlCommand::Link(command) => link::run(command, conn, out),
        CtlCommand::Start(command) => workload::run_start(command, conn, out),
        CtlCommand::Scale(command) => workload::run_scale(command, conn, out),
        CtlCommand::Update(command) => workload::run_update(command, conn, out),
        CtlCommand::Stop(command) => workload::run_stop(command, conn, out),
        CtlCommand::Health { provider_id } => watch::run_health(provider_id, conn, out),
        CtlCommand::Events { types } => watch::run_events(types, conn, out),
    }
}
