//! Options every registry command shares, and its progress bar.

use std::io::IsTerminal;
use std::sync::Arc;

use clap::Args;

use crate::output::{Format, Output};
use cargo_wasmcloud::oci::{Password, Progress, RegistryOptions};

#[derive(Debug, Clone, Args)]
pub struct RegistryArgs {
    /// Registry user name (with --password)
    #[arg(short = 'u', long, env = "WASH_REG_USER")]
    pub user: Option<String>,

    /// Registry password (with --user)
    #[arg(short = 'p', long, env = "WASH_REG_PASSWORD", hide_env_values = true)]
    pub password: Option<Password>,

    /// Use plain HTTP (loopback registries use it anyway, as Docker does)
    #[arg(long)]
    pub insecure: bool,

    /// Allow the `latest` tag (and untagged references)
    #[arg(long)]
    pub allow_latest: bool,

    /// Upload in 4 MiB chunks instead of one streamed request (for registries or proxies
    /// that cap request sizes)
    #[arg(long)]
    pub chunked_push: bool,
}

impl RegistryArgs {
    pub fn options(&self) -> RegistryOptions {
        RegistryOptions {
            user: self.user.clone(),
            password: self.password.clone(),
            insecure: self.insecure,
            allow_latest: self.allow_latest,
            chunked_push: self.chunked_push,
            mount_from: None,
        }
    }
}

/// Registry credentials for commands whose `-u`/`-p` mean something else (`-p` is the
/// NATS port beside the lattice connection flags): `app deploy` and `doctor`.
#[derive(Debug, Clone, Args)]
pub struct RegistryLoginArgs {
    /// Registry user (with --registry-password) [default: Docker's config]
    #[arg(
        long,
        alias = "user",
        env = "WASH_REG_USER",
        requires = "registry_password"
    )]
    pub registry_user: Option<String>,

    /// Registry password (with --registry-user)
    #[arg(
        long,
        alias = "password",
        env = "WASH_REG_PASSWORD",
        hide_env_values = true,
        requires = "registry_user"
    )]
    pub registry_password: Option<Password>,
}

impl RegistryLoginArgs {
    /// Options with these credentials and every other setting at its default.
    pub fn options(&self) -> RegistryOptions {
        RegistryOptions {
            user: self.registry_user.clone(),
            password: self.registry_password.clone(),
            ..Default::default()
        }
    }
}

/// A byte progress bar on stderr when it is a terminal and the output is for people;
/// nothing otherwise. The bar is cleared when the returned guard is dropped, success or not.
pub fn progress_bar(out: &Output, label: &str) -> (Progress, ProgressGuard) {
    if out.format != Format::Text || !std::io::stderr().is_terminal() {
        return (Arc::new(|_, _| {}), ProgressGuard(None));
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(label.to_string());
    // Draw at once: a fast transfer would otherwise finish before the first redraw.
    bar.tick();
    let handle = bar.clone();
    let progress: Progress = Arc::new(move |done, total| {
        if let Some(total) = total {
            handle.set_length(total);
        }
        handle.set_position(done);
    });
    (progress, ProgressGuard(Some(bar)))
}

/// Clears the progress bar it holds when dropped.
pub struct ProgressGuard(Option<indicatif::ProgressBar>);

impl Drop for ProgressGuard {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
