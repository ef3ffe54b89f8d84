//! `dev` on a lattice: one component kept running on a host, updated in place after each
//! build, optionally behind the host's builtin HTTP server.

use std::time::Duration;

use crate::ctl::{AuctionRequest, CtlError, Lattice, Link, ScaleRequest, Workload};

/// The builtin HTTP server's reference on wasmCloud 1.x hosts.
pub const HTTP_SERVER_REF: &str = "wasmcloud+builtin://http-server";
/// The id `dev` gives it (as the README walkthrough does).
pub const HTTP_SERVER_ID: &str = "http-server";

/// A component `dev` runs, and what it started around it, to undo on the way out.
pub struct DevSession {
    lattice: Lattice,
    pub host_id: String,
    pub component_id: String,
    /// The HTTP server's config name and whether this session started the server.
    http: Option<(String, bool)>,
}

impl DevSession {
    /// Starts the component from `reference` on `host_id` (else the host an auction picks),
    /// waiting until the host reports it running.
    pub fn start(
        lattice: Lattice,
        host_id: Option<&str>,
        component_id: &str,
        reference: &str,
    ) -> Result<DevSession, CtlError> {
        let auction = AuctionRequest {
            kind: Workload::Component,
            reference: reference.to_string(),
            id: component_id.to_string(),
            constraints: Default::default(),
        };
        let host_id = lattice.place(&auction, host_id)?;
        lattice.scale_component(
            &ScaleRequest {
                host_id: host_id.clone(),
                component_ref: reference.to_string(),
                component_id: component_id.to_string(),
                count: 1,
                ..Default::default()
            },
            Some(Duration::from_secs(30)),
        )?;
        Ok(DevSession {
            lattice,
            host_id,
            component_id: component_id.to_string(),
            http: None,
        })
    }

    /// Serves the component at `address` through the builtin HTTP server, started here if
    /// no host runs it yet. The link is named after the component, so one server can serve
    /// several.
    pub fn serve_http(&mut self, address: &str) -> Result<(), CtlError> {
        let config_name = format!("{}-http", self.component_id);
        let start = self.lattice.hosts_running(HTTP_SERVER_ID, true)?.is_empty();
        // From here on, cleaning up includes what this step made.
        self.http = Some((config_name.clone(), start));
        if start {
            self.lattice.start_provider(
                &self.host_id,
                HTTP_SERVER_REF,
                HTTP_SERVER_ID,
                &[],
                Some(Duration::from_secs(30)),
            )?;
        }
        self.lattice.put_config(
            &config_name,
            &[("address".to_string(), address.to_string())]
                .into_iter()
                .collect(),
        )?;
        let link = Link {
            source_id: HTTP_SERVER_ID.to_string(),
            target: self.component_id.clone(),
            name: self.component_id.clone(),
            wit_namespace: "wasi".into(),
            wit_package: "http".into(),
            interfaces: vec!["incoming-handler".into()],
            source_config: vec![config_name],
            target_config: Vec::new(),
        };
        self.lattice.check_http_link_address(&link)?;
        self.lattice.put_link(&link)
    }

    /// Points the running component at a new image.
    pub fn update(&self, reference: &str) -> Result<(), CtlError> {
        self.lattice
            .update_component(&self.host_id, &self.component_id, reference)
            .map(|_| ())
    }

    /// Undoes what the session started; returns what could not be undone.
    pub fn stop(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some((config_name, started_server)) = &self.http {
            let _ = self
                .lattice
                .delete_link(HTTP_SERVER_ID, &self.component_id, "wasi", "http");
            let _ = self.lattice.delete_config(config_name);
            if *started_server {
                if let Err(e) = self.lattice.stop_provider(
                    &self.host_id,
                    HTTP_SERVER_ID,
                    Some(Duration::from_secs(10)),
                ) {
                    problems.push(format!("stopping the HTTP server: {e}"));
                }
            }
        }
        let request = ScaleRequest {
            host_id: self.host_id.clone(),
            component_id: self.component_id.clone(),
            count: 0,
            ..Default::default()
        };
        if let Err(e) = self
            .lattice
            .scale_component(&request, Some(Duration::from_secs(10)))
        {
            problems.push(format!("stopping {}: {e}", self.component_id));
        }
        problems
    }
}
