//! The interfaces a wasmCloud 1.x host serves components itself, served here in-process:
//! `wasi:keyvalue` store/atomics/batch `0.2.0-draft` (one in-memory map per bucket name,
//! shared by every instance and kept across component swaps, so a counter counts),
//! `wasi:config` store and runtime `0.2.0-draft` (the component's config table) and
//! `wasi:logging` (`0.1.0-draft` and the unversioned name), handed to a log sink.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use wasmtime::component::{HasSelf, Linker, Resource};

use super::Host;

mod bindings {
    wasmtime::component::bindgen!({
        path: "src/runtime/wit",
        world: "host",
        imports: { default: trappable },
        with: {
            "wasi:keyvalue/store.bucket": super::Bucket,
        },
    });
}

use bindings::wasi::config::{runtime as config_runtime, store as config_store};
use bindings::wasi::keyvalue::{atomics, batch, store};
pub use bindings::wasi::logging::logging::Level;

/// Keys of one `list-keys` page.
const PAGE: usize = 1000;

type Map = Arc<Mutex<BTreeMap<String, Vec<u8>>>>;

/// An open bucket: the shared map of its name.
pub struct Bucket {
    map: Map,
}

/// Where components' log lines go: level, context, message.
pub type LogSink = Arc<dyn Fn(Level, &str, &str) + Send + Sync>;

/// State shared by every instance the runtime makes: the buckets and the log sink.
pub struct Shared {
    buckets: Mutex<HashMap<String, Map>>,
    pub(crate) log: LogSink,
}

impl Shared {
    pub fn new(log: LogSink) -> Shared {
        Shared {
            buckets: Mutex::new(HashMap::new()),
            log,
        }
    }

    fn bucket(&self, name: &str) -> Map {
        let mut buckets = lock(&self.buckets);
        buckets.entry(name.to_string()).or_default().clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere cannot leave a map half-written: every update is one insert.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
            Level::Critical => "critical",
        }
    }
}

/// Interfaces served here, by their exact names.
pub(crate) const SERVED_EXACTLY: &[&str] = &[
    "wasi:keyvalue/store@0.2.0-draft",
    "wasi:keyvalue/atomics@0.2.0-draft",
    "wasi:keyvalue/batch@0.2.0-draft",
    "wasi:config/store@0.2.0-draft",
    "wasi:config/runtime@0.2.0-draft",
    "wasi:logging/logging@0.1.0-draft",
    "wasi:logging/logging",
];

pub(crate) fn add_to_linker(linker: &mut Linker<Host>) -> wasmtime::Result<()> {
    store::add_to_linker::<Host, HasSelf<Host>>(linker, |h| h)?;
    atomics::add_to_linker::<Host, HasSelf<Host>>(linker, |h| h)?;
    batch::add_to_linker::<Host, HasSelf<Host>>(linker, |h| h)?;
    config_store::add_to_linker::<Host, HasSelf<Host>>(linker, |h| h)?;
    config_runtime::add_to_linker::<Host, HasSelf<Host>>(linker, |h| h)?;
    bindings::wasi::logging::logging::add_to_linker::<Host, HasSelf<Host>>(linker, |h| h)?;
    // The unversioned name older components import: the same function.
    linker.instance("wasi:logging/logging")?.func_wrap(
        "log",
        |store, (level, context, message): (Level, String, String)| {
            let host: &Host = store.data();
            (host.shared.log)(level, &context, &message);
            Ok(())
        },
    )?;
    Ok(())
}

impl Host {
    fn map_of(&self, bucket: &Resource<Bucket>) -> wasmtime::Result<Map> {
        Ok(self.table.get(bucket)?.map.clone())
    }
}

type KvResult<T> = wasmtime::Result<Result<T, store::Error>>;

impl store::Host for Host {
    fn open(&mut self, identifier: String) -> KvResult<Resource<Bucket>> {
        let map = self.shared.bucket(&identifier);
        Ok(Ok(self.table.push(Bucket { map })?))
    }
}

impl store::HostBucket for Host {
    fn get(&mut self, bucket: Resource<Bucket>, key: String) -> KvResult<Option<Vec<u8>>> {
        let map = self.map_of(&bucket)?;
        let value = lock(&map).get(&key).cloned();
        Ok(Ok(value))
    }

    fn set(&mut self, bucket: Resource<Bucket>, key: String, value: Vec<u8>) -> KvResult<()> {
        let map = self.map_of(&bucket)?;
        lock(&map).insert(key, value);
        Ok(Ok(()))
    }

    fn delete(&mut self, bucket: Resource<Bucket>, key: String) -> KvResult<()> {
        let map = self.map_of(&bucket)?;
        lock(&map).remove(&key);
        Ok(Ok(()))
    }

    fn exists(&mut self, bucket: Resource<Bucket>, key: String) -> KvResult<bool> {
        let map = self.map_of(&bucket)?;
        let found = lock(&map).contains_key(&key);
        Ok(Ok(found))
    }

    fn list_keys(
        &mut self,
        bucket: Resource<Bucket>,
        cursor: Option<u64>,
    ) -> KvResult<store::KeyResponse> {
        let map = self.map_of(&bucket)?;
        let map = lock(&map);
        let skip = cursor.unwrap_or(0) as usize;
        let keys: Vec<String> = map.keys().skip(skip).take(PAGE).cloned().collect();
        let next = skip + keys.len();
        let cursor = (next < map.len()).then_some(next as u64);
        Ok(Ok(store::KeyResponse { keys, cursor }))
    }

    fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl atomics::Host for Host {
    /// Numbers are stored as decimal text, as Redis (wasmCloud's usual keyvalue provider)
    /// stores them, so `get` after `increment` reads "3".
    fn increment(&mut self, bucket: Resource<Bucket>, key: String, delta: u64) -> KvResult<u64> {
        let map = self.map_of(&bucket)?;
        let mut map = lock(&map);
        let current = match map.get(&key) {
            None => 0,
            Some(bytes) => match std::str::from_utf8(bytes).ok().and_then(|s| s.parse().ok()) {
                Some(n) => n,
                None => {
                    return Ok(Err(store::Error::Other(format!(
                        "the value at `{key}` is not a number"
                    ))))
                }
            },
        };
        let Some(sum) = u64::checked_add(current, delta) else {
            return Ok(Err(store::Error::Other(format!(
                "incrementing `{key}` overflows"
            ))));
        };
        map.insert(key, sum.to_string().into_bytes());
        Ok(Ok(sum))
    }
}

type Pairs = Vec<(String, Vec<u8>)>;

impl batch::Host for Host {
    fn get_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> KvResult<Vec<Option<(String, Vec<u8>)>>> {
        let map = self.map_of(&bucket)?;
        let map = lock(&map);
        let found = keys
            .into_iter()
            .map(|key| map.get(&key).cloned().map(|value| (key, value)))
            .collect();
        Ok(Ok(found))
    }

    fn set_many(&mut self, bucket: Resource<Bucket>, pairs: Pairs) -> KvResult<()> {
        let map = self.map_of(&bucket)?;
        lock(&map).extend(pairs);
        Ok(Ok(()))
    }

    fn delete_many(&mut self, bucket: Resource<Bucket>, keys: Vec<String>) -> KvResult<()> {
        let map = self.map_of(&bucket)?;
        let mut map = lock(&map);
        for key in keys {
            map.remove(&key);
        }
        Ok(Ok(()))
    }
}

impl config_store::Host for Host {
    fn get(
        &mut self,
        key: String,
    ) -> wasmtime::Result<Result<Option<String>, config_store::Error>> {
        Ok(Ok(self.config.get(&key).cloned()))
    }

    fn get_all(&mut self) -> wasmtime::Result<Result<Vec<(String, String)>, config_store::Error>> {
        Ok(Ok(self
            .config
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()))
    }
}

impl config_runtime::Host for Host {
    fn get(
        &mut self,
        key: String,
    ) -> wasmtime::Result<Result<Option<String>, config_runtime::ConfigError>> {
        Ok(Ok(self.config.get(&key).cloned()))
    }

    fn get_all(
        &mut self,
    ) -> wasmtime::Result<Result<Vec<(String, String)>, config_runtime::ConfigError>> {
        Ok(Ok(self
            .config
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()))
    }
}

impl bindings::wasi::logging::logging::Host for Host {
    fn log(&mut self, level: Level, context: String, message: String) -> wasmtime::Result<()> {
        (self.shared.log)(level, &context, &message);
        Ok(())
    }
}
