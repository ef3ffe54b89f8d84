//! ledger
//!
//! A wasmCloud capability provider implementing the `ledger_api` traits (WIT package
//! `acme:ledger-api@0.1.0`). `cargo wasmcloud build` generates `wasmcloud_glue`, which serves this
//! implementation over wRPC to the components linked to the provider.

mod wasmcloud_glue;

/// One value serves every call, concurrently: keep shared state behind a lock.
#[derive(Clone, Default)]
pub struct Server;

/// Link and configuration callbacks (all optional).
impl wasmcloud_provider_sdk::Provider for Server {}

impl ledger_api::Ledger for Server {
    fn post(&self, _entries: Vec<ledger_api::Entry>) -> Vec<ledger_api::Outcome> {
        todo!("post")
    }

    fn balance(&self, _account: &str, _kinds: Vec<ledger_api::Kind>) -> Result<i64, ledger_api::LedgerError> {
        todo!("balance")
    }

    fn mirror(&self, _blob: Vec<u8>, _note: Option<String>, _pair: (String, u32)) -> (Vec<u8>, Option<String>, (u32, String)) {
        todo!("mirror")
    }
}

impl ledger_api::Stats for Server {
    fn tally(&self, _names: Vec<String>, _weights: std::collections::BTreeMap<String, u64>) -> std::collections::BTreeMap<String, u64> {
        todo!("tally")
    }

    fn widen(&self, _rights: ledger_api::Rights) -> ledger_api::Rights {
        todo!("widen")
    }

    fn largest(&self, _entries: Vec<ledger_api::Entry>) -> Option<ledger_api::Entry> {
        todo!("largest")
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    wasmcloud_glue::serve(Server, "ledger-native").await
}
