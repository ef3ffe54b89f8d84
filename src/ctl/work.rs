//! Requests a host acts on and reports by event (scale, start, stop, update), and the
//! event stream itself.

use super::*;

/// What a host says when it has done (or failed) the work a command asked for.
#[derive(Debug, Clone, Copy)]
struct Awaited<'a> {
    host_id: &'a str,
    /// `component_id` or `provider_id` in the event data.
    id_key: &'a str,
    id: &'a str,
    done: &'a str,
    failed: &'a str,
}

impl Lattice {
    /// Sends a request, then (unless `wait` is `None`) waits for the event saying the host
    /// did the work, or the one saying it failed (hosts ack before they fetch anything).
    /// The event subscription is made before the request, so no event is missed.
    fn request_and_wait(
        &self,
        rest: &str,
        body: Vec<u8>,
        what: &str,
        awaited: Option<(Awaited<'_>, Duration)>,
    ) -> Result<String, CtlError> {
        let events = match awaited {
            Some(_) => Some(
                self.runtime
                    .block_on(self.subscribed(format!("wasmbus.evt.{}.>", self.opts.lattice)))?,
            ),
            None => None,
        };
        let (_, message) = self.request::<serde::de::IgnoredAny>(rest, body, what)?;
        let (Some(mut events), Some((awaited, wait))) = (events, awaited) else {
            return Ok(message);
        };
        self.runtime.block_on(async {
            let deadline = tokio::time::Instant::now() + wait;
            loop {
                let next = tokio::time::timeout_at(deadline, events.next()).await;
                let Ok(Some(msg)) = next else {
                    return Err(CtlError::Timeout {
                        what: format!("{} ({} or {})", what, awaited.done, awaited.failed),
                        timeout_ms: wait.as_millis(),
                    });
                };
                let Some(event) = parse_event(&msg.payload) else {
                    continue;
                };
                let id_matches =
                    event.data.get(awaited.id_key).and_then(|v| v.as_str()) == Some(awaited.id);
                if !id_matches || event.source != awaited.host_id {
                    continue;
                }
                if event.kind == awaited.done {
                    return Ok(message);
                }
                if event.kind == awaited.failed {
                    let error = event
                        .data
                        .get("error")
                        .and_then(|e| e.as_str())
                        .unwrap_or("no reason given");
                    return Err(CtlError::Refused(error.to_string()));
                }
            }
        })
    }

    /// `<what>.auction` with a body made by `placement`; the hosts that answered.
    pub(super) fn auction_raw(
        &self,
        what: &str,
        body: serde_json::Value,
    ) -> Result<Vec<String>, CtlError> {
        let payloads = self.gather(&format!("{what}.auction"), body.to_string().into_bytes())?;
        Ok(payloads
            .iter()
            .filter_map(|p| serde_json::from_slice::<Envelope<serde_json::Value>>(p).ok())
            .filter_map(|e| {
                e.response
                    .as_ref()
                    .and_then(|r| r.get("host_id"))
                    .and_then(|h| h.as_str())
                    .map(str::to_string)
            })
            .collect())
    }

    /// Scales a component on a host (count 0 stops it). With `wait`, returns once the host
    /// reports `component_scaled`, or fails with its `component_scale_failed` error.
    pub fn scale_component(
        &self,
        request: &ScaleRequest,
        wait: Option<Duration>,
    ) -> Result<String, CtlError> {
        let host_id = check_id("host id", &request.host_id)?;
        let component_id = check_id("component id", &request.component_id)?;
        let mut body = serde_json::json!({
            "component_ref": request.component_ref.trim(),
            "component_id": component_id,
            "count": request.count,
            "host_id": host_id,
            "config": request.config,
            "allow_update": request.allow_update,
        });
        if !request.annotations.is_empty() {
            body["annotations"] = serde_json::to_value(&request.annotations).unwrap_or_default();
        }
        let awaited = Awaited {
            host_id: &host_id,
            id_key: "component_id",
            id: &component_id,
            done: "component_scaled",
            failed: "component_scale_failed",
        };
        self.request_and_wait(
            &format!("component.scale.{host_id}"),
            body.to_string().into_bytes(),
            &format!("host {host_id}"),
            wait.map(|w| (awaited, w)),
        )
    }

    /// Replaces a running component's image.
    pub fn update_component(
        &self,
        host_id: &str,
        component_id: &str,
        new_ref: &str,
    ) -> Result<String, CtlError> {
        let host_id = check_id("host id", host_id)?;
        let body = serde_json::json!({
            "component_id": check_id("component id", component_id)?,
            "host_id": host_id,
            "new_component_ref": new_ref.trim(),
        });
        self.request_and_wait(
            &format!("component.update.{host_id}"),
            body.to_string().into_bytes(),
            &format!("host {host_id}"),
            None,
        )
    }

    /// Starts a provider on a host; with `wait`, until `provider_started` (or its failure).
    pub fn start_provider(
        &self,
        host_id: &str,
        provider_ref: &str,
        provider_id: &str,
        config: &[String],
        wait: Option<Duration>,
    ) -> Result<String, CtlError> {
        let host_id = check_id("host id", host_id)?;
        let provider_id = check_id("provider id", provider_id)?;
        let body = serde_json::json!({
            "provider_id": provider_id,
            "provider_ref": provider_ref.trim(),
            "host_id": host_id,
            "config": config,
        });
        let awaited = Awaited {
            host_id: &host_id,
            id_key: "provider_id",
            id: &provider_id,
            done: "provider_started",
            failed: "provider_start_failed",
        };
        self.request_and_wait(
            &format!("provider.start.{host_id}"),
            body.to_string().into_bytes(),
            &format!("host {host_id}"),
            wait.map(|w| (awaited, w)),
        )
    }

    /// Stops a provider on a host; with `wait`, until `provider_stopped`.
    pub fn stop_provider(
        &self,
        host_id: &str,
        provider_id: &str,
        wait: Option<Duration>,
    ) -> Result<String, CtlError> {
        let host_id = check_id("host id", host_id)?;
        let provider_id = check_id("provider id", provider_id)?;
        let body = serde_json::json!({ "host_id": host_id, "provider_id": provider_id });
        let awaited = Awaited {
            host_id: &host_id,
            id_key: "provider_id",
            id: &provider_id,
            done: "provider_stopped",
            failed: "provider_stop_failed",
        };
        self.request_and_wait(
            &format!("provider.stop.{host_id}"),
            body.to_string().into_bytes(),
            &format!("host {host_id}"),
            wait.map(|w| (awaited, w)),
        )
    }

    /// Calls `on_event` for every lattice event of the given kinds (all when empty) until it
    /// returns false or the connection ends.
    pub fn watch_events(
        &self,
        kinds: &[String],
        on_event: &mut dyn FnMut(&Event) -> bool,
    ) -> Result<(), CtlError> {
        self.runtime.block_on(async {
            let subject = format!("wasmbus.evt.{}.>", self.opts.lattice);
            let mut events = self
                .client
                .subscribe(subject)
                .await
                .map_err(|e| CtlError::Nats(Box::new(e)))?;
            loop {
                // Woken each second to notice a connection lost for too long.
                let message =
                    match tokio::time::timeout(Duration::from_secs(1), events.next()).await {
                        Err(_) => {
                            self.check_not_lost()?;
                            continue;
                        }
                        Ok(Some(message)) => message,
                        Ok(None) => {
                            return Err(CtlError::Lost {
                                address: format!("{}:{}", self.opts.host, self.opts.port),
                                why: "the client closed it".into(),
                            })
                        }
                    };
                let Some(event) = parse_event(&message.payload) else {
                    continue;
                };
                if !kinds.is_empty() && !kinds.contains(&event.kind) {
                    continue;
                }
                if !on_event(&event) {
                    break;
                }
            }
            Ok(())
        })
    }
}
