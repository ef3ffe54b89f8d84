//! `dev` (and `run`) without a lattice: the actor served in this process by the embedded
//! runtime. A new build is swapped in only once it has compiled and linked, so a broken
//! edit, or one that imports something nothing here serves, leaves the old one serving;
//! requests in flight finish on the component they started with.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use super::DevError;
use crate::runtime::{serve, EventSink, LogSink, Prepared, Runtime, Served, Slot};

/// An actor served on this machine.
pub struct LocalSession {
    runtime: Runtime,
    slot: Slot,
    served: Served,
    /// Where it is served (the bound address: a port of 0 is resolved).
    pub address: SocketAddr,
}

impl LocalSession {
    /// Compiles the component at `component` and serves it on `address`.
    pub fn start(
        component: &Path,
        config: BTreeMap<String, String>,
        address: &str,
        log: LogSink,
        on_event: EventSink,
    ) -> Result<LocalSession, DevError> {
        let runtime = Runtime::new(log).map_err(|source| DevError::Runtime {
            name: component.display().to_string(),
            source,
        })?;
        let prepared = prepare(&runtime, component, config)?;
        let slot = Slot::new(prepared);
        let served = serve(slot.clone(), address, on_event).map_err(DevError::Serve)?;
        let address = served.address;
        Ok(LocalSession {
            runtime,
            slot,
            served,
            address,
        })
    }

    /// Serves a new build from the next request on; the old one stays when this fails.
    pub fn update(
        &self,
        component: &Path,
        config: BTreeMap<String, String>,
    ) -> Result<(), DevError> {
        let prepared = prepare(&self.runtime, component, config)?;
        self.slot.replace(prepared);
        Ok(())
    }

    /// Stops serving (requests in flight get a moment to finish).
    pub fn stop(self) {
        self.served.stop();
    }
}

fn prepare(
    runtime: &Runtime,
    component: &Path,
    config: BTreeMap<String, String>,
) -> Result<Prepared, DevError> {
    let bytes = std::fs::read(component).map_err(|source| DevError::Io {
        path: component.to_path_buf(),
        source,
    })?;
    runtime
        .prepare(&bytes, config)
        .map_err(|source| DevError::Runtime {
            name: component
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            source,
        })
}
