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

mod collisions;
mod items;
mod types;

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

/// Scans the crate at `info.lib_path` into a package (on a thread with stack enough for
/// any source that `source::parse_file` accepts).
pub fn scan(info: &CrateInfo) -> Result<Package, WitgenError> {
    super::source::with_deep_stack(|| scan_here(info))
}

/// [`scan`] on the current thread, for callers already on a deep stack.
pub(super) fn scan_here(info: &CrateInfo) -> Result<Package, WitgenError> {
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
    let mut lines: Vec<String> = Vec::new();
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
                    let line = line.strip_prefix(' ').unwrap_or(line).trim_end();
                    lines.push(line.chars().map(printable_in_wit).collect());
                }
            }
        }
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// `c`, or U+FFFD where wit-parser refuses it even in a comment: control codes but tab,
/// bidirectional overrides (CVE-2021-42574) and the deprecated code points it lists.
/// (Found by the trait_scanner fuzz target: a doc comment with U+0001 made unparsable WIT.)
fn printable_in_wit(c: char) -> char {
    match c {
        '\t' => c,
        '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{149}'
        | '\u{673}'
        | '\u{f77}'
        | '\u{f79}'
        | '\u{17a3}'
        | '\u{17a4}'
        | '\u{17b4}'
        | '\u{17b5}' => char::REPLACEMENT_CHARACTER,
        c if c.is_control() => char::REPLACEMENT_CHARACTER,
        c => c,
    }
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
        let file = super::source::parse_file(&text)
            .map_err(|e| err_at(&self.files[file_index], e.span, e.message))?;
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
