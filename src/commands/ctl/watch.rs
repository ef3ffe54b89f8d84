//! `ctl health` and `ctl events`: asking a provider, and watching the lattice.

use super::super::CtlConnArgs;
use crate::output::Output;

pub fn run_health(provider_id: String, conn: &CtlConnArgs, out: &Output) -> anyhow::Result<()> {
    let lattice = || conn.connect();
    {
        let health = lattice()?.provider_health(&provider_id)?;
        let message = health.message.clone().unwrap_or_default();
        anyhow::ensure!(
            health.healthy,
            "provider {provider_id} is not healthy{}",
            if message.is_empty() {
                String::new()
            } else {
                format!(": {message}")
            }
        );
        out.result(&format!("Provider {provider_id} is healthy"), &health)?;
    }
    Ok(())
}

pub fn run_events(types: Vec<String>, conn: &CtlConnArgs, out: &Output) -> anyhow::Result<()> {
    let lattice = conn.connect_watching()?;
    lattice.watch_events(&types, &mut |event| {
        let text = format!(
            "{} {} {} {}",
            event.time, event.kind, event.source, event.data
        );
        out.stream_item(&text, event)
    })?;
    Ok(())
}
