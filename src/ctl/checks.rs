//! Checks made before anything is sent: ids and config names that fit in one NATS subject
//! token, local addresses already taken, file references.

use super::CtlError;

/// Whether `address` (from an HTTP server link's `address` config) is a loopback or
/// wildcard address on which another program already listens: then a host on this machine
/// cannot serve there, and says nothing about it (the link is accepted all the same).
/// Addresses of other machines are never judged.
pub fn local_address_in_use(address: &str) -> bool {
    use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
    let Ok(addrs) = address.to_socket_addrs() else {
        return false;
    };
    let local: Vec<SocketAddr> = addrs
        .filter(|a| a.ip().is_loopback() || a.ip().is_unspecified())
        .collect();
    local.iter().any(
        |a| matches!(TcpListener::bind(a), Err(e) if e.kind() == std::io::ErrorKind::AddrInUse),
    )
}

/// A local file given as a reference becomes an absolute `file://` URL (hosts load those
/// when allowed); anything else is left as it is.
pub fn file_reference(text: &str) -> String {
    let path = std::path::Path::new(text);
    if !text.contains("://") && path.is_file() {
        if let Ok(abs) = path.canonicalize() {
            return format!("file://{}", abs.display());
        }
    }
    text.to_string()
}

/// Config names become one NATS subject token.
pub fn check_config_name(name: &str) -> Result<(), CtlError> {
    let bad = name.is_empty()
        || name
            .chars()
            .any(|c| matches!(c, '.' | '*' | '>') || c.is_whitespace());
    if bad {
        return Err(CtlError::Invalid(format!(
            "invalid config name {name:?}: it must be non-empty, without '.', '*', '>' or spaces"
        )));
    }
    Ok(())
}

pub(crate) fn check_id(kind: &str, value: &str) -> Result<String, CtlError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(CtlError::Invalid(format!("{kind} cannot be empty")));
    }
    if value
        .chars()
        .any(|c| matches!(c, '.' | '*' | '>') || c.is_whitespace())
    {
        return Err(CtlError::Invalid(format!(
            "invalid {kind} {value:?}: no '.', '*', '>' or spaces"
        )));
    }
    Ok(value.to_string())
}
