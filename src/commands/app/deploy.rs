//! `app deploy` and `app status`: the two that follow wadm's progress.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use clap::Args;

use super::AppBuildArgs;
use crate::commands::registry::RegistryLoginArgs;
use crate::commands::{report_build_event, CtlConnArgs};
use crate::output::{Format, Output};
use cargo_wasmcloud::app::deploy::{self, DeployEvent, DeployOptions};
use cargo_wasmcloud::app::Application;
use cargo_wasmcloud::oci::RegistryOptions;
use cargo_wasmcloud::wadm::AppStatus;

#[derive(Debug, Args)]
// `--version` is the application's here, as in wash.
#[command(disable_version_flag = true)]
pub struct DeployArgs {
    /// A manifest file, or the name of a stored application [default: the application
    /// declared in Cargo.toml, built and pushed first]
    #[arg(value_name = "FILE|NAME")]
    target: Option<String>,

    /// The version to deploy (a stored application), or to deploy as (a file or Cargo.toml)
    #[arg(long, value_name = "VERSION")]
    version: Option<String>,

    /// Replace a stored version of the same number that holds another manifest
    #[arg(long)]
    replace: bool,

    /// Return when wadm acknowledges, without waiting for the application to be deployed
    #[arg(long)]
    skip_wait: bool,

    /// How long to wait for `deployed`, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    wait_timeout: u64,

    #[command(flatten)]
    login: RegistryLoginArgs,

    /// Push over plain HTTP (loopback registries use it anyway)
    #[arg(long)]
    insecure: bool,

    #[command(flatten)]
    build: AppBuildArgs,
}

/// Shows status changes: a spinner on a terminal, status lines otherwise.
struct StatusView<'a> {
    out: &'a Output,
    spinner: Option<indicatif::ProgressBar>,
    scalers: BTreeMap<String, String>,
}

impl<'a> StatusView<'a> {
    fn new(out: &'a Output) -> Self {
        let spinner = (out.format == Format::Text && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        StatusView {
            out,
            spinner,
            scalers: BTreeMap::new(),
        }
    }

    fn show(&mut self, status: &AppStatus) {
        for scaler in &status.scalers {
            let mut text = format!("{} {}", scaler.kind, scaler.name);
            let state = match scaler.info.message.as_str() {
                "" => scaler.info.kind.to_string(),
                message => format!("{}: {message}", scaler.info.kind),
            };
            if self
                .scalers
                .insert(scaler.id.clone(), state.clone())
                .as_ref()
                != Some(&state)
            {
                text.push_str(&format!(" {state}"));
                self.line("Scaler", &text);
            }
        }
        match &self.spinner {
            Some(bar) => bar.set_message(status.summary()),
            None => self.out.status("Status", &status.summary()),
        }
    }

    fn line(&self, verb: &str, text: &str) {
        match &self.spinner {
            Some(bar) => bar.suspend(|| self.out.status(verb, text)),
            None => self.out.status(verb, text),
        }
    }
}

impl Drop for StatusView<'_> {
    fn drop(&mut self) {
        if let Some(bar) = &self.spinner {
            bar.finish_and_clear();
        }
    }
}

pub fn run_deploy(args: DeployArgs, conn: &CtlConnArgs, out: &Output) -> anyhow::Result<()> {
    let opts = DeployOptions {
        ctl: conn.options(),
        registry: RegistryOptions {
            insecure: args.insecure,
            ..args.login.options()
        },
        replace: args.replace,
        wait: (!args.skip_wait).then(|| Duration::from_secs(args.wait_timeout)),
        version: args.version.clone(),
    };
    let cwd = std::env::current_dir()?;
    let mut view = StatusView::new(out);
    let mut on_event = |event: DeployEvent<'_>| match event {
        DeployEvent::Build(e) => report_build_event(out, &cwd, e),
        DeployEvent::Pushed(p) => view.line("Pushed", &format!("{} ({})", p.reference, p.digest)),
        DeployEvent::Stored(s) => view.line("Stored", &format!("{} {}", s.name, s.version)),
        DeployEvent::AlreadyStored { name, version } => {
            view.line("Unchanged", &format!("{name} {version} (stored already)"))
        }
        DeployEvent::Acknowledged(a) => view.line(
            "Deploying",
            &format!("{} {}", a.name, a.version.as_deref().unwrap_or("")),
        ),
        DeployEvent::Status(status) => view.show(status),
    };
    let deployed = match args.target.as_deref() {
        None => {
            let app = Application::load(args.build.options()?)?;
            let (plan, deployed) = deploy::deploy_application(&app, &opts, &mut on_event)?;
            for note in &plan.notes {
                out.warn(note);
            }
            deployed
        }
        Some(target) if looks_like_file(target) => {
            deploy::deploy_file(Path::new(target), &opts, &mut on_event)?
        }
        Some(name) => deploy::deploy_stored(name, &opts, &mut on_event)?,
    };
    drop(view);
    let verb = if opts.wait.is_some() {
        "Deployed"
    } else {
        "Deploying"
    };
    out.result(
        &format!(
            "{verb} {} {}",
            deployed.name,
            deployed.version.as_deref().unwrap_or("")
        ),
        &deployed,
    )?;
    Ok(())
}

/// A path to a manifest rather than an application name: it exists, or holds a `/` or a
/// `.` (application names cannot).
fn looks_like_file(target: &str) -> bool {
    Path::new(target).is_file() || target.contains(['/', '.'])
}

pub fn run_status(name: &str, watch: bool, conn: &CtlConnArgs, out: &Output) -> anyhow::Result<()> {
    let wadm = deploy::connect(&conn.options())?;
    let render = |status: &AppStatus| {
        let mut text = format!("{name}: {}", status.summary());
        for scaler in &status.scalers {
            text.push_str(&format!(
                "\n  {:<14} {:<28} {}{}",
                scaler.kind,
                scaler.name,
                scaler.info.kind,
                if scaler.info.message.is_empty() {
                    String::new()
                } else {
                    format!(": {}", scaler.info.message)
                }
            ));
        }
        text
    };
    if !watch {
        let status = wadm.status(name)?;
        out.result(
            &render(&status),
            serde_json::json!({ "name": name, "status": status }),
        )?;
        return Ok(());
    }
    wadm.watch_status(name, Duration::from_secs(2), None, &mut |status| {
        out.stream_item(
            &render(status),
            serde_json::json!({ "name": name, "status": status }),
        )
    })?;
    Ok(())
}
