//! A wasmCloud host for tests, configured by the environment variables the real `wasmcloud`
//! binary reads: WASMCLOUD_NATS_HOST, WASMCLOUD_NATS_PORT, WASMCLOUD_LATTICE,
//! WASMCLOUD_HOST_SEED, WASMCLOUD_HEARTBEAT_INTERVAL (seconds), WASMCLOUD_LABEL_<key>=<value>,
//! plus WASMCLOUD_OCI_ALLOWED_INSECURE (comma-separated registries spoken to over HTTP) and
//! WASMCLOUD_EXPERIMENTAL_FEATURES (comma-separated, e.g. `builtin-http-server`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use wasmcloud_host::wasmbus::{Features, Host};
use wasmcloud_host::{OciConfig, WasmbusHostConfig};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let nats_host = env("WASMCLOUD_NATS_HOST").unwrap_or_else(|| "127.0.0.1".into());
    let nats_port = env("WASMCLOUD_NATS_PORT").unwrap_or_else(|| "4222".into());
    let nats_url = url::Url::parse(&format!("nats://{nats_host}:{nats_port}"))
        .context("invalid NATS address")?;
    let lattice = env("WASMCLOUD_LATTICE").unwrap_or_else(|| "default".into());
    let host_key = match env("WASMCLOUD_HOST_SEED") {
        Some(seed) => Some(Arc::new(
            nkeys::KeyPair::from_seed(&seed).context("invalid WASMCLOUD_HOST_SEED")?,
        )),
        None => None,
    };
    let heartbeat_interval = env("WASMCLOUD_HEARTBEAT_INTERVAL")
        .map(|s| s.parse().map(Duration::from_secs))
        .transpose()
        .context("invalid WASMCLOUD_HEARTBEAT_INTERVAL")?;
    let labels: HashMap<String, String> = std::env::vars()
        .filter_map(|(k, v)| {
            k.strip_prefix("WASMCLOUD_LABEL_")
                .map(|key| (key.to_ascii_lowercase(), v))
        })
        .collect();
    let allowed_insecure = env("WASMCLOUD_OCI_ALLOWED_INSECURE")
        .map(|s| s.split(',').map(|r| r.trim().to_string()).collect())
        .unwrap_or_default();

    let experimental_features: Features = env("WASMCLOUD_EXPERIMENTAL_FEATURES")
        .map(|s| s.split(',').map(|f| Features::from(f.trim())).sum())
        .unwrap_or_default();

    let config = WasmbusHostConfig {
        ctl_nats_url: nats_url.clone(),
        rpc_nats_url: nats_url,
        lattice: Arc::from(lattice.as_str()),
        host_key,
        allow_file_load: true,
        heartbeat_interval,
        version: "1.9.2".into(),
        labels: labels.into_iter().collect::<BTreeMap<_, _>>().into_iter().collect(),
        oci_opts: OciConfig {
            allowed_insecure,
            ..Default::default()
        },
        experimental_features,
        ..Default::default()
    };
    let (host, shutdown) = Box::pin(Host::new(config))
        .await
        .context("failed to start the host")?;
    eprintln!("wasmcloud-test-host: started");
    let deadline = tokio::select! {
        _ = tokio::signal::ctrl_c() => None,
        deadline = host.stopped() => deadline.ok().flatten(),
    };
    drop(host);
    let timeout = deadline
        .map(|d| d.saturating_duration_since(tokio::time::Instant::now()))
        .unwrap_or(Duration::from_secs(10));
    let _ = tokio::time::timeout(timeout, shutdown).await;
    // A stuck runtime (the zero-export bug) must not keep the process alive.
    std::process::exit(0);
}
