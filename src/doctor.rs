//! `doctor`: what the whole path needs on this machine (and wadm, for `app`), checked. Each check says what it
//! found and, when something is wrong, what to do about it.

use serde::Serialize;

use crate::ctl::{CtlOptions, Lattice};
use crate::oci::{self, LoginStatus, RegistryOptions};
use crate::project::check_target_installed;
use crate::sign::keys::{KeyDir, KeyError};
use crate::wadm::Wadm;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    pub detail: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

fn check(name: &'static str, status: Status, detail: String, fix: Option<&str>) -> Check {
    Check {
        name,
        status,
        detail,
        fix: fix.map(str::to_string),
    }
}

/// What `doctor` looks at.
pub struct Inputs<'a> {
    pub cwd: &'a std::path::Path,
    pub keys: Result<KeyDir, KeyError>,
    pub ctl: &'a CtlOptions,
    /// A registry to check, with the credentials to try.
    pub registry: Option<(&'a str, RegistryOptions)>,
}

/// Runs every check, in order.
pub fn run(inputs: Inputs) -> Vec<Check> {
    let mut checks = Vec::new();
    let cwd = inputs.cwd;
    let target = "wasm32-wasip2";
    checks.push(match check_target_installed(target, cwd) {
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

    checks.push(match inputs.keys {
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

    let address = format!("{}:{}", inputs.ctl.host, inputs.ctl.port);
    match Lattice::connect(inputs.ctl) {
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
                    format!("no host answers in lattice `{}`", inputs.ctl.lattice),
                    Some("start a wasmCloud host on this NATS, or choose the lattice with --lattice (WASMCLOUD_LATTICE)"),
                ),
                Ok(hosts) => check(
                    "hosts",
                    Status::Ok,
                    format!("{} host(s) in lattice `{}`", hosts.len(), inputs.ctl.lattice),
                    None,
                ),
                Err(e) => check("hosts", Status::Fail, e.to_string(), Some("check the host's logs")),
            });
            // Only `app` needs wadm: its absence is a warning.
            checks.push(match Wadm::connect(inputs.ctl).and_then(|w| w.list()) {
                Ok(apps) => check(
                    "wadm",
                    Status::Ok,
                    format!(
                        "wadm answers in lattice `{}` ({} application(s))",
                        inputs.ctl.lattice,
                        apps.len()
                    ),
                    None,
                ),
                Err(e) => check(
                    "wadm",
                    Status::Warn,
                    format!("{e}"),
                    Some("`app` needs wadm 0.21 on this NATS (2.10 or newer): start it before the hosts"),
                ),
            });
        }
    }

    if let Some((registry, opts)) = &inputs.registry {
        checks.push(match oci::check_login(registry, opts) {
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

    checks
}
