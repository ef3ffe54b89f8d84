//! `ctl`: talk to the hosts of a wasmCloud 1.x lattice over NATS.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::json;

use crate::output::Output;
use cargo_wasmcloud::ctl::{CtlOptions, Lattice, Link};

#[derive(Debug, Args)]
pub struct CtlArgs {
    #[command(flatten)]
    conn: ConnArgs,

    #[command(subcommand)]
    command: CtlCommand,
}

/// Connection options, named as wash names them.
#[derive(Debug, Clone, Args)]
struct ConnArgs {
    /// NATS host of the lattice
    #[arg(
        short = 'r',
        long,
        env = "WASMCLOUD_CTL_HOST",
        default_value = "127.0.0.1",
        global = true
    )]
    ctl_host: String,

    /// NATS port of the lattice
    #[arg(
        short = 'p',
        long,
        env = "WASMCLOUD_CTL_PORT",
        default_value_t = 4222,
        global = true
    )]
    ctl_port: u16,

    /// JWT for NATS (with --ctl-seed)
    #[arg(long, env = "WASMCLOUD_CTL_JWT", hide_env_values = true, global = true)]
    ctl_jwt: Option<String>,

    /// Seed for NATS nkey authentication
    #[arg(
        long,
        env = "WASMCLOUD_CTL_SEED",
        hide_env_values = true,
        global = true
    )]
    ctl_seed: Option<String>,

    /// NATS credentials file
    #[arg(long, env = "WASH_CTL_CREDS", global = true)]
    ctl_credsfile: Option<PathBuf>,

    /// Lattice name
    #[arg(
        short = 'x',
        long,
        env = "WASMCLOUD_LATTICE",
        default_value = "default",
        global = true
    )]
    lattice: String,

    /// How long to wait for answers
    #[arg(
        short = 't',
        long,
        env = "WASMCLOUD_CTL_TIMEOUT_MS",
        default_value_t = 2000,
        global = true
    )]
    timeout_ms: u64,
}

impl ConnArgs {
    fn connect(&self) -> anyhow::Result<Lattice> {
        let opts = CtlOptions {
            host: self.ctl_host.clone(),
            port: self.ctl_port,
            jwt: self.ctl_jwt.clone(),
            seed: self.ctl_seed.clone(),
            credsfile: self.ctl_credsfile.clone(),
            lattice: self.lattice.clone(),
            timeout: Duration::from_millis(self.timeout_ms),
            ..Default::default()
        };
        Ok(Lattice::connect(&opts)?)
    }
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
    /// Stop things
    #[command(subcommand)]
    Stop(StopCommand),
}

#[derive(Debug, Subcommand)]
enum GetCommand {
    /// The hosts of the lattice
    Hosts,
    /// What a host runs (every host's when HOST_ID is left out)
    Inventory { host_id: Option<String> },
    /// The claims the lattice has seen
    Claims,
    /// The links of the lattice
    Links,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
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
enum LabelCommand {
    /// Set labels on a host
    Put {
        host_id: String,
        #[arg(value_name = "KEY=VALUE", required = true)]
        labels: Vec<String>,
    },
    /// Remove a label from a host
    Del { host_id: String, key: String },
}

#[derive(Debug, Subcommand)]
enum LinkCommand {
    /// Link SOURCE to TARGET over NAMESPACE:PACKAGE/INTERFACE...
    Put {
        source_id: String,
        target: String,
        wit_namespace: String,
        wit_package: String,
        /// Interface (repeatable)
        #[arg(long = "interface", required = true)]
        interfaces: Vec<String>,
        /// Named config for the source side
        #[arg(long = "source-config")]
        source_config: Vec<String>,
        /// Named config for the target side
        #[arg(long = "target-config")]
        target_config: Vec<String>,
        #[arg(short = 'l', long, default_value = "default")]
        link_name: String,
    },
    /// Delete a link
    Del {
        source_id: String,
        wit_namespace: String,
        wit_package: String,
        #[arg(short = 'l', long, default_value = "default")]
        link_name: String,
    },
    /// List the links
    Get,
}

#[derive(Debug, Subcommand)]
enum StopCommand {
    /// Stop a host
    Host {
        host_id: String,
        /// How long the host may take to shut down, in milliseconds
        #[arg(long)]
        host_timeout: Option<u64>,
    },
}

fn pairs(items: &[String], what: &str) -> anyhow::Result<BTreeMap<String, String>> {
    items
        .iter()
        .map(|item| {
            item.split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| anyhow::anyhow!("invalid {what} {item:?}: use KEY=VALUE"))
        })
        .collect()
}

fn labels_text(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .filter(|(k, _)| !k.starts_with("hostcore."))
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

pub fn run(args: CtlArgs, out: &Output) -> anyhow::Result<()> {
    // Validate what can be validated before connecting.
    let lattice = || args.conn.connect();
    match args.command {
        CtlCommand::Get(GetCommand::Hosts) => {
            let hosts = lattice()?.get_hosts()?;
            let mut text = String::new();
            if hosts.is_empty() {
                text.push_str("No hosts answered in this lattice.\n");
            } else {
                text.push_str(&format!(
                    "{:<58} {:<24} {:<10} {}\n",
                    "HOST ID", "FRIENDLY NAME", "UPTIME", "LABELS"
                ));
                for h in &hosts {
                    text.push_str(&format!(
                        "{:<58} {:<24} {:<10} {}\n",
                        h.id,
                        h.friendly_name,
                        h.uptime_human.as_deref().unwrap_or(""),
                        labels_text(&h.labels)
                    ));
                }
            }
            out.result(&text, json!({ "hosts": hosts }))?;
        }
        CtlCommand::Get(GetCommand::Inventory { host_id }) => {
            let lattice = lattice()?;
            let ids = match host_id {
                Some(id) => vec![id],
                None => lattice.get_hosts()?.into_iter().map(|h| h.id).collect(),
            };
            let mut inventories = Vec::new();
            let mut text = String::new();
            for id in ids {
                let inv = lattice.get_inventory(&id)?;
                text.push_str(&format!("Host {} ({})\n", inv.host_id, inv.friendly_name));
                if inv.components.is_empty() && inv.providers.is_empty() {
                    text.push_str("  nothing running\n");
                }
                for c in &inv.components {
                    text.push_str(&format!(
                        "  component {:<24} {:<40} x{} {}\n",
                        c.id,
                        c.image_ref,
                        c.max_instances,
                        c.name.as_deref().unwrap_or("")
                    ));
                }
                for p in &inv.providers {
                    text.push_str(&format!(
                        "  provider  {:<24} {:<40} {}\n",
                        p.id,
                        p.image_ref.as_deref().unwrap_or(""),
                        p.name.as_deref().unwrap_or("")
                    ));
                }
                inventories.push(inv);
            }
            if inventories.is_empty() {
                text.push_str("No hosts answered in this lattice.\n");
            }
            out.result(&text, json!({ "inventories": inventories }))?;
        }
        CtlCommand::Get(GetCommand::Claims) => {
            let claims = lattice()?.get_claims()?;
            let mut text = String::new();
            for c in &claims {
                text.push_str(&format!(
                    "{:<58} {} {}\n",
                    c.get("sub").map(String::as_str).unwrap_or(""),
                    c.get("name").map(String::as_str).unwrap_or(""),
                    c.get("version").map(String::as_str).unwrap_or("")
                ));
            }
            if claims.is_empty() {
                text.push_str("No claims in this lattice.\n");
            }
            out.result(&text, json!({ "claims": claims }))?;
        }
        CtlCommand::Get(GetCommand::Links) | CtlCommand::Link(LinkCommand::Get) => {
            let links = lattice()?.get_links()?;
            out.result(&links_text(&links), json!({ "links": links }))?;
        }
        CtlCommand::Config(ConfigCommand::Put { name, values }) => {
            cargo_wasmcloud::ctl::check_config_name(&name)?;
            let values = pairs(&values, "config value")?;
            lattice()?.put_config(&name, &values)?;
            out.result(&format!("Config {name} set"), json!({ "name": name }))?;
        }
        CtlCommand::Config(ConfigCommand::Get { name }) => {
            cargo_wasmcloud::ctl::check_config_name(&name)?;
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
        CtlCommand::Config(ConfigCommand::Del { name }) => {
            cargo_wasmcloud::ctl::check_config_name(&name)?;
            lattice()?.delete_config(&name)?;
            out.result(&format!("Config {name} deleted"), json!({ "name": name }))?;
        }
        CtlCommand::Label(LabelCommand::Put { host_id, labels }) => {
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
        CtlCommand::Label(LabelCommand::Del { host_id, key }) => {
            lattice()?.delete_label(&host_id, &key)?;
            out.result(
                &format!("Label {key} removed from {host_id}"),
                json!({ "host_id": host_id, "key": key }),
            )?;
        }
        CtlCommand::Link(LinkCommand::Put {
            source_id,
            target,
            wit_namespace,
            wit_package,
            interfaces,
            source_config,
            target_config,
            link_name,
        }) => {
            let link = Link {
                source_id,
                target,
                name: link_name,
                wit_namespace,
                wit_package,
                interfaces,
                source_config,
                target_config,
            };
            lattice()?.put_link(&link)?;
            out.result(
                &format!(
                    "Linked {} -> {} ({}:{}/{})",
                    link.source_id,
                    link.target,
                    link.wit_namespace,
                    link.wit_package,
                    link.interfaces.join(",")
                ),
                serde_json::to_value(&link)?,
            )?;
        }
        CtlCommand::Link(LinkCommand::Del {
            source_id,
            wit_namespace,
            wit_package,
            link_name,
        }) => {
            lattice()?.delete_link(&source_id, &link_name, &wit_namespace, &wit_package)?;
            out.result(
                &format!(
                    "Deleted link {link_name} from {source_id} ({wit_namespace}:{wit_package})"
                ),
                json!({ "source_id": source_id, "name": link_name }),
            )?;
        }
        CtlCommand::Stop(StopCommand::Host {
            host_id,
            host_timeout,
        }) => {
            lattice()?.stop_host(&host_id, host_timeout)?;
            out.result(
                &format!("Host {host_id} is stopping"),
                json!({ "host_id": host_id }),
            )?;
        }
    }
    Ok(())
}

fn links_text(links: &[Link]) -> String {
    if links.is_empty() {
        return "No links in this lattice.\n".into();
    }
    links
        .iter()
        .map(|l| {
            format!(
                "{} -> {} [{}] {}:{}/{}\n",
                l.source_id,
                l.target,
                l.name,
                l.wit_namespace,
                l.wit_package,
                l.interfaces.join(",")
            )
        })
        .collect()
}
