//! The export side: an `Exporter<T>` implementing each `Guest` trait by calling the
//! user's implementation.

use super::*;

impl Cx<'_> {
    /// Export side: `Exporter<T>` implementing each interface's `Guest` trait by calling
    /// the user's trait on `T`, resource wrappers, and the `export!` macro.
    pub(super) fn exporter(&self, module_name: &str) -> String {
        let pkg = self.pkg;
        let mut s = String::new();
        s.push_str(
            "    /// Calls your implementation `T` of the traits for each exported function.\n",
        );
        s.push_str("    pub struct Exporter<T>(::core::marker::PhantomData<T>);\n\n");
        for (ri, r) in pkg.resources.iter().enumerate() {
            let wrapper = self.resource_wrapper(ri);
            let _ = writeln!(
                s,
                "    /// Holds your implementation of `{}` behind the resource handle.",
                r.rust_name
            );
            let _ = writeln!(s, "    pub struct {wrapper}<R>(pub R);\n");
        }
        for (ii, iface) in pkg.interfaces.iter().enumerate() {
            let trait_path = self.user_path(&iface.rust_path);
            let bounds: Vec<String> = pkg
                .interfaces
                .iter()
                .map(|i| self.user_path(&i.rust_path))
                .collect();
            let _ = writeln!(
                s,
                "    impl<T: {} + Default + 'static> {}::Guest for Exporter<T> {{",
                bounds.join(" + "),
                self.b_iface(ii)
            );
            // The user's resource type for resource `r`, seen from this impl.
            let user_res = |r: usize| -> String {
                let (iface_index, assoc) = pkg
                    .interfaces
                    .iter()
                    .enumerate()
                    .find_map(|(i, x)| {
                        x.resources
                            .iter()
                            .find(|(_, rr)| *rr == r)
                            .map(|(a, _)| (i, a.clone()))
                    })
                    .unwrap_or((ii, String::new()));
                format!(
                    "<T as {}>::{assoc}",
                    self.user_path(&pkg.interfaces[iface_index].rust_path)
                )
            };
            for (assoc, r) in &iface.resources {
                let _ = writeln!(
                    s,
                    "        type {} = {}<{}>;",
                    bindgen_type(&pkg.resources[*r].wit_name),
                    self.resource_wrapper(*r),
                    format_args!("<T as {trait_path}>::{assoc}")
                );
            }
            for f in &iface.funcs {
                let call_target = if f.method {
                    Some("super::instance::<T>()".to_string())
                } else {
                    None
                };
                s.push_str(&self.export_fn(
                    f,
                    &format!("<T as {trait_path}>"),
                    call_target,
                    false,
                    &user_res,
                ));
            }
            s.push_str("    }\n\n");
        }
        for (ri, r) in pkg.resources.iter().enumerate() {
            let wrapper = self.resource_wrapper(ri);
            let trait_path = self.user_path(&r.rust_path);
            let _ = writeln!(
                s,
                "    impl<R: {trait_path} + 'static> {}::Guest{} for {wrapper}<R> {{",
                self.b_iface(r.interface),
                bindgen_type(&r.wit_name)
            );
            let user_res = |_: usize| "R".to_string();
            if let Some(c) = &r.constructor {
                s.push_str(&self.export_fn(
                    c,
                    &format!("<R as {trait_path}>"),
                    None,
                    true,
                    &user_res,
                ));
            }
            for f in &r.funcs {
                let target = if f.method {
                    Some("&self.0".to_string())
                } else {
                    None
                };
                s.push_str(&self.export_fn(
                    f,
                    &format!("<R as {trait_path}>"),
                    target,
                    false,
                    &user_res,
                ));
            }
            s.push_str("    }\n\n");
        }
        let _ = writeln!(
            s,
            "    /// Exports `$t` as this component's implementation of `{}`: `$t` implements the\n    \
             /// traits of `{}` (and `Default`: exported functions run on one instance of it).",
            pkg.id(),
            module_name
        );
        let _ = writeln!(s, "    macro_rules! __export_{module_name} {{");
        s.push_str("        ($t:ty) => {\n            const _: () = {\n");
        let _ = writeln!(
            s,
            "                type Exporter = $crate::{GLUE_MODULE}::{module_name}::Exporter<$t>;"
        );
        let _ = writeln!(
            s,
            "                $crate::{GLUE_MODULE}::{module_name}::bindings::export!(Exporter with_types_in $crate::{GLUE_MODULE}::{module_name}::bindings);"
        );
        s.push_str("            };\n        };\n    }\n");
        let _ = writeln!(s, "    pub(crate) use __export_{module_name} as export;");
        s
    }

    /// One function of a `Guest` trait. `owner` is `<T as Trait>`; `target` the receiver
    /// expression for methods.
    pub(super) fn export_fn(
        &self,
        f: &Func,
        owner: &str,
        target: Option<String>,
        constructor: bool,
        user_res: &dyn Fn(usize) -> String,
    ) -> String {
        let mut params = Vec::new();
        let mut lets = Vec::new();
        let mut args = Vec::new();
        if let Some(t) = &target {
            args.push(t.clone());
        }
        for (i, p) in f.params.iter().enumerate() {
            params.push(format!("arg{i}: {}", self.b_ty(&p.ty)));
            if let Ty::Borrow(r) = p.ty.unwrapped() {
                // A borrowed handle lends the user's value it wraps.
                let wrapper = format!("{}<{}>", self.resource_wrapper(*r), user_res(*r));
                lets.push(format!("let p{i} = &arg{i}.get::<{wrapper}>().0;"));
                args.push(format!("p{i}"));
                continue;
            }
            let value = self.bindings_to_user(&format!("arg{i}"), &p.ty, 0, &|e, r| {
                format!(
                    "{e}.into_inner::<{}<{}>>().0",
                    self.resource_wrapper(r),
                    user_res(r)
                )
            });
            lets.push(format!("let p{i} = {value};"));
            args.push(self.lend_user(&format!("p{i}"), &p.ty));
        }
        let receiver = if target.as_deref() == Some("&self.0") {
            "&self, "
        } else {
            ""
        };
        let name = if constructor {
            "new".to_string()
        } else {
            bindgen_ident(&f.wit_name)
        };
        let call = format!("{owner}::{}({})", rust_ident(&f.rust_name), args.join(", "));
        let (ret, body) = if constructor {
            ("Self".to_string(), format!("Self({call})"))
        } else {
            match &f.result {
                None => (String::new(), format!("{call};")),
                Some(t) => (
                    self.b_ty(t),
                    self.user_to_bindings(&call, t, 0, &|e, r| {
                        format!(
                            "{}::new({}({e}))",
                            self.b_resource(r),
                            self.resource_wrapper(r)
                        )
                    }),
                ),
            }
        };
        let arrow = if ret.is_empty() {
            String::new()
        } else {
            format!(" -> {ret}")
        };
        format!(
            "        fn {name}({receiver}{}){arrow} {{\n            {}\n            {body}\n        }}\n",
            params.join(", "),
            lets.join("\n            ")
        )
    }
}
