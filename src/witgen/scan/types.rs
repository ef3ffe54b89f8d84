//! Rust types into WIT types: the mapping table, the crate's own structs, enums and
//! aliases (defined once, in the first interface that uses them), generic aliases.

use super::*;

impl Scanner<'_> {
    /// Maps a Rust type.
    pub(super) fn ty(&mut self, ctx: Ctx, ty: &syn::Type) -> Result<Ty, WitgenError> {
        let file = ctx.file;
        let inner = Ctx { top: false, ..ctx };
        match ty {
            syn::Type::Paren(p) => self.ty(ctx, &p.elem),
            syn::Type::Group(g) => self.ty(ctx, &g.elem),
            syn::Type::Reference(r) => {
                if ctx.position != Position::Param || !ctx.top {
                    let place = match ctx.position {
                        Position::Return => "return types",
                        _ if ctx.position == Position::Param => "nested parameter types",
                        _ => "type definitions",
                    };
                    return Err(self.err(
                        file,
                        r.span(),
                        format!(
                            "references in {place} cannot cross WIT; use an owned type (String \
                             for &str, Vec<T> for &[T], T for &T)"
                        ),
                    ));
                }
                if let Some(lt) = &r.lifetime {
                    return Err(self.err(
                        file,
                        lt.span(),
                        "lifetimes have no WIT equivalent; drop the lifetime",
                    ));
                }
                if let Some(m) = &r.mutability {
                    return Err(self.err(
                        file,
                        m.span(),
                        "`&mut` cannot cross WIT: values are copied; take `&T` or `T`",
                    ));
                }
                match &*r.elem {
                    syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("str") => {
                        Ok(Ty::String(StrShape::Ref))
                    }
                    syn::Type::Slice(s) => Ok(Ty::List(
                        Box::new(self.ty(inner, &s.elem)?),
                        ListShape::Slice,
                    )),
                    elem => match self.ty(inner, elem)? {
                        Ty::Own(resource) => Ok(Ty::Borrow(resource)),
                        other => Ok(Ty::Wrapped(Box::new(other), Wrapper::Ref)),
                    },
                }
            }
            syn::Type::Tuple(t) => {
                if t.elems.is_empty() {
                    return Err(self.err(
                        file,
                        t.span(),
                        "`()` can only be a return type or a side of a Result",
                    ));
                }
                let elems = t
                    .elems
                    .iter()
                    .map(|e| self.ty(inner, e))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Ty::Tuple(elems))
            }
            syn::Type::Array(a) => {
                let elem = self.ty(inner, &a.elem)?;
                let len = a.len.to_token_stream().to_string();
                Ok(Ty::List(Box::new(elem), ListShape::Array(len)))
            }
            syn::Type::Path(p) => self.path_ty(ctx, p),
            syn::Type::TraitObject(t) => Err(self.err(
                file,
                t.span(),
                "`dyn Trait` has no WIT equivalent; use a resource (an associated type bound \
                 by a trait)",
            )),
            syn::Type::ImplTrait(t) => Err(self.err(
                file,
                t.span(),
                "`impl Trait` has no WIT equivalent; use a concrete type",
            )),
            syn::Type::Slice(s) => Err(self.err(file, s.span(), "use Vec<T> for a list")),
            other => Err(self.err(file, other.span(), "this type has no WIT equivalent")),
        }
    }

    pub(super) fn path_ty(&mut self, ctx: Ctx, p: &syn::TypePath) -> Result<Ty, WitgenError> {
        let file = ctx.file;
        if let Some(q) = &p.qself {
            return Err(self.err(file, q.lt_token.span(), "qualified paths are not supported"));
        }
        let segments = &p.path.segments;
        if segments.first().is_some_and(|s| s.ident == "Self") {
            return self.self_path(ctx, p);
        }
        let last = segments.last().expect("paths have a segment");
        let name = last.ident.unraw().to_string();
        let type_args = self.type_arguments(file, last)?;
        // `type Result<T> = std::result::Result<T, Error>;` and the like: a generic alias of
        // this crate, named by one segment, stands for its target with the arguments put in.
        if segments.len() == 1 && !type_args.is_empty() {
            if let Some(expanded) = self.expand_generic_alias(&name, &type_args) {
                return self.ty(ctx, &expanded);
            }
        }
        if let Some(prim) = prim_named(&name) {
            return Ok(Ty::Prim(prim));
        }
        if STD_TYPES.contains(&name.as_str()) {
            return self.std_type(ctx, &name, last, &type_args);
        }
        if !last.arguments.is_empty() {
            return Err(self.err(
                file,
                last.arguments.span(),
                "generic types have no WIT equivalent; use a concrete type",
            ));
        }
        self.named(ctx, &name, p.span())
    }

    /// `Self` (a resource's own type) and `Self::Name` (the trait's associated resources),
    /// outside type definitions.
    fn self_path(&self, ctx: Ctx, p: &syn::TypePath) -> Result<Ty, WitgenError> {
        let segments = &p.path.segments;
        if segments.len() == 1 {
            if let (Some(resource), true) = (ctx.self_resource, ctx.position != Position::Field) {
                return Ok(Ty::Own(resource));
            }
        } else if segments.len() == 2 && ctx.position != Position::Field {
            let name = segments[1].ident.unraw().to_string();
            if let Some((_, resource)) = ctx.assoc.iter().find(|(n, _)| *n == name) {
                return Ok(Ty::Own(*resource));
            }
        }
        Err(self.err(
            ctx.file,
            p.span(),
            "only the trait's associated resource types (`Self::Name`) can be used here",
        ))
    }

    /// The type arguments of a path's last segment (`Vec<T>` → `[T]`); lifetimes and
    /// function-type arguments are refused.
    fn type_arguments<'p>(
        &self,
        file: usize,
        last: &'p syn::PathSegment,
    ) -> Result<Vec<&'p syn::Type>, WitgenError> {
        let args: Vec<&syn::GenericArgument> = match &last.arguments {
            syn::PathArguments::None => Vec::new(),
            syn::PathArguments::AngleBracketed(a) => a.args.iter().collect(),
            syn::PathArguments::Parenthesized(a) => {
                return Err(self.err(file, a.span(), "function types cannot cross WIT"))
            }
        };
        let mut types = Vec::new();
        for arg in args {
            match arg {
                syn::GenericArgument::Type(t) => types.push(t),
                syn::GenericArgument::Lifetime(lt) => {
                    return Err(self.err(
                        file,
                        lt.span(),
                        "lifetimes have no WIT equivalent; use owned types",
                    ))
                }
                other => return Err(self.err(file, other.span(), "unsupported generic argument")),
            }
        }
        Ok(types)
    }

    /// One of [`STD_TYPES`]: strings, collections, `Option`, `Result` and smart pointers
    /// map to WIT; the integers WIT lacks are refused with what to use instead.
    fn std_type(
        &mut self,
        ctx: Ctx,
        name: &str,
        last: &syn::PathSegment,
        type_args: &[&syn::Type],
    ) -> Result<Ty, WitgenError> {
        let file = ctx.file;
        let inner = Ctx { top: false, ..ctx };
        let arity = |n: usize, this: &Self| -> Result<(), WitgenError> {
            if type_args.len() == n {
                Ok(())
            } else {
                Err(this.err(
                    file,
                    last.span(),
                    format!("`{name}` takes {n} type argument(s) here"),
                ))
            }
        };
        match name {
            "usize" | "isize" => Err(self.err(
                file,
                last.span(),
                format!(
                    "`{name}` has no WIT equivalent (its size depends on the target); use {}",
                    if name == "usize" { "u32 or u64" } else { "i32 or i64" }
                ),
            )),
            "u128" | "i128" => Err(self.err(
                file,
                last.span(),
                format!("`{name}` has no WIT equivalent (WIT integers stop at 64 bits); use two 64-bit fields or a string"),
            )),
            "String" => {
                arity(0, self)?;
                Ok(Ty::String(StrShape::String))
            }
            "str" => Err(self.err(file, last.span(), "use String (or &str in a parameter)")),
            "Vec" | "VecDeque" | "HashSet" | "BTreeSet" => {
                arity(1, self)?;
                let shape = match name {
                    "Vec" => ListShape::Vec,
                    "VecDeque" => ListShape::VecDeque,
                    "HashSet" => ListShape::HashSet,
                    _ => ListShape::BTreeSet,
                };
                Ok(Ty::List(Box::new(self.ty(inner, type_args[0])?), shape))
            }
            "HashMap" | "BTreeMap" => {
                arity(2, self)?;
                let shape = if name == "HashMap" {
                    MapShape::HashMap
                } else {
                    MapShape::BTreeMap
                };
                Ok(Ty::Map(
                    Box::new(self.ty(inner, type_args[0])?),
                    Box::new(self.ty(inner, type_args[1])?),
                    shape,
                ))
            }
            "Option" => {
                arity(1, self)?;
                Ok(Ty::Option(Box::new(self.ty(inner, type_args[0])?)))
            }
            "Result" => {
                arity(2, self)?;
                let ok = self.result_side(inner, type_args[0])?;
                let err = self.result_side(inner, type_args[1])?;
                Ok(Ty::Result(ok, err))
            }
            "Box" | "Rc" | "Arc" => {
                arity(1, self)?;
                let wrapper = match name {
                    "Box" => Wrapper::Box,
                    "Rc" => Wrapper::Rc,
                    _ => Wrapper::Arc,
                };
                self.wrapped(inner, last, wrapper, type_args[0])
            }
            // Only the names of STD_TYPES come here; any other is refused, not a panic.
            _ => Err(self.err(file, last.span(), format!("`{name}` is not supported here"))),
        }
    }

    /// One side of a `Result`: `()` is left out in WIT.
    fn result_side(&mut self, ctx: Ctx, t: &syn::Type) -> Result<Option<Box<Ty>>, WitgenError> {
        match t {
            syn::Type::Tuple(t) if t.elems.is_empty() => Ok(None),
            t => Ok(Some(Box::new(self.ty(ctx, t)?))),
        }
    }

    /// `Box<str>` and `Box<[T]>` are a string and a list; other boxed, reference-counted
    /// types are their contents (resources excepted).
    fn wrapped(
        &mut self,
        ctx: Ctx,
        last: &syn::PathSegment,
        wrapper: Wrapper,
        arg: &syn::Type,
    ) -> Result<Ty, WitgenError> {
        match (wrapper, arg) {
            (Wrapper::Box, syn::Type::Path(s)) if s.path.is_ident("str") => {
                Ok(Ty::String(StrShape::Boxed))
            }
            (Wrapper::Box, syn::Type::Slice(s)) => {
                Ok(Ty::List(Box::new(self.ty(ctx, &s.elem)?), ListShape::Boxed))
            }
            (_, t) => {
                let t = self.ty(ctx, t)?;
                if matches!(t, Ty::Own(_) | Ty::Borrow(_)) {
                    return Err(self.err(ctx.file, last.span(), "resources cannot be boxed"));
                }
                Ok(Ty::Wrapped(Box::new(t), wrapper))
            }
        }
    }

    /// The target of the crate's generic type alias `name` with `args` substituted for its
    /// parameters, if there is exactly one such alias with that many parameters.
    pub(super) fn expand_generic_alias(
        &self,
        name: &str,
        args: &[&syn::Type],
    ) -> Option<syn::Type> {
        let [found] = self.type_items.get(name)?.as_slice() else {
            return None;
        };
        let syn::Item::Type(alias) = &self.found[*found].item else {
            return None;
        };
        let params: Vec<String> = alias
            .generics
            .type_params()
            .map(|p| p.ident.to_string())
            .collect();
        if params.is_empty() || params.len() != args.len() {
            return None;
        }
        let mut target = (*alias.ty).clone();
        substitute(&mut target, &params, args);
        Some(target)
    }

    /// A type of this crate, defined on first use.
    pub(super) fn named(&mut self, ctx: Ctx, name: &str, span: Span) -> Result<Ty, WitgenError> {
        let file = ctx.file;
        if let Some(index) = self.defined.get(name) {
            return Ok(Ty::Named(*index));
        }
        if self.in_progress.contains(name) {
            return Err(self.err(
                file,
                span,
                format!("`{name}` contains itself: WIT types cannot be recursive"),
            ));
        }
        if self.traits.contains_key(name) {
            return Err(self.err(
                file,
                span,
                format!(
                    "trait `{name}` used as a type: name resources through an associated type \
                     (`type {name}: {name};` and `Self::{name}`)"
                ),
            ));
        }
        let Some(candidates) = self.type_items.get(name) else {
            return Err(self.err(
                file,
                span,
                format!(
                    "`{name}` is not a type of this crate: interface types must be defined in \
                     the interface crate"
                ),
            ));
        };
        if candidates.len() > 1 {
            return Err(self.err(
                file,
                span,
                format!("`{name}` is defined more than once in this crate; rename one"),
            ));
        }
        let found = candidates[0];
        self.in_progress.insert(name.to_string());
        let def = self.define(ctx.interface, found, name)?;
        self.in_progress.remove(name);
        let index = self.pkg.types.len();
        self.pkg.types.push(def.0);
        self.defined.insert(name.to_string(), index);
        // Records made up for struct-like variant cases follow their variant.
        let base = self.pkg.types.len();
        if let TypeKind::Variant(cases) = &mut self.pkg.types[index].kind {
            for case in cases.iter_mut() {
                if let Payload::Record(slot) = &mut case.payload {
                    *slot += base;
                }
            }
        }
        self.pkg.types.extend(def.1);
        Ok(Ty::Named(index))
    }

    /// Maps the definition of type `name` (item `found`); also returns the records made up
    /// for struct-like variant cases, referred to by position.
    pub(super) fn define(
        &mut self,
        iface: usize,
        found: usize,
        name: &str,
    ) -> Result<(TypeDef, Vec<TypeDef>), WitgenError> {
        let file = self.found[found].file;
        let ctx = Ctx {
            file,
            interface: iface,
            position: Position::Field,
            assoc: &[],
            self_resource: None,
            top: false,
        };
        let item = self.found[found].item.clone();
        let rust_path = self.rust_path(found, name);
        let mut extra = Vec::new();
        let (ident, attrs, kind) = match &item {
            syn::Item::Struct(s) => {
                self.check_attrs(file, &s.attrs)?;
                self.no_generics(file, &s.generics)?;
                let kind = match &s.fields {
                    syn::Fields::Named(fields) if !fields.named.is_empty() => {
                        TypeKind::Record(self.fields(ctx, &fields.named)?)
                    }
                    syn::Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                        let field = &fields.unnamed[0];
                        self.check_attrs(file, &field.attrs)?;
                        TypeKind::Newtype(self.ty(ctx, &field.ty)?)
                    }
                    syn::Fields::Unnamed(fields) if fields.unnamed.len() > 1 => {
                        return Err(self.err(
                            file,
                            s.ident.span(),
                            format!(
                                "tuple struct `{name}` has several fields: name them (a WIT \
                                 record) or use a tuple"
                            ),
                        ))
                    }
                    _ => {
                        return Err(self.err(
                            file,
                            s.ident.span(),
                            format!("`{name}` is empty: a WIT record needs at least one field"),
                        ))
                    }
                };
                (s.ident.clone(), s.attrs.clone(), kind)
            }
            syn::Item::Enum(e) => {
                self.check_attrs(file, &e.attrs)?;
                self.no_generics(file, &e.generics)?;
                if e.variants.is_empty() {
                    return Err(self.err(
                        file,
                        e.ident.span(),
                        format!("`{name}` has no variants: a WIT enum needs at least one case"),
                    ));
                }
                let enum_wit = self.wit_name(file, &e.ident)?;
                let all_unit = e
                    .variants
                    .iter()
                    .all(|v| matches!(v.fields, syn::Fields::Unit));
                let mut cases = Vec::new();
                let mut variant_cases = Vec::new();
                for v in &e.variants {
                    self.check_attrs(file, &v.attrs)?;
                    let case_wit = self.wit_name(file, &v.ident)?;
                    let rust_name = v.ident.unraw().to_string();
                    if all_unit {
                        cases.push(Case {
                            rust_name,
                            wit_name: case_wit,
                            docs: docs(&v.attrs),
                        });
                        continue;
                    }
                    let payload = match &v.fields {
                        syn::Fields::Unit => Payload::None,
                        syn::Fields::Unnamed(f) if f.unnamed.len() == 1 => {
                            self.check_attrs(file, &f.unnamed[0].attrs)?;
                            Payload::One(self.ty(ctx, &f.unnamed[0].ty)?)
                        }
                        syn::Fields::Unnamed(f) => {
                            let mut tys = Vec::new();
                            for field in &f.unnamed {
                                self.check_attrs(file, &field.attrs)?;
                                tys.push(self.ty(ctx, &field.ty)?);
                            }
                            Payload::Tuple(tys)
                        }
                        syn::Fields::Named(f) => {
                            let record_name = format!("{enum_wit}-{case_wit}");
                            extra.push(TypeDef {
                                rust_name: String::new(),
                                wit_name: record_name,
                                rust_path: String::new(),
                                docs: Vec::new(),
                                interface: iface,
                                kind: TypeKind::Record(self.fields(ctx, &f.named)?),
                            });
                            Payload::Record(extra.len() - 1)
                        }
                    };
                    variant_cases.push(VariantCase {
                        rust_name,
                        wit_name: case_wit,
                        docs: docs(&v.attrs),
                        payload,
                    });
                }
                let kind = if all_unit {
                    TypeKind::Enum(cases)
                } else {
                    TypeKind::Variant(variant_cases)
                };
                (e.ident.clone(), e.attrs.clone(), kind)
            }
            syn::Item::Type(t) => {
                self.check_attrs(file, &t.attrs)?;
                self.no_generics(file, &t.generics)?;
                let kind = TypeKind::Alias(self.ty(ctx, &t.ty)?);
                (t.ident.clone(), t.attrs.clone(), kind)
            }
            syn::Item::Macro(_) => {
                let (_, decl) = self.flags[name].clone();
                self.check_attrs(file, &decl.attrs)?;
                if decl.flags.is_empty() {
                    return Err(self.err(
                        file,
                        decl.ident.span(),
                        format!("`{name}` has no flags: WIT flags need at least one"),
                    ));
                }
                let mut cases = Vec::new();
                for (attrs, flag) in &decl.flags {
                    self.check_attrs(file, attrs)?;
                    cases.push(Case {
                        rust_name: flag.unraw().to_string(),
                        wit_name: self.wit_name(file, flag)?,
                        docs: docs(attrs),
                    });
                }
                (
                    decl.ident.clone(),
                    decl.attrs.clone(),
                    TypeKind::Flags(cases),
                )
            }
            _ => unreachable!("only type items are indexed"),
        };
        let def = TypeDef {
            rust_name: name.to_string(),
            wit_name: self.wit_name(file, &ident)?,
            rust_path,
            docs: docs(&attrs),
            interface: iface,
            kind,
        };
        Ok((def, extra))
    }

    pub(super) fn fields(
        &mut self,
        ctx: Ctx,
        fields: &syn::punctuated::Punctuated<syn::Field, syn::Token![,]>,
    ) -> Result<Vec<Field>, WitgenError> {
        let mut out = Vec::new();
        let mut seen: HashMap<String, String> = HashMap::new();
        for field in fields {
            self.check_attrs(ctx.file, &field.attrs)?;
            let ident = field.ident.as_ref().expect("named fields have names");
            let wit_name = self.wit_name(ctx.file, ident)?;
            let rust_name = ident.unraw().to_string();
            if let Some(other) = seen.insert(wit_name.clone(), rust_name.clone()) {
                return Err(self.err(
                    ctx.file,
                    ident.span(),
                    collision(&other, &rust_name, &wit_name),
                ));
            }
            out.push(Field {
                wit_name,
                docs: docs(&field.attrs),
                ty: self.ty(ctx, &field.ty)?,
                rust_name,
            });
        }
        Ok(out)
    }
}

/// The standard library's names [`Scanner::std_type`] knows.
const STD_TYPES: &[&str] = &[
    "usize", "isize", "u128", "i128", "String", "str", "Vec", "VecDeque", "HashSet", "BTreeSet",
    "HashMap", "BTreeMap", "Option", "Result", "Box", "Rc", "Arc",
];

/// The primitive a Rust scalar name maps to.
fn prim_named(name: &str) -> Option<Prim> {
    Some(match name {
        "bool" => Prim::Bool,
        "u8" => Prim::U8,
        "u16" => Prim::U16,
        "u32" => Prim::U32,
        "u64" => Prim::U64,
        "i8" => Prim::S8,
        "i16" => Prim::S16,
        "i32" => Prim::S32,
        "i64" => Prim::S64,
        "f32" => Prim::F32,
        "f64" => Prim::F64,
        "char" => Prim::Char,
        _ => return None,
    })
}
