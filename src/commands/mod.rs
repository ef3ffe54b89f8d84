//! The command line: one module per command, each with its clap `Args` and a `run` that
//! parses, calls the library, and prints.

pub mod app;
pub mod build;
pub mod claims;
pub mod completions;
pub mod compose;
pub mod ctl;
pub mod dev;
pub mod doctor;
pub mod inspect;
pub mod keys;
pub mod migrate;
pub mod new;
pub mod pull;
pub mod push;
pub mod registry;
pub mod run;
pub mod virt;
pub mod wit;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::output::{Color, Format, Output};
use cargo_wasmcloud::pipeline::BuildEvent;
use cargo_wasmcloud::project::keys::KeyPolicy;
use cargo_wasmcloud::project::{ProjectKind, Selection};
use cargo_wasmcloud::sign::keys::{ChosenKey, KeyDir, KeyError, KeyOrigin};

#[derive(Debug, Parser)]
#[command(
    name = "cargo-wasmcloud",
    bin_name = "cargo wasmcloud",
    version,
    about = "Build, sign, compose, push and run wasmCloud components, the cargo way",
    propagate_version = true
)]
pub struct Cli {
    /// Output format
    #[arg(short = 'o', long, global = true, value_enum, default_value_t = Format::Text)]
    pub output: Format,

    /// More detail on stderr (repeat for more). Give it before the command.
    #[arg(short = 'v', long, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// When to use colors
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto, value_name = "WHEN")]
    pub color: Color,

    #[command(subcommand)]
    pub command: Command,
}

/// In the order of a user's path: make, build, run, ship, look inside, operate.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create an actor, provider or interface project from a built-in template
    New(new::NewArgs),
    /// Build actors and providers with cargo into signed components and provider archives
    Build(build::BuildArgs),
    /// Generate WIT from the traits of interface crates, and the glue actors use
    Wit(wit::WitArgs),
    /// Compose components into one: the actors' [package.metadata.wasmcloud.compose], or files
    Compose(compose::ComposeArgs),
    /// Bake environment and config into a component (what `build` does with
    /// [package.metadata.wasmcloud.virt])
    Virt(virt::VirtArgs),
    /// Serve an actor's HTTP handler in this process (no NATS or host needed)
    Run(run::RunArgs),
    /// Run an actor on a host and update it in place whenever its sources change
    Dev(dev::DevArgs),
    /// Push a component or provider archive to an OCI registry
    Push(push::PushArgs),
    /// Pull a component or provider archive from an OCI registry
    Pull(pull::PullArgs),
    /// Show the claims (and optionally the WIT world) of a component or provider archive
    Inspect(inspect::InspectArgs),
    /// Sign Wasm with wascap claims, or inspect the claims of a signed file
    Claims(claims::ClaimsArgs),
    /// Generate, list and read nkeys in the key directory
    Keys(keys::KeysArgs),
    /// Talk to the hosts of a wasmCloud 1.x lattice over NATS
    Ctl(ctl::CtlArgs),
    /// Applications: the wadm manifest from Cargo.toml, deployed across a lattice by wadm
    App(app::AppArgs),
    /// Check what the whole path needs: the wasm target, keys, NATS, hosts, a registry
    Doctor(doctor::DoctorArgs),
    /// Move a wash project's wasmcloud.toml settings into Cargo.toml
    Migrate(migrate::MigrateArgs),
    /// Print a shell completion script for cargo-wasmcloud
    Completions(completions::CompletionsArgs),
}

pub fn run(cli: Cli, out: &Output) -> anyhow::Result<()> {
    match cli.command {
        Command::App(args) => app::run(args, out),
        Command::Build(args) => build::run(args, out),
        Command::Compose(args) => compose::run(args, out),
        Command::Ctl(args) => ctl::run(args, out),
        Command::Dev(args) => dev::run(args, out),
        Command::Run(args) => run::run(args, out),
        Command::Doctor(args) => doctor::run(args, out),
        Command::Completions(args) => completions::run(args),
        Command::Keys(args) => keys::run(args, out),
        Command::Migrate(args) => migrate::run(args, out),
        Command::New(args) => new::run(args, out),
        Command::Pull(args) => pull::run(args, out),
        Command::Push(args) => push::run(args, out),
        Command::Claims(args) => claims::run(args, out),
        Command::Inspect(args) => inspect::run(args, out),
        Command::Wit(args) => wit::run(args, out),
        Command::Virt(args) => virt::run(args, out),
    }
}

/// Connection options, named as wash names them.
#[derive(Debug, Clone, Args)]
pub struct CtlConnArgs {
    /// NATS host of the lattice
    #[arg(
        short = 'r',
        long,
        env = "WASMCLOUD_CTL_HOST",
        default_value = "127.0.0.1",
        global = true
    )]
    pub ctl_host: String,

    /// NATS port of the lattice
    #[arg(
        short = 'p',
        long,
        env = "WASMCLOUD_CTL_PORT",
        default_value_t = 4222,
        global = true
    )]
    pub ctl_port: u16,

    /// JWT for NATS (with --ctl-seed)
    #[arg(long, env = "WASMCLOUD_CTL_JWT", hide_env_values = true, global = true)]
    pub ctl_jwt: Option<String>,

    /// Seed for NATS nkey authentication
    #[arg(
        long,
        env = "WASMCLOUD_CTL_SEED",
        hide_env_values = true,
        global = true
    )]
    pub ctl_seed: Option<String>,

    /// NATS credentials file
    #[arg(long, env = "WASH_CTL_CREDS", global = true)]
    pub ctl_credsfile: Option<PathBuf>,

    /// Lattice name
    #[arg(
        short = 'x',
        long,
        env = "WASMCLOUD_LATTICE",
        default_value = "default",
        global = true
    )]
    pub lattice: String,

    /// How long to wait for answers
    #[arg(
        short = 't',
        long,
        env = "WASMCLOUD_CTL_TIMEOUT_MS",
        default_value_t = 2000,
        global = true
    )]
    pub timeout_ms: u64,
}

impl CtlConnArgs {
    pub fn connect(&self) -> anyhow::Result<cargo_wasmcloud::ctl::Lattice> {
        Ok(cargo_wasmcloud::ctl::Lattice::connect(&self.options())?)
    }

    /// For commands that stay connected: reconnects, and notices a lost server while idle.
    pub fn connect_watching(&self) -> anyhow::Result<cargo_wasmcloud::ctl::Lattice> {
        Ok(cargo_wasmcloud::ctl::Lattice::connect_watching(
            &self.options(),
        )?)
    }

    pub fn options(&self) -> cargo_wasmcloud::ctl::CtlOptions {
        cargo_wasmcloud::ctl::CtlOptions {
            host: self.ctl_host.clone(),
            port: self.ctl_port,
            jwt: self.ctl_jwt.clone(),
            seed: self.ctl_seed.clone(),
            credsfile: self.ctl_credsfile.clone(),
            lattice: self.lattice.clone(),
            timeout: std::time::Duration::from_millis(self.timeout_ms),
            ..Default::default()
        }
    }
}

/// `KEY=VALUE` arguments of `flag`, in order.
pub fn key_value_pairs(items: &[String], flag: &str) -> anyhow::Result<Vec<(String, String)>> {
    items
        .iter()
        .map(|item| {
            item.split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| anyhow::anyhow!("invalid {flag} {item:?}: use KEY=VALUE"))
        })
        .collect()
}

/// Which workspace packages a command works on, chosen as cargo chooses them.
#[derive(Debug, Clone, Args)]
pub struct PackageArgs {
    /// Package to work on (repeatable)
    #[arg(short = 'p', long = "package", value_name = "SPEC")]
    pub packages: Vec<String>,

    /// Every package in the workspace
    #[arg(long)]
    pub workspace: bool,

    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
}

impl PackageArgs {
    /// This selection, from the current directory.
    pub fn selection(&self) -> std::io::Result<Selection> {
        let mut selection = Selection::new(std::env::current_dir()?);
        selection.manifest_path = self.manifest_path.clone();
        selection.packages = self.packages.clone();
        selection.workspace = self.workspace;
        Ok(selection)
    }
}

/// The cargo flags passed through to the builds a command runs, as cargo spells them.
#[derive(Debug, Clone, Args)]
pub struct CargoArgs {
    /// Directory for all generated artifacts
    #[arg(long, value_name = "DIR")]
    pub target_dir: Option<PathBuf>,

    /// Require Cargo.lock to be up to date
    #[arg(long)]
    pub locked: bool,

    /// Run without accessing the network
    #[arg(long)]
    pub offline: bool,

    /// Require Cargo.lock and cache to be up to date
    #[arg(long)]
    pub frozen: bool,
}

impl CargoArgs {
    pub fn apply_to(&self, selection: &mut Selection) {
        selection.target_dir = self.target_dir.clone();
        selection.locked = self.locked;
        selection.offline = self.offline;
        selection.frozen = self.frozen;
    }
}

/// Where keys are kept: `--keys-dir`, else `WASH_KEYS`, else `~/.wash/keys`.
#[derive(Debug, Clone, Args)]
pub struct KeyDirArgs {
    /// Directory of `<name>_<kind>.nk` seed files [default: ~/.wash/keys]
    #[arg(
        long = "keys-dir",
        visible_alias = "directory",
        env = "WASH_KEYS",
        value_name = "DIR"
    )]
    pub keys_dir: Option<PathBuf>,
}

impl KeyDirArgs {
    pub fn resolve(&self) -> Result<KeyDir, KeyError> {
        KeyDir::resolve(self.keys_dir.clone())
    }

    /// The key policy of a build: this directory, making missing keys unless told not to.
    pub fn policy(&self, generate: bool) -> KeyPolicy {
        KeyPolicy {
            keys_dir: self.keys_dir.clone(),
            generate,
        }
    }
}

/// Says where a signing key came from: a note when it was made now, detail otherwise.
pub fn report_key(out: &Output, chosen: &ChosenKey) {
    let (role, key) = (chosen.role, &chosen.key.public_key);
    match &chosen.origin {
        KeyOrigin::Generated(path) => {
            out.note(&format!("Generated {role} key {} ({key})", path.display()))
        }
        KeyOrigin::Stored(path) => out.detail(&format!("{role} key {key} from {}", path.display())),
        KeyOrigin::Given(source) => out.detail(&format!("{role} key {key} from {source}")),
    }
}

/// What `build`, `compose` and `dev` say as the pipeline goes.
pub fn report_build_event(out: &Output, cwd: &std::path::Path, event: BuildEvent<'_>) {
    match event {
        BuildEvent::LegacySettings { package, file } => out.note(&format!(
            "{package}: settings read from {}; `cargo wasmcloud migrate` moves them into Cargo.toml",
            file.display()
        )),
        BuildEvent::Generated(path) => {
            let shown = path.strip_prefix(cwd).unwrap_or(path);
            out.status("Generated", &shown.display().to_string());
        }
        BuildEvent::InterfaceCrate(package) => {
            out.note(&format!("{package}: interface crate, no component to build"))
        }
        BuildEvent::Cargo { packages, target } => out.detail(&format!(
            "cargo build --target {} for {}",
            target.unwrap_or("host"),
            packages.join(", ")
        )),
        BuildEvent::Key { key, .. } => report_key(out, key),
        BuildEvent::Warning { package, message } => out.warn(&format!("{package}: {message}")),
        BuildEvent::Finished(built) => {
            let verb = match (built.fresh, built.kind) {
                (true, _) => "Fresh",
                (false, ProjectKind::Provider) => "Packed",
                (false, _) => "Signed",
            };
            let composed = built
                .composition
                .as_ref()
                .map(|c| {
                    let plugs: Vec<&str> = c.inputs[1..].iter().map(|i| i.id.as_str()).collect();
                    format!(" (composed with {})", plugs.join(", "))
                })
                .unwrap_or_default();
            if let Some(virtualized) = built.virtualized.as_ref().filter(|v| !v.interfaces.is_empty()) {
                out.status(
                    "Virtualized",
                    &format!("{}: {}", built.package, virtualized.interfaces.join(", ")),
                );
            }
            out.status(
                verb,
                &format!("{} -> {}{composed}", built.package, built.path.display()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    /// Clap's own consistency checks (unique flags, valid defaults) over every command.
    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }

    /// Every command that runs cargo builds takes cargo's flags for them, spelled as cargo
    /// spells them.
    #[test]
    fn commands_that_build_take_cargos_flags() {
        use clap::Parser;
        let flags = ["--locked", "--offline", "--frozen", "--target-dir", "t"];
        for command in [&["build"][..], &["app", "manifest"], &["app", "deploy"]] {
            let args = ["cargo-wasmcloud"].iter().chain(command).chain(&flags);
            if let Err(e) = super::Cli::try_parse_from(args) {
                panic!("{command:?}: {e}");
            }
        }
    }
}
