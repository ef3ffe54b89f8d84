//! The import side: client types implementing the user's traits by calling the imports.

use super::*;

impl Cx<'_> {
    /// Client side: a `TraitClient` per interface and a `ResourceClient` per resource, each
    /// implementing the user's trait by calling the imports.
    pub(super) fn clients(&self) -> String {
        let pkg = self.pkg;
        let mut s = String::new();
        for (ri, r) in pkg.resources.iter().enumerate() {
            let wrapper = self.resource_wrapper(ri);
            let _ = writeln!(
                s,
                "    /// A `{}` resource of the imported interface.",
                r.rust_name
            );
            let _ = writeln!(
                s,
                "    #[derive(Debug)]\n    pub struct {wrapper}(pub {});\n",
                self.b_resource(ri)
            );
        }
        for (ii, iface) in pkg.interfaces.iter().enumerate() {
            let client = format!("{}Client", iface.rust_name);
            let _ = writeln!(
                s,
                "    /// Calls `{}:{}/{}` through the component's imports.",
                pkg.namespace, pkg.name, iface.wit_name
            );
            let _ = writeln!(
                s,
                "    #[derive(Debug, Clone, Copy, Default)]\n    pub struct {client};\n"
            );
            let _ = writeln!(
                s,
                "    impl {} for {client} {{",
                self.user_path(&iface.rust_path)
            );
            let user_res = |r: usize| -> String {
                iface
                    .resources
                    .iter()
                    .find(|(_, rr)| *rr == r)
                    .map(|(a, _)| format!("Self::{a}"))
                    .unwrap_or_else(|| self.resource_wrapper(r))
            };
            for (assoc, r) in &iface.resources {
                let _ = writeln!(s, "        type {assoc} = {};", self.resource_wrapper(*r));
            }
            for f in &iface.funcs {
                let callee = format!("{}::{}", self.b_iface(ii), bindgen_ident(&f.wit_name));
                s.push_str(&self.client_fn(f, &callee, f.method, false, &user_res));
            }
            s.push_str("    }\n\n");
        }
        for (ri, r) in pkg.resources.iter().enumerate() {
            let wrapper = self.resource_wrapper(ri);
            let _ = writeln!(
                s,
                "    impl {} for {wrapper} {{",
                self.user_path(&r.rust_path)
            );
            let user_res = |_: usize| "Self".to_string();
            let b = self.b_resource(ri);
            if let Some(c) = &r.constructor {
                s.push_str(&self.client_fn(c, &format!("{b}::new"), false, true, &user_res));
            }
            for f in &r.funcs {
                let callee = if f.method {
                    format!("self.0.{}", bindgen_ident(&f.wit_name))
                } else {
                    format!("{b}::{}", bindgen_ident(&f.wit_name))
                };
                s.push_str(&self.client_fn(f, &callee, f.method, false, &user_res));
            }
            s.push_str("    }\n\n");
        }
        s
    }

    pub(super) fn client_fn(
        &self,
        f: &Func,
        callee: &str,
        method: bool,
        constructor: bool,
        user_res: &dyn Fn(usize) -> String,
    ) -> String {
        let mut params = Vec::new();
        if method {
            params.push("&self".to_string());
        }
        let mut lets = Vec::new();
        let mut args = Vec::new();
        for (i, p) in f.params.iter().enumerate() {
            params.push(format!("arg{i}: {}", self.u_ty(&p.ty, user_res)));
            let value = self.user_to_bindings(&format!("arg{i}"), &p.ty, 0, &|e, _| match p
                .ty
                .unwrapped()
            {
                Ty::Borrow(_) => format!("&{e}.0"),
                _ => format!("{e}.0"),
            });
            lets.push(format!("let p{i} = {value};"));
            args.push(self.lend_import(&format!("p{i}"), &p.ty));
        }
        let call = format!("{callee}({})", args.join(", "));
        let wrap_handle = |e: &str, r: usize| format!("{}({e})", self.resource_wrapper(r));
        let (ret, body) = if constructor {
            ("Self".to_string(), format!("Self({call})"))
        } else {
            match &f.result {
                None => (String::new(), format!("{call};")),
                Some(t) => (
                    self.u_ty(t, user_res),
                    self.bindings_to_user(&call, t, 0, &wrap_handle),
                ),
            }
        };
        let arrow = if ret.is_empty() {
            String::new()
        } else {
            format!(" -> {ret}")
        };
        format!(
            "        fn {}({}){arrow} {{\n            {}\n            {body}\n        }}\n",
            rust_ident(&f.rust_name),
            params.join(", "),
            lets.join("\n            ")
        )
    }
}
