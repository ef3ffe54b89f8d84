//! `app`: wasmCloud applications, declared in Cargo.toml and deployed through wadm.

mod deploy;
mod manage;

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{CargoArgs, CtlConnArgs, KeyDirArgs};
use crate::output::Output;
use cargo_wasmcloud::pipeline::{BuildOptions, Profile};
use cargo_wasmcloud::project::Selection;

#[derive(Debug, Args)]
pub struct AppArgs {
    #[command(flatten)]
    conn: CtlConnArgs,

    /// JetStream domain of wadm (accepted as wash accepts it; wadm's API itself is plain
    /// request/reply and does not use it)
    #[arg(
        long,
        env = "WASMCLOUD_JS_DOMAIN",
        global = true,
        value_name = "DOMAIN"
    )]
    js_domain: Option<String>,

    #[command(subcommand)]
    command: AppCommand,
}

#[derive(Debug, Subcommand)]
enum AppCommand {
    /// Write the wadm manifest of the application declared in Cargo.toml
    Manifest(manage::ManifestArgs),
    /// Check a wadm manifest file (YAML or JSON) as wadm would, and more
    Validate {
        /// The manifest file
        file: PathBuf,
    },
    /// Deploy the workspace's application (build, push, store, deploy), a manifest file,
    /// or a stored application by name; then wait until wadm reports it deployed
    Deploy(deploy::DeployArgs),
    /// Stop an application (its stored versions stay)
    Undeploy {
        /// Application name
        name: String,
    },
    /// The applications of the lattice
    List,
    /// An application's status and each of its scalers'
    Status {
        /// Application name
        name: String,
        /// Keep printing the status as it changes, until interrupted
        #[arg(short = 'w', long)]
        watch: bool,
    },
    /// A stored manifest (the newest version unless VERSION)
    Get {
        /// Application name
        name: String,
        /// Version [default: the newest]
        #[arg(value_name = "VERSION")]
        app_version: Option<String>,
    },
    /// The stored versions of an application
    History {
        /// Application name
        name: String,
    },
    /// Delete a stored version, or the whole application (undeploying it)
    Delete {
        /// Application name
        name: String,
        /// Version [default: every version]
        #[arg(value_name = "VERSION")]
        app_version: Option<String>,
    },
}

/// The workspace side of `app manifest` and `app deploy`: which packages, and how to build
/// them. (`-p` is the NATS port here, as in wash; packages are `--package`.)
#[derive(Debug, Clone, Args)]
pub struct AppBuildArgs {
    /// Package whose application to use (repeatable)
    #[arg(long = "package", value_name = "SPEC")]
    packages: Vec<String>,

    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,

    /// Build with the dev profile [default: release]
    #[arg(long)]
    debug: bool,

    #[command(flatten)]
    cargo: CargoArgs,

    /// Fail instead of generating missing keys
    #[arg(long)]
    disable_keygen: bool,

    #[command(flatten)]
    dir: KeyDirArgs,
}

impl AppBuildArgs {
    fn options(&self) -> anyhow::Result<BuildOptions> {
        let mut selection = Selection::new(std::env::current_dir()?);
        selection.manifest_path = self.manifest_path.clone();
        selection.packages = self.packages.clone();
        self.cargo.apply_to(&mut selection);
        Ok(BuildOptions {
            selection,
            profile: if self.debug {
                Profile::Dev
            } else {
                Profile::Release
            },
            sign: true,
            keys: self.dir.policy(!self.disable_keygen),
        })
    }
}

pub fn run(args: AppArgs, out: &Output) -> anyhow::Result<()> {
    let conn = &args.conn;
    match args.command {
        AppCommand::Manifest(command) => manage::run_manifest(command, out),
        AppCommand::Validate { file } => manage::run_validate(&file, out),
        AppCommand::Deploy(command) => deploy::run_deploy(command, conn, out),
        AppCommand::Undeploy { name } => manage::run_undeploy(&name, conn, out),
        AppCommand::List => manage::run_list(conn, out),
        AppCommand::Status { name, watch } => deploy::run_status(&name, watch, conn, out),
        AppCommand::Get { name, app_version } => {
            manage::run_get(&name, app_version.as_deref(), conn, out)
        }
        AppCommand::History { name } => manage::run_history(&name, conn, out),
        AppCommand::Delete { name, app_version } => {
            manage::run_delete(&name, app_version.as_deref(), conn, out)
        }
    }
}
