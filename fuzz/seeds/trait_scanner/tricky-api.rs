//! A document store: every shape the Rust-to-WIT mapping handles, in one interface.

use std::collections::HashMap;

mod geometry;
pub use geometry::{Point, Shape};

bitflags::bitflags! {
    /// What a caller may do.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Permissions: u8 {
        const READ = 1;
        const WRITE = 1 << 1;
    }
}

/// A labelled area: nested records, an option and keyword-named fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub top_left: Point,
    pub bottom_right: Point,
    pub label: Option<String>,
    pub r#type: Kind,
    pub list: Vec<Point>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Plain,
    Fancy,
}

/// A document's identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DocId(pub u64);

pub type Tags = Vec<String>;

#[derive(Debug, Clone, PartialEq)]
pub enum StoreError {
    NotFound(DocId),
    Denied { reason: String, by: Option<String> },
    Full,
}

/// What the store answers.
pub type StoreResult<T> = Result<T, StoreError>;

/// Stores shapes under ids.
pub trait Store {
    /// Walks the documents in id order.
    type Cursor: Cursor;

    /// Stores a document, replacing any with the same id.
    fn put(&self, id: DocId, shapes: Vec<Shape>, tags: Tags) -> Result<(), StoreError>;
    fn get(&self, id: DocId) -> StoreResult<Option<Vec<Shape>>>;
    fn find(&self, region: &Region, perms: Permissions) -> Option<Vec<DocId>>;
    fn r#type(&self, name: &str) -> Kind;
    fn list(&self, prefix: Option<String>) -> Vec<(DocId, Tags)>;
    fn tag(&self, pair: (DocId, String)) -> bool;
    fn stats(&self) -> HashMap<String, u64>;
    fn open(&self, start: u64) -> Self::Cursor;
    fn advance(&self, cursor: &Self::Cursor, by: u32) -> u64;
    fn close(&self, cursor: Self::Cursor) -> u64;
    fn clear(&self);
}

/// A second interface, sharing the store's types (a WIT `use`).
pub trait Audit {
    /// The highest id stored, if any.
    fn last(&self) -> Option<DocId>;
    fn kinds(&self, of: Vec<Kind>) -> u32;
}

/// A position among the documents.
pub trait Cursor {
    fn new(start: u64) -> Self;
    fn position(&self) -> u64;
    fn next(&self) -> Option<DocId>;
    fn merged(&self, other: &Self) -> Self;
    fn origin() -> Self;
}
