//! The embedded runtime: an actor's `wasi:http/incoming-handler` served in this process on
//! wasmtime, a fresh instance per request from one pre-instantiated component, as
//! `wasmtime serve` and wasmCloud hosts do. Host interfaces: WASI 0.2 (any 0.2.x patch
//! links), wasi:http, and what a wasmCloud 1.x host serves itself (`services`: keyvalue,
//! config, logging, by their exact draft names). Imports nothing here serves are all named
//! before anything is served.

mod serve;
mod services;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::artifact::wit::{component_interfaces, WitError};
pub use serve::{serve, EventSink, ServeEvent, Served};
use services::Shared;
pub use services::{Level, LogSink};

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(transparent)]
    Wit(#[from] WitError),
    #[error(
        "{} nothing here serves: {}; compose {} in ([package.metadata.wasmcloud.compose]), or \
         run it on a lattice (`ctl start`, `app deploy`)",
        if imports.len() == 1 { "it imports an interface" } else { "it imports interfaces" },
        imports.join(", "),
        if imports.len() == 1 { "it" } else { "them" }
    )]
    Unserved { imports: Vec<String> },
    #[error("it does not export wasi:http/incoming-handler: `run` serves HTTP actors")]
    NotHttp,
    #[error("the runtime refused the component: {0}")]
    Load(String),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Instances that may be alive at once (requests in flight, and the old build's while `dev`
/// swaps): one more gets a 500.
const POOL_INSTANCES: u32 = 1000;

/// A component's linear memory limit, a wasmCloud 1.9 host's default.
const MAX_MEMORY: usize = 256 << 20;

/// Interfaces served here (any 0.2.x version of each).
const SERVED: &[&str] = &[
    "wasi:cli/",
    "wasi:clocks/",
    "wasi:filesystem/",
    "wasi:io/",
    "wasi:random/",
    "wasi:sockets/",
    "wasi:http/types",
    "wasi:http/outgoing-handler",
];

/// The imports of a component that nothing here serves.
pub fn unserved_imports(imports: &[String]) -> Vec<String> {
    imports
        .iter()
        .filter(|name| {
            let (base, version) = name.split_once('@').unwrap_or((name, ""));
            let wasi = version.starts_with("0.2.") && SERVED.iter().any(|s| base.starts_with(s));
            !wasi && !services::SERVED_EXACTLY.contains(&name.as_str())
        })
        .cloned()
        .collect()
}

/// What each request's store holds.
pub(crate) struct Host {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    shared: Arc<Shared>,
    config: Arc<BTreeMap<String, String>>,
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for Host {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: wasmtime_wasi_http::default_hooks(),
        }
    }
}

/// A component compiled and linked, ready to instantiate per request.
pub struct Prepared {
    pub(crate) pre: ProxyPre<Host>,
    /// Its imports and exports by name.
    pub interfaces: crate::artifact::wit::ComponentInterfaces,
    shared: Arc<Shared>,
    config: Arc<BTreeMap<String, String>>,
}

/// The engine, shared by every component this process serves, and the state they share
/// (keyvalue buckets outlive any one component, so a swapped-in build sees the old data).
pub struct Runtime {
    engine: Engine,
    shared: Arc<Shared>,
}

impl Runtime {
    /// `log` receives the components' `wasi:logging` lines.
    pub fn new(log: LogSink) -> Result<Runtime, RuntimeError> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        // Instances from a pool of reserved slots, as wasmCloud hosts make them: a request's
        // instance is a slot reset, not fresh mappings. Where the address space cannot be
        // reserved (a ulimit), instances are allocated on demand instead.
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(POOL_INSTANCES)
            .total_core_instances(POOL_INSTANCES * 4)
            .total_memories(POOL_INSTANCES * 2)
            .total_tables(POOL_INSTANCES * 4)
            .max_memories_per_component(8)
            .max_tables_per_component(16)
            .max_core_instances_per_component(30)
            .max_memory_size(MAX_MEMORY);
        let mut pooled = config.clone();
        pooled.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = match Engine::new(&pooled) {
            Ok(engine) => engine,
            Err(_) => Engine::new(&config).map_err(|e| RuntimeError::Load(format!("{e:#}")))?,
        };
        Ok(Runtime {
            engine,
            shared: Arc::new(Shared::new(log)),
        })
    }

    /// Checks, compiles and links a component: every import it needs must be served here.
    /// `config` is what `wasi:config` answers it.
    pub fn prepare(
        &self,
        bytes: &[u8],
        config: BTreeMap<String, String>,
    ) -> Result<Prepared, RuntimeError> {
        let interfaces = component_interfaces(bytes)?;
        let unserved = unserved_imports(&interfaces.imports);
        if !unserved.is_empty() {
            return Err(RuntimeError::Unserved { imports: unserved });
        }
        if !interfaces
            .exports
            .iter()
            .any(|e| e.starts_with("wasi:http/incoming-handler@0.2."))
        {
            return Err(RuntimeError::NotHttp);
        }
        let load = |e: wasmtime::Error| RuntimeError::Load(format!("{e:#}"));
        let component = Component::from_binary(&self.engine, bytes).map_err(load)?;
        let mut linker = Linker::<Host>::new(&self.engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(load)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(load)?;
        services::add_to_linker(&mut linker).map_err(load)?;
        let pre = ProxyPre::new(linker.instantiate_pre(&component).map_err(load)?).map_err(load)?;
        Ok(Prepared {
            pre,
            interfaces,
            shared: self.shared.clone(),
            config: Arc::new(config),
        })
    }
}

/// The component being served, swapped in place when a new one is ready (requests in
/// flight finish on the one they started with).
#[derive(Clone)]
pub struct Slot(Arc<RwLock<Arc<Prepared>>>);

impl Slot {
    pub fn new(prepared: Prepared) -> Slot {
        Slot(Arc::new(RwLock::new(Arc::new(prepared))))
    }

    pub fn current(&self) -> Arc<Prepared> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn replace(&self, prepared: Prepared) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(prepared);
    }
}

pub(crate) fn new_store(prepared: &Prepared) -> Store<Host> {
    // As a wasmCloud 1.9 host: no environment, no preopens, stderr only.
    let wasi = WasiCtx::builder()
        .inherit_stderr()
        .args(&["main.wasm"])
        .build();
    Store::new(
        prepared.pre.engine(),
        Host {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            shared: prepared.shared.clone(),
            config: prepared.config.clone(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn served_imports_are_wasi_0_2() {
        let imports: Vec<String> = [
            "wasi:io/streams@0.2.12",
            "wasi:http/types@0.2.0",
            "wasi:cli/environment@0.2.3",
            "wasi:keyvalue/store@0.2.0-draft",
            "wasi:keyvalue/store@0.2.0-draft2",
            "wasi:config/store@0.2.0-rc.1",
            "wasi:logging/logging",
            "wasi:io/streams@0.3.0",
            "acme:greeter/api@0.1.0",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            unserved_imports(&imports),
            [
                "wasi:keyvalue/store@0.2.0-draft2",
                "wasi:config/store@0.2.0-rc.1",
                "wasi:io/streams@0.3.0",
                "acme:greeter/api@0.1.0"
            ]
        );
        let err = RuntimeError::Unserved {
            imports: vec!["a:b/c".into(), "d:e/f".into()],
        };
        assert_eq!(
            err.to_string(),
            "it imports interfaces nothing here serves: a:b/c, d:e/f; compose them in \
             ([package.metadata.wasmcloud.compose]), or run it on a lattice (`ctl start`, `app \
             deploy`)"
        );
    }
}
