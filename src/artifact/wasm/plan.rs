//! The canonical form of a binary on disk, planned from its section headers alone: which
//! ranges of the file it copies and the few bytes it rewrites (the header, a size whose
//! LEB128 was not minimal, the size of a nested binary that loses a token). Reading only
//! headers (positional reads, no seeking through a buffer), the plan costs a few system
//! calls per section; the bytes are then read once, in order, with a fixed buffer, by
//! whoever hashes or copies them, so memory stays flat however large the file.

use std::fs::File;
use std::os::unix::fs::FileExt;

use super::*;

/// One piece of the canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// `len` bytes of the file from `start`.
    Copy { start: u64, len: u64 },
    /// Bytes made here.
    Bytes(Vec<u8>),
}

/// Where the canonical form of a file comes from, and its embedded token, if any.
#[derive(Debug, Clone)]
pub struct CanonicalPlan {
    pub kind: WasmKind,
    pub pieces: Vec<Piece>,
    /// Length of the canonical form.
    pub len: u64,
    /// The token section wascap would read (see [`find_token`]): its name and the range
    /// of its data.
    pub token: Option<(&'static str, u64, u64)>,
}

/// Plans the canonical form of the `len`-byte file `file`.
pub fn plan_canonical(file: &File, len: u64) -> Result<CanonicalPlan, WasmError> {
    let mut planner = Planner {
        file,
        pieces: Vec::new(),
        token: None,
    };
    let (kind, canonical_len) = planner.region(0, len, 0)?;
    Ok(CanonicalPlan {
        kind,
        pieces: planner.pieces,
        len: canonical_len,
        token: planner.token,
    })
}

impl CanonicalPlan {
    /// Feeds the canonical form to `sink` in order, reading the file through one buffer.
    pub fn stream<E: From<io::Error>>(
        &self,
        file: &File,
        sink: &mut dyn FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut buffer = vec![0u8; CHUNK];
        let mut reader = self.reader(file);
        loop {
            let n = reader.read(&mut buffer)?;
            if n == 0 {
                return Ok(());
            }
            sink(&buffer[..n])?;
        }
    }

    /// The canonical form as a reader: each read goes from the file (or the few bytes made
    /// here) straight into the caller's buffer, so a caller that owns its buffers copies
    /// nothing in between.
    pub fn reader<'a>(&'a self, file: &'a File) -> CanonicalReader<'a> {
        CanonicalReader {
            plan: self,
            file,
            piece: 0,
            offset: 0,
        }
    }

    /// The embedded token's text (small: read on its own).
    pub fn token_data(&self, file: &File) -> io::Result<Option<(&'static str, Vec<u8>)>> {
        let Some((name, start, len)) = self.token else {
            return Ok(None);
        };
        let mut data = vec![0u8; len as usize];
        file.read_exact_at(&mut data, start)?;
        Ok(Some((name, data)))
    }
}

const CHUNK: usize = 1 << 20;

/// See [`CanonicalPlan::reader`]. Reads are short at piece boundaries; a file that has
/// shrunk since it was planned is an [`io::ErrorKind::UnexpectedEof`].
pub struct CanonicalReader<'a> {
    plan: &'a CanonicalPlan,
    file: &'a File,
    piece: usize,
    /// How far into `piece` the next read starts.
    offset: u64,
}

impl io::Read for CanonicalReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(piece) = self.plan.pieces.get(self.piece) {
            let len = match piece {
                Piece::Bytes(bytes) => bytes.len() as u64,
                Piece::Copy { len, .. } => *len,
            };
            let left = len - self.offset;
            if left == 0 {
                self.piece += 1;
                self.offset = 0;
                continue;
            }
            if buf.is_empty() {
                return Ok(0);
            }
            let n = (left.min(buf.len() as u64)) as usize;
            let n = match piece {
                Piece::Bytes(bytes) => {
                    let from = self.offset as usize;
                    buf[..n].copy_from_slice(&bytes[from..from + n]);
                    n
                }
                Piece::Copy { start, .. } => {
                    let got = self.file.read_at(&mut buf[..n], start + self.offset)?;
                    if got == 0 {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the file became shorter while it was read",
                        ));
                    }
                    got
                }
            };
            self.offset += n as u64;
            return Ok(n);
        }
        Ok(0)
    }
}

struct Planner<'a> {
    file: &'a File,
    pieces: Vec<Piece>,
    token: Option<(&'static str, u64, u64)>,
}

impl Planner<'_> {
    fn copy(&mut self, start: u64, len: u64) {
        if len == 0 {
            return;
        }
        if let Some(Piece::Copy { start: s, len: l }) = self.pieces.last_mut() {
            if *s + *l == start {
                *l += len;
                return;
            }
        }
        self.pieces.push(Piece::Copy { start, len });
    }

    /// Up to `want` bytes at `at`, short only at `end`.
    fn read(&self, at: u64, want: usize, end: u64) -> Result<Vec<u8>, WasmError> {
        let n = want.min(end.saturating_sub(at) as usize);
        let mut buf = vec![0u8; n];
        self.file
            .read_exact_at(&mut buf, at)
            .map_err(|e| WasmError::Malformed(format!("read failed at offset {at}: {e}")))?;
        Ok(buf)
    }

    /// Plans the binary in `start..end`; its kind and canonical length.
    fn region(&mut self, start: u64, end: u64, depth: usize) -> Result<(WasmKind, u64), WasmError> {
        let header = self.read(start, 8, end)?;
        let kind = kind_of(&header)?;
        if header.as_slice() == kind.canonical_header() {
            self.copy(start, 8);
        } else {
            self.pieces
                .push(Piece::Bytes(kind.canonical_header().to_vec()));
        }
        let mut total = 8u64;
        let mut offset = start + 8;
        while offset < end {
            let head = self.read(offset, 11, end)?;
            let id = head[0];
            if id > kind.max_section_id() {
                return Err(WasmError::Malformed(format!(
                    "unknown section id {id} at offset {offset}"
                )));
            }
            let (size, size_len) = read_uleb32(&head, 1).map_err(|e| match e {
                WasmError::Truncated(_) => {
                    WasmError::Truncated(format!("LEB128 number at offset {}", offset + 1))
                }
                other => other,
            })?;
            let payload_start = offset + 1 + size_len as u64;
            let payload_end = payload_start + u64::from(size);
            if payload_end > end {
                return Err(WasmError::Truncated(format!(
                    "section {id} at offset {offset} declares {size} bytes, {} remain",
                    end.saturating_sub(payload_start)
                )));
            }
            let minimal = size_len == uleb_len(u64::from(size));
            if id == CUSTOM_SECTION {
                let name_head = self.read(payload_start, 5, payload_end)?;
                let (name_len, name_len_bytes) = read_uleb32(&name_head, 0).map_err(|_| {
                    WasmError::Malformed(format!("custom section at offset {offset} has no name"))
                })?;
                let name_start = payload_start + name_len_bytes as u64;
                if name_start + u64::from(name_len) > payload_end {
                    return Err(WasmError::Malformed(format!(
                        "custom section name at offset {offset} overruns its section"
                    )));
                }
                // Hosts (wasmparser) refuse such a module; so does signing it.
                let name_end = name_start + u64::from(name_len);
                if !bytes_are_utf8(self.file, name_start, name_end)
                    .map_err(|e| WasmError::Malformed(e.to_string()))?
                {
                    return Err(WasmError::Malformed(format!(
                        "the custom section at offset {offset} has a name that is not UTF-8"
                    )));
                }
                let name = if name_len as usize <= JWT_SECTION.len() {
                    self.read(name_start, name_len as usize, payload_end)?
                } else {
                    Vec::new()
                };
                let token_name = match name.as_slice() {
                    b"jwt" => Some(LEGACY_JWT_SECTION),
                    b"wasmcloud_jwt" => Some(JWT_SECTION),
                    _ => None,
                };
                if let Some(token_name) = token_name {
                    let readable = token_name == LEGACY_JWT_SECTION || depth == 0;
                    if readable && self.token.is_none() {
                        let data_start = name_start + u64::from(name_len);
                        self.token = Some((token_name, data_start, payload_end - data_start));
                    }
                    offset = payload_end;
                    continue;
                }
            }
            let nested = kind == WasmKind::Component
                && matches!(
                    id,
                    COMPONENT_CORE_MODULE_SECTION | COMPONENT_COMPONENT_SECTION
                );
            if nested {
                let at = self.pieces.len();
                self.pieces.push(Piece::Bytes(Vec::new()));
                let (_, inner) = self.region(payload_start, payload_end, depth + 1)?;
                let mut frame = vec![id];
                write_uleb(inner, &mut frame);
                total += frame.len() as u64 + inner;
                // The original frame stands when the size did not change and was minimal.
                if inner == u64::from(size) && minimal {
                    self.pieces[at] = Piece::Copy {
                        start: offset,
                        len: 1 + size_len as u64,
                    };
                    // Merge it with its neighbours where they touch.
                    let rest = self.pieces.split_off(at);
                    for piece in rest {
                        match piece {
                            Piece::Copy { start, len } => self.copy(start, len),
                            bytes => self.pieces.push(bytes),
                        }
                    }
                } else {
                    self.pieces[at] = Piece::Bytes(frame);
                }
            } else if minimal {
                self.copy(offset, payload_end - offset);
                total += payload_end - offset;
            } else {
                let mut frame = vec![id];
                write_uleb(u64::from(size), &mut frame);
                total += frame.len() as u64 + u64::from(size);
                self.pieces.push(Piece::Bytes(frame));
                self.copy(payload_start, u64::from(size));
            }
            offset = payload_end;
        }
        Ok((kind, total))
    }
}

/// A top-level section of a file, found from its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSection {
    pub id: u8,
    /// The section's first byte (its id) and the end of its payload.
    pub start: u64,
    pub end: u64,
    /// A custom section's name (names longer than 64 bytes are left out).
    pub custom_name: Option<String>,
    /// Where a named custom section's data (after its name) starts; else the payload's start.
    pub data_start: u64,
}

/// Whether bytes `start..end` of `file` are UTF-8, read in pieces of 64 KiB (a name may
/// be as long as its section); a character cut at a piece's end is carried into the next.
fn bytes_are_utf8(file: &File, mut at: u64, end: u64) -> std::io::Result<bool> {
    let mut carried: Vec<u8> = Vec::new();
    while at < end {
        let n = (end - at).min(64 << 10) as usize;
        let mut piece = std::mem::take(&mut carried);
        let from = piece.len();
        piece.resize(from + n, 0);
        file.read_exact_at(&mut piece[from..], at)?;
        at += n as u64;
        if let Err(e) = std::str::from_utf8(&piece) {
            if e.error_len().is_some() {
                return Ok(false);
            }
            carried = piece[e.valid_up_to()..].to_vec();
        }
    }
    Ok(carried.is_empty())
}

impl FileSection {
    /// Whether this custom section's name is UTF-8 (read in pieces: a name may be as long
    /// as its section). Errors when the name does not fit in the section.
    pub fn custom_name_is_utf8(&self, file: &File) -> Result<bool, WasmError> {
        let malformed =
            |what: &str| WasmError::Malformed(format!("custom section at {}: {what}", self.start));
        let mut head = [0u8; 6];
        let head_len = (self.end - self.start).min(6) as usize;
        file.read_exact_at(&mut head[..head_len], self.start)
            .map_err(|e| malformed(&e.to_string()))?;
        let (_, size_len) = read_uleb32(&head[..head_len], 1)?;
        let payload = self.start + 1 + size_len as u64;
        let mut name_head = [0u8; 5];
        let name_head_len = (self.end - payload).min(5) as usize;
        file.read_exact_at(&mut name_head[..name_head_len], payload)
            .map_err(|e| malformed(&e.to_string()))?;
        let (name_len, used) = read_uleb32(&name_head[..name_head_len], 0)?;
        let at = payload + used as u64;
        let name_end = at + u64::from(name_len);
        if name_end > self.end {
            return Err(malformed("its name runs past its end"));
        }
        bytes_are_utf8(file, at, name_end).map_err(|e| malformed(&e.to_string()))
    }

    /// The data of this section, if it is a custom one called `name` of at most `max` bytes.
    pub fn custom_data(&self, file: &File, name: &str, max: u64) -> Option<Vec<u8>> {
        if self.id != CUSTOM_SECTION || self.custom_name.as_deref() != Some(name) {
            return None;
        }
        let len = self.end - self.data_start;
        if len > max {
            return None;
        }
        let mut data = vec![0u8; len as usize];
        file.read_exact_at(&mut data, self.data_start).ok()?;
        Some(data)
    }
}

/// The top-level sections of the `len`-byte file, from their headers.
pub fn file_sections(file: &File, len: u64) -> Result<(WasmKind, Vec<FileSection>), WasmError> {
    let planner = Planner {
        file,
        pieces: Vec::new(),
        token: None,
    };
    let kind = kind_of(&planner.read(0, 8, len)?)?;
    let mut sections = Vec::new();
    let mut offset = 8u64;
    while offset < len {
        let head = planner.read(offset, 11, len)?;
        let id = head[0];
        if id > kind.max_section_id() {
            return Err(WasmError::Malformed(format!(
                "unknown section id {id} at offset {offset}"
            )));
        }
        let (size, size_len) = read_uleb32(&head, 1)?;
        let payload_start = offset + 1 + size_len as u64;
        let end = payload_start + u64::from(size);
        if end > len {
            return Err(WasmError::Truncated(format!(
                "section {id} at offset {offset} declares {size} bytes, {} remain",
                len.saturating_sub(payload_start)
            )));
        }
        let (custom_name, data_start) = if id == CUSTOM_SECTION {
            let name_head = planner.read(payload_start, 5, end)?;
            let (name_len, used) = read_uleb32(&name_head, 0)?;
            let name_start = payload_start + used as u64;
            let name_end = name_start + u64::from(name_len);
            let name = (name_len <= 64 && name_end <= end)
                .then(|| planner.read(name_start, name_len as usize, end))
                .transpose()?
                .map(|n| String::from_utf8_lossy(&n).into_owned());
            let data_start = if name.is_some() {
                name_end
            } else {
                payload_start
            };
            (name, data_start)
        } else {
            (None, payload_start)
        };
        sections.push(FileSection {
            id,
            start: offset,
            end,
            custom_name,
            data_start,
        });
        offset = end;
    }
    Ok((kind, sections))
}
