//! `ctl link`: links between components and providers.

use clap::Subcommand;
use serde_json::json;

use super::super::CtlConnArgs;
use super::get::links_text;
use crate::output::Output;
use cargo_wasmcloud::ctl::Link;

#[derive(Debug, Subcommand)]
pub enum LinkCommand {
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

pub fn run(command: LinkCommand, conn: &CtlConnArgs, out: &Output) -> anyhow::Result<()> {
    let lattice = || conn.connect();
    match command {
        LinkCommand::Put {
            source_id,
            target,
            wit_namespace,
            wit_package,
            interfaces,
            source_config,
            target_config,
            link_name,
        } => {
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
                &link,
            )?;
        }
        LinkCommand::Del {
            source_id,
            wit_namespace,
            wit_package,
            link_name,
        } => {
            lattice()?.delete_link(&source_id, &link_name, &wit_namespace, &wit_package)?;
            out.result(
                &format!(
                    "Deleted link {link_name} from {source_id} ({wit_namespace}:{wit_package})"
                ),
                json!({ "source_id": source_id, "name": link_name }),
            )?;
        }
        LinkCommand::Get => {
            let links = lattice()?.get_links()?;
            out.result(&links_text(&links), json!({ "links": links }))?;
        }
    }
    Ok(())
}
