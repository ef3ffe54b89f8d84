//! A component's WIT world: printed as WIT, or as the names of its imports and exports.

use std::io::{self, Read};

use serde::{Deserialize, Serialize};

use super::wasm::{self, Sections, WasmKind};

/// A world's imports and exports by name (`wasi:http/incoming-handler@0.2.0`); also the
/// `component` object of the CNCF Wasm OCI config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentInterfaces {
    pub exports: Vec<String>,
    pub imports: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum WitError {
    #[error("no WIT: this is a core module (a WASI preview 1 module), not a component")]
    CoreModule,
    #[error("could not decode the component's WIT: {0}")]
    Decode(String),
    #[error(transparent)]
    Wasm(#[from] wasm::WasmError),
}

/// The one top-level custom section WIT decoding reads (doc comments).
const PACKAGE_DOCS_SECTION: &str = "package-docs";

/// The component's WIT world, printed as WIT text.
pub fn component_wit(bytes: &[u8]) -> Result<String, WitError> {
    if wasm::kind_of(bytes)? != WasmKind::Component {
        return Err(WitError::CoreModule);
    }
    let decoded = wit_component::decode_reader(WitView::new(bytes)?)
        .map_err(|e| WitError::Decode(format!("{e:#}")))?;
    let mut printer = wit_component::WitPrinter::default();
    printer
        .print(decoded.resolve(), decoded.package(), &[])
        .map_err(|e| WitError::Decode(format!("{e:#}")))?;
    Ok(printer.output.to_string())
}

/// The names of a component's world imports and exports (`wasi:http/incoming-handler@0.2.0`).
pub fn component_interfaces(bytes: &[u8]) -> Result<ComponentInterfaces, WitError> {
    if wasm::kind_of(bytes)? != WasmKind::Component {
        return Err(WitError::CoreModule);
    }
    let decoded = wit_component::decode_reader(WitView::new(bytes)?)
        .map_err(|e| WitError::Decode(format!("{e:#}")))?;
    interfaces_of(decoded)
}

fn interfaces_of(decoded: wit_component::DecodedWasm) -> Result<ComponentInterfaces, WitError> {
    let wit_component::DecodedWasm::Component(resolve, world) = decoded else {
        return Err(WitError::Decode(
            "this is a WIT package, not a component".into(),
        ));
    };
    let world = &resolve.worlds[world];
    Ok(ComponentInterfaces {
        imports: world
            .imports
            .keys()
            .map(|k| resolve.name_world_key(k))
            .collect(),
        exports: world
            .exports
            .keys()
            .map(|k| resolve.name_world_key(k))
            .collect(),
        target: None,
    })
}

/// Whether the binary is a component whose WIT can be decoded.
pub fn has_wit(bytes: &[u8]) -> bool {
    component_wit(bytes).is_ok()
}

/// The same for a file, which the decoder reads section by section with the custom
/// sections it ignores left out (so large custom sections are never read).
pub fn has_wit_file(file: &std::fs::File) -> bool {
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return false;
    };
    let Ok((WasmKind::Component, sections)) = wasm::file_sections(file, len) else {
        return false;
    };
    wit_component::decode_reader(wit_view_of_file(file, &sections)).is_ok()
}

/// [`component_interfaces`] of a component file whose top-level sections are `sections`,
/// read as [`has_wit_file`] reads it.
pub fn component_interfaces_file(
    file: &std::fs::File,
    sections: &[wasm::FileSection],
) -> Result<ComponentInterfaces, WitError> {
    let decoded = wit_component::decode_reader(wit_view_of_file(file, sections))
        .map_err(|e| WitError::Decode(format!("{e:#}")))?;
    interfaces_of(decoded)
}

fn wit_view_of_file<'a>(
    file: &'a std::fs::File,
    sections: &[wasm::FileSection],
) -> wasm::FileView<'a> {
    wasm::FileView::without_custom_sections(file, sections, &[PACKAGE_DOCS_SECTION])
}

/// A component as WIT decoding needs to see it: every top-level section but the custom
/// ones it ignores. The decoder buffers each top-level section whole, so a large custom
/// section (debug info, padding) would otherwise double the memory `inspect` needs.
struct WitView<'a> {
    pieces: Vec<&'a [u8]>,
    current: usize,
}

impl<'a> WitView<'a> {
    fn new(bytes: &'a [u8]) -> Result<Self, wasm::WasmError> {
        let mut pieces = vec![&bytes[..8]];
        for section in Sections::new(bytes)? {
            let section = section?;
            let skip = section.id == 0 && section.custom_name() != Some(PACKAGE_DOCS_SECTION);
            if !skip {
                pieces.push(&bytes[section.offset..section.end]);
            }
        }
        Ok(WitView { pieces, current: 0 })
    }
}

impl Read for WitView<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(piece) = self.pieces.get_mut(self.current) {
            if piece.is_empty() {
                self.current += 1;
                continue;
            }
            return piece.read(buf);
        }
        Ok(0)
    }
}
