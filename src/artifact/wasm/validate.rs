//! Validating a binary on disk without holding it: the file is read through a [`FileView`]
//! that leaves out the top-level custom sections (padding, debug info; the validator only
//! checks their names), and parsed incrementally, so memory follows the largest section the
//! parser must see whole (a data section, a nested custom one), never the file. Function
//! bodies arrive one at a time and are validated as they come.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;

use wasmparser::{Chunk, FuncValidatorAllocations, Parser, ValidPayload, Validator};

use super::*;

/// Ranges of a file read one after another, as one stream.
pub struct FileView<'a> {
    file: &'a File,
    ranges: Vec<(u64, u64)>,
    current: usize,
    /// Bytes of the current range already read.
    done: u64,
}

impl<'a> FileView<'a> {
    /// The file's header and top-level sections, minus the custom sections whose names are
    /// not in `keep`.
    pub fn without_custom_sections(
        file: &'a File,
        sections: &[FileSection],
        keep: &[&str],
    ) -> Self {
        let mut ranges = vec![(0u64, 8u64)];
        for s in sections {
            let kept = s.id != CUSTOM_SECTION
                || s.custom_name.as_deref().is_some_and(|n| keep.contains(&n));
            if kept {
                ranges.push((s.start, s.end));
            }
        }
        FileView {
            file,
            ranges,
            current: 0,
            done: 0,
        }
    }
}

impl Read for FileView<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(&(start, end)) = self.ranges.get(self.current) {
            let left = end - start - self.done;
            if left == 0 {
                self.current += 1;
                self.done = 0;
                continue;
            }
            let want = left.min(buf.len() as u64) as usize;
            let got = self.file.read_at(&mut buf[..want], start + self.done)?;
            if got == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            self.done += got as u64;
            return Ok(got);
        }
        Ok(0)
    }
}

/// Reads are at least this large, so small sections cost one system call per many.
const READ_AHEAD: usize = 256 * 1024;
/// The most read at once: a large section is gathered in reads of this size.
const READ_MOST: usize = 16 * 1024 * 1024;

/// Validates the binary `reader` yields (as wasmparser's `validate_all` would, with its
/// default features), reading it once with a buffer that holds one section at most.
pub fn validate_reader(mut reader: impl Read) -> Result<(), WasmError> {
    let invalid = |e: wasmparser::BinaryReaderError| WasmError::Malformed(e.to_string());
    let mut validator = Validator::new();
    let mut parser = Parser::new(0);
    let mut outer = Vec::new();
    let mut allocations = FuncValidatorAllocations::default();
    let mut buffer: Vec<u8> = Vec::new();
    // Bytes of `buffer` already parsed.
    let mut parsed = 0usize;
    let mut eof = false;
    loop {
        let (consumed, finished) = match parser.parse(&buffer[parsed..], eof).map_err(invalid)? {
            Chunk::NeedMoreData(hint) => {
                buffer.drain(..parsed);
                parsed = 0;
                let have = buffer.len();
                // Bounded, so a section that claims more than the file holds costs no more
                // memory than the file.
                let want = hint.clamp(READ_AHEAD, READ_MOST);
                buffer.resize(have + want, 0);
                let got = read_some(&mut reader, &mut buffer[have..])
                    .map_err(|e| WasmError::Malformed(format!("read failed: {e}")))?;
                buffer.truncate(have + got);
                eof = got == 0;
                continue;
            }
            Chunk::Parsed { consumed, payload } => {
                let mut finished = false;
                match validator.payload(&payload).map_err(invalid)? {
                    ValidPayload::Ok => {}
                    ValidPayload::Parser(nested) => {
                        outer.push(std::mem::replace(&mut parser, nested));
                    }
                    ValidPayload::Func(to_validate, body) => {
                        let mut func = to_validate.into_validator(std::mem::take(&mut allocations));
                        func.validate(&body).map_err(invalid)?;
                        allocations = func.into_allocations();
                    }
                    ValidPayload::End(_) => match outer.pop() {
                        Some(parent) => parser = parent,
                        None => finished = true,
                    },
                }
                (consumed, finished)
            }
        };
        parsed += consumed;
        if finished {
            return Ok(());
        }
    }
}

/// Fills as much of `buf` as the reader gives before its end.
fn read_some(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Validates the `len`-byte binary in `file`, its top-level custom sections unread.
pub fn validate_file(file: &File, len: u64) -> Result<WasmKind, WasmError> {
    let (kind, sections) = file_sections(file, len)?;
    validate_sections(file, &sections)?;
    Ok(kind)
}

/// Validates a binary whose top-level sections are known: everything but the data of its
/// custom sections goes through the validator; of those only the names are read, which
/// must be UTF-8 as everywhere in Wasm (a host refuses the binary otherwise; found by the
/// `wasm_file_plan` fuzz target).
pub fn validate_sections(file: &File, sections: &[FileSection]) -> Result<(), WasmError> {
    for section in sections.iter().filter(|s| s.id == CUSTOM_SECTION) {
        if !section.custom_name_is_utf8(file)? {
            return Err(WasmError::Malformed(format!(
                "the custom section at offset {} has a name that is not UTF-8",
                section.start
            )));
        }
    }
    validate_reader(FileView::without_custom_sections(file, sections, &[]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(bytes: &[u8]) -> (tempfile::TempDir, File) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.wasm");
        std::fs::write(&path, bytes).unwrap();
        let file = File::open(&path).unwrap();
        (dir, file)
    }

    #[test]
    fn streamed_validation_agrees_with_validate_all() {
        let module = wat::parse_str(
            r#"(module
                (memory 1)
                (data (i32.const 0) "hello")
                (func (export "add") (param i32 i32) (result i32)
                  local.get 0 local.get 1 i32.add)
                (func (export "bad_later") (result i32) i32.const 7))"#,
        )
        .unwrap();
        let component = wat::parse_str(
            r#"(component
                (core module $m (func (export "f") (result i32) i32.const 1))
                (core instance $i (instantiate $m))
                (func (export "f") (result s32) (canon lift (core func $i "f"))))"#,
        )
        .unwrap();
        // wat does not validate, so this body leaving an i64 for an i32 result gets through.
        let wrong = wat::parse_str(r#"(module (func (result i32) i64.const 1))"#).unwrap();
        let mut padded = component.clone();
        let mut custom = Vec::new();
        write_uleb(3, &mut custom);
        custom.extend_from_slice(b"pad");
        custom.extend(std::iter::repeat_n(0u8, 3 * READ_AHEAD));
        padded.push(0);
        write_uleb(custom.len() as u64, &mut padded);
        padded.extend_from_slice(&custom);
        // Found by the fuzzer: a custom section name that is not UTF-8 (wasmparser refuses
        // it; our reader skips custom sections' contents but must still check names).
        let bad_name = b"\0asm\x01\0\0\0\0\x05\x03jwty\0\x06\x04\xeeamez\0\x01\0".to_vec();
        // A long valid name whose characters straddle the 64 KiB pieces it is read in.
        let mut long_name = module.clone();
        let name = format!("a{}", "é".repeat(40_000));
        let mut custom = Vec::new();
        write_uleb(name.len() as u64, &mut custom);
        custom.extend_from_slice(name.as_bytes());
        long_name.push(0);
        write_uleb(custom.len() as u64, &mut long_name);
        long_name.extend_from_slice(&custom);
        for (bytes, name) in [
            (&module, "module"),
            (&component, "component"),
            (&wrong, "wrong type"),
            (&padded, "padded"),
            (&bad_name, "custom section name not UTF-8"),
            (&long_name, "long UTF-8 custom section name"),
        ] {
            let (_dir, file) = file_with(bytes);
            let expected = Validator::new().validate_all(bytes).is_ok();
            let got = validate_file(&file, bytes.len() as u64);
            assert_eq!(got.is_ok(), expected, "{name}: {got:?}");
            // And on every cut: refused unless it ends on a top-level section boundary
            // and what is left is valid. (wasmparser's `validate_all` accepts a nested
            // module cut short at its end: with all the input given at once, the nested
            // parser takes the end of the input for the end of the module.)
            let boundaries: Vec<usize> = std::iter::once(8)
                .chain(
                    Sections::new(bytes)
                        .unwrap()
                        .map_while(|s| s.ok().map(|s| s.end)),
                )
                .collect();
            if bytes.len() < 4096 {
                for cut in 1..bytes.len() {
                    let (_dir, file) = file_with(&bytes[..cut]);
                    let expected = boundaries.contains(&cut)
                        && Validator::new().validate_all(&bytes[..cut]).is_ok();
                    let got = validate_file(&file, cut as u64);
                    assert_eq!(got.is_ok(), expected, "{name} cut at {cut}: {got:?}");
                }
            }
        }
    }
}
