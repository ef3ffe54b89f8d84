//! `ctl config` and `ctl label`: named configuration and host labels.

use clap::Subcommand;
use serde_json::json;

use super::super::CtlConnArgs;
use super::pairs;
use crate::output::Output;
use cargo_wasmcloud::ctl::check_config_name;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Set a named config to KEY=VALUE pairs
    Put {
        name: String,
        #[arg(value_name = "KEY=VALUE", required = true)]
        values: Vec<String>,
    },
    /// Show a named config
    Get { name: String },
    /// Delete a named config
    Del { name: String },
}

#[derive(Debug, Subcommand)]
pub enum LabelCommand {
    /// Set labels on a host
    Put {
        host_id: String,
        #[arg(value_name = "KEY=VALUE", required = true)]
        labels: Vec<String>,
    },
    /// Remove a label from a host
    Del { host_id: String, key: String },
}

pub fn run_config(command: ConfigCommand, conn: &CtlConnArgs, out: &Output) -> anyhow::Result<()> {
    let lattice = || conn.connect();
    match command {
        ConfigCommand::Put { name, values } => {
            check_config_name(&name)?;
            let values = pairs(&values, "config value")?;
            lattice()?.put_config(&name, &values)?;
            out.result(&format!("Config {name} set"), json!({ "name": name }))?;
        }
        ConfigCommand::Get { name } => {
            check_config_name(&name)?;
            match lattice()?.get_config(&name)? {
                Some(values) => {
                    let text = values
                        .iter()
                        .map(|(k, v)| format!("{k}={v}\n"))
                        .collect::<String>();
                    out.result(&text, json!({ "name": name, "values": values }))?;
                }
                None => anyhow::bail!("no config named {name:?}"),
            }
        }
        ConfigCommand::Del { name } => {
            check_config_name(&name)?;
            lattice()?.delete_config(&name)?;
            out.result(&format!("Config {name} deleted"), json!({ "name": name }))?;
        }
    }
    Ok(())
}

pub fn run_label(command: LabelCommand, conn: &CtlConnArgs, out: &Output) -> anyhow::Result<()> {
    let lattice = || conn.connect();
    match command {
        LabelCommand::Put { host_id, labels } => {
            let labels = pairs(&labels, "label")?;
            let lattice = lattice()?;
            for (key, value) in &labels {
                lattice.put_label(&host_id, key, value)?;
            }
            out.result(
                &format!("Labels set on {host_id}"),
                json!({ "host_id": host_id, "labels": labels }),
            )?;
        }
        LabelCommand::Del { host_id, key } => {
            lattice()?.delete_label(&host_id, &key)?;
            out.result(
                &format!("Label {key} removed from {host_id}"),
                json!({ "host_id": host_id, "key": key }),
            )?;
        }
    }
    Ok(())
}
