//! Conversions between the user's types and wit-bindgen's, both ways, and the borrowing
//! rules of import parameters.

use super::*;

impl Cx<'_> {
    /// Converts user value `e` (owned, or a reference for `&` shapes) to the bindings side.
    /// `res` renders the expression turning a user resource into a bindings one.
    pub(super) fn user_to_bindings(
        &self,
        e: &str,
        ty: &Ty,
        depth: usize,
        res: &dyn Fn(&str, usize) -> String,
    ) -> String {
        self.convert(Direction::ToBindings, e, ty, depth, res)
    }

    /// Converts bindings value `e` (owned) to the user's type; `&` shapes come out owned,
    /// for the caller to lend.
    pub(super) fn bindings_to_user(
        &self,
        e: &str,
        ty: &Ty,
        depth: usize,
        res: &dyn Fn(&str, usize) -> String,
    ) -> String {
        self.convert(Direction::ToUser, e, ty, depth, res)
    }

    /// The expression converting `e` of type `ty` one way or the other. Containers map
    /// their items; named types go through their `From` impls.
    pub(super) fn convert(
        &self,
        dir: Direction,
        e: &str,
        ty: &Ty,
        depth: usize,
        res: &dyn Fn(&str, usize) -> String,
    ) -> String {
        if self.same(ty) {
            return e.to_string();
        }
        let to_b = dir == Direction::ToBindings;
        let x = format!("x{depth}");
        let d = depth + 1;
        let item = |x: &str, t: &Ty| self.convert(dir, x, t, d, res);
        let map_if = |t: &Ty| {
            if self.same(t) {
                String::new()
            } else {
                format!(".map(|{x}| {})", item(&x, t))
            }
        };
        match ty {
            // wRPC's bytes: through a Vec<u8> of the user's shape.
            Ty::List(t, shape) if self.is_bytes(t) => {
                let plain = Cx {
                    wrpc: false,
                    user: self.user.clone(),
                    ..*self
                };
                if to_b {
                    let vec = plain.convert(dir, e, ty, depth, res);
                    format!("{BYTES}::from({vec})")
                } else if *shape == ListShape::Vec {
                    format!("{e}.to_vec()")
                } else {
                    plain.convert(dir, &format!("{e}.to_vec()"), ty, depth, res)
                }
            }
            Ty::Prim(_) => e.to_string(),
            Ty::String(_) if to_b => format!("::std::string::String::from({e})"),
            Ty::String(StrShape::Boxed) => format!("{e}.into_boxed_str()"),
            Ty::String(_) => e.to_string(),
            Ty::List(t, shape) => {
                let iter = match shape {
                    ListShape::Slice if to_b => format!("{e}.iter().cloned()"),
                    ListShape::Boxed if to_b => format!("{e}.into_vec().into_iter()"),
                    _ => format!("{e}.into_iter()"),
                };
                let map = map_if(t);
                let collection = match shape {
                    _ if to_b => "::std::vec::Vec<_>",
                    ListShape::Vec | ListShape::Slice => "::std::vec::Vec<_>",
                    ListShape::Boxed => "::std::boxed::Box<[_]>",
                    ListShape::VecDeque => "::std::collections::VecDeque<_>",
                    ListShape::HashSet => "::std::collections::HashSet<_>",
                    ListShape::BTreeSet => "::std::collections::BTreeSet<_>",
                    ListShape::Array(_) => {
                        return format!(
                            "{{ let v: ::std::vec::Vec<_> = {iter}{map}.collect(); \
                             let n = v.len(); match v.try_into() {{ Ok(a) => a, Err(_) => \
                             panic!(\"a list of the wrong length ({{n}} items) for an array\") }} }}"
                        )
                    }
                };
                format!("{iter}{map}.collect::<{collection}>()")
            }
            Ty::Map(k, v, shape) => {
                let (kx, vx) = (format!("k{depth}"), format!("v{depth}"));
                let collection = match shape {
                    _ if to_b => "::std::vec::Vec<_>",
                    MapShape::HashMap => "::std::collections::HashMap<_, _>",
                    MapShape::BTreeMap => "::std::collections::BTreeMap<_, _>",
                };
                format!(
                    "{e}.into_iter().map(|({kx}, {vx})| ({}, {})).collect::<{collection}>()",
                    item(&kx, k),
                    item(&vx, v)
                )
            }
            Ty::Option(t) => format!("{e}{}", map_if(t)),
            Ty::Result(ok, err) => {
                let mut s = e.to_string();
                if let Some(t) = ok {
                    s.push_str(&map_if(t));
                }
                if let Some(t) = err.as_ref().filter(|t| !self.same(t)) {
                    let _ = write!(s, ".map_err(|{x}| {})", item(&x, t));
                }
                s
            }
            Ty::Tuple(ts) => {
                let names: Vec<String> = (0..ts.len()).map(|i| format!("{x}_{i}")).collect();
                let parts = ts.iter().zip(&names).map(|(t, n)| item(n, t));
                format!(
                    "{{ let {} = {e}; {} }}",
                    tuple_expr(names.iter().cloned()),
                    tuple_expr(parts)
                )
            }
            Ty::Named(i) => match &self.pkg.types[*i].kind {
                TypeKind::Alias(t) => self.convert(dir, e, t, depth, res),
                TypeKind::Newtype(t) if to_b => self.convert(dir, &format!("{e}.0"), t, depth, res),
                TypeKind::Newtype(t) => {
                    format!(
                        "{}({})",
                        self.user_type(*i),
                        self.convert(dir, e, t, depth, res)
                    )
                }
                _ if to_b => format!("{}::from({e})", self.b_type(*i)),
                _ => format!("{}::from({e})", self.user_type(*i)),
            },
            Ty::Own(r) | Ty::Borrow(r) => res(e, *r),
            Ty::Wrapped(t, w) if to_b => {
                let inner = match w {
                    Wrapper::Box => format!("(*{e})"),
                    _ if matches!(t.unwrapped(), Ty::Prim(_)) => format!("(*{e})"),
                    _ => format!("({e}).clone()"),
                };
                self.convert(dir, &inner, t, depth, res)
            }
            Ty::Wrapped(t, w) => {
                let inner = self.convert(dir, e, t, depth, res);
                match w {
                    Wrapper::Box => format!("::std::boxed::Box::new({inner})"),
                    Wrapper::Rc => format!("::std::rc::Rc::new({inner})"),
                    Wrapper::Arc => format!("::std::sync::Arc::new({inner})"),
                    Wrapper::Ref => inner,
                }
            }
        }
    }

    /// How a user parameter of type `ty` is passed once converted to an owned local `v`:
    /// by reference for `&` shapes.
    pub(super) fn lend_user(&self, v: &str, ty: &Ty) -> String {
        match ty {
            Ty::String(StrShape::Ref)
            | Ty::List(_, ListShape::Slice)
            | Ty::Wrapped(_, Wrapper::Ref) => {
                format!("&{v}")
            }
            _ => v.to_string(),
        }
    }

    /// How an imported function takes the owned bindings value `v`, following wit-bindgen:
    /// owned unless the value holds a list or string (and no owned handle), in which case
    /// the top is borrowed.
    pub(super) fn lend_import(&self, v: &str, ty: &Ty) -> String {
        let info = self.pkg.info(ty);
        if matches!(ty.unwrapped(), Ty::Borrow(_)) {
            return v.to_string();
        }
        if !info.has_borrow && (info.has_own || !info.has_list) {
            return v.to_string();
        }
        match ty.unwrapped() {
            Ty::String(_) | Ty::List(..) | Ty::Map(..) | Ty::Named(_) => format!("&{v}"),
            Ty::Option(t) => format!("{v}.as_ref().map(|y| {})", self.lend_in("y", t, 1)),
            Ty::Result(ok, err) => format!(
                "match &{v} {{ Ok(y) => Ok({}), Err(y) => Err({}) }}",
                ok.as_ref().map_or("()".into(), |t| self.lend_in("y", t, 1)),
                err.as_ref()
                    .map_or("()".into(), |t| self.lend_in("y", t, 1))
            ),
            Ty::Tuple(ts) => tuple_expr(
                ts.iter()
                    .enumerate()
                    .map(|(i, t)| self.lend_in(&format!("(&{v}.{i})"), t, 1)),
            ),
            _ => v.to_string(),
        }
    }

    /// A part of a top-borrowed parameter, from reference `x`.
    pub(super) fn lend_in(&self, x: &str, ty: &Ty, depth: usize) -> String {
        let y = format!("y{depth}");
        match self.dealias(ty) {
            Ty::String(_) => format!("{x}.as_str()"),
            Ty::List(..) | Ty::Map(..) => format!("{x}.as_slice()"),
            Ty::Prim(_) | Ty::Borrow(_) => format!("*{x}"),
            Ty::Named(_) => x.to_string(),
            Ty::Option(t) => format!("{x}.as_ref().map(|{y}| {})", self.lend_in(&y, t, depth + 1)),
            Ty::Result(ok, err) => format!(
                "match {x} {{ Ok({y}) => Ok({}), Err({y}) => Err({}) }}",
                ok.as_ref()
                    .map_or("()".into(), |t| self.lend_in(&y, t, depth + 1)),
                err.as_ref()
                    .map_or("()".into(), |t| self.lend_in(&y, t, depth + 1))
            ),
            Ty::Tuple(ts) => tuple_expr(
                ts.iter()
                    .enumerate()
                    .map(|(i, t)| self.lend_in(&format!("(&{x}.{i})"), t, depth + 1)),
            ),
            Ty::Own(_) | Ty::Wrapped(..) => x.to_string(),
        }
    }

    /// A type with aliases to strings and lists seen through, as wit-bindgen borrows them.
    pub(super) fn dealias<'t>(&'t self, ty: &'t Ty) -> &'t Ty {
        match ty.unwrapped() {
            Ty::Named(i) => match &self.pkg.types[*i].kind {
                TypeKind::Alias(t) | TypeKind::Newtype(t) => match self.dealias(t) {
                    t @ (Ty::String(_) | Ty::List(..) | Ty::Map(..)) => t,
                    _ => ty.unwrapped(),
                },
                _ => ty.unwrapped(),
            },
            other => other,
        }
    }

    /// `From` impls both ways between a user type and its bindings type.
    pub(super) fn conversions(&self, index: usize) -> String {
        let t = &self.pkg.types[index];
        if t.rust_path.is_empty() {
            return String::new(); // records made up for variant cases: converted inline
        }
        let no_res = |_: &str, _: usize| String::from("unreachable!(\"resources are not fields\")");
        let b = self.b_type(index);
        let u = self.user_type(index);
        let (to_b, from_b);
        match &t.kind {
            TypeKind::Alias(_) | TypeKind::Newtype(_) => return String::new(),
            TypeKind::Record(fields) => {
                let conv = |dir_to_b: bool| {
                    fields
                        .iter()
                        .map(|f| {
                            let (ui, bi) = (rust_ident(&f.rust_name), bindgen_ident(&f.wit_name));
                            if dir_to_b {
                                format!(
                                    "{bi}: {}",
                                    self.user_to_bindings(&format!("v.{ui}"), &f.ty, 0, &no_res)
                                )
                            } else {
                                format!(
                                    "{ui}: {}",
                                    self.bindings_to_user(&format!("v.{bi}"), &f.ty, 0, &no_res)
                                )
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                to_b = format!("Self {{ {} }}", conv(true));
                from_b = format!("Self {{ {} }}", conv(false));
            }
            TypeKind::Enum(cases) => {
                let arms = |from: &str, to: &str, user_first: bool| {
                    cases
                        .iter()
                        .map(|c| {
                            let (u, b) = (rust_ident(&c.rust_name), bindgen_type(&c.wit_name));
                            if user_first {
                                format!("{from}::{u} => {to}::{b},")
                            } else {
                                format!("{from}::{b} => {to}::{u},")
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                to_b = format!("match v {{ {} }}", arms(&u, "Self", true));
                from_b = format!("match v {{ {} }}", arms(&b, "Self", false));
            }
            TypeKind::Flags(cases) => {
                let sets = |from: &str, to: &str, user_first: bool| {
                    cases
                        .iter()
                        .map(|c| {
                            let (u, b) = (rust_ident(&c.rust_name), bindgen_flag(&c.wit_name));
                            let (f, t) = if user_first { (u, b) } else { (b, u) };
                            format!("if v.contains({from}::{f}) {{ out |= {to}::{t}; }}")
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                to_b = format!(
                    "let mut out = Self::empty(); {} out",
                    sets(&u, "Self", true)
                );
                from_b = format!(
                    "let mut out = Self::empty(); {} out",
                    sets(&b, "Self", false)
                );
            }
            TypeKind::Variant(cases) => {
                let mut to_arms = Vec::new();
                let mut from_arms = Vec::new();
                for c in cases {
                    let (uc, bc) = (rust_ident(&c.rust_name), bindgen_type(&c.wit_name));
                    match &c.payload {
                        Payload::None => {
                            to_arms.push(format!("{u}::{uc} => Self::{bc},"));
                            from_arms.push(format!("{b}::{bc} => Self::{uc},"));
                        }
                        Payload::One(ty) => {
                            to_arms.push(format!(
                                "{u}::{uc}(x) => Self::{bc}({}),",
                                self.user_to_bindings("x", ty, 1, &no_res)
                            ));
                            from_arms.push(format!(
                                "{b}::{bc}(x) => Self::{uc}({}),",
                                self.bindings_to_user("x", ty, 1, &no_res)
                            ));
                        }
                        Payload::Tuple(tys) => {
                            let names: Vec<String> =
                                (0..tys.len()).map(|i| format!("a{i}")).collect();
                            let to: Vec<String> = tys
                                .iter()
                                .zip(&names)
                                .map(|(t, n)| self.user_to_bindings(n, t, 1, &no_res))
                                .collect();
                            let from: Vec<String> = tys
                                .iter()
                                .zip(&names)
                                .map(|(t, n)| self.bindings_to_user(n, t, 1, &no_res))
                                .collect();
                            to_arms.push(format!(
                                "{u}::{uc}({}) => Self::{bc}({}),",
                                names.join(", "),
                                tuple_expr(to.into_iter())
                            ));
                            from_arms.push(format!(
                                "{b}::{bc}({}) => Self::{uc}({}),",
                                tuple_expr(names.iter().cloned()),
                                from.join(", ")
                            ));
                        }
                        Payload::Record(r) => {
                            let TypeKind::Record(fields) = &self.pkg.types[*r].kind else {
                                continue;
                            };
                            let rb = self.b_type(*r);
                            let uf: Vec<String> =
                                fields.iter().map(|f| rust_ident(&f.rust_name)).collect();
                            let to: Vec<String> = fields
                                .iter()
                                .zip(&uf)
                                .map(|(f, n)| {
                                    format!(
                                        "{}: {}",
                                        bindgen_ident(&f.wit_name),
                                        self.user_to_bindings(n, &f.ty, 1, &no_res)
                                    )
                                })
                                .collect();
                            let from: Vec<String> = fields
                                .iter()
                                .zip(&uf)
                                .map(|(f, n)| {
                                    format!(
                                        "{n}: {}",
                                        self.bindings_to_user(
                                            &format!("r.{}", bindgen_ident(&f.wit_name)),
                                            &f.ty,
                                            1,
                                            &no_res
                                        )
                                    )
                                })
                                .collect();
                            to_arms.push(format!(
                                "{u}::{uc} {{ {} }} => Self::{bc}({rb} {{ {} }}),",
                                uf.join(", "),
                                to.join(", ")
                            ));
                            from_arms.push(format!(
                                "{b}::{bc}(r) => Self::{uc} {{ {} }},",
                                from.join(", ")
                            ));
                        }
                    }
                }
                to_b = format!("match v {{ {} }}", to_arms.join(" "));
                from_b = format!("match v {{ {} }}", from_arms.join(" "));
            }
        }
        format!(
            "    impl From<{u}> for {b} {{\n        fn from(v: {u}) -> Self {{ {to_b} }}\n    }}\n\
             \x20   impl From<{b}> for {u} {{\n        fn from(v: {b}) -> Self {{ {from_b} }}\n    }}\n\n"
        )
    }
}
