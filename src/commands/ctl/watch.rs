//! `ctl health` and `ctl events`: asking a provider, and watching the lattice.

use super::super::CtlConnArgs;
use crate::output::{Format, Output};

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
    let lattice = || conn.connect();
    {
        let json = out.format == Format::Json;
        lattice()?.watch_events(&types, &mut |event| {
            let line = if json {
                serde_json::to_string(event).unwrap_or_default()
            } else {
                format!(
                    "{} {} {} {}",
                    event.time, event.kind, event.source, event.data
                )
            };
            let mut stdout = std::io::stdout().lock();
            use std::io::Write;
            writeln!(stdout, "{line}")
                .and_then(|_| stdout.flush())
                .is_ok()
        })?;
    }
    Ok(())
}
