//! Files and what they are: the Wasm section reader and canonical form (`wasm`), a
//! component's WIT world (`wit`), the provider archive layout (`par`), and [`sniff`], the one
//! place that tells a component from a core module from a provider archive.
//!
//! Nothing here signs, talks to a network, or knows about projects.

pub mod par;
pub mod wasm;
pub mod wit;

use std::io::{self, Read};
use std::path::Path;

use serde::Serialize;

/// What an artifact holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    Component,
    CoreModule,
    ProviderArchive,
}

impl ArtifactKind {
    /// The file extension a pulled artifact gets.
    pub fn extension(self) -> &'static str {
        match self {
            ArtifactKind::ProviderArchive => "par.gz",
            _ => "wasm",
        }
    }

    /// How people call it.
    pub fn label(self) -> &'static str {
        match self {
            ArtifactKind::Component => "component",
            ArtifactKind::CoreModule => "core module",
            ArtifactKind::ProviderArchive => "provider archive",
        }
    }
}

impl From<wasm::WasmKind> for ArtifactKind {
    fn from(kind: wasm::WasmKind) -> Self {
        match kind {
            wasm::WasmKind::Component => ArtifactKind::Component,
            wasm::WasmKind::CoreModule => ArtifactKind::CoreModule,
        }
    }
}

/// How many leading bytes [`sniff`] needs to decide.
pub const SNIFF_LEN: usize = 512;

/// What the first bytes of a file say it is. A Wasm header wins over the archive test (a
/// Wasm binary never starts with gzip's magic); anything else is the Wasm reader's error,
/// which says what is wrong with it as Wasm.
pub fn sniff(head: &[u8]) -> Result<ArtifactKind, wasm::WasmError> {
    if !head.starts_with(b"\0asm") && par::looks_like_par(head) {
        return Ok(ArtifactKind::ProviderArchive);
    }
    wasm::kind_of(head).map(ArtifactKind::from)
}

/// The first [`SNIFF_LEN`] bytes of a file.
pub fn read_head(path: &Path) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    std::fs::File::open(path)?
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut head)?;
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_tells_the_three_kinds_apart() {
        let module = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
        let component = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
        assert_eq!(sniff(&module).unwrap(), ArtifactKind::CoreModule);
        assert_eq!(sniff(&component).unwrap(), ArtifactKind::Component);
        assert_eq!(
            sniff(&[0x1f, 0x8b, 8, 0]).unwrap(),
            ArtifactKind::ProviderArchive
        );
        assert_eq!(sniff(b""), Err(wasm::WasmError::Empty));
        assert_eq!(sniff(b"hello world"), Err(wasm::WasmError::NotWasm));
        assert!(matches!(
            sniff(b"\0asm\x01"),
            Err(wasm::WasmError::Truncated(_))
        ));
    }
}
