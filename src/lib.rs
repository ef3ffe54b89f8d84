//! cargo-wasmcloud: the library behind the `cargo wasmcloud` command. Modules here do the
//! work and know nothing of the terminal; `src/commands/` parses and prints.
//!
//! Layers, lowest first; a module imports only from layers below its own (checked by
//! `tests/layers.rs`):
//!
//! 1. `fsutil`: atomic writes, private files.
//! 2. `artifact`: Wasm sections and canonical form, WIT views, the PAR layout, sniffing.
//! 3. `sign`: nkeys, claims JWTs, signing components and provider archives.
//! 4. `oci`, `ctl`: registries and the lattice; `runtime`: components served in this
//!    process (wasmtime).
//! 5. `project`: the workspace, its packages and their settings; `wadm`: application
//!    manifests and wadm's API (it shares the lattice's NATS connection).
//! 6. `witgen`, `compose`: code generation and composition.
//! 7. `scaffold`: new projects from templates (with generated WIT and starter code);
//!    `virt`: generated components answering env and config imports, composed in.
//! 8. `pipeline`: generation → cargo → finishing.
//! 9. `dev`, `doctor`, `app`: what runs on top of all of it.

pub mod fsutil;

pub mod artifact;

pub mod sign;

pub mod ctl;
pub mod oci;
pub mod runtime;

pub mod project;
pub mod wadm;

pub mod compose;
pub mod witgen;

pub mod scaffold;
pub mod virt;

pub mod pipeline;

pub mod app;
pub mod dev;
pub mod doctor;
