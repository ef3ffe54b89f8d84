//! cargo-wasmcloud: the library behind the `cargo wasmcloud` command. Modules here do the
//! work and know nothing of the terminal; `src/commands/` parses and prints.

pub mod build;
pub mod compose;
pub mod ctl;
pub mod dev;
pub mod doctor;
pub mod fsutil;
pub mod inspect;
pub mod oci;
pub mod scaffold;
pub mod sign;
pub mod witgen;
