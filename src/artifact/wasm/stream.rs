//! The canonical form streamed from a reader, for inputs too large to hold: what
//! `claims sign` uses.

use super::*;

/// Streams the canonical form of the binary read from `input` into `sink`, like
/// [`write_canonical`] but without holding the binary in memory: top-level sections are
/// copied through a fixed buffer, and only nested modules and components (whose canonical
/// size must be known before they are written) are read whole. Reading stops at the end of
/// `input`; a short read anywhere is a truncated binary.
pub fn stream_canonical<E: From<WasmError> + From<io::Error>>(
    input: &mut dyn Read,
    sink: &mut dyn FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let mut header = Vec::with_capacity(8);
    input.take(8).read_to_end(&mut header)?;
    let kind = kind_of(&header)?;
    sink(kind.canonical_header())?;

    let mut buffer = vec![0u8; STREAM_CHUNK];
    let mut offset = 8u64;
    let mut frame = Vec::with_capacity(6);
    loop {
        let mut id = [0u8; 1];
        if input.read(&mut id)? == 0 {
            return Ok(());
        }
        let id = id[0];
        if id > kind.max_section_id() {
            return Err(WasmError::Malformed(format!(
                "unknown section id {id} at offset {offset}"
            ))
            .into());
        }
        let (size, size_len) = read_uleb32_from(input, offset + 1)?;
        let payload_start = offset + 1 + size_len as u64;
        let truncated = |got: u64| {
            WasmError::Truncated(format!(
                "section {id} at offset {offset} declares {size} bytes, {got} remain"
            ))
        };
        frame.clear();
        frame.push(id);
        let nested = kind == WasmKind::Component
            && matches!(
                id,
                COMPONENT_CORE_MODULE_SECTION | COMPONENT_COMPONENT_SECTION
            );
        if nested {
            let mut payload = Vec::new();
            input.take(u64::from(size)).read_to_end(&mut payload)?;
            if payload.len() < size as usize {
                return Err(truncated(payload.len() as u64).into());
            }
            write_uleb(canonical_len(&payload)?, &mut frame);
            sink(&frame)?;
            write_canonical(&payload, sink)?;
        } else {
            let mut copied = 0u64;
            if id == CUSTOM_SECTION {
                // Read the name first: a token section is dropped, anything else kept.
                let (name_len, name_len_bytes) = read_uleb32_from(input, payload_start)?;
                let head_len = u64::from(name_len_bytes) + u64::from(name_len);
                if head_len > u64::from(size) {
                    return Err(WasmError::Malformed(format!(
                        "custom section name at offset {payload_start} overruns its section"
                    ))
                    .into());
                }
                let mut name = Vec::with_capacity(name_len as usize);
                input.take(u64::from(name_len)).read_to_end(&mut name)?;
                if name.len() < name_len as usize {
                    return Err(truncated(u64::from(name_len_bytes) + name.len() as u64).into());
                }
                copied = head_len;
                let Ok(name_text) = std::str::from_utf8(&name) else {
                    return Err(WasmError::Malformed(format!(
                        "the custom section at offset {payload_start} has a name that is not UTF-8"
                    ))
                    .into());
                };
                let drop = matches!(name_text, JWT_SECTION | LEGACY_JWT_SECTION);
                if drop {
                    let rest = u64::from(size) - head_len;
                    let skipped = io::copy(&mut input.take(rest), &mut io::sink())?;
                    if skipped < rest {
                        return Err(truncated(head_len + skipped).into());
                    }
                    offset = payload_start + u64::from(size);
                    continue;
                }
                write_uleb(u64::from(size), &mut frame);
                write_uleb(u64::from(name_len), &mut frame);
                frame.extend_from_slice(&name);
                sink(&frame)?;
            } else {
                write_uleb(u64::from(size), &mut frame);
                sink(&frame)?;
            }
            while copied < u64::from(size) {
                let want = (u64::from(size) - copied).min(buffer.len() as u64) as usize;
                let got = input.read(&mut buffer[..want])?;
                if got == 0 {
                    return Err(truncated(copied).into());
                }
                sink(&buffer[..got])?;
                copied += got as u64;
            }
        }
        offset = payload_start + u64::from(size);
    }
}

const STREAM_CHUNK: usize = 1 << 20;

/// Reads an unsigned LEB128 of at most 32 bits from a stream; returns it and its length.
fn read_uleb32_from(input: &mut dyn Read, offset: u64) -> Result<(u32, u32), WasmError> {
    let mut value: u64 = 0;
    for i in 0..5u32 {
        let mut byte = [0u8; 1];
        match input.read(&mut byte) {
            Ok(1) => {}
            Ok(_) => {
                return Err(WasmError::Truncated(format!(
                    "LEB128 number at offset {offset}"
                )))
            }
            Err(e) => return Err(WasmError::Malformed(format!("read failed: {e}"))),
        }
        value |= u64::from(byte[0] & 0x7f) << (7 * i);
        if byte[0] & 0x80 == 0 {
            return u32::try_from(value)
                .map(|v| (v, i + 1))
                .map_err(|_| WasmError::Malformed(format!("LEB128 number too large at {offset}")));
        }
    }
    Err(WasmError::Malformed(format!(
        "LEB128 number longer than 5 bytes at offset {offset}"
    )))
}
