//! Reads an interface crate with `syn` and maps its public traits, and the types they use,
//! to the model. Purely syntactic: no compilation, so it runs before (and without) cargo.
//! Types are found by name among the crate's own items; anything the mapping cannot carry
//! to WIT is an error pointing at the Rust source.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use proc_macro2::Span;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use super::model::*;
use super::names::{invalid_wit_name, kebab};
use super::WitgenError;

/// What `scan` needs to know about the crate besides its sources.
pub struct CrateInfo<'a> {
    /// The crate's root source file (`src/lib.rs`).
    pub lib_path: &'a Path,
    /// Shown in errors in place of the absolute file names (usually the crate directory).
    pub display_root: &'a Path,
    pub package_name: &'a str,
    pub version: Option<&'a str>,
    pub namespace: &'a str,
}

/// Scans the crate at `info.lib_path` into a package.
pub fn scan(info: &CrateInfo) -> Result<Package, WitgenError> {
    let mut scanner = Scanner::new(info);
    scanner.load_module(info.lib_path, Vec::new(), true)?;
    scanner.run()
}

/// One item of the crate, with where it was found.
struct Found {
    file: usize,
    /// Module path from the crate root.
    module: Vec<String>,
    /// All modules on the way are `pub`, so the item can be named by its full path.
    public_path: bool,
    item: syn::Item,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Position {
    Param,
    Return,
    /// A field, payload or alias target: inside a type definition.
    Field,
}

/// Where a type is being read.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    file: usize,
    interface: usize,
    position: Position,
    /// The trait's associated resource types: `Self::Name` → resource index.
    assoc: &'a [(String, usize)],
    /// In a resource's own trait, `Self` is that resource.
    self_resource: Option<usize>,
    /// Directly in a parameter (not inside a container): `&T` is allowed here only.
    top: bool,
}

struct Scanner<'a> {
    info: &'a CrateInfo<'a>,
    files: Vec<String>,
    found: Vec<Found>,
    /// Public traits by name → index in `found`.
    traits: HashMap<String, usize>,
    /// Type items by name → indexes in `found`.
    type_items: HashMap<String, Vec<usize>>,
    /// Flags declared with `bitflags!`: name → (found index, parsed declaration).
    flags: HashMap<String, (usize, FlagsDecl)>,
    pkg: Package,
    /// `found` index (or flags name) → index in `pkg.types`.
    defined: HashMap<String, usize>,
    in_progress: HashSet<String>,
    resource_of_trait: HashMap<String, usize>,
}

fn err_at(file: &str, span: Span, message: impl Into<String>) -> WitgenError {
    let start = span.start();
    WitgenError::At {
        file: file.to_string(),
        line: start.line,
        column: start.column + 1,
        message: message.into(),
    }
}

/// The doc comment lines of an item.
fn docs(attrs: &[syn::Attribute]) -> Vec<String> {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(nv) = &attr.meta {
            if let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
            {
                for line in s.value().split('\n') {
                    lines.push(
                        line.strip_prefix(' ')
                            .unwrap_or(line)
                            .trim_end()
                            .to_string(),
                    );
                }
            }
        }
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

/// A `bitflags!` struct.
#[derive(Clone)]
struct FlagsDecl {
    attrs: Vec<syn::Attribute>,
    ident: syn::Ident,
    flags: Vec<(Vec<syn::Attribute>, syn::Ident)>,
}

fn parse_bitflags(tokens: proc_macro2::TokenStream) -> syn::Result<Vec<FlagsDecl>> {
    use syn::parse::Parser;
    let parser = |input: syn::parse::ParseStream| {
        let mut decls = Vec::new();
        while !input.is_empty() {
            let attrs = input.call(syn::Attribute::parse_outer)?;
            let _vis: syn::Visibility = input.parse()?;
            input.parse::<syn::Token![struct]>()?;
            let ident: syn::Ident = input.parse()?;
            input.parse::<syn::Token![:]>()?;
            let _bits: syn::Type = input.parse()?;
            let body;
            syn::braced!(body in input);
            let mut flags = Vec::new();
            while !body.is_empty() {
                let attrs = body.call(syn::Attribute::parse_outer)?;
                body.parse::<syn::Token![const]>()?;
                let name: syn::Ident = body.call(syn::Ident::parse_any)?;
                body.parse::<syn::Token![=]>()?;
                let _value: syn::Expr = body.parse()?;
                body.parse::<syn::Token![;]>()?;
                flags.push((attrs, name));
            }
            decls.push(FlagsDecl {
                attrs,
                ident,
                flags,
            });
        }
        Ok(decls)
    };
    parser.parse2(tokens)
}

impl<'a> Scanner<'a> {
    fn new(info: &'a CrateInfo<'a>) -> Scanner<'a> {
        Scanner {
            info,
            files: Vec::new(),
            found: Vec::new(),
            traits: HashMap::new(),
            type_items: HashMap::new(),
            flags: HashMap::new(),
            pkg: Package {
                namespace: info.namespace.to_string(),
                name: kebab(info.package_name),
                version: info.version.map(str::to_string),
                crate_ident: info.package_name.replace('-', "_"),
                interfaces: Vec::new(),
                types: Vec::new(),
                resources: Vec::new(),
            },
            defined: HashMap::new(),
            in_progress: HashSet::new(),
            resource_of_trait: HashMap::new(),
        }
    }

    fn display(&self, path: &Path) -> String {
        path.strip_prefix(self.info.display_root)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// Parses a module file and everything it declares, recursively.
    fn load_module(
        &mut self,
        path: &Path,
        module: Vec<String>,
        public_path: bool,
    ) -> Result<(), WitgenError> {
        let text = std::fs::read_to_string(path).map_err(|source| WitgenError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let file_index = self.files.len();
        self.files.push(self.display(path));
        let file = syn::parse_file(&text)
            .map_err(|e| err_at(&self.files[file_index], e.span(), e.to_string()))?;
        // Where `mod x;` looks for `x.rs`: beside lib.rs/mod.rs, else in a folder named
        // after this file.
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let child_dir = if module.is_empty() || stem == "mod" {
            dir
        } else {
            dir.join(stem)
        };
        self.add_items(file.items, file_index, &module, public_path, &child_dir)
    }

    fn add_items(
        &mut self,
        items: Vec<syn::Item>,
        file: usize,
        module: &[String],
        public_path: bool,
        dir: &Path,
    ) -> Result<(), WitgenError> {
        for item in items {
            if let syn::Item::Mod(m) = &item {
                let name = m.ident.unraw().to_string();
                let mut child = module.to_vec();
                child.push(name.clone());
                let child_public = public_path && is_pub(&m.vis);
                match &m.content {
                    Some((_, items)) => {
                        self.add_items(
                            items.clone(),
                            file,
                            &child,
                            child_public,
                            &dir.join(&name),
                        )?;
                    }
                    None => {
                        if let Some(path) = module_file(m, dir) {
                            self.load_module(&path, child, child_public)?;
                        }
                    }
                }
                continue;
            }
            let index = self.found.len();
            match &item {
                syn::Item::Trait(t) if is_pub(&t.vis) => {
                    self.traits.insert(t.ident.unraw().to_string(), index);
                }
                syn::Item::Struct(s) => self.add_type(s.ident.unraw().to_string(), index),
                syn::Item::Enum(e) => self.add_type(e.ident.unraw().to_string(), index),
                syn::Item::Type(t) => self.add_type(t.ident.unraw().to_string(), index),
                syn::Item::Macro(m)
                    if m.mac
                        .path
                        .segments
                        .last()
                        .is_some_and(|s| s.ident == "bitflags") =>
                {
                    let decls = parse_bitflags(m.mac.tokens.clone())
                        .map_err(|e| err_at(&self.files[file], e.span(), e.to_string()))?;
                    for decl in decls {
                        let name = decl.ident.unraw().to_string();
                        self.add_type(name.clone(), index);
                        self.flags.insert(name, (index, decl));
                    }
                }
                _ => {}
            }
            self.found.push(Found {
                file,
                module: module.to_vec(),
                public_path,
                item,
            });
        }
        Ok(())
    }

    fn add_type(&mut self, name: String, index: usize) {
        self.type_items.entry(name).or_default().push(index);
    }

    fn err(&self, file: usize, span: Span, message: impl Into<String>) -> WitgenError {
        err_at(&self.files[file], span, message)
    }

    /// The path of an item from outside the crate.
    fn rust_path(&self, found: usize, name: &str) -> String {
        let f = &self.found[found];
        let mut path = vec![self.pkg.crate_ident.clone()];
        if f.public_path {
            path.extend(f.module.iter().cloned());
        }
        path.push(name.to_string());
        path.join("::")
    }

    fn check_attrs(&self, file: usize, attrs: &[syn::Attribute]) -> Result<(), WitgenError> {
        for attr in attrs {
            if attr.path().is_ident("cfg") || attr.path().is_ident("cfg_attr") {
                return Err(self.err(
                    file,
                    attr.span(),
                    "`cfg` on an interface item: WIT cannot be conditional; move the item \
                     out of the interface or drop the attribute",
                ));
            }
        }
        Ok(())
    }

    /// The WIT name of a Rust identifier, or an error if it has none.
    fn wit_name(&self, file: usize, ident: &syn::Ident) -> Result<String, WitgenError> {
        let rust = ident.unraw().to_string();
        if !rust.is_ascii() {
            return Err(self.err(
                file,
                ident.span(),
                format!("`{rust}` is not ASCII: WIT names are ASCII only; rename it"),
            ));
        }
        let name = kebab(&rust);
        if let Some(why) = invalid_wit_name(&name) {
            return Err(self.err(
                file,
                ident.span(),
                format!("`{rust}` has no WIT name (`{name}`): {why}; rename it"),
            ));
        }
        Ok(name)
    }

    fn run(mut self) -> Result<Package, WitgenError> {
        // Traits that bound an associated type are resources; the others are interfaces.
        let mut resource_traits: HashMap<String, (usize, String)> = HashMap::new();
        let mut trait_order: Vec<(usize, String)> =
            self.traits.iter().map(|(n, i)| (*i, n.clone())).collect();
        trait_order.sort();
        for (index, name) in &trait_order {
            let syn::Item::Trait(t) = &self.found[*index].item else {
                continue;
            };
            for item in &t.items {
                if let syn::TraitItem::Type(ty) = item {
                    if let Some(bound) = trait_bound_name(ty) {
                        if self.traits.contains_key(&bound) {
                            if let Some((_, other)) = resource_traits.get(&bound) {
                                if other != name {
                                    let file = self.found[*index].file;
                                    return Err(self.err(
                                        file,
                                        ty.span(),
                                        format!(
                                            "resource trait `{bound}` is used by both `{other}` \
                                             and `{name}`; a WIT resource belongs to one interface"
                                        ),
                                    ));
                                }
                            }
                            resource_traits.insert(bound, (*index, name.clone()));
                        }
                    }
                }
            }
        }
        let interfaces: Vec<usize> = trait_order
            .iter()
            .filter(|(_, n)| !resource_traits.contains_key(n))
            .map(|(i, _)| *i)
            .collect();
        if interfaces.is_empty() {
            return Err(WitgenError::Other(format!(
                "{}: no `pub trait` found; an interface crate declares its interfaces as public \
                 traits",
                self.files[0]
            )));
        }
        for found in interfaces {
            self.interface(found)?;
        }
        self.check_collisions()?;
        Ok(self.pkg)
    }

    fn interface(&mut self, found: usize) -> Result<(), WitgenError> {
        let syn::Item::Trait(t) = self.found[found].item.clone() else {
            unreachable!("interfaces are traits")
        };
        let file = self.found[found].file;
        self.check_attrs(file, &t.attrs)?;
        self.no_generics(file, &t.generics)?;
        let wit_name = self.wit_name(file, &t.ident)?;
        let iface = self.pkg.interfaces.len();
        let rust_name = t.ident.unraw().to_string();
        self.pkg.interfaces.push(Interface {
            rust_path: self.rust_path(found, &rust_name),
            rust_name,
            wit_name,
            docs: docs(&t.attrs),
            funcs: Vec::new(),
            resources: Vec::new(),
        });
        // Associated resource types first: signatures refer to them.
        let mut assoc = Vec::new();
        for item in &t.items {
            if let syn::TraitItem::Type(ty) = item {
                self.check_attrs(file, &ty.attrs)?;
                let Some(bound) =
                    trait_bound_name(ty).filter(|b| self.traits.contains_key(b.as_str()))
                else {
                    return Err(self.err(
                        file,
                        ty.span(),
                        format!(
                            "associated type `{}` needs a bound that is a trait of this crate \
                             (the WIT resource it stands for)",
                            ty.ident
                        ),
                    ));
                };
                if !ty.generics.params.is_empty() {
                    return Err(self.err(
                        file,
                        ty.generics.span(),
                        "generic associated types have no WIT equivalent",
                    ));
                }
                let resource = self.resource(&bound, iface)?;
                assoc.push((ty.ident.unraw().to_string(), resource));
            }
        }
        self.pkg.interfaces[iface].resources = assoc.clone();
        for (_, resource) in &assoc {
            self.resource_body(*resource)?;
        }
        for item in &t.items {
            match item {
                syn::TraitItem::Fn(f) => {
                    let ctx = Ctx {
                        file,
                        interface: iface,
                        position: Position::Param,
                        assoc: &assoc,
                        self_resource: None,
                        top: true,
                    };
                    let func = self.func(ctx, f, false)?;
                    self.pkg.interfaces[iface].funcs.push(func);
                }
                syn::TraitItem::Type(_) => {}
                syn::TraitItem::Const(c) => {
                    return Err(self.err(
                        file,
                        c.span(),
                        "associated constants have no WIT equivalent; make it a function",
                    ))
                }
                other => {
                    return Err(self.err(
                        file,
                        other.span(),
                        "only methods and associated resource types can be in an interface trait",
                    ))
                }
            }
        }
        Ok(())
    }

    /// Registers the resource for trait `name` in interface `iface`.
    fn resource(&mut self, name: &str, iface: usize) -> Result<usize, WitgenError> {
        if let Some(index) = self.resource_of_trait.get(name) {
            return Ok(*index);
        }
        let found = self.traits[name];
        let syn::Item::Trait(t) = &self.found[found].item else {
            unreachable!("resources are traits")
        };
        let t = t.clone();
        let file = self.found[found].file;
        self.check_attrs(file, &t.attrs)?;
        self.no_generics(file, &t.generics)?;
        let index = self.pkg.resources.len();
        self.pkg.resources.push(Resource {
            rust_name: name.to_string(),
            wit_name: self.wit_name(file, &t.ident)?,
            rust_path: self.rust_path(found, name),
            docs: docs(&t.attrs),
            interface: iface,
            constructor: None,
            funcs: Vec::new(),
        });
        self.resource_of_trait.insert(name.to_string(), index);
        Ok(index)
    }

    /// The functions of a resource trait; they can name only the resource itself (`Self`).
    fn resource_body(&mut self, resource: usize) -> Result<(), WitgenError> {
        let name = self.pkg.resources[resource].rust_name.clone();
        let found = self.traits[&name];
        let syn::Item::Trait(t) = self.found[found].item.clone() else {
            unreachable!("resources are traits")
        };
        let file = self.found[found].file;
        let iface = self.pkg.resources[resource].interface;
        for item in &t.items {
            let syn::TraitItem::Fn(f) = item else {
                return Err(self.err(
                    file,
                    item.span(),
                    "a resource trait holds only methods, static functions and `fn new(..) -> Self`",
                ));
            };
            let ctx = Ctx {
                file,
                interface: iface,
                position: Position::Param,
                assoc: &[],
                self_resource: Some(resource),
                top: true,
            };
            let is_constructor = f.sig.ident == "new"
                && f.sig.receiver().is_none()
                && matches!(&f.sig.output, syn::ReturnType::Type(_, ty) if is_self(ty));
            let func = self.func(ctx, f, is_constructor)?;
            if is_constructor {
                self.pkg.resources[resource].constructor = Some(func);
            } else {
                self.pkg.resources[resource].funcs.push(func);
            }
        }
        Ok(())
    }

    fn no_generics(&self, file: usize, generics: &syn::Generics) -> Result<(), WitgenError> {
        if let Some(param) = generics.params.first() {
            let what = match param {
                syn::GenericParam::Lifetime(_) => "lifetime parameters have",
                _ => "generic parameters have",
            };
            return Err(self.err(
                file,
                param.span(),
                format!("{what} no WIT equivalent; use concrete, owned types"),
            ));
        }
        if let Some(clause) = &generics.where_clause {
            for predicate in &clause.predicates {
                let sized_self = matches!(predicate, syn::WherePredicate::Type(p)
                    if is_self(&p.bounded_ty)
                        && p.bounds.iter().all(|b| matches!(b, syn::TypeParamBound::Trait(t) if t.path.is_ident("Sized"))));
                if !sized_self {
                    return Err(self.err(
                        file,
                        predicate.span(),
                        "where clauses have no WIT equivalent (only `Self: Sized` is allowed)",
                    ));
                }
            }
        }
        Ok(())
    }

    fn func(
        &mut self,
        ctx: Ctx,
        f: &syn::TraitItemFn,
        constructor: bool,
    ) -> Result<Func, WitgenError> {
        let file = ctx.file;
        self.check_attrs(file, &f.attrs)?;
        let sig = &f.sig;
        if let Some(token) = &sig.asyncness {
            return Err(self.err(
                file,
                token.span(),
                "`async fn` is not supported yet: WIT async needs WASIp3; make it synchronous",
            ));
        }
        if let Some(token) = &sig.unsafety {
            return Err(self.err(file, token.span(), "`unsafe fn` cannot cross WIT"));
        }
        if let Some(variadic) = &sig.variadic {
            return Err(self.err(file, variadic.span(), "variadic functions cannot cross WIT"));
        }
        self.no_generics(file, &sig.generics)?;
        let mut method = false;
        if let Some(receiver) = sig.receiver() {
            let ok = receiver
                .reference
                .as_ref()
                .is_some_and(|(_, lt)| lt.is_none())
                && receiver.mutability.is_none()
                && receiver.colon_token.is_none();
            if !ok {
                return Err(self.err(
                    file,
                    receiver.span(),
                    "take `&self`: WIT functions cannot take ownership of or mutate the \
                     implementer; keep mutable state in a Cell or RefCell",
                ));
            }
            method = true;
        }
        let mut params = Vec::new();
        for (i, input) in sig.inputs.iter().enumerate() {
            let syn::FnArg::Typed(arg) = input else {
                continue;
            };
            self.check_attrs(file, &arg.attrs)?;
            let wit_name = match &*arg.pat {
                syn::Pat::Ident(p) if p.subpat.is_none() => self.wit_name(file, &p.ident)?,
                syn::Pat::Wild(_) => format!("arg{i}"),
                other => {
                    return Err(self.err(
                        file,
                        other.span(),
                        "use a plain name for parameters of interface functions",
                    ))
                }
            };
            let ty = self.ty(ctx, &arg.ty)?;
            params.push(Param { wit_name, ty });
        }
        let result = match &sig.output {
            syn::ReturnType::Default => None,
            syn::ReturnType::Type(_, ty) if constructor => {
                let _ = ty;
                None
            }
            syn::ReturnType::Type(_, ty) => {
                let ctx = Ctx {
                    position: Position::Return,
                    top: false,
                    ..ctx
                };
                match &**ty {
                    syn::Type::Tuple(t) if t.elems.is_empty() => None,
                    _ => Some(self.ty(ctx, ty)?),
                }
            }
        };
        Ok(Func {
            rust_name: sig.ident.unraw().to_string(),
            wit_name: self.wit_name(file, &sig.ident)?,
            docs: docs(&f.attrs),
            method,
            params,
            result,
        })
    }

    /// Maps a Rust type.
    fn ty(&mut self, ctx: Ctx, ty: &syn::Type) -> Result<Ty, WitgenError> {
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

    fn path_ty(&mut self, ctx: Ctx, p: &syn::TypePath) -> Result<Ty, WitgenError> {
        let file = ctx.file;
        if let Some(q) = &p.qself {
            return Err(self.err(file, q.lt_token.span(), "qualified paths are not supported"));
        }
        let segments = &p.path.segments;
        // `Self::Resource` and `Self`.
        if segments.first().is_some_and(|s| s.ident == "Self") {
            if segments.len() == 1 {
                if let (Some(resource), true) = (ctx.self_resource, ctx.position != Position::Field)
                {
                    return Ok(Ty::Own(resource));
                }
            } else if segments.len() == 2 && ctx.position != Position::Field {
                let name = segments[1].ident.unraw().to_string();
                if let Some((_, resource)) = ctx.assoc.iter().find(|(n, _)| *n == name) {
                    return Ok(Ty::Own(*resource));
                }
            }
            return Err(self.err(
                file,
                p.span(),
                "only the trait's associated resource types (`Self::Name`) can be used here",
            ));
        }
        let last = segments.last().expect("paths have a segment");
        let name = last.ident.unraw().to_string();
        let args: Vec<&syn::GenericArgument> = match &last.arguments {
            syn::PathArguments::None => Vec::new(),
            syn::PathArguments::AngleBracketed(a) => a.args.iter().collect(),
            syn::PathArguments::Parenthesized(a) => {
                return Err(self.err(file, a.span(), "function types cannot cross WIT"))
            }
        };
        let inner = Ctx { top: false, ..ctx };
        let mut type_args = Vec::new();
        for arg in &args {
            match arg {
                syn::GenericArgument::Type(t) => type_args.push(t),
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
        // `type Result<T> = std::result::Result<T, Error>;` and the like: a generic alias of
        // this crate, named by one segment, stands for its target with the arguments put in.
        if segments.len() == 1 && !type_args.is_empty() {
            if let Some(expanded) = self.expand_generic_alias(&name, &type_args) {
                return self.ty(ctx, &expanded);
            }
        }
        let prim = |p: Prim| Ok(Ty::Prim(p));
        match name.as_str() {
            "bool" => prim(Prim::Bool),
            "u8" => prim(Prim::U8),
            "u16" => prim(Prim::U16),
            "u32" => prim(Prim::U32),
            "u64" => prim(Prim::U64),
            "i8" => prim(Prim::S8),
            "i16" => prim(Prim::S16),
            "i32" => prim(Prim::S32),
            "i64" => prim(Prim::S64),
            "f32" => prim(Prim::F32),
            "f64" => prim(Prim::F64),
            "char" => prim(Prim::Char),
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
                let shape = match name.as_str() {
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
                let side = |this: &mut Self, t: &syn::Type| -> Result<Option<Box<Ty>>, WitgenError> {
                    match t {
                        syn::Type::Tuple(t) if t.elems.is_empty() => Ok(None),
                        t => Ok(Some(Box::new(this.ty(inner, t)?))),
                    }
                };
                let ok = side(self, type_args[0])?;
                let err = side(self, type_args[1])?;
                Ok(Ty::Result(ok, err))
            }
            "Box" | "Rc" | "Arc" => {
                arity(1, self)?;
                let wrapper = match name.as_str() {
                    "Box" => Wrapper::Box,
                    "Rc" => Wrapper::Rc,
                    _ => Wrapper::Arc,
                };
                match (wrapper, type_args[0]) {
                    (Wrapper::Box, syn::Type::Path(s)) if s.path.is_ident("str") => {
                        Ok(Ty::String(StrShape::Boxed))
                    }
                    (Wrapper::Box, syn::Type::Slice(s)) => {
                        Ok(Ty::List(Box::new(self.ty(inner, &s.elem)?), ListShape::Boxed))
                    }
                    (_, t) => {
                        let t = self.ty(inner, t)?;
                        if matches!(t, Ty::Own(_) | Ty::Borrow(_)) {
                            return Err(self.err(file, last.span(), "resources cannot be boxed"));
                        }
                        Ok(Ty::Wrapped(Box::new(t), wrapper))
                    }
                }
            }
            _ => {
                if !args.is_empty() {
                    return Err(self.err(
                        file,
                        last.arguments.span(),
                        "generic types have no WIT equivalent; use a concrete type",
                    ));
                }
                self.named(ctx, &name, p.span())
            }
        }
    }

    /// The target of the crate's generic type alias `name` with `args` substituted for its
    /// parameters, if there is exactly one such alias with that many parameters.
    fn expand_generic_alias(&self, name: &str, args: &[&syn::Type]) -> Option<syn::Type> {
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
    fn named(&mut self, ctx: Ctx, name: &str, span: Span) -> Result<Ty, WitgenError> {
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
    fn define(
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

    fn fields(
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

    /// Names that must be unique in WIT: interfaces in the package; types, functions and
    /// resources in an interface; cases; parameters; resource functions.
    fn check_collisions(&self) -> Result<(), WitgenError> {
        let fail = |a: &str, b: &str, wit: &str| {
            Err(WitgenError::Other(format!(
                "{}: {}",
                self.files[0],
                collision(a, b, wit)
            )))
        };
        let mut interfaces = HashMap::new();
        for i in &self.pkg.interfaces {
            if [super::print::EXPORTER_WORLD, super::print::IMPORTER_WORLD]
                .contains(&i.wit_name.as_str())
            {
                let message = format!(
                    "trait `{}` would be interface `{}`, which is the name of one of the package's \
                     worlds (`exporter`, `importer`); rename the trait",
                    i.rust_name, i.wit_name
                );
                return Err(self.located(&i.rust_name, message));
            }
            if let Some(other) = interfaces.insert(&i.wit_name, &i.rust_name) {
                return self.located_collision(other, &i.rust_name, &i.wit_name);
            }
        }
        // Types are named across the package (a `use` brings one into another interface).
        let mut types: HashMap<&String, &String> = HashMap::new();
        for t in &self.pkg.types {
            let rust = if t.rust_name.is_empty() {
                &t.wit_name
            } else {
                &t.rust_name
            };
            if let Some(other) = types.insert(&t.wit_name, rust) {
                return self.located_collision(other, rust, &t.wit_name);
            }
        }
        for (index, iface) in self.pkg.interfaces.iter().enumerate() {
            let mut names: HashMap<&String, &String> = HashMap::new();
            for t in self.pkg.types.iter().filter(|t| t.interface == index) {
                let rust = if t.rust_name.is_empty() {
                    &t.wit_name
                } else {
                    &t.rust_name
                };
                names.insert(&t.wit_name, rust);
            }
            for r in self.pkg.resources.iter().filter(|r| r.interface == index) {
                if let Some(other) = names.insert(&r.wit_name, &r.rust_name) {
                    return self.located_collision(other, &r.rust_name, &r.wit_name);
                }
                let mut funcs = HashMap::new();
                for f in &r.funcs {
                    if let Some(other) = funcs.insert(&f.wit_name, &f.rust_name) {
                        return self.located_collision(other, &f.rust_name, &f.wit_name);
                    }
                    check_params(f).map_or(Ok(()), |(a, b)| fail(&a, &a, &b))?;
                }
            }
            for f in &iface.funcs {
                if let Some(other) = names.insert(&f.wit_name, &f.rust_name) {
                    return self.located_collision(other, &f.rust_name, &f.wit_name);
                }
                check_params(f).map_or(Ok(()), |(a, b)| fail(&a, &a, &b))?;
            }
        }
        for t in &self.pkg.types {
            let cases: Vec<(&String, &String)> = match &t.kind {
                TypeKind::Enum(c) | TypeKind::Flags(c) => {
                    c.iter().map(|c| (&c.wit_name, &c.rust_name)).collect()
                }
                TypeKind::Variant(c) => c.iter().map(|c| (&c.wit_name, &c.rust_name)).collect(),
                _ => continue,
            };
            let mut seen = HashMap::new();
            for (wit, rust) in cases {
                if let Some(other) = seen.insert(wit, rust) {
                    return self.located_collision(other, rust, wit);
                }
            }
        }
        Ok(())
    }

    /// A collision error at the second of two Rust names.
    fn located_collision(&self, first: &str, second: &str, wit: &str) -> Result<(), WitgenError> {
        Err(self.located(second, collision(first, second, wit)))
    }

    /// An error at the first place identifier `name` appears in the crate.
    fn located(&self, name: &str, message: String) -> WitgenError {
        for found in &self.found {
            let mut at = None;
            find_ident(&found.item, name, &mut at);
            if let Some(span) = at {
                return self.err(found.file, span, message);
            }
        }
        WitgenError::Other(format!("{}: {message}", self.files[0]))
    }
}

fn collision(first: &str, second: &str, wit: &str) -> String {
    if first == second {
        format!("`{second}` is defined twice in WIT as `{wit}`; rename one")
    } else {
        format!("`{first}` and `{second}` both become `{wit}` in WIT; rename one")
    }
}

fn check_params(f: &Func) -> Option<(String, String)> {
    let mut seen = HashSet::new();
    for p in &f.params {
        if !seen.insert(&p.wit_name) {
            return Some((p.wit_name.clone(), p.wit_name.clone()));
        }
    }
    None
}

/// The span of the first identifier `name` in an item.
fn find_ident(item: &syn::Item, name: &str, at: &mut Option<Span>) {
    fn visit_tokens(tokens: proc_macro2::TokenStream, name: &str, at: &mut Option<Span>) {
        for token in tokens {
            match token {
                proc_macro2::TokenTree::Ident(i) if i.unraw() == name && at.is_none() => {
                    *at = Some(i.span());
                }
                proc_macro2::TokenTree::Group(g) => visit_tokens(g.stream(), name, at),
                _ => {}
            }
        }
    }
    visit_tokens(item.to_token_stream(), name, at);
}

/// Replaces the single-segment paths naming `params` in `ty` with `args`.
fn substitute(ty: &mut syn::Type, params: &[String], args: &[&syn::Type]) {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => {
            if p.path.segments.len() == 1 && p.path.segments[0].arguments.is_empty() {
                let ident = p.path.segments[0].ident.to_string();
                if let Some(i) = params.iter().position(|param| *param == ident) {
                    *ty = args[i].clone();
                    return;
                }
            }
            for segment in p.path.segments.iter_mut() {
                if let syn::PathArguments::AngleBracketed(a) = &mut segment.arguments {
                    for arg in a.args.iter_mut() {
                        if let syn::GenericArgument::Type(t) = arg {
                            substitute(t, params, args);
                        }
                    }
                }
            }
        }
        syn::Type::Reference(r) => substitute(&mut r.elem, params, args),
        syn::Type::Slice(s) => substitute(&mut s.elem, params, args),
        syn::Type::Array(a) => substitute(&mut a.elem, params, args),
        syn::Type::Paren(p) => substitute(&mut p.elem, params, args),
        syn::Type::Group(g) => substitute(&mut g.elem, params, args),
        syn::Type::Tuple(t) => t.elems.iter_mut().for_each(|e| substitute(e, params, args)),
        _ => {}
    }
}

/// The trait named by an associated type's first bound (`type R: Resource;` → `Resource`).
fn trait_bound_name(ty: &syn::TraitItemType) -> Option<String> {
    ty.bounds.iter().find_map(|b| match b {
        syn::TypeParamBound::Trait(t) => {
            t.path.segments.last().map(|s| s.ident.unraw().to_string())
        }
        _ => None,
    })
}

fn is_self(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("Self"))
}

/// The file `mod name;` refers to, from `dir` (honouring `#[path]`).
fn module_file(m: &syn::ItemMod, dir: &Path) -> Option<PathBuf> {
    for attr in &m.attrs {
        if attr.path().is_ident("path") {
            if let syn::Meta::NameValue(nv) = &attr.meta {
                if let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) = &nv.value
                {
                    return Some(dir.join(s.value()));
                }
            }
        }
    }
    let name = m.ident.unraw().to_string();
    [
        dir.join(format!("{name}.rs")),
        dir.join(&name).join("mod.rs"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}
