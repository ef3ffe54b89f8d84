//! `ctl`: talk to the hosts of a wasmCloud 1.x lattice over NATS.

use std::collections::BTreeMap;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::json;

use super::CtlConnArgs;
use crate::output::Output;
use cargo_wasmcloud::ctl::{file_reference, Lattice, Link, ScaleRequest};

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

/// What start and scale share.
#[derive(Debug, Args)]
struct Placement {
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
enum StartCommand {
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
enum ScaleCommand {
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
enum UpdateCommand {
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
            let lattice = lattice()?;
            lattice.check_http_link_address(&link)?;
            lattice.put_link(&link)?;
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
        CtlCommand::Start(StartCommand::Component {
            component_ref,
            component_id,
            max_instances,
            placement,
        }) => {
            let placed = place(
                &args.conn,
                "component",
                &component_ref,
                &component_id,
                &placement,
                10_000,
            )?;
            placed.lattice.scale_component(
                &ScaleRequest {
                    host_id: placed.host_id.clone(),
                    component_ref: placed.reference.clone(),
                    component_id: component_id.clone(),
                    count: max_instances,
                    config: placement.config.clone(),
                    ..Default::default()
                },
                placed.wait,
            )?;
            placed.report(out, "component", &component_id)?;
        }
        CtlCommand::Start(StartCommand::Provider {
            provider_ref,
            provider_id,
            placement,
        }) => {
            let placed = place(
                &args.conn,
                "provider",
                &provider_ref,
                &provider_id,
                &placement,
                60_000,
            )?;
            placed.lattice.start_provider(
                &placed.host_id,
                &placed.reference,
                &provider_id,
                &placement.config,
                placed.wait,
            )?;
            placed.report(out, "provider", &provider_id)?;
        }
        CtlCommand::Scale(ScaleCommand::Component {
            host_id,
            component_ref,
            component_id,
            max_instances,
            config,
            allow_update,
            skip_wait,
            wait_timeout_ms,
        }) => {
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
        CtlCommand::Update(UpdateCommand::Component {
            component_id,
            new_ref,
            host_id,
        }) => {
            let new_ref = file_reference(&new_ref);
            let lattice = lattice()?;
            let hosts = target_hosts(&lattice, host_id, &component_id, false)?;
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
        }
        CtlCommand::Stop(StopCommand::Component {
            component_id,
            host_id,
            skip_wait,
            wait_timeout_ms,
        }) => {
            let lattice = lattice()?;
            let hosts = target_hosts(&lattice, host_id, &component_id, false)?;
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
        CtlCommand::Stop(StopCommand::Provider {
            provider_id,
            host_id,
            skip_wait,
            wait_timeout_ms,
        }) => {
            let lattice = lattice()?;
            let hosts = target_hosts(&lattice, host_id, &provider_id, true)?;
            let wait = (!skip_wait).then(|| Duration::from_millis(wait_timeout_ms));
            for host in &hosts {
                lattice.stop_provider(host, &provider_id, wait)?;
            }
            out.result(
                &format!("Stopped provider {provider_id} on {}", hosts.join(", ")),
                json!({"provider_id": provider_id, "hosts": hosts}),
            )?;
        }
        CtlCommand::Health { provider_id } => {
            let health = lattice()?.provider_health(&provider_id)?;
            let message = health.message.clone().unwrap_or_default();
            anyhow::ensure!(
                health.healthy,
                "provider {provider_id} is not healthy{}",
                if message.is_empty() {
                    String::new()
                } else {
                    format!(": {message}")
                }
            );
            out.result(
                &format!("Provider {provider_id} is healthy"),
                serde_json::to_value(&health)?,
            )?;
        }
        CtlCommand::Events { types } => {
            let json = out.format == crate::output::Format::Json;
            lattice()?.watch_events(&types, &mut |event| {
                let line = if json {
                    serde_json::to_string(event).unwrap_or_default()
                } else {
                    format!(
                        "{} {} {} {}",
                        event.time, event.kind, event.source, event.data
                    )
                };
                let mut stdout = std::io::stdout().lock();
                use std::io::Write;
                writeln!(stdout, "{line}")
                    .and_then(|_| stdout.flush())
                    .is_ok()
            })?;
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

/// Where a start goes: the connection, the host (the one given, else the first that wins an
/// auction), the reference as sent, and how long to wait for the host's event.
struct Placed {
    lattice: Lattice,
    host_id: String,
    reference: String,
    wait: Option<Duration>,
}

impl Placed {
    fn report(&self, out: &Output, kind: &str, id: &str) -> anyhow::Result<()> {
        let verb = if self.wait.is_some() {
            "Started"
        } else {
            "Asked to start"
        };
        out.result(
            &format!(
                "{verb} {kind} {id} ({}) on {}",
                self.reference, self.host_id
            ),
            json!({ format!("{kind}_id"): id, format!("{kind}_ref"): self.reference,
                    "host_id": self.host_id, "waited": self.wait.is_some() }),
        )?;
        Ok(())
    }
}

fn place(
    conn: &CtlConnArgs,
    kind: &str,
    reference_text: &str,
    id: &str,
    placement: &Placement,
    default_wait_ms: u64,
) -> anyhow::Result<Placed> {
    let constraints = pairs(&placement.constraints, "constraint")?;
    let reference = file_reference(reference_text);
    let lattice = conn.connect()?;
    let host_id = match &placement.host_id {
        Some(host) => host.clone(),
        None => {
            let body = json!({ format!("{kind}_ref"): reference, format!("{kind}_id"): id,
                               "constraints": constraints });
            lattice
                .auction(kind, body)?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "no host can run this {kind}{}",
                        if placement.constraints.is_empty() {
                            " (is a host running in this lattice?)".to_string()
                        } else {
                            format!(" with constraints {}", placement.constraints.join(", "))
                        }
                    )
                })?
        }
    };
    let wait = (!placement.skip_wait)
        .then(|| Duration::from_millis(placement.wait_timeout_ms.unwrap_or(default_wait_ms)));
    Ok(Placed {
        lattice,
        host_id,
        reference,
        wait,
    })
}

/// The host given, else every host that runs the component (or provider).
fn target_hosts(
    lattice: &Lattice,
    given: Option<String>,
    id: &str,
    provider: bool,
) -> anyhow::Result<Vec<String>> {
    match given {
        Some(host) => Ok(vec![host]),
        None => {
            let found = lattice.hosts_running(id, provider)?;
            anyhow::ensure!(
                !found.is_empty(),
                "no host runs a {} with id {id:?}",
                if provider { "provider" } else { "component" }
            );
            Ok(found)
        }
    }
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
