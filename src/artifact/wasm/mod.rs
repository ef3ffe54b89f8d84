//! Section-level work on Wasm binaries: the canonical form that the wascap module hash is
//! computed over, finding an embedded JWT, and appending one.
//!
//! Only the framing of sections is read (id, LEB128 size, payload), never their contents, so
//! this is fast on large files and accepts every binary whose framing is sound. Nested core
//! modules (section 1) and nested components (section 4) inside a component are walked
//! recursively, as wascap does.

use std::io::{self, Read, Write};

use sha2::{Digest, Sha256};

mod plan;
mod stream;
mod validate;

pub use plan::{file_sections, plan_canonical, CanonicalPlan, FileSection, Piece};
pub use stream::stream_canonical;
pub use validate::{validate_file, validate_reader, validate_sections, FileView};

/// Name of the custom section wascap writes.
pub const JWT_SECTION: &str = "wasmcloud_jwt";
/// Name of the custom section wascap before 0.9 wrote; still read and stripped.
pub const LEGACY_JWT_SECTION: &str = "jwt";

const MAGIC: &[u8; 4] = b"\0asm";
const MODULE_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
/// Components always hash with this header, whatever pre-release version they carry.
const COMPONENT_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

const CUSTOM_SECTION: u8 = 0;
const COMPONENT_CORE_MODULE_SECTION: u8 = 1;
const COMPONENT_COMPONENT_SECTION: u8 = 4;
/// Highest known section id of each encoding (core: tag section 13; component: 11).
const MAX_MODULE_SECTION_ID: u8 = 13;
const MAX_COMPONENT_SECTION_ID: u8 = 11;

/// Why a byte string is not a Wasm binary we can work with.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WasmError {
    #[error("the file is empty")]
    Empty,
    #[error("not a WebAssembly binary (no \\0asm magic number)")]
    NotWasm,
    #[error("truncated WebAssembly binary: {0}")]
    Truncated(String),
    #[error("malformed WebAssembly binary: {0}")]
    Malformed(String),
}

/// Whether a binary is a core module or a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WasmKind {
    CoreModule,
    Component,
}

impl WasmKind {
    fn canonical_header(self) -> &'static [u8; 8] {
        match self {
            WasmKind::CoreModule => &MODULE_HEADER,
            WasmKind::Component => &COMPONENT_HEADER,
        }
    }

    fn max_section_id(self) -> u8 {
        match self {
            WasmKind::CoreModule => MAX_MODULE_SECTION_ID,
            WasmKind::Component => MAX_COMPONENT_SECTION_ID,
        }
    }
}

/// Reads the 8-byte preamble and says what kind of binary follows.
pub fn kind_of(bytes: &[u8]) -> Result<WasmKind, WasmError> {
    if bytes.is_empty() {
        return Err(WasmError::Empty);
    }
    if bytes.len() < 4 || &bytes[..4] != MAGIC {
        return Err(WasmError::NotWasm);
    }
    if bytes.len() < 8 {
        return Err(WasmError::Truncated(
            "the 8-byte header is cut short".into(),
        ));
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    let layer = u16::from_le_bytes([bytes[6], bytes[7]]);
    match (layer, version) {
        (0, 1) => Ok(WasmKind::CoreModule),
        (1, _) => Ok(WasmKind::Component),
        _ => Err(WasmError::Malformed(format!(
            "unsupported version {version} / layer {layer} in the header"
        ))),
    }
}

/// One section of a binary, borrowed from it.
#[derive(Debug, Clone, Copy)]
pub struct Section<'a> {
    pub id: u8,
    pub payload: &'a [u8],
    /// Offset of the section id byte in the binary that holds it.
    pub offset: usize,
    /// Offset just past the section's payload.
    pub end: usize,
}

impl<'a> Section<'a> {
    /// The name of a custom section, if this is one with a readable name.
    pub fn custom_name(&self) -> Option<&'a str> {
        if self.id != CUSTOM_SECTION {
            return None;
        }
        let (len, used) = read_uleb32(self.payload, 0).ok()?;
        let name = self.payload.get(used..used.checked_add(len as usize)?)?;
        std::str::from_utf8(name).ok()
    }

    /// The bytes of a custom section after its name.
    pub fn custom_data(&self) -> Option<&'a [u8]> {
        let (len, used) = read_uleb32(self.payload, 0).ok()?;
        self.payload.get(used + len as usize..)
    }

    fn is_jwt(&self) -> bool {
        matches!(self.custom_name(), Some(JWT_SECTION | LEGACY_JWT_SECTION))
    }

    fn is_nested_binary(&self, kind: WasmKind) -> bool {
        kind == WasmKind::Component
            && matches!(
                self.id,
                COMPONENT_CORE_MODULE_SECTION | COMPONENT_COMPONENT_SECTION
            )
    }
}

/// Reads an unsigned LEB128 of at most 32 bits at `pos`; returns it and the bytes it used.
fn read_uleb32(bytes: &[u8], pos: usize) -> Result<(u32, usize), WasmError> {
    let mut value: u64 = 0;
    for i in 0..5 {
        let byte = *bytes
            .get(pos + i)
            .ok_or_else(|| WasmError::Truncated(format!("LEB128 number at offset {pos}")))?;
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return u32::try_from(value)
                .map(|v| (v, i + 1))
                .map_err(|_| WasmError::Malformed(format!("LEB128 number too large at {pos}")));
        }
    }
    Err(WasmError::Malformed(format!(
        "LEB128 number longer than 5 bytes at offset {pos}"
    )))
}

/// Minimal unsigned LEB128 encoding.
pub fn write_uleb(mut value: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn uleb_len(mut value: u64) -> usize {
    let mut n = 1;
    while value >= 0x80 {
        value >>= 7;
        n += 1;
    }
    n
}

/// Iterates over the sections of a binary whose header has been checked.
pub struct Sections<'a> {
    bytes: &'a [u8],
    pos: usize,
    kind: WasmKind,
}

impl<'a> Sections<'a> {
    pub fn new(bytes: &'a [u8]) -> Result<Self, WasmError> {
        let kind = kind_of(bytes)?;
        Ok(Sections {
            bytes,
            pos: 8,
            kind,
        })
    }

    pub fn kind(&self) -> WasmKind {
        self.kind
    }
}

impl<'a> Iterator for Sections<'a> {
    type Item = Result<Section<'a>, WasmError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.bytes.len() {
            return None;
        }
        let offset = self.pos;
        let id = self.bytes[offset];
        let result = (|| {
            if id > self.kind.max_section_id() {
                return Err(WasmError::Malformed(format!(
                    "unknown section id {id} at offset {offset}"
                )));
            }
            let (size, used) = read_uleb32(self.bytes, offset + 1)?;
            let start = offset + 1 + used;
            let end = start + size as usize;
            if end > self.bytes.len() {
                return Err(WasmError::Truncated(format!(
                    "section {id} at offset {offset} declares {size} bytes, {} remain",
                    self.bytes.len() - start
                )));
            }
            if id == CUSTOM_SECTION {
                let payload = &self.bytes[start..end];
                let (name_len, used) = read_uleb32(payload, 0).map_err(|_| {
                    WasmError::Malformed(format!("custom section at offset {offset} has no name"))
                })?;
                if used + name_len as usize > payload.len() {
                    return Err(WasmError::Malformed(format!(
                        "custom section name at offset {offset} overruns its section"
                    )));
                }
                // Hosts (wasmparser) refuse such a module; the file planner does too.
                if std::str::from_utf8(&payload[used..used + name_len as usize]).is_err() {
                    return Err(WasmError::Malformed(format!(
                        "the custom section at offset {offset} has a name that is not UTF-8"
                    )));
                }
            }
            self.pos = end;
            Ok(Section {
                id,
                payload: &self.bytes[start..end],
                offset,
                end,
            })
        })();
        if result.is_err() {
            // Stop after the first error: nothing after it can be framed.
            self.pos = self.bytes.len();
        }
        Some(result)
    }
}

/// Length of the canonical form of `bytes` (see [`write_canonical`]).
pub fn canonical_len(bytes: &[u8]) -> Result<u64, WasmError> {
    let sections = Sections::new(bytes)?;
    let kind = sections.kind();
    let mut total = 8u64;
    for section in sections {
        let section = section?;
        if section.is_jwt() {
            continue;
        }
        let payload_len = if section.is_nested_binary(kind) {
            canonical_len(section.payload)?
        } else {
            section.payload.len() as u64
        };
        total += 1 + uleb_len(payload_len) as u64 + payload_len;
    }
    Ok(total)
}

/// Emits the canonical form of a binary, piece by piece, into `sink`: the standard header,
/// then every section but the JWT ones (`jwt`, `wasmcloud_jwt`, at any depth) with a minimal
/// LEB128 size, nested modules and components canonicalised the same way. This is the byte
/// string whose SHA-256 is the wascap module hash.
pub fn write_canonical<E: From<WasmError>>(
    bytes: &[u8],
    sink: &mut dyn FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let sections = Sections::new(bytes)?;
    let kind = sections.kind();
    sink(kind.canonical_header())?;
    let mut frame = Vec::with_capacity(6);
    for section in sections {
        let section = section?;
        if section.is_jwt() {
            continue;
        }
        frame.clear();
        frame.push(section.id);
        if section.is_nested_binary(kind) {
            write_uleb(canonical_len(section.payload)?, &mut frame);
            sink(&frame)?;
            write_canonical(section.payload, sink)?;
        } else {
            write_uleb(section.payload.len() as u64, &mut frame);
            sink(&frame)?;
            sink(section.payload)?;
        }
    }
    Ok(())
}

/// Failure while writing a signed binary: bad input or a failing writer.
#[derive(Debug, thiserror::Error)]
pub enum CanonicalError {
    #[error(transparent)]
    Wasm(#[from] WasmError),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The wascap module hash: upper-case hex SHA-256 of the canonical form.
pub fn module_hash(bytes: &[u8]) -> Result<String, WasmError> {
    let mut hasher = Sha256::new();
    write_canonical::<WasmError>(bytes, &mut |piece| {
        hasher.update(piece);
        Ok(())
    })?;
    Ok(data_encoding::HEXUPPER.encode(&hasher.finalize()))
}

/// The canonical form as one buffer (for small inputs and tests).
pub fn canonical_bytes(bytes: &[u8]) -> Result<Vec<u8>, WasmError> {
    let mut out = Vec::with_capacity(bytes.len());
    write_canonical::<WasmError>(bytes, &mut |piece| {
        out.extend_from_slice(piece);
        Ok(())
    })?;
    Ok(out)
}

/// An embedded token as found in a binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbeddedToken<'a> {
    /// Name of the section it came from (`wasmcloud_jwt` or the legacy `jwt`).
    pub section: &'a str,
    pub data: &'a [u8],
}

/// Finds the embedded token the way wascap's `extract_claims` does: the first section in
/// file order named `jwt` at any depth, or `wasmcloud_jwt` at the top level.
pub fn find_token(bytes: &[u8]) -> Result<Option<EmbeddedToken<'_>>, WasmError> {
    find_token_at(bytes, 0)
}

fn find_token_at(bytes: &[u8], depth: usize) -> Result<Option<EmbeddedToken<'_>>, WasmError> {
    let sections = Sections::new(bytes)?;
    let kind = sections.kind();
    for section in sections {
        let section = section?;
        match section.custom_name() {
            Some(name @ LEGACY_JWT_SECTION) => {
                return Ok(section.custom_data().map(|data| EmbeddedToken {
                    section: name,
                    data,
                }))
            }
            Some(name @ JWT_SECTION) if depth == 0 => {
                return Ok(section.custom_data().map(|data| EmbeddedToken {
                    section: name,
                    data,
                }))
            }
            _ => {}
        }
        if section.is_nested_binary(kind) {
            if let Some(found) = find_token_at(section.payload, depth + 1)? {
                return Ok(Some(found));
            }
        }
    }
    Ok(None)
}

/// Bytes of the `wasmcloud_jwt` custom section that carries `jwt`, ready to append.
pub fn jwt_section(jwt: &str) -> Vec<u8> {
    let name = JWT_SECTION.as_bytes();
    let payload_len = uleb_len(name.len() as u64) + name.len() + jwt.len();
    let mut out = Vec::with_capacity(payload_len + 6);
    out.push(CUSTOM_SECTION);
    write_uleb(payload_len as u64, &mut out);
    write_uleb(name.len() as u64, &mut out);
    out.extend_from_slice(name);
    out.extend_from_slice(jwt.as_bytes());
    out
}

/// Writes the signed binary: the canonical form of `bytes` (old tokens dropped) followed by
/// a `wasmcloud_jwt` section holding `jwt`.
pub fn write_signed(bytes: &[u8], jwt: &str, out: &mut dyn Write) -> Result<(), CanonicalError> {
    write_canonical::<CanonicalError>(bytes, &mut |piece| Ok(out.write_all(piece)?))?;
    out.write_all(&jwt_section(jwt))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        data_encoding::HEXLOWER_PERMISSIVE
            .decode(s.replace(' ', "").as_bytes())
            .unwrap()
    }

    // Known-answer vectors from the spec (verified there against wascap 0.16.2).
    #[test]
    fn hash_vectors() {
        let cases = [
            (
                "0061736d01000000",
                "0061736d01000000",
                "93A44BBB96C751218E4C00D479E4C14358122A389ACCA16205B1E4D0DC5F9476",
            ),
            (
                "0061736d0d000100",
                "0061736d0d000100",
                "24EAF3439A60C96764C4F2C92A0A81B52BD4FE5D5B91F090184A0F6486B1BF29",
            ),
            (
                "0061736d01000000 01 8480808000 01600000",
                "0061736d01000000 01 04 01600000",
                "968E98ACD3E2898569441C1769845BC3AD79616458FFCD1CCE35FADB48FF7381",
            ),
            (
                "0061736d01000000 01 8480808000 01600000 00 0f 0d 7761736d636c6f75645f6a7774 78",
                "0061736d01000000 01 04 01600000",
                "968E98ACD3E2898569441C1769845BC3AD79616458FFCD1CCE35FADB48FF7381",
            ),
            (
                "0061736d0d000100 01 a380808000 0061736d01000000 01 8480808000 01600000 00 0f 0d 7761736d636c6f75645f6a7774 78",
                "0061736d0d000100 01 0e 0061736d01000000010401600000",
                "EEA45E6D19548AFA564AEA7F98627808B093E1076276055E1D8D9897AF88E049",
            ),
        ];
        for (input, canonical, hash) in cases {
            let input = hex(input);
            assert_eq!(canonical_bytes(&input).unwrap(), hex(canonical));
            assert_eq!(canonical_len(&input).unwrap(), hex(canonical).len() as u64);
            assert_eq!(module_hash(&input).unwrap(), hash);
        }
    }

    fn streamed(input: &[u8]) -> Result<Vec<u8>, CanonicalError> {
        let mut out = Vec::new();
        // A reader that hands out at most 3 bytes at a time, to exercise short reads.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(3).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        stream_canonical::<CanonicalError>(&mut Trickle(input), &mut |p| {
            out.extend_from_slice(p);
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn streaming_matches_in_memory() {
        let inputs = [
            "0061736d01000000",
            "0061736d0d000100",
            "0061736d01000000 01 8480808000 01600000",
            "0061736d01000000 01 8480808000 01600000 00 0f 0d 7761736d636c6f75645f6a7774 78",
            "0061736d01000000 00 05 03 6a7774 79 00 06 04 6e616d65 7a 00 01 00",
            "0061736d0d000100 01 a380808000 0061736d01000000 01 8480808000 01600000 00 0f 0d 7761736d636c6f75645f6a7774 78",
        ];
        for input in inputs {
            let input = hex(input);
            assert_eq!(streamed(&input).unwrap(), canonical_bytes(&input).unwrap());
        }
        // Every way of cutting a binary short is an error, never a panic or a short output.
        let whole = hex("0061736d0d000100 01 a380808000 0061736d01000000 01 8480808000 01600000 00 0f 0d 7761736d636c6f75645f6a7774 78 00 06 04 6e616d65 7a");
        for cut in 1..whole.len() {
            let result = streamed(&whole[..cut]);
            if let Ok(out) = &result {
                assert_eq!(
                    out,
                    &canonical_bytes(&whole[..cut]).unwrap(),
                    "cut at {cut}"
                );
            }
            assert_eq!(
                result.is_ok(),
                canonical_len(&whole[..cut]).is_ok(),
                "streaming and in-memory disagree at cut {cut}"
            );
        }
        assert!(matches!(
            streamed(b""),
            Err(CanonicalError::Wasm(WasmError::Empty))
        ));
        // A custom section whose name runs past its end.
        let bad = hex("0061736d01000000 00 02 09 6a");
        assert!(streamed(&bad).is_err());
        assert!(canonical_len(&bad).is_err());
        // A custom section whose name is not UTF-8 (the file planner refuses it too).
        let bad = hex("0061736d01000000 00 03 02 ee61");
        assert!(streamed(&bad).is_err());
        assert!(canonical_bytes(&bad).is_err());
    }

    /// A token's section name and data.
    type Token = Option<(String, Vec<u8>)>;

    /// The plan of `input` written to a file: its canonical form (streamed), length and
    /// token.
    fn planned(input: &[u8]) -> Result<(Vec<u8>, u64, Token), WasmError> {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(input).unwrap();
        let plan = plan_canonical(&file, input.len() as u64)?;
        let mut out = Vec::new();
        plan.stream::<io::Error>(&file, &mut |p| {
            out.extend_from_slice(p);
            Ok(())
        })
        .unwrap();
        let token = plan
            .token_data(&file)
            .unwrap()
            .map(|(name, data)| (name.to_string(), data));
        Ok((out, plan.len, token))
    }

    #[test]
    fn the_plan_from_headers_matches_in_memory() {
        let inputs = [
            "0061736d01000000",
            "0061736d0d000100",
            "0061736d0a000100",
            "0061736d01000000 01 8480808000 01600000",
            "0061736d01000000 01 04 01600000 00 0f 0d 7761736d636c6f75645f6a7774 78",
            "0061736d01000000 01 8480808000 01600000 00 0f 0d 7761736d636c6f75645f6a7774 78",
            "0061736d01000000 00 05 03 6a7774 79 00 06 04 6e616d65 7a 00 01 00",
            "0061736d0d000100 01 a380808000 0061736d01000000 01 8480808000 01600000 00 0f 0d 7761736d636c6f75645f6a7774 78",
            "0061736d0d000100 01 0e 0061736d01000000010401600000 00 0f 0d 7761736d636c6f75645f6a7774 78",
            "0061736d0d000100 01 0e 0061736d01000000010401600000 01 0e 0061736d01000000010401600000",
            "0061736d0d000100 01 12 0061736d01000000 00 05 03 6a7774 79 01 01 00 00 0f 0d 7761736d636c6f75645f6a7774 78",
        ];
        for input in inputs {
            let input = hex(input);
            let (out, len, token) = planned(&input).unwrap();
            assert_eq!(out, canonical_bytes(&input).unwrap(), "{input:02x?}");
            assert_eq!(len, out.len() as u64);
            let expected = find_token(&input)
                .unwrap()
                .map(|t| (t.section.to_string(), t.data.to_vec()));
            assert_eq!(token, expected, "{input:02x?}");
        }
        // Cut anywhere: an error exactly where the in-memory reader has one, never a panic.
        let whole = hex("0061736d0d000100 01 a380808000 0061736d01000000 01 8480808000 01600000 00 0f 0d 7761736d636c6f75645f6a7774 78 00 06 04 6e616d65 7a");
        for cut in 1..whole.len() {
            let result = planned(&whole[..cut]);
            assert_eq!(
                result.is_ok(),
                canonical_len(&whole[..cut]).is_ok(),
                "the plan and in-memory disagree at cut {cut}"
            );
            if let Ok((out, _, _)) = result {
                assert_eq!(out, canonical_bytes(&whole[..cut]).unwrap(), "cut {cut}");
            }
        }
        assert!(planned(b"").is_err());
        assert!(planned(&hex("0061736d01000000 00 02 09 6a")).is_err());
        assert!(planned(&hex("0061736d01000000 7f 00")).is_err());
        assert!(planned(&hex("0061736d01000000 01 ffffffffff")).is_err());
    }

    #[test]
    fn the_reader_fills_any_buffer_size_and_notices_a_file_cut_after_planning() {
        let input = hex("0061736d0d000100 01 a380808000 0061736d01000000 01 8480808000 01600000 00 0f 0d 7761736d636c6f75645f6a7774 78 00 06 04 6e616d65 7a");
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&input).unwrap();
        let plan = plan_canonical(&file, input.len() as u64).unwrap();
        let expected = canonical_bytes(&input).unwrap();
        for size in [1, 2, 3, 7, 64] {
            let mut out = Vec::new();
            let mut buffer = vec![0u8; size];
            let mut reader = plan.reader(&file);
            loop {
                let n = reader.read(&mut buffer).unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buffer[..n]);
            }
            assert_eq!(out, expected, "buffer of {size}");
        }
        file.set_len(input.len() as u64 - 3).unwrap();
        let mut out = Vec::new();
        let err = plan.reader(&file).read_to_end(&mut out).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn older_component_version_hashes_as_current() {
        let old = hex("0061736d0a000100");
        assert_eq!(
            module_hash(&old).unwrap(),
            "24EAF3439A60C96764C4F2C92A0A81B52BD4FE5D5B91F090184A0F6486B1BF29"
        );
    }

    #[test]
    fn bad_framing_is_reported() {
        assert_eq!(kind_of(b""), Err(WasmError::Empty));
        assert_eq!(kind_of(b"hello world"), Err(WasmError::NotWasm));
        assert!(matches!(
            kind_of(b"\0asm\x01"),
            Err(WasmError::Truncated(_))
        ));
        assert!(matches!(
            kind_of(&hex("0061736d02000000")),
            Err(WasmError::Malformed(_))
        ));
        // A section that claims more bytes than remain.
        let cut = hex("0061736d01000000 01 10 0160");
        assert!(matches!(module_hash(&cut), Err(WasmError::Truncated(_))));
        // An unknown section id.
        let unknown = hex("0061736d01000000 7f 00");
        assert!(matches!(
            module_hash(&unknown),
            Err(WasmError::Malformed(_))
        ));
        // A LEB128 size that never ends.
        let leb = hex("0061736d01000000 01 ffffffffff");
        assert!(module_hash(&leb).is_err());
    }

    #[test]
    fn token_lookup_follows_wascap_rules() {
        let module = hex("0061736d01000000 00 0f 0d 7761736d636c6f75645f6a7774 78");
        let found = find_token(&module).unwrap().unwrap();
        assert_eq!(found.section, JWT_SECTION);
        assert_eq!(found.data, b"x");

        // `wasmcloud_jwt` inside a nested module does not count...
        let mut nested = hex("0061736d0d000100 01");
        write_uleb(module.len() as u64, &mut nested);
        nested.extend_from_slice(&module);
        assert_eq!(find_token(&nested).unwrap(), None);

        // ...but the legacy `jwt` does, at any depth.
        let legacy = hex("0061736d01000000 00 05 03 6a7774 79");
        let mut nested = hex("0061736d0d000100 01");
        write_uleb(legacy.len() as u64, &mut nested);
        nested.extend_from_slice(&legacy);
        let found = find_token(&nested).unwrap().unwrap();
        assert_eq!(found.section, LEGACY_JWT_SECTION);
        assert_eq!(found.data, b"y");
    }

    #[test]
    fn signed_output_is_canonical_plus_section() {
        let input = hex("0061736d01000000 01 8480808000 01600000");
        let mut out = Vec::new();
        write_signed(&input, "a.b.c", &mut out).unwrap();
        let mut expected = hex("0061736d01000000 01 04 01600000");
        expected.extend_from_slice(&jwt_section("a.b.c"));
        assert_eq!(out, expected);
        assert_eq!(find_token(&out).unwrap().unwrap().data, b"a.b.c");
        // Re-signing replaces the old token rather than adding a second one.
        let mut again = Vec::new();
        write_signed(&out, "d.e.f", &mut again).unwrap();
        let count = Sections::new(&again)
            .unwrap()
            .filter(|s| s.as_ref().unwrap().custom_name() == Some(JWT_SECTION))
            .count();
        assert_eq!(count, 1);
        assert_eq!(find_token(&again).unwrap().unwrap().data, b"d.e.f");
    }

    #[test]
    fn section_layout_matches_spec() {
        // 00 uleb(1 + 13 + len) 0d "wasmcloud_jwt" jwt
        let s = jwt_section("abc");
        assert_eq!(s[0], 0);
        assert_eq!(s[1] as usize, 1 + 13 + 3);
        assert_eq!(s[2], 13);
        assert_eq!(&s[3..16], b"wasmcloud_jwt");
        assert_eq!(&s[16..], b"abc");
    }
}
