//! `ctl get`: hosts, inventories, claims and links.

use std::collections::BTreeMap;

use clap::Subcommand;
use serde_json::json;

use super::super::CtlConnArgs;
use crate::output::Output;
use cargo_wasmcloud::ctl::Link;

#[derive(Debug, Subcommand)]
pub enum GetCommand {
    /// The hosts of the lattice
    Hosts,
    /// What a host runs (every host's when HOST_ID is left out)
    Inventory { host_id: Option<String> },
    /// The claims the lattice has seen
    Claims,
    /// The links of the lattice
    Links,
}

pub fn run(command: GetCommand, conn: &CtlConnArgs, out: &Output) -> anyhow::Result<()> {
    let lattice = || conn.connect();
    match command {
        GetCommand::Hosts => {
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
        GetCommand::Inventory { host_id } => {
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
        GetCommand::Claims => {
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
        GetCommand::Links => {
            let links = lattice()?.get_links()?;
            out.result(&links_text(&links), json!({ "links": links }))?;
        }
    }
    Ok(())
}

fn labels_text(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .filter(|(k, _)| !k.starts_with("hostcore."))
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

pub fn links_text(links: &[Link]) -> String {
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
