//! Checks made before anything is sent: ids and config names that fit in one NATS subject
//! token, local addresses already taken, file references.

use super::{CtlError, Lattice, Link};

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

impl Lattice {
    /// For a `wasi:http/incoming-handler` link: fails when a source config's `address` is
    /// already taken on this machine, unless this very link (already in place) holds it.
    pub fn check_http_link_address(&self, link: &Link) -> Result<(), CtlError> {
        if link.wit_namespace != "wasi"
            || link.wit_package != "http"
            || !link.interfaces.iter().any(|i| i == "incoming-handler")
        {
            return Ok(());
        }
        for name in &link.source_config {
            let Some(address) = self
                .get_config(name)?
                .and_then(|c| c.get("address").cloned())
            else {
                continue;
            };
            if local_address_in_use(&address) {
                let existing = self.get_links()?.into_iter().any(|l| {
                    l.source_id == link.source_id && l.target == link.target && l.name == link.name
                });
                if !existing {
                    return Err(CtlError::Invalid(format!(
                        "the HTTP server cannot listen on {address} (config `{name}`): another \
                         program already uses that address; choose a free one"
                    )));
                }
            }
        }
        Ok(())
    }
}
