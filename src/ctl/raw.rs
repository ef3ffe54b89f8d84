//! The lattice connection for other protocols that share it (wadm's API): a JSON request on
//! any subject, and subscriptions read with a timeout.

use super::*;

/// Messages arriving on a subject.
pub struct Subscription(async_nats::Subscriber);

impl Lattice {
    /// The lattice this connection talks to.
    pub fn lattice_name(&self) -> &str {
        &self.opts.lattice
    }

    /// The request timeout.
    pub fn timeout(&self) -> Duration {
        self.opts.timeout
    }

    /// One request with a JSON body on `subject`; the reply's payload. `what` names the
    /// service in errors.
    pub fn request_json(
        &self,
        subject: &str,
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> Result<bytes::Bytes, CtlError> {
        let payload = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Content-Type", "application/json");
        let reply = self.runtime.block_on(async {
            tokio::time::timeout(
                self.opts.timeout,
                self.client
                    .request_with_headers(subject.to_string(), headers, payload.into()),
            )
            .await
        });
        let timeout = || CtlError::Timeout {
            what: what.to_string(),
            timeout_ms: self.timeout_ms(),
        };
        match reply {
            Err(_) => Err(timeout()),
            Ok(Err(e)) => Err(match e.kind() {
                async_nats::RequestErrorKind::NoResponders => CtlError::NoResponders(what.into()),
                async_nats::RequestErrorKind::TimedOut => timeout(),
                _ => CtlError::Nats(Box::new(e)),
            }),
            Ok(Ok(message)) => Ok(message.payload),
        }
    }

    /// Subscribes to `subject` (made before anything is asked, so nothing is missed).
    pub fn subscribe(&self, subject: &str) -> Result<Subscription, CtlError> {
        self.runtime
            .block_on(self.subscribed(subject.to_string()))
            .map(Subscription)
    }

    /// A subscription the server already knows of (flushed), so nothing published after
    /// this returns is missed.
    pub(super) async fn subscribed(
        &self,
        subject: String,
    ) -> Result<async_nats::Subscriber, CtlError> {
        let sub = self
            .client
            .subscribe(subject)
            .await
            .map_err(|e| CtlError::Nats(Box::new(e)))?;
        self.client
            .flush()
            .await
            .map_err(|e| CtlError::Nats(Box::new(e)))?;
        Ok(sub)
    }

    /// The next message of a subscription, or None when `wait` passes first.
    pub fn next_message(
        &self,
        subscription: &mut Subscription,
        wait: Duration,
    ) -> Result<Option<bytes::Bytes>, CtlError> {
        self.runtime.block_on(async {
            match tokio::time::timeout(wait, subscription.0.next()).await {
                Err(_) => Ok(None),
                Ok(Some(message)) => Ok(Some(message.payload)),
                Ok(None) => Err(CtlError::Invalid(
                    "the NATS connection closed while waiting".into(),
                )),
            }
        })
    }
}
