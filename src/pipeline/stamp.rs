//! Stamps: what the last signing of an output was made from, kept beside it
//! (`<output>.stamp`), so an unchanged build leaves the signed file as it is.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{io_error, BuildError};
use crate::fsutil;

/// What the last signing of an output was made from; equal stamps mean nothing to do.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Stamp {
    pub input_sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    pub name: Option<String>,
    pub tags: Vec<String>,
    pub rev: Option<i32>,
    pub ver: Option<String>,
    pub call_alias: Option<String>,
    pub issuer: String,
    pub subject: String,
}

pub(crate) fn read_stamp(path: &Path) -> Option<Stamp> {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
}

pub(crate) fn write_stamp(path: &Path, stamp: &Stamp) -> Result<(), BuildError> {
    let text = serde_json::to_vec_pretty(stamp).unwrap_or_default();
    fsutil::write_atomic(path, fsutil::Mode::Public, |w| w.write_all(&text)).map_err(io_error(path))
}

pub(crate) fn stamp_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().unwrap_or_default().to_os_string();
    name.push(".stamp");
    output.with_file_name(name)
}
