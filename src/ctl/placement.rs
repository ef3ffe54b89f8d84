//! Where a component or provider runs: auctions (which hosts can run it, by label), starts
//! on the host given or the auction's winner, and the hosts that run an id.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::{file_reference, CtlError, Lattice, ScaleRequest};

/// What is placed on a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Workload {
    Component,
    Provider,
}

impl Workload {
    pub fn name(self) -> &'static str {
        match self {
            Workload::Component => "component",
            Workload::Provider => "provider",
        }
    }

    /// How long a start waits for the host's event by default: providers are processes
    /// to download and launch.
    pub fn default_wait(self) -> Duration {
        match self {
            Workload::Component => Duration::from_secs(10),
            Workload::Provider => Duration::from_secs(60),
        }
    }
}

/// The body of `<kind>.auction`: `component_ref`/`component_id` (or the provider's) and the
/// labels a host must have.
#[derive(Debug, Clone)]
pub struct AuctionRequest {
    pub kind: Workload,
    pub reference: String,
    pub id: String,
    pub constraints: BTreeMap<String, String>,
}

impl AuctionRequest {
    fn body(&self) -> serde_json::Value {
        let kind = self.kind.name();
        serde_json::json!({
            format!("{kind}_ref"): self.reference,
            format!("{kind}_id"): self.id,
            "constraints": self.constraints,
        })
    }
}

/// A start: on `host_id`, else on the first host an auction finds.
#[derive(Debug, Clone)]
pub struct StartRequest {
    pub auction: AuctionRequest,
    pub host_id: Option<String>,
    /// Named config to attach.
    pub config: Vec<String>,
    /// Instances (components only).
    pub max_instances: u32,
    /// Wait for the host to report the work done, this long; `None` returns on the ack.
    pub wait: Option<Duration>,
}

/// A start done (or acknowledged).
#[derive(Debug, Clone, Serialize)]
pub struct Started {
    pub kind: Workload,
    pub id: String,
    /// The reference as sent (a local file becomes a `file://` URL).
    pub reference: String,
    pub host_id: String,
    /// Whether the host's event was awaited.
    pub waited: bool,
}

impl Lattice {
    /// Asks every host whether it can run the workload; the hosts that can. None can: an
    /// empty list.
    pub fn auction(&self, request: &AuctionRequest) -> Result<Vec<String>, CtlError> {
        self.auction_raw(request.kind.name(), request.body())
    }

    /// The host given, else the first that wins an auction.
    pub fn place(
        &self,
        request: &AuctionRequest,
        host_id: Option<&str>,
    ) -> Result<String, CtlError> {
        if let Some(host) = host_id {
            return Ok(host.to_string());
        }
        self.auction(request)?.into_iter().next().ok_or_else(|| {
            let why = if request.constraints.is_empty() {
                " (is a host running in this lattice?)".to_string()
            } else {
                let labels: Vec<String> = request
                    .constraints
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                format!(" with constraints {}", labels.join(", "))
            };
            CtlError::Invalid(format!("no host can run this {}{why}", request.kind.name()))
        })
    }

    /// Starts a component (scaled to `max_instances`) or a provider where [`Self::place`]
    /// puts it.
    pub fn start(&self, request: &StartRequest) -> Result<Started, CtlError> {
        let mut auction = request.auction.clone();
        auction.reference = file_reference(&auction.reference);
        let host_id = self.place(&auction, request.host_id.as_deref())?;
        match auction.kind {
            Workload::Component => self.scale_component(
                &ScaleRequest {
                    host_id: host_id.clone(),
                    component_ref: auction.reference.clone(),
                    component_id: auction.id.clone(),
                    count: request.max_instances,
                    config: request.config.clone(),
                    ..Default::default()
                },
                request.wait,
            )?,
            Workload::Provider => self.start_provider(
                &host_id,
                &auction.reference,
                &auction.id,
                &request.config,
                request.wait,
            )?,
        };
        Ok(Started {
            kind: auction.kind,
            id: auction.id,
            reference: auction.reference,
            host_id,
            waited: request.wait.is_some(),
        })
    }

    /// The host given, else every host that runs the component (or provider).
    pub fn target_hosts(
        &self,
        given: Option<String>,
        id: &str,
        kind: Workload,
    ) -> Result<Vec<String>, CtlError> {
        if let Some(host) = given {
            return Ok(vec![host]);
        }
        let found = self.hosts_running(id, kind == Workload::Provider)?;
        if found.is_empty() {
            return Err(CtlError::Invalid(format!(
                "no host runs a {} with id {id:?}",
                kind.name()
            )));
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auction_bodies_name_the_workload() {
        let request = AuctionRequest {
            kind: Workload::Provider,
            reference: "wasmcloud+builtin://http-server".into(),
            id: "http".into(),
            constraints: BTreeMap::from([("zone".into(), "a".into())]),
        };
        assert_eq!(
            request.body(),
            serde_json::json!({ "provider_ref": "wasmcloud+builtin://http-server",
                                "provider_id": "http", "constraints": { "zone": "a" } })
        );
    }
}
