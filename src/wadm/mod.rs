//! wadm, wasmCloud's deployment manager: its application manifest (`manifest`), read from
//! YAML with places (`yaml`) and checked before sending (`validate`), and its API over the
//! lattice's NATS (`wadm.api.{lattice}.model.{op}[.{name}]`, JSON request and reply) with
//! live status on `wadm.status.{lattice}.{name}`.

pub mod manifest;
pub mod validate;
pub mod yaml;

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::ctl::{CtlError, CtlOptions, Lattice};

#[derive(Debug, thiserror::Error)]
pub enum WadmError {
    #[error(
        "no wadm answers on lattice `{lattice}` at {nats}: start wadm on this NATS \
         (`wadm --nats-server {nats}`, or WADM_NATS_SERVER) before the hosts, and try again"
    )]
    NotRunning { lattice: String, nats: String },
    #[error("wadm refused to {op} `{name}`: {message}")]
    Refused {
        op: &'static str,
        name: String,
        message: String,
    },
    #[error("no application `{0}` in this lattice (`app list` shows them)")]
    NotFound(String),
    #[error("no version `{version}` of application `{name}` (`app history {name}` lists them)")]
    NoSuchVersion { name: String, version: String },
    #[error("unreadable reply from wadm ({op}): {reason}")]
    BadReply { op: &'static str, reason: String },
    #[error("application `{name}` failed: {message}")]
    Failed { name: String, message: String },
    #[error(
        "application `{name}` was not deployed within {seconds} s (last status: {status}); \
         `app status {name}` shows it"
    )]
    WaitTimeout {
        name: String,
        seconds: u64,
        status: String,
    },
    #[error(transparent)]
    Lattice(#[from] CtlError),
}

impl WadmError {
    /// wadm's `notfound`, for an application or (when given) one version of it.
    fn not_found(name: &str, version: Option<&str>) -> Self {
        match version {
            Some(version) => WadmError::NoSuchVersion {
                name: name.into(),
                version: version.into(),
            },
            None => WadmError::NotFound(name.into()),
        }
    }
}

/// The states wadm reports for an application and each of its scalers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusType {
    Waiting,
    #[default]
    Undeployed,
    Reconciling,
    Deployed,
    Failed,
    Unhealthy,
}

impl std::fmt::Display for StatusType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StatusType::Waiting => "waiting",
            StatusType::Undeployed => "undeployed",
            StatusType::Reconciling => "reconciling",
            StatusType::Deployed => "deployed",
            StatusType::Failed => "failed",
            StatusType::Unhealthy => "unhealthy",
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusInfo {
    #[serde(rename = "type", default)]
    pub kind: StatusType,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScalerStatus {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(rename = "status", default)]
    pub info: StatusInfo,
}

/// An application's status: its own state, and each scaler's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppStatus {
    #[serde(rename = "status", default)]
    pub info: StatusInfo,
    #[serde(default)]
    pub scalers: Vec<ScalerStatus>,
}

impl AppStatus {
    /// `deployed`, or `reconciling (2/3 scalers deployed)`.
    pub fn summary(&self) -> String {
        let done = self
            .scalers
            .iter()
            .filter(|s| s.info.kind == StatusType::Deployed)
            .count();
        let mut text = self.info.kind.to_string();
        if !self.scalers.is_empty() && self.info.kind != StatusType::Deployed {
            text.push_str(&format!(
                " ({done}/{} scalers deployed)",
                self.scalers.len()
            ));
        }
        // With scalers, their own messages say more than the joined one.
        if !self.info.message.is_empty() && self.scalers.is_empty() {
            text.push_str(&format!(": {}", self.info.message));
        }
        text
    }
}

/// An application in `list`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelSummary {
    pub name: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub deployed_version: Option<String>,
    #[serde(default)]
    pub detailed_status: AppStatus,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionInfo {
    pub version: String,
    #[serde(default)]
    pub deployed: bool,
}

/// What `put` did.
#[derive(Debug, Clone, Serialize)]
pub struct Stored {
    pub name: String,
    pub version: String,
    /// `created` (a new application) or `newversion`.
    pub result: String,
    pub total_versions: u64,
}

/// What `deploy` / `undeploy` acknowledged.
#[derive(Debug, Clone, Serialize)]
pub struct Acknowledged {
    pub name: String,
    pub version: Option<String>,
    pub message: String,
}

/// What `delete` did.
#[derive(Debug, Clone, Serialize)]
pub struct Deleted {
    pub name: String,
    pub version: Option<String>,
    /// False when there was nothing to delete.
    pub deleted: bool,
    /// Whether deleting also undeployed it.
    pub undeployed: bool,
}

/// A wadm API client on one lattice.
pub struct Wadm {
    lattice: Lattice,
    nats: String,
}

/// The reply fields every operation shares.
#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    result: String,
    #[serde(default)]
    message: String,
}

impl Wadm {
    pub fn connect(opts: &CtlOptions) -> Result<Wadm, WadmError> {
        Ok(Wadm {
            lattice: Lattice::connect(opts)?,
            nats: format!("{}:{}", opts.host, opts.port),
        })
    }

    /// The lattice connection (for the hosts' side of things).
    pub fn lattice(&self) -> &Lattice {
        &self.lattice
    }

    /// One API call; `name` goes in the subject, `about` names the application in errors.
    fn call(
        &self,
        op: &'static str,
        name: Option<&str>,
        about: &str,
        body: Option<Value>,
    ) -> Result<(Reply, Value), WadmError> {
        let lattice = self.lattice.lattice_name();
        let subject = match name {
            Some(name) => format!("wadm.api.{lattice}.model.{op}.{name}"),
            None => format!("wadm.api.{lattice}.model.{op}"),
        };
        let payload = self
            .lattice
            .request_json(&subject, body.as_ref(), "wadm")
            .map_err(|e| match e {
                CtlError::NoResponders(_) => WadmError::NotRunning {
                    lattice: lattice.to_string(),
                    nats: self.nats.clone(),
                },
                other => WadmError::Lattice(other),
            })?;
        let value: Value = serde_json::from_slice(&payload).map_err(|e| WadmError::BadReply {
            op,
            reason: e.to_string(),
        })?;
        let reply = Reply::deserialize(&value).map_err(|e| WadmError::BadReply {
            op,
            reason: e.to_string(),
        })?;
        if reply.result == "error" {
            return Err(WadmError::Refused {
                op,
                name: about.to_string(),
                message: one_line(&reply.message),
            });
        }
        Ok((reply, value))
    }

    fn field<T: serde::de::DeserializeOwned>(
        op: &'static str,
        value: &Value,
        key: &str,
    ) -> Result<T, WadmError> {
        T::deserialize(value.get(key).unwrap_or(&Value::Null)).map_err(|e| WadmError::BadReply {
            op,
            reason: format!("`{key}`: {e}"),
        })
    }

    /// Stores a manifest (as JSON) as a new version of its application.
    pub fn put(&self, manifest: &Value) -> Result<Stored, WadmError> {
        let name = manifest["metadata"]["name"].as_str().unwrap_or_default();
        let (reply, value) = self.call("put", None, name, Some(manifest.clone()))?;
        Ok(Stored {
            name: Self::field::<Option<String>>("put", &value, "name")?
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| name.to_string()),
            version: Self::field::<Option<String>>("put", &value, "current_version")?
                .unwrap_or_default(),
            result: reply.result,
            total_versions: Self::field::<Option<u64>>("put", &value, "total_versions")?
                .unwrap_or(0),
        })
    }

    /// A stored manifest: the given version, else the newest.
    pub fn get(&self, name: &str, version: Option<&str>) -> Result<Value, WadmError> {
        let body = version.map(|v| json!({ "version": v }));
        let (reply, value) = self.call("get", Some(name), name, body)?;
        if reply.result == "notfound" {
            return Err(WadmError::not_found(name, version));
        }
        Ok(value.get("manifest").cloned().unwrap_or(Value::Null))
    }

    /// Every application of the lattice.
    pub fn list(&self) -> Result<Vec<ModelSummary>, WadmError> {
        let (_, value) = self.call("get", None, "", None)?;
        Self::field::<Option<Vec<ModelSummary>>>("get", &value, "models")
            .map(Option::unwrap_or_default)
    }

    /// The stored versions of an application, oldest first.
    pub fn versions(&self, name: &str) -> Result<Vec<VersionInfo>, WadmError> {
        let (reply, value) = self.call("versions", Some(name), name, None)?;
        if reply.result == "notfound" {
            return Err(WadmError::NotFound(name.into()));
        }
        Self::field::<Option<Vec<VersionInfo>>>("versions", &value, "versions")
            .map(Option::unwrap_or_default)
    }

    /// Deletes one version, or (None) the whole application, undeploying it.
    pub fn delete(&self, name: &str, version: Option<&str>) -> Result<Deleted, WadmError> {
        let body = json!({ "version": version });
        let (reply, value) = self.call("del", Some(name), name, Some(body))?;
        Ok(Deleted {
            name: name.into(),
            version: version.map(str::to_string),
            deleted: reply.result == "deleted",
            undeployed: Self::field::<Option<bool>>("del", &value, "undeploy")?.unwrap_or(false),
        })
    }

    /// Asks wadm to deploy a stored version (None: the newest).
    pub fn deploy(&self, name: &str, version: Option<&str>) -> Result<Acknowledged, WadmError> {
        let body = json!({ "version": version });
        let (reply, value) = self.call("deploy", Some(name), name, Some(body))?;
        if reply.result == "notfound" {
            return Err(WadmError::not_found(name, version));
        }
        Ok(Acknowledged {
            name: name.into(),
            version: Self::field::<Option<String>>("deploy", &value, "version")?,
            message: reply.message,
        })
    }

    pub fn undeploy(&self, name: &str) -> Result<Acknowledged, WadmError> {
        let (reply, _) = self.call("undeploy", Some(name), name, Some(json!({})))?;
        if reply.result == "notfound" {
            return Err(WadmError::NotFound(name.into()));
        }
        Ok(Acknowledged {
            name: name.into(),
            version: None,
            message: reply.message,
        })
    }

    /// The application's status (wadm answers `undeployed` for names it does not know).
    pub fn status(&self, name: &str) -> Result<AppStatus, WadmError> {
        let (reply, value) = self.call("status", Some(name), name, None)?;
        if reply.result == "notfound" {
            return Err(WadmError::NotFound(name.into()));
        }
        Self::field::<Option<AppStatus>>("status", &value, "status").map(Option::unwrap_or_default)
    }

    /// Calls `on_status` with the current status, then with every change (from wadm's
    /// status subject, and a poll every `poll` in case a publication is missed), until it
    /// returns false. With `limit`, stops with [`WadmError::WaitTimeout`] when it passes.
    pub fn watch_status(
        &self,
        name: &str,
        poll: Duration,
        limit: Option<Duration>,
        on_status: &mut dyn FnMut(&AppStatus) -> bool,
    ) -> Result<AppStatus, WadmError> {
        let subject = format!("wadm.status.{}.{name}", self.lattice.lattice_name());
        let mut updates = self.lattice.subscribe(&subject)?;
        let started = Instant::now();
        let mut last = self.status(name)?;
        if !on_status(&last) {
            return Ok(last);
        }
        let mut next_poll = Instant::now() + poll;
        loop {
            let now = Instant::now();
            if let Some(limit) = limit {
                if now >= started + limit {
                    return Err(WadmError::WaitTimeout {
                        name: name.into(),
                        seconds: limit.as_secs(),
                        status: last.summary(),
                    });
                }
            }
            let mut wait = next_poll.saturating_duration_since(now);
            if let Some(limit) = limit {
                wait = wait.min((started + limit).saturating_duration_since(now));
            }
            let status = match self.lattice.next_message(&mut updates, wait)? {
                Some(payload) => match serde_json::from_slice::<AppStatus>(&payload) {
                    Ok(status) => status,
                    Err(_) => continue,
                },
                None if Instant::now() >= next_poll => {
                    next_poll = Instant::now() + poll;
                    self.status(name)?
                }
                None => continue,
            };
            if status != last {
                last = status;
                if !on_status(&last) {
                    return Ok(last);
                }
            }
        }
    }

    /// Waits until the application is deployed (every scaler too), failing when wadm says
    /// it failed or when `limit` passes. `on_status` sees each change.
    pub fn wait_deployed(
        &self,
        name: &str,
        limit: Duration,
        on_status: &mut dyn FnMut(&AppStatus),
    ) -> Result<AppStatus, WadmError> {
        let mut failure = None;
        let status = self.watch_status(
            name,
            Duration::from_millis(500),
            Some(limit),
            &mut |status| {
                on_status(status);
                match status.info.kind {
                    StatusType::Deployed => false,
                    StatusType::Failed => {
                        failure = Some(status.clone());
                        false
                    }
                    _ => true,
                }
            },
        )?;
        if let Some(failed) = failure {
            // The failed scalers say what failed; the application's message joins them all.
            let scalers: Vec<String> = failed
                .scalers
                .iter()
                .filter(|s| s.info.kind == StatusType::Failed && !s.info.message.is_empty())
                .map(|s| format!("{}: {}", s.name, s.info.message))
                .collect();
            let message = if scalers.is_empty() {
                failed.info.message.clone()
            } else {
                scalers.join("; ")
            };
            return Err(WadmError::Failed {
                name: name.into(),
                message: one_line(&message),
            });
        }
        Ok(status)
    }
}

/// wadm's messages sometimes span lines; errors here are one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_replies_decode() {
        let status: AppStatus = serde_json::from_value(json!({
            "status": {"type": "reconciling", "message": ""},
            "scalers": [
                {"id": "a", "kind": "SpreadScaler", "name": "hello", "status": {"type": "deployed"}},
                {"id": "b", "kind": "LinkScaler", "name": "link", "status": {"type": "reconciling"}}
            ]
        }))
        .unwrap();
        assert_eq!(status.info.kind, StatusType::Reconciling);
        assert_eq!(status.summary(), "reconciling (1/2 scalers deployed)");
        let summary: ModelSummary = serde_json::from_value(json!({
            "name": "x", "version": "v1", "description": null, "deployed_version": "v1",
            "detailed_status": {"status": {"type": "deployed"}}, "status": "deployed"
        }))
        .unwrap();
        assert_eq!(summary.detailed_status.info.kind, StatusType::Deployed);
    }
}
