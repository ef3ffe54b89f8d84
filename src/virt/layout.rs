//! Static answers in linear memory, laid out by the canonical ABI: a value of a WIT type
//! (strings, lists, tuples, options, `ok` results) written into a data segment, so an
//! exported function can return a pointer to it with no allocator and no code to build it.

use wit_parser::{Int, Resolve, SizeAlign, Type, TypeDefKind};

fn tag_size(tag: Int) -> u32 {
    match tag {
        Int::U8 => 1,
        Int::U16 => 2,
        Int::U32 => 4,
        Int::U64 => 8,
    }
}

/// A value to write: only the shapes static answers need.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    List(Vec<Value>),
    Tuple(Vec<Value>),
    None,
    Some(Box<Value>),
    /// `ok`, with its payload unless the ok type is `_`.
    Ok(Option<Box<Value>>),
    /// `err`, likewise.
    Err(Option<Box<Value>>),
    /// A case of a variant or enum, by index, with its payload if it has one.
    Case(usize, Option<Box<Value>>),
}

/// The bytes of a data segment placed at `base`, filled as values are written.
pub struct Data<'a> {
    resolve: &'a Resolve,
    sizes: SizeAlign,
    pub base: u32,
    pub bytes: Vec<u8>,
}

/// A value that does not fit the type it is written as (a bug in the caller, or a WIT
/// shape the generator does not know).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot write a static {value} as WIT type {ty}")]
pub struct LayoutError {
    pub value: String,
    pub ty: String,
}

impl<'a> Data<'a> {
    pub fn new(resolve: &'a Resolve, base: u32) -> Data<'a> {
        let mut sizes = SizeAlign::default();
        sizes.fill(resolve);
        Data {
            resolve,
            sizes,
            base,
            bytes: Vec::new(),
        }
    }

    /// The address just past the data.
    pub fn end(&self) -> u32 {
        self.base + self.bytes.len() as u32
    }

    /// Reserves `size` zeroed bytes aligned to `align`; their address.
    pub fn alloc(&mut self, size: usize, align: usize) -> u32 {
        let align = align.max(1);
        while !(self.base as usize + self.bytes.len()).is_multiple_of(align) {
            self.bytes.push(0);
        }
        let at = self.end();
        self.bytes.resize(self.bytes.len() + size, 0);
        at
    }

    /// Places raw bytes; their address.
    pub fn bytes_at(&mut self, bytes: &[u8]) -> u32 {
        let at = self.alloc(bytes.len(), 1);
        let start = (at - self.base) as usize;
        self.bytes[start..start + bytes.len()].copy_from_slice(bytes);
        at
    }

    fn put_u32(&mut self, at: u32, value: u32) {
        let i = (at - self.base) as usize;
        self.bytes[i..i + 4].copy_from_slice(&value.to_le_bytes());
    }

    fn put_u8(&mut self, at: u32, value: u8) {
        let i = (at - self.base) as usize;
        self.bytes[i] = value;
    }

    /// A discriminant of `size` bytes.
    fn put_tag(&mut self, at: u32, size: u32, value: u32) {
        let i = (at - self.base) as usize;
        let bytes = value.to_le_bytes();
        self.bytes[i..i + size as usize].copy_from_slice(&bytes[..size as usize]);
    }

    /// Writes `value` as a fresh record of type `ty`; its address.
    pub fn record(&mut self, ty: &Type, value: &Value) -> Result<u32, LayoutError> {
        let size = self.sizes.size(ty).size_wasm32();
        let align = self.sizes.align(ty).align_wasm32();
        let at = self.alloc(size, align);
        self.write(ty, value, at)?;
        Ok(at)
    }

    fn mismatch(&self, ty: &Type, value: &Value) -> LayoutError {
        LayoutError {
            value: format!("{value:?}"),
            ty: format!("{ty:?}"),
        }
    }

    /// Writes `value` of type `ty` at `at` (already reserved).
    pub fn write(&mut self, ty: &Type, value: &Value, at: u32) -> Result<(), LayoutError> {
        let kind = match ty {
            Type::String => {
                let Value::Str(text) = value else {
                    return Err(self.mismatch(ty, value));
                };
                let ptr = self.bytes_at(text.as_bytes());
                self.put_u32(at, ptr);
                self.put_u32(at + 4, text.len() as u32);
                return Ok(());
            }
            Type::Id(id) => &self.resolve.types[*id].kind,
            _ => return Err(self.mismatch(ty, value)),
        };
        match (kind, value) {
            (TypeDefKind::Type(inner), _) => {
                let inner = *inner;
                self.write(&inner, value, at)
            }
            (TypeDefKind::List(elem), Value::List(items)) => {
                let elem = *elem;
                let size = self.sizes.size(&elem).size_wasm32();
                let align = self.sizes.align(&elem).align_wasm32();
                let block = self.alloc(size * items.len(), align);
                for (i, item) in items.iter().enumerate() {
                    self.write(&elem, item, block + (i * size) as u32)?;
                }
                self.put_u32(at, block);
                self.put_u32(at + 4, items.len() as u32);
                Ok(())
            }
            (TypeDefKind::Tuple(tuple), Value::Tuple(items))
                if tuple.types.len() == items.len() =>
            {
                let types = tuple.types.clone();
                let offsets: Vec<usize> = self
                    .sizes
                    .field_offsets(&types)
                    .into_iter()
                    .map(|(offset, _)| offset.size_wasm32())
                    .collect();
                for ((ty, item), offset) in types.iter().zip(items).zip(offsets) {
                    self.write(ty, item, at + offset as u32)?;
                }
                Ok(())
            }
            (TypeDefKind::Option(_), Value::None) => {
                self.put_u8(at, 0);
                Ok(())
            }
            (TypeDefKind::Option(inner), Value::Some(item)) => {
                let inner = *inner;
                let offset = self
                    .sizes
                    .payload_offset(Int::U8, [None, Some(&inner)])
                    .size_wasm32();
                self.put_u8(at, 1);
                self.write(&inner, item, at + offset as u32)
            }
            (TypeDefKind::Result(result), Value::Ok(item)) => {
                let (ok, err) = (result.ok, result.err);
                let offset = self
                    .sizes
                    .payload_offset(Int::U8, [ok.as_ref(), err.as_ref()])
                    .size_wasm32();
                self.put_u8(at, 0);
                match (ok, item) {
                    (None, None) => Ok(()),
                    (Some(ok), Some(item)) => self.write(&ok, item, at + offset as u32),
                    _ => Err(self.mismatch(ty, value)),
                }
            }
            (TypeDefKind::Result(result), Value::Err(item)) => {
                let (ok, err) = (result.ok, result.err);
                let offset = self
                    .sizes
                    .payload_offset(Int::U8, [ok.as_ref(), err.as_ref()])
                    .size_wasm32();
                self.put_u8(at, 1);
                match (err, item) {
                    (None, None) => Ok(()),
                    (Some(err), Some(item)) => self.write(&err, item, at + offset as u32),
                    _ => Err(self.mismatch(ty, value)),
                }
            }
            (TypeDefKind::Enum(e), Value::Case(index, None)) if *index < e.cases.len() => {
                let size = tag_size(e.tag());
                self.put_tag(at, size, *index as u32);
                Ok(())
            }
            (TypeDefKind::Variant(v), Value::Case(index, payload)) if *index < v.cases.len() => {
                let size = tag_size(v.tag());
                let cases: Vec<Option<Type>> = v.cases.iter().map(|c| c.ty).collect();
                let case_ty = cases[*index];
                let offset = self
                    .sizes
                    .payload_offset(v.tag(), cases.iter().map(|c| c.as_ref()))
                    .size_wasm32();
                self.put_tag(at, size, *index as u32);
                match (case_ty, payload) {
                    (None, None) => Ok(()),
                    (Some(ty), Some(item)) => self.write(&ty, item, at + offset as u32),
                    _ => Err(self.mismatch(ty, value)),
                }
            }
            _ => Err(self.mismatch(ty, value)),
        }
    }
}
