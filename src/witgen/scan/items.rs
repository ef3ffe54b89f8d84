//! Traits into interfaces: functions, resources and their methods.

use super::*;

impl Scanner<'_> {
    pub(super) fn interface(&mut self, found: usize) -> Result<(), WitgenError> {
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
    pub(super) fn resource(&mut self, name: &str, iface: usize) -> Result<usize, WitgenError> {
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
    pub(super) fn resource_body(&mut self, resource: usize) -> Result<(), WitgenError> {
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

    pub(super) fn no_generics(
        &self,
        file: usize,
        generics: &syn::Generics,
    ) -> Result<(), WitgenError> {
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

    pub(super) fn func(
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
}
