//! What an interface crate declares, in terms of both languages: each item keeps its Rust
//! name (for the glue) and its WIT name (for the WIT), and each type keeps the Rust shape it
//! was written with (`&str`, `HashSet<T>`, `Box<T>`...) so conversions can be generated.

/// A WIT package made from one interface crate.
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    pub namespace: String,
    /// Kebab-case package name (the crate name).
    pub name: String,
    pub version: Option<String>,
    /// The crate's Rust name (`greeter_api`), for paths in the glue.
    pub crate_ident: String,
    pub interfaces: Vec<Interface>,
    pub types: Vec<TypeDef>,
    pub resources: Vec<Resource>,
}

/// A `pub trait`: a WIT interface.
#[derive(Debug, Clone, PartialEq)]
pub struct Interface {
    pub rust_name: String,
    pub wit_name: String,
    /// Path of the trait from the crate root (`greeter_api::api::Greeter`).
    pub rust_path: String,
    pub docs: Vec<String>,
    pub funcs: Vec<Func>,
    /// Associated types bound by a resource trait: (associated type name, resource index).
    pub resources: Vec<(String, usize)>,
}

/// A trait method: a WIT function, method, static function or constructor.
#[derive(Debug, Clone, PartialEq)]
pub struct Func {
    pub rust_name: String,
    pub wit_name: String,
    pub docs: Vec<String>,
    /// Takes `&self`.
    pub method: bool,
    pub params: Vec<Param>,
    pub result: Option<Ty>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub wit_name: String,
    pub ty: Ty,
}

/// A trait used as the bound of an associated type: a WIT resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub rust_name: String,
    pub wit_name: String,
    pub rust_path: String,
    pub docs: Vec<String>,
    /// Index of the interface defining it.
    pub interface: usize,
    /// `fn new(..) -> Self`.
    pub constructor: Option<Func>,
    /// Methods (`&self`) and static functions (no receiver).
    pub funcs: Vec<Func>,
}

/// A named type: struct, enum, alias or flags.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    pub rust_name: String,
    pub wit_name: String,
    /// Path from the crate root, empty for records made up for variant cases.
    pub rust_path: String,
    pub docs: Vec<String>,
    /// Index of the interface the WIT type lives in.
    pub interface: usize,
    pub kind: TypeKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    Record(Vec<Field>),
    /// A `pub type X = T;`: the same type in Rust, a `type` alias in WIT.
    Alias(Ty),
    /// A `struct X(T);`: a `type` alias in WIT, wrapped and unwrapped by the glue.
    Newtype(Ty),
    Enum(Vec<Case>),
    Variant(Vec<VariantCase>),
    Flags(Vec<Case>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub rust_name: String,
    pub wit_name: String,
    pub docs: Vec<String>,
    pub ty: Ty,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub rust_name: String,
    pub wit_name: String,
    pub docs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VariantCase {
    pub rust_name: String,
    pub wit_name: String,
    pub docs: Vec<String>,
    pub payload: Payload,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    None,
    /// `Case(T)`.
    One(Ty),
    /// `Case(A, B)`: a WIT tuple.
    Tuple(Vec<Ty>),
    /// `Case { a: A }`: a record made up for the case (index into `types`).
    Record(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prim {
    Bool,
    U8,
    U16,
    U32,
    U64,
    S8,
    S16,
    S32,
    S64,
    F32,
    F64,
    Char,
}

impl Prim {
    pub fn wit(self) -> &'static str {
        match self {
            Prim::Bool => "bool",
            Prim::U8 => "u8",
            Prim::U16 => "u16",
            Prim::U32 => "u32",
            Prim::U64 => "u64",
            Prim::S8 => "s8",
            Prim::S16 => "s16",
            Prim::S32 => "s32",
            Prim::S64 => "s64",
            Prim::F32 => "f32",
            Prim::F64 => "f64",
            Prim::Char => "char",
        }
    }
}

/// How a string was written in Rust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrShape {
    String,
    /// `&str`, parameters only.
    Ref,
    Boxed,
}

/// How a list was written in Rust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListShape {
    Vec,
    /// `&[T]`, parameters only.
    Slice,
    Boxed,
    VecDeque,
    HashSet,
    BTreeSet,
    /// `[T; N]`, with N as written.
    Array(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapShape {
    HashMap,
    BTreeMap,
}

/// `Box<T>`, `Rc<T>`, `Arc<T>`, `&T`: the same WIT type as `T`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapper {
    Box,
    Rc,
    Arc,
    Ref,
}

/// A type in a signature, a field or a payload.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Prim(Prim),
    String(StrShape),
    List(Box<Ty>, ListShape),
    /// A map: `list<tuple<k, v>>` in WIT.
    Map(Box<Ty>, Box<Ty>, MapShape),
    Option(Box<Ty>),
    /// `None` sides are `()`.
    Result(Option<Box<Ty>>, Option<Box<Ty>>),
    Tuple(Vec<Ty>),
    /// Index into `Package::types`.
    Named(usize),
    /// An owned resource (`Self::R`, or `Self` in the resource's own trait).
    Own(usize),
    /// A borrowed resource (`&Self::R`, `&Self`), parameters only.
    Borrow(usize),
    Wrapped(Box<Ty>, Wrapper),
}

impl Ty {
    /// The type with Rust-only wrappers removed.
    pub fn unwrapped(&self) -> &Ty {
        match self {
            Ty::Wrapped(inner, _) => inner.unwrapped(),
            other => other,
        }
    }
}

/// What a type holds, as wit-bindgen classifies it to choose how imports take parameters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TypeInfo {
    pub has_list: bool,
    pub has_own: bool,
    pub has_borrow: bool,
}

impl std::ops::BitOr for TypeInfo {
    type Output = TypeInfo;
    fn bitor(self, rhs: TypeInfo) -> TypeInfo {
        TypeInfo {
            has_list: self.has_list || rhs.has_list,
            has_own: self.has_own || rhs.has_own,
            has_borrow: self.has_borrow || rhs.has_borrow,
        }
    }
}

impl Package {
    /// `ns:name@version`.
    pub fn id(&self) -> String {
        match &self.version {
            Some(v) => format!("{}:{}@{v}", self.namespace, self.name),
            None => format!("{}:{}", self.namespace, self.name),
        }
    }

    pub fn info(&self, ty: &Ty) -> TypeInfo {
        let list = TypeInfo {
            has_list: true,
            ..TypeInfo::default()
        };
        match ty {
            Ty::Prim(_) => TypeInfo::default(),
            Ty::String(_) => list,
            Ty::List(t, _) => self.info(t) | list,
            Ty::Map(k, v, _) => self.info(k) | self.info(v) | list,
            Ty::Option(t) | Ty::Wrapped(t, _) => self.info(t),
            Ty::Result(ok, err) => {
                let side =
                    |t: &Option<Box<Ty>>| t.as_ref().map(|t| self.info(t)).unwrap_or_default();
                side(ok) | side(err)
            }
            Ty::Tuple(ts) => ts
                .iter()
                .fold(TypeInfo::default(), |acc, t| acc | self.info(t)),
            Ty::Named(i) => self.type_info(*i),
            Ty::Own(_) => TypeInfo {
                has_own: true,
                ..TypeInfo::default()
            },
            Ty::Borrow(_) => TypeInfo {
                has_borrow: true,
                ..TypeInfo::default()
            },
        }
    }

    fn type_info(&self, index: usize) -> TypeInfo {
        match &self.types[index].kind {
            TypeKind::Record(fields) => fields
                .iter()
                .fold(TypeInfo::default(), |acc, f| acc | self.info(&f.ty)),
            TypeKind::Alias(t) | TypeKind::Newtype(t) => self.info(t),
            TypeKind::Enum(_) | TypeKind::Flags(_) => TypeInfo::default(),
            TypeKind::Variant(cases) => cases.iter().fold(TypeInfo::default(), |acc, c| {
                acc | match &c.payload {
                    Payload::None => TypeInfo::default(),
                    Payload::One(t) => self.info(t),
                    Payload::Tuple(ts) => {
                        ts.iter().fold(TypeInfo::default(), |a, t| a | self.info(t))
                    }
                    Payload::Record(i) => self.type_info(*i),
                }
            }),
        }
    }
}
