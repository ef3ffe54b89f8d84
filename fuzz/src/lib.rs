//! Fuzz targets' checks (see `checks`), one per parser of untrusted input.

pub mod checks;
