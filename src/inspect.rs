//! What is inside a Wasm binary: its kind, its embedded claims, its WIT world.

use crate::sign::{self, wasm::WasmKind, ComponentToken, SignError};

/// A local Wasm file, examined.
#[derive(Debug, Clone)]
pub struct WasmInspection {
    pub kind: WasmKind,
    pub token: Option<ComponentToken>,
}

/// Reads the kind and the checked claims of a binary (see [`sign::read_component_token`]).
pub fn inspect_wasm(bytes: &[u8]) -> Result<WasmInspection, SignError> {
    let kind = sign::wasm::kind_of(bytes)?;
    let token = sign::read_component_token(bytes)?;
    Ok(WasmInspection { kind, token })
}

#[derive(Debug, thiserror::Error)]
pub enum WitError {
    #[error("no WIT: this is a core module (a WASI preview 1 module), not a component")]
    CoreModule,
    #[error("could not decode the component's WIT: {0}")]
    Decode(String),
}

/// The component's WIT world, printed as WIT text.
pub fn component_wit(bytes: &[u8]) -> Result<String, WitError> {
    if sign::wasm::kind_of(bytes).ok() != Some(WasmKind::Component) {
        return Err(WitError::CoreModule);
    }
    let decoded = wit_component::decode(bytes).map_err(|e| WitError::Decode(format!("{e:#}")))?;
    let mut printer = wit_component::WitPrinter::default();
    printer
        .print(decoded.resolve(), decoded.package(), &[])
        .map_err(|e| WitError::Decode(format!("{e:#}")))?;
    Ok(printer.output.to_string())
}

/// Whether the binary is a component whose WIT can be decoded.
pub fn has_wit(bytes: &[u8]) -> bool {
    component_wit(bytes).is_ok()
}
