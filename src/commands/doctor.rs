//! `doctor`: what this machine needs for the whole path, checked; every line that is not
//! fine says what to do.

use clap::Args;
use serde::Serialize;
use serde_json::json;

use super::{CtlConnArgs, KeyDirArgs};
use crate::output::Output;
use cargo_wasmcloud::build::check_target_installed;
use cargo_wasmcloud::oci::{self, LoginStatus, RegistryOptions};

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    conn: CtlConnArgs,

    /// Also check this registry (host[:port]) and whether it takes your credentials
    #[arg(long, env = "WASH_REG_URL", value_name = "HOST")]
    registry: Option<String>,

    /// Registry user [default: Docker's config]
    #[arg(long, env = "WASH_REG_USER", requires = "password")]
    user: Option<String>,

    /// Registry password
    #[arg(
        long,
        env = "WASH_REG_PASSWORD",
        hide_env_values = true,
        requires = "user"
    )]
    password: Option<String>,

    #[command(flatten)]
    dir: KeyDirArgs,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Serialize)]
struct Check {
    name: &'static str,
    status: Status,
    detail: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
}

fn check(name: &'static str, status: Status, detail: String, fix: Option<&str>) -> Check {
    Check {
        name,
        status,
        detail,
        fix: fix.map(str::to_string),
    }
}

pub fn run(args: DoctorArgs, out: &Output) -> anyhow::Result<()> {
    let mut checks = Vec::new();
    let cwd = std::env::current_dir()?;

    let target = "wasm32-wasip2";
    checks.push(match check_target_installed(target, &cwd) {
        Ok(()) => check(
            "wasm target",
            Status::Ok,
            format!("{target} is installed"),
            None,
        ),
        Err(_) => check(
            "wasm target",
            Status::Fail,
            format!("{target} is not installed"),
            Some(&format!("rustup target add {target}")),
        ),
    });

    checks.push(match args.dir.resolve() {
        Ok(dir) => {
            let path = dir.path().to_path_buf();
            match std::fs::metadata(&path) {
                Ok(m) if m.is_dir() && !m.permissions().readonly() => check(
                    "keys",
                    Status::Ok,
                    format!(
                        "{} ({} keys)",
                        path.display(),
                        dir.list().map(|k| k.len()).unwrap_or(0)
                    ),
                    None,
                ),
                Ok(_) => check(
                    "keys",
                    Status::Fail,
                    format!("{} is not a writable directory", path.display()),
                    Some("point --keys-dir or WASH_KEYS at a directory you can write"),
                ),
                Err(_) => check(
                    "keys",
                    Status::Ok,
                    format!(
                        "{} does not exist yet; it is made when a key is first generated",
                        path.display()
                    ),
                    None,
                ),
            }
        }
        Err(e) => check(
            "keys",
            Status::Fail,
            e.to_string(),
            Some("set --keys-dir or WASH_KEYS"),
        ),
    });

    let address = format!("{}:{}", args.conn.ctl_host, args.conn.ctl_port);
    match args.conn.connect() {
        Err(e) => {
            checks.push(check(
                "nats",
                Status::Fail,
                format!("{e:#}"),
                Some("start NATS (`nats-server -js`) or point --ctl-host/--ctl-port (WASMCLOUD_CTL_HOST/PORT) at yours"),
            ));
        }
        Ok(lattice) => {
            checks.push(check(
                "nats",
                Status::Ok,
                format!("NATS answers at {address}"),
                None,
            ));
            checks.push(match lattice.get_hosts() {
                Ok(hosts) if hosts.is_empty() => check(
                    "hosts",
                    Status::Fail,
                    format!("no host answers in lattice `{}`", args.conn.lattice),
                    Some("start a wasmCloud host on this NATS, or choose the lattice with --lattice (WASMCLOUD_LATTICE)"),
                ),
                Ok(hosts) => check(
                    "hosts",
                    Status::Ok,
                    format!("{} host(s) in lattice `{}`", hosts.len(), args.conn.lattice),
                    None,
                ),
                Err(e) => check("hosts", Status::Fail, e.to_string(), Some("check the host's logs")),
            });
        }
    }

    if let Some(registry) = &args.registry {
        let opts = RegistryOptions {
            user: args.user.clone(),
            password: args.password.clone(),
            ..Default::default()
        };
        checks.push(match oci::check_login(registry, &opts) {
            Ok(LoginStatus::Accepted { with_credentials }) => check(
                "registry",
                Status::Ok,
                format!(
                    "{registry} answers{}",
                    if with_credentials { " and accepts your credentials" } else { " without login" }
                ),
                None,
            ),
            Ok(LoginStatus::NeedsLogin) => check(
                "registry",
                Status::Fail,
                format!("{registry} needs a login and no credentials were found"),
                Some("give --user/--password (WASH_REG_USER/WASH_REG_PASSWORD) or `docker login`"),
            ),
            Ok(LoginStatus::Refused) => check(
                "registry",
                Status::Fail,
                format!("{registry} refused the credentials"),
                Some("check the user and password (WASH_REG_USER/WASH_REG_PASSWORD, or `docker login`)"),
            ),
            Ok(LoginStatus::TokenAuth { with_credentials }) => check(
                "registry",
                Status::Warn,
                format!(
                    "{registry} uses token authentication; credentials {}",
                    if with_credentials { "found" } else { "not found" }
                ),
                (!with_credentials).then_some("`docker login` if its repositories are private"),
            ),
            Err(e) => check(
                "registry",
                Status::Fail,
                e.to_string(),
                Some("start the registry, or check its address (--registry, WASH_REG_URL)"),
            ),
        });
    }

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
    if failed > 0 {
        // The checks still go to stdout; the verdict is the error.
        match out.format {
            crate::output::Format::Text => println!("{text}"),
            crate::output::Format::Json => {
                println!("{}", json!({ "checks": checks, "success": false }))
            }
        }
        anyhow::bail!("{failed} check(s) failed; see above");
    }
    out.result(&text, json!({ "checks": checks }))?;
    Ok(())
}
