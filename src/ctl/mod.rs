//! The wasmCloud 1.x control interface (v1) over NATS: JSON requests on
//! `{prefix}.v1.{lattice}.{resource}.{action}[.{id}]`, answered by hosts in a
//! `{success, message, response}` envelope. The async NATS client runs on a runtime made
//! here, per connection, so commands that never talk to a lattice pay nothing for it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::{de::DeserializeOwned, Deserialize};

mod checks;
mod placement;
mod raw;
mod wire;
mod work;

use checks::check_id;
pub use checks::{check_config_name, file_reference, local_address_in_use};
pub use placement::{AuctionRequest, StartRequest, Started, Workload};
pub use raw::Subscription;
use wire::parse_event;
pub use wire::*;

#[derive(Debug, thiserror::Error)]
pub enum CtlError {
    #[error("cannot connect to NATS at {address}: {reason}")]
    Connect { address: String, reason: String },
    #[error("no reply from {what} within {timeout_ms} ms")]
    Timeout { what: String, timeout_ms: u128 },
    #[error("nobody answered {0}: no host with that id, or no host in this lattice")]
    NoResponders(String),
    #[error("the host refused: {0}")]
    Refused(String),
    #[error("unreadable reply from {what}: {reason}")]
    BadReply { what: String, reason: String },
    #[error("{0}")]
    Invalid(String),
    /// The cause is said in the message too: callers print this error in sentences.
    #[error("NATS: {0}")]
    Nats(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("lost the connection to NATS at {address}: {why}")]
    Lost { address: String, why: String },
}

/// How long a watcher (`ctl events`, `dev`) waits for a lost NATS connection to come back
/// (the client reconnects by itself meanwhile) before it gives up with an error.
pub const RECONNECT_LIMIT: Duration = Duration::from_secs(30);

/// How to reach a lattice; names and defaults are wash's.
#[derive(Debug, Clone)]
pub struct CtlOptions {
    pub host: String,
    pub port: u16,
    pub jwt: Option<String>,
    pub seed: Option<String>,
    pub credsfile: Option<PathBuf>,
    pub lattice: String,
    pub timeout: Duration,
    pub topic_prefix: String,
}

impl Default for CtlOptions {
    fn default() -> Self {
        CtlOptions {
            host: "127.0.0.1".into(),
            port: 4222,
            jwt: None,
            seed: None,
            credsfile: None,
            lattice: "default".into(),
            timeout: Duration::from_millis(2000),
            topic_prefix: "wasmbus.ctl".into(),
        }
    }
}

/// After the first `host.ping` reply, replies stop being awaited once none has come for
/// this long (still bounded by the timeout), instead of always sleeping the whole timeout.
pub const QUIET_WINDOW: Duration = Duration::from_millis(150);

/// The reply envelope.
#[derive(Debug, Deserialize)]
struct Envelope<T> {
    success: bool,
    #[serde(default)]
    message: String,
    #[serde(default = "none")]
    response: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

/// A connection to one lattice.
pub struct Lattice {
    runtime: tokio::runtime::Runtime,
    client: async_nats::Client,
    opts: CtlOptions,
    /// Since when the connection has been lost, while it is (kept by the client's events).
    lost_at: std::sync::Arc<std::sync::Mutex<Option<Instant>>>,
}

impl Lattice {
    /// Connects to NATS, failing within the timeout when nobody listens. A connection lost
    /// later is not made again: the next request fails.
    pub fn connect(opts: &CtlOptions) -> Result<Lattice, CtlError> {
        Self::connect_with(opts, false)
    }

    /// The same for a command that watches for long (`ctl events`, `dev`): a lost
    /// connection is made again as soon as NATS is back; [`Lattice::lost_for`] says how
    /// long it has been gone.
    pub fn connect_watching(opts: &CtlOptions) -> Result<Lattice, CtlError> {
        Self::connect_with(opts, true)
    }

    /// How long the connection has been lost, while it is.
    pub fn lost_for(&self) -> Option<Duration> {
        self.lost_at.lock().unwrap().map(|at| at.elapsed())
    }

    /// An error when the connection has been lost for longer than [`RECONNECT_LIMIT`].
    pub fn check_not_lost(&self) -> Result<(), CtlError> {
        match self.lost_for() {
            Some(lost) if lost > RECONNECT_LIMIT => Err(CtlError::Lost {
                address: format!("{}:{}", self.opts.host, self.opts.port),
                why: format!(
                    "it did not come back within {} s",
                    RECONNECT_LIMIT.as_secs()
                ),
            }),
            _ => Ok(()),
        }
    }

    fn connect_with(opts: &CtlOptions, watching: bool) -> Result<Lattice, CtlError> {
        let address = format!("{}:{}", opts.host, opts.port);
        let connect_error = |reason: String| CtlError::Connect {
            address: address.clone(),
            reason,
        };
        // A watcher's client must notice a lost connection and make it again while the
        // command is not inside a call (dev waits for edits): a worker thread runs it.
        let runtime = if watching {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
        } else {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        }
        .map_err(|e| connect_error(e.to_string()))?;
        let lost_at: std::sync::Arc<std::sync::Mutex<Option<Instant>>> = Default::default();
        let client = runtime.block_on(async {
            let mut options = match (&opts.credsfile, &opts.jwt, &opts.seed) {
                (Some(path), _, _) => async_nats::ConnectOptions::with_credentials_file(path)
                    .await
                    .map_err(|e| connect_error(format!("credentials file: {e}")))?,
                (None, Some(jwt), Some(seed)) => {
                    let key = std::sync::Arc::new(
                        nkeys::KeyPair::from_seed(seed)
                            .map_err(|e| connect_error(format!("--ctl-seed: {e}")))?,
                    );
                    async_nats::ConnectOptions::with_jwt(jwt.clone(), move |nonce| {
                        let key = key.clone();
                        async move { key.sign(&nonce).map_err(async_nats::AuthError::new) }
                    })
                }
                (None, None, Some(seed)) => async_nats::ConnectOptions::with_nkey(seed.clone()),
                (None, Some(_), None) => {
                    return Err(connect_error("--ctl-jwt needs --ctl-seed".into()))
                }
                (None, None, None) => async_nats::ConnectOptions::new(),
            };
            let lost = lost_at.clone();
            options = options
                .connection_timeout(opts.timeout)
                .request_timeout(Some(opts.timeout))
                .event_callback(move |event| {
                    let lost = lost.clone();
                    async move {
                        let mut lost = lost.lock().unwrap();
                        match event {
                            async_nats::Event::Disconnected => {
                                lost.get_or_insert_with(Instant::now);
                            }
                            async_nats::Event::Connected => *lost = None,
                            _ => {}
                        }
                    }
                });
            options = if watching {
                // Soon after NATS is back: at most 1 s between tries.
                options
                    .max_reconnects(None)
                    .reconnect_delay_callback(|tries| {
                        Duration::from_millis(100 * tries.min(10) as u64)
                    })
            } else {
                options.max_reconnects(Some(0))
            };
            options
                .connect(format!("nats://{address}"))
                .await
                .map_err(|e| connect_error(nats_reason(&e)))
        })?;
        Ok(Lattice {
            runtime,
            client,
            opts: opts.clone(),
            lost_at,
        })
    }

    fn subject(&self, rest: &str) -> String {
        format!("{}.v1.{}.{rest}", self.opts.topic_prefix, self.opts.lattice)
    }

    fn timeout_ms(&self) -> u128 {
        self.opts.timeout.as_millis()
    }

    /// One request, one reply, decoded from its envelope. `Ok(None)` when the reply carries
    /// no `response` (success messages).
    fn request<T: DeserializeOwned>(
        &self,
        rest: &str,
        body: Vec<u8>,
        what: &str,
    ) -> Result<(Option<T>, String), CtlError> {
        let subject = self.subject(rest);
        let reply = self.runtime.block_on(async {
            tokio::time::timeout(self.opts.timeout, self.client.request(subject, body.into())).await
        });
        let message = match reply {
            Err(_) => {
                return Err(CtlError::Timeout {
                    what: what.to_string(),
                    timeout_ms: self.timeout_ms(),
                })
            }
            Ok(Err(e)) => {
                return Err(match e.kind() {
                    async_nats::RequestErrorKind::NoResponders => {
                        CtlError::NoResponders(what.to_string())
                    }
                    async_nats::RequestErrorKind::TimedOut => CtlError::Timeout {
                        what: what.to_string(),
                        timeout_ms: self.timeout_ms(),
                    },
                    _ => CtlError::Nats(Box::new(e)),
                })
            }
            Ok(Ok(message)) => message,
        };
        let envelope: Envelope<T> =
            serde_json::from_slice(&message.payload).map_err(|e| CtlError::BadReply {
                what: what.to_string(),
                reason: e.to_string(),
            })?;
        if !envelope.success {
            return Err(CtlError::Refused(envelope.message));
        }
        Ok((envelope.response, envelope.message))
    }

    /// Asks a provider directly (on `wasmbus.rpc.<lattice>.<id>.health`, as its host does
    /// every 30 s) whether it is healthy.
    pub fn provider_health(&self, provider_id: &str) -> Result<ProviderHealth, CtlError> {
        let provider_id = check_id("provider id", provider_id)?;
        let subject = format!("wasmbus.rpc.{}.{provider_id}.health", self.opts.lattice);
        let what = format!("provider {provider_id}");
        let reply = self.runtime.block_on(async {
            tokio::time::timeout(
                self.opts.timeout,
                self.client.request(subject, Vec::new().into()),
            )
            .await
        });
        let message = match reply {
            Ok(Ok(message)) => message,
            Ok(Err(e)) if e.kind() == async_nats::RequestErrorKind::NoResponders => {
                return Err(CtlError::NoResponders(what))
            }
            Ok(Err(e)) if e.kind() != async_nats::RequestErrorKind::TimedOut => {
                return Err(CtlError::Nats(Box::new(e)))
            }
            _ => {
                return Err(CtlError::Timeout {
                    what,
                    timeout_ms: self.timeout_ms(),
                })
            }
        };
        serde_json::from_slice(&message.payload).map_err(|e| CtlError::BadReply {
            what,
            reason: e.to_string(),
        })
    }

    /// Every host of the lattice: `host.ping` to all, replies gathered until none has come
    /// for [`QUIET_WINDOW`] after the last one, or the timeout. None is an empty list.
    pub fn get_hosts(&self) -> Result<Vec<Host>, CtlError> {
        let mut hosts = Vec::new();
        for payload in self.gather("host.ping", Vec::new())? {
            let envelope: Envelope<Host> =
                serde_json::from_slice(&payload).map_err(|e| CtlError::BadReply {
                    what: "host.ping".into(),
                    reason: e.to_string(),
                })?;
            hosts.extend(envelope.response);
        }
        hosts.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(hosts)
    }

    /// Scatter-gather: publishes to every host and collects the replies until none has come
    /// for [`QUIET_WINDOW`] after the last, or the timeout. A no-responders status (empty
    /// payload) ends it at once.
    fn gather(&self, rest: &str, body: Vec<u8>) -> Result<Vec<bytes::Bytes>, CtlError> {
        let subject = self.subject(rest);
        let timeout = self.opts.timeout;
        fn nats(e: impl std::error::Error + Send + Sync + 'static) -> CtlError {
            CtlError::Nats(Box::new(e))
        }
        self.runtime.block_on(async {
            let inbox = self.client.new_inbox();
            let mut replies = self.client.subscribe(inbox.clone()).await.map_err(nats)?;
            self.client
                .publish_with_reply(subject, inbox, body.into())
                .await
                .map_err(nats)?;
            self.client.flush().await.map_err(nats)?;
            let deadline = Instant::now() + timeout;
            let mut payloads = Vec::new();
            loop {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                let wait = if payloads.is_empty() {
                    deadline - now
                } else {
                    QUIET_WINDOW.min(deadline - now)
                };
                let Ok(Some(message)) = tokio::time::timeout(wait, replies.next()).await else {
                    break;
                };
                if message.payload.is_empty() {
                    break;
                }
                payloads.push(message.payload);
            }
            Ok(payloads)
        })
    }

    pub fn get_inventory(&self, host_id: &str) -> Result<HostInventory, CtlError> {
        let host_id = check_id("host id", host_id)?;
        let (inventory, _) = self.request::<HostInventory>(
            &format!("host.get.{host_id}"),
            Vec::new(),
            &format!("host {host_id}"),
        )?;
        inventory.ok_or_else(|| CtlError::BadReply {
            what: format!("host {host_id}"),
            reason: "no inventory in the reply".into(),
        })
    }

    /// The hosts whose inventory lists a component (or, with `provider`, a provider) with
    /// this id.
    pub fn hosts_running(&self, id: &str, provider: bool) -> Result<Vec<String>, CtlError> {
        let mut found = Vec::new();
        for host in self.get_hosts()? {
            let inv = self.get_inventory(&host.id)?;
            let runs = if provider {
                inv.providers.iter().any(|p| p.id == id)
            } else {
                inv.components.iter().any(|c| c.id == id)
            };
            if runs {
                found.push(host.id);
            }
        }
        Ok(found)
    }

    pub fn get_claims(&self) -> Result<Vec<BTreeMap<String, String>>, CtlError> {
        Ok(self
            .request("claims.get", Vec::new(), "claims.get")?
            .0
            .unwrap_or_default())
    }

    pub fn get_links(&self) -> Result<Vec<Link>, CtlError> {
        Ok(self
            .request("link.get", Vec::new(), "link.get")?
            .0
            .unwrap_or_default())
    }

    pub fn put_link(&self, link: &Link) -> Result<(), CtlError> {
        check_id("source id", &link.source_id)?;
        check_id("target", &link.target)?;
        let body = serde_json::to_vec(link).map_err(|e| CtlError::Invalid(e.to_string()))?;
        self.request::<serde::de::IgnoredAny>("link.put", body, "link.put")?;
        Ok(())
    }

    pub fn delete_link(
        &self,
        source_id: &str,
        name: &str,
        wit_namespace: &str,
        wit_package: &str,
    ) -> Result<(), CtlError> {
        let body = serde_json::json!({
            "source_id": check_id("source id", source_id)?,
            "name": name,
            "wit_namespace": wit_namespace,
            "wit_package": wit_package,
        });
        self.request::<serde::de::IgnoredAny>(
            "link.del",
            body.to_string().into_bytes(),
            "link.del",
        )?;
        Ok(())
    }

    pub fn put_config(
        &self,
        name: &str,
        values: &BTreeMap<String, String>,
    ) -> Result<(), CtlError> {
        check_config_name(name)?;
        let body = serde_json::to_vec(values).map_err(|e| CtlError::Invalid(e.to_string()))?;
        self.request::<serde::de::IgnoredAny>(&format!("config.put.{name}"), body, "config.put")?;
        Ok(())
    }

    /// A named config, or `None` when there is none by that name.
    pub fn get_config(&self, name: &str) -> Result<Option<BTreeMap<String, String>>, CtlError> {
        check_config_name(name)?;
        Ok(self
            .request(&format!("config.get.{name}"), Vec::new(), "config.get")?
            .0)
    }

    pub fn delete_config(&self, name: &str) -> Result<(), CtlError> {
        check_config_name(name)?;
        self.request::<serde::de::IgnoredAny>(
            &format!("config.del.{name}"),
            Vec::new(),
            "config.del",
        )?;
        Ok(())
    }

    pub fn put_label(&self, host_id: &str, key: &str, value: &str) -> Result<(), CtlError> {
        let host_id = check_id("host id", host_id)?;
        let body = serde_json::json!({ "key": key, "value": value });
        self.request::<serde::de::IgnoredAny>(
            &format!("label.put.{host_id}"),
            body.to_string().into_bytes(),
            &format!("host {host_id}"),
        )?;
        Ok(())
    }

    pub fn delete_label(&self, host_id: &str, key: &str) -> Result<(), CtlError> {
        let host_id = check_id("host id", host_id)?;
        let body = serde_json::json!({ "key": key });
        self.request::<serde::de::IgnoredAny>(
            &format!("label.del.{host_id}"),
            body.to_string().into_bytes(),
            &format!("host {host_id}"),
        )?;
        Ok(())
    }

    /// Asks a host to stop, giving it `timeout_ms` to shut down.
    pub fn stop_host(&self, host_id: &str, timeout_ms: Option<u64>) -> Result<(), CtlError> {
        let host_id = check_id("host id", host_id)?;
        let mut body = serde_json::json!({ "host_id": host_id });
        if let Some(ms) = timeout_ms {
            body["timeout"] = ms.into();
        }
        self.request::<serde::de::IgnoredAny>(
            &format!("host.stop.{host_id}"),
            body.to_string().into_bytes(),
            &format!("host {host_id}"),
        )?;
        Ok(())
    }
}

/// The innermost cause of a NATS error, which says what went wrong.
fn nats_reason(error: &dyn std::error::Error) -> String {
    let mut reason = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        reason = cause.to_string();
        source = cause.source();
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_names_are_single_tokens() {
        check_config_name("app-config_1").unwrap();
        for bad in ["", "a.b", "a*", "a>", "a b"] {
            assert!(check_config_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn envelopes_decode() {
        let ok: Envelope<Vec<Link>> = serde_json::from_str(
            r#"{"success":true,"message":"","response":[{"source_id":"a","target":"b","wit_namespace":"wasi","wit_package":"http","interfaces":["incoming-handler"]}]}"#,
        )
        .unwrap();
        let links = ok.response.unwrap();
        assert_eq!(links[0].name, "default");
        assert!(links[0].source_config.is_empty());
        let refused: Envelope<()> =
            serde_json::from_str(r#"{"success":false,"message":"unsupported subject"}"#).unwrap();
        assert!(!refused.success);
        assert_eq!(refused.message, "unsupported subject");
        let not_found: Envelope<BTreeMap<String, String>> =
            serde_json::from_str(r#"{"success":true,"message":"Configuration not found"}"#)
                .unwrap();
        assert!(not_found.response.is_none());
    }
}
