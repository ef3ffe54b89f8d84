//! tricky
//!
//! Implements the `tricky_api` traits (WIT package `acme:tricky-api@0.1.0`). `cargo wasmcloud build`
//! generates the `wasmcloud_glue` module, which exports this implementation.

mod wasmcloud_glue;

/// Exported functions run on one instance of this type, made with `Default`.
#[derive(Default)]
pub struct Component;

impl tricky_api::Store for Component {
    type Cursor = CursorImpl;

    fn put(&self, _id: tricky_api::DocId, _shapes: Vec<tricky_api::Shape>, _tags: tricky_api::Tags) -> Result<(), tricky_api::StoreError> {
        todo!("put")
    }

    fn get(&self, _id: tricky_api::DocId) -> Result<Option<Vec<tricky_api::Shape>>, tricky_api::StoreError> {
        todo!("get")
    }

    fn find(&self, _region: &tricky_api::Region, _perms: tricky_api::Permissions) -> Option<Vec<tricky_api::DocId>> {
        todo!("find")
    }

    fn r#type(&self, _name: &str) -> tricky_api::Kind {
        todo!("type")
    }

    fn list(&self, _prefix: Option<String>) -> Vec<(tricky_api::DocId, tricky_api::Tags)> {
        todo!("list")
    }

    fn tag(&self, _pair: (tricky_api::DocId, String)) -> bool {
        todo!("tag")
    }

    fn stats(&self) -> std::collections::HashMap<String, u64> {
        todo!("stats")
    }

    fn open(&self, _start: u64) -> Self::Cursor {
        todo!("open")
    }

    fn advance(&self, _cursor: &Self::Cursor, _by: u32) -> u64 {
        todo!("advance")
    }

    fn close(&self, _cursor: Self::Cursor) -> u64 {
        todo!("close")
    }

    fn clear(&self) {
        todo!("clear")
    }
}

impl tricky_api::Audit for Component {
    fn last(&self) -> Option<tricky_api::DocId> {
        todo!("last")
    }

    fn kinds(&self, _of: Vec<tricky_api::Kind>) -> u32 {
        todo!("kinds")
    }
}

/// The `Cursor` resource.
pub struct CursorImpl;

impl tricky_api::Cursor for CursorImpl {
    fn new(_start: u64) -> Self {
        todo!("new")
    }

    fn position(&self) -> u64 {
        todo!("position")
    }

    fn next(&self) -> Option<tricky_api::DocId> {
        todo!("next")
    }

    fn merged(&self, _other: &Self) -> Self {
        todo!("merged")
    }

    fn origin() -> Self {
        todo!("origin")
    }
}

wasmcloud_glue::tricky_api::export!(Component);
