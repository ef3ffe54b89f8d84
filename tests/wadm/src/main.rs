//! wadm for tests: configured as the real `wadm` binary is (its flags and WADM_* variables,
//! e.g. WADM_NATS_SERVER, WADM_STREAM_PERSISTENCE=memory), and stopped by SIGINT or SIGTERM.
//! Prints "wadm-test-server: started" once its API is being served.

use anyhow::Context;
use clap::Parser;
use tokio::signal::unix::{signal, SignalKind};
use wadm::config::WadmConfig;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = WadmConfig::parse();
    let mut tasks = wadm::start_wadm(config)
        .await
        .context("failed to start wadm")?;
    eprintln!("wadm-test-server: started");
    let mut terminate = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let code = tokio::select! {
        done = tasks.join_next() => match done {
            Some(Ok(Ok(()))) | None => 0,
            Some(Ok(Err(e))) => { eprintln!("wadm-test-server: {e:#}"); 1 }
            Some(Err(e)) => { eprintln!("wadm-test-server: task failed: {e}"); 1 }
        },
        _ = tokio::signal::ctrl_c() => 0,
        _ = terminate.recv() => 0,
    };
    // Background tasks may hold the runtime; the process ends here regardless.
    std::process::exit(code);
}
