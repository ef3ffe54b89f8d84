//! `doctor`: what this machine needs for the whole path, checked; every line that is not
//! fine says what to do.

use clap::Args;
use serde_json::json;

use super::registry::RegistryLoginArgs;
use super::{CtlConnArgs, KeyDirArgs};
use crate::output::Output;
use cargo_wasmcloud::doctor::{self, Status};

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    conn: CtlConnArgs,

    /// Also check this registry (host[:port]) and whether it takes your credentials
    #[arg(long, env = "WASH_REG_URL", value_name = "HOST")]
    registry: Option<String>,

    #[command(flatten)]
    login: RegistryLoginArgs,

    #[command(flatten)]
    dir: KeyDirArgs,
}

pub fn run(args: DoctorArgs, out: &Output) -> anyhow::Result<()> {
    let cwd = std::env::current_dir()?;
    let ctl = args.conn.options();
    let checks = doctor::run(doctor::Inputs {
        cwd: &cwd,
        keys: args.dir.resolve(),
        ctl: &ctl,
        registry: args.registry.as_deref().map(|r| (r, args.login.options())),
    });
    let text = checks
        .iter()
        .map(|c| {
            let mark = match c.status {
                Status::Ok => "ok  ",
                Status::Warn => "warn",
                Status::Fail => "FAIL",
            };
            match &c.fix {
                Some(fix) => format!(
                    "{mark} {:<11} {}\n     {:<11} -> {fix}",
                    c.name, c.detail, ""
                ),
                None => format!("{mark} {:<11} {}", c.name, c.detail),
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let failed = checks
        .iter()
        .filter(|c| matches!(c.status, Status::Fail))
        .count();
    // The checks go to stdout either way; a failing one makes the verdict an error.
    out.report(&text, json!({ "checks": checks }), failed == 0)?;
    if failed > 0 {
        anyhow::bail!("{failed} check(s) failed; see above");
    }
    Ok(())
}
