//! `ctl start`, `scale`, `update` and `stop`: what runs where.

use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::json;

use super::super::CtlConnArgs;
use super::pairs;
use crate::output::Output;
use cargo_wasmcloud::ctl::{
    file_reference, AuctionRequest, ScaleRequest, StartRequest, Started, Workload,
};

/// What start and scale share.
#[derive(Debug, Args)]
pub struct Placement {
    /// Run on this host [default: an auction picks one]
    #[arg(long)]
    host_id: Option<String>,
    /// Only hosts with this label (repeatable)
    #[arg(short = 'c', long = "constraint", value_name = "KEY=VALUE")]
    constraints: Vec<String>,
    /// Named config to attach (repeatable)
    #[arg(long = "config", value_name = "NAME")]
    config: Vec<String>,
    /// Return when the host acknowledges, not when it has done the work
    #[arg(long)]
    skip_wait: bool,
    /// How long to wait for the host to do the work [default: 10 s for components, 60 s for
    /// providers]
    #[arg(long, value_name = "MS")]
    wait_timeout_ms: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum StartCommand {
    /// Start a component from an OCI reference, a file:// URL or a local file
    Component {
        component_ref: String,
        component_id: String,
        #[arg(long, default_value_t = 1)]
        max_instances: u32,
        #[command(flatten)]
        placement: Placement,
    },
    /// Start a provider from an OCI reference, a file:// URL, a local .par.gz or a builtin
    Provider {
        provider_ref: String,
        provider_id: String,
        #[command(flatten)]
        placement: Placement,
    },
}

#[derive(Debug, Subcommand)]
pub enum ScaleCommand {
    /// Set how many instances of a component a host may run
    Component {
        host_id: String,
        component_ref: String,
        component_id: String,
        #[arg(long, default_value_t = 1)]
        max_instances: u32,
        /// Named config to attach (repeatable)
        #[arg(long = "config", value_name = "NAME")]
        config: Vec<String>,
        /// Replace the running image when REF differs
        #[arg(long)]
        allow_update: bool,
        #[arg(long)]
        skip_wait: bool,
        #[arg(long, value_name = "MS", default_value_t = 10_000)]
        wait_timeout_ms: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum UpdateCommand {
    /// Point a running component at a new image
    Component {
        component_id: String,
        new_ref: String,
        /// The host running it [default: every host that runs it]
        #[arg(long)]
        host_id: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum StopCommand {
    /// Stop a component (scale it to 0) on one host or every host that runs it
    Component {
        component_id: String,
        #[arg(long)]
        host_id: Option<String>,
        #[arg(long)]
        skip_wait: bool,
        #[arg(long, value_name = "MS", default_value_t = 10_000)]
        wait_timeout_ms: u64,
    },
    /// Stop a provider on one host or every host that runs it
    Provider {
        provider_id: String,
        #[arg(long)]
        host_id: Option<String>,
        #[arg(long)]
        skip_wait: bool,
        #[arg(long, value_name = "MS", default_value_t = 60_000)]
        wait_timeout_ms: u64,
    },
    /// Stop a host
    Host {
        host_id: String,
        /// How long the host may take to shut down, in milliseconds
        #[arg(long)]
        host_timeout: Option<u64>,
    },
}

impl Placement {
    fn request(
        &self,
        kind: Workload,
        reference: String,
        id: String,
        max_instances: u32,
    ) -> anyhow::Result<StartRequest> {
        let wait = self
            .wait_timeout_ms
            .map(Duration::from_millis)
            .unwrap_or(kind.default_wait());
        Ok(StartRequest {
            auction: AuctionRequest {
                kind,
                reference,
                id,
                constraints: pairs(&self.constraints, "constraint")?,
            },
            host_id: self.host_id.clone(),
            config: self.config.clone(),
            max_instances,
            wait: (!self.skip_wait).then_some(wait),
        })
    }
}

pub fn run_start(command: StartCommand, conn: &CtlConnArgs, out: &Output) -> anyhow::Result<()> {
    let request = match command {
        StartCommand::Component {
            component_ref,
            component_id,
            max_instances,
            placement,
        } => placement.request(
            Workload::Component,
            component_ref,
            component_id,
            max_instances,
        )?,
        StartCommand::Provider {
            provider_ref,
            provider_id,
            placement,
        } => placement.request(Workload::Provider, provider_ref, provider_id, 1)?,
    };
    let started = conn.connect()?.start(&request)?;
    report_started(out, &started)
}

fn report_started(out: &Output, started: &Started) -> anyhow::Result<()> {
    let verb = if started.waited {
        "Started"
    } else {
        "Asked to start"
    };
    let kind = started.kind.name();
    out.result(
        &format!(
            "{verb} {kind} {} ({}) on {}",
            started.id, started.reference, started.host_id
        ),
        json!({ format!("{kind}_id"): started.id, format!("{kind}_ref"): started.reference,
                "host_id": started.host_id, "waited": started.waited }),
    )?;
    Ok(())
}

pub fn run_scale(command: ScaleCommand, conn: &CtlConnArgs, out: &Output) -> anyhow::Result<()> {
    let lattice = || conn.connect();
    let ScaleCommand::Component {
        host_id,
        component_ref,
        component_id,
        max_instances,
        config,
        allow_update,
        skip_wait,
        wait_timeout_ms,
    } = command;
    {
        let component_ref = file_reference(&component_ref);
        let wait = (!skip_wait).then(|| Duration::from_millis(wait_timeout_ms));
        let message = lattice()?.scale_component(
            &ScaleRequest {
                host_id: host_id.clone(),
                component_ref,
                component_id: component_id.clone(),
                count: max_instances,
                config,
                allow_update,
                ..Default::default()
            },
            wait,
        )?;
        let mut text = format!("Scaled {component_id} to {max_instances} on {host_id}");
        if !message.is_empty() {
            text.push_str(&format!(" ({message})"));
        }
        out.result(
            &text,
            json!({"component_id": component_id, "host_id": host_id,
                       "max_instances": max_instances, "message": message}),
        )?;
    }
    Ok(())
}

pub fn run_update(command: UpdateCommand, conn: &CtlConnArgs, out: &Output) -> anyhow::Result<()> {
    let UpdateCommand::Component {
        component_id,
        new_ref,
        host_id,
    } = command;
    let new_ref = file_reference(&new_ref);
    let lattice = conn.connect()?;
    let hosts = lattice.target_hosts(host_id, &component_id, Workload::Component)?;
    for host in &hosts {
        lattice.update_component(host, &component_id, &new_ref)?;
    }
    out.result(
        &format!(
            "Updated {component_id} to {new_ref} on {}",
            hosts.join(", ")
        ),
        json!({"component_id": component_id, "new_ref": new_ref, "hosts": hosts}),
    )?;
    Ok(())
}

pub fn run_stop(command: StopCommand, conn: &CtlConnArgs, out: &Output) -> anyhow::Result<()> {
    let lattice = || conn.connect();
    match command {
        StopCommand::Component {
            component_id,
            host_id,
            skip_wait,
            wait_timeout_ms,
        } => {
            let lattice = lattice()?;
            let hosts = lattice.target_hosts(host_id, &component_id, Workload::Component)?;
            let wait = (!skip_wait).then(|| Duration::from_millis(wait_timeout_ms));
            for host in &hosts {
                lattice.scale_component(
                    &ScaleRequest {
                        host_id: host.clone(),
                        component_id: component_id.clone(),
                        count: 0,
                        ..Default::default()
                    },
                    wait,
                )?;
            }
            out.result(
                &format!("Stopped component {component_id} on {}", hosts.join(", ")),
                json!({"component_id": component_id, "hosts": hosts}),
            )?;
        }
        StopCommand::Provider {
            provider_id,
            host_id,
            skip_wait,
            wait_timeout_ms,
        } => {
            let lattice = lattice()?;
            let hosts = lattice.target_hosts(host_id, &provider_id, Workload::Provider)?;
            let wait = (!skip_wait).then(|| Duration::from_millis(wait_timeout_ms));
            for host in &hosts {
                lattice.stop_provider(host, &provider_id, wait)?;
            }
            out.result(
                &format!("Stopped provider {provider_id} on {}", hosts.join(", ")),
                json!({"provider_id": provider_id, "hosts": hosts}),
            )?;
        }
        StopCommand::Host {
            host_id,
            host_timeout,
        } => {
            lattice()?.stop_host(&host_id, host_timeout)?;
            out.result(
                &format!("Host {host_id} is stopping"),
                json!({ "host_id": host_id }),
            )?;
        }
    }
    Ok(())
}
