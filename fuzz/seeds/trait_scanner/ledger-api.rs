//! A small ledger: records, variants, enums, flags, lists, bytes, options, results, maps
//! and tuples across two interfaces, none of them resources (a provider can serve it).

use std::collections::BTreeMap;

bitflags::bitflags! {
    /// What an account may do.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Rights: u8 {
        const READ = 1;
        const WRITE = 1 << 1;
        const CLOSE = 1 << 2;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Debit,
    Credit,
}

/// One posting.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: u64,
    pub memo: Option<String>,
    pub amounts: Vec<i64>,
    pub tags: Vec<String>,
    pub receipt: Vec<u8>,
    pub kind: Kind,
}

/// What became of a posting.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Posted { id: u64, total: i64 },
    Rejected(String),
    Split(u64, Vec<i64>),
    Ignored,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LedgerError {
    Unknown(String),
    Invalid { reason: String, near: Option<u64> },
}

/// Posts entries and answers balances.
pub trait Ledger {
    fn post(&self, entries: Vec<Entry>) -> Vec<Outcome>;
    fn balance(&self, account: &str, kinds: Vec<Kind>) -> Result<i64, LedgerError>;
    /// Hands its arguments back, transformed, so that both directions are seen.
    fn mirror(
        &self,
        blob: Vec<u8>,
        note: Option<String>,
        pair: (String, u32),
    ) -> (Vec<u8>, Option<String>, (u32, String));
}

/// Figures about the books (a second interface sharing the first one's types).
pub trait Stats {
    fn tally(&self, names: Vec<String>, weights: BTreeMap<String, u64>) -> BTreeMap<String, u64>;
    fn widen(&self, rights: Rights) -> Rights;
    fn largest(&self, entries: Vec<Entry>) -> Option<Entry>;
}
