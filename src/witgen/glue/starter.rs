//! The starting `src/lib.rs` that `new actor --implements` writes for the user to fill in:
//! a type per trait with every method present, its body a `todo!` naming the method (user
//! code that compiles at once; nothing of cargo-wasmcloud's own is left unfinished).

use super::*;

/// What the generated starter methods call until the user writes them: they compile, and
/// panic with the method's name if called.
const STARTER_MACRO: &str = "todo";

/// The `src/lib.rs` of a new actor implementing `pkg`: a type per trait with every method
/// present for the user to write, and the export line.
pub fn starter_implementation(pkg: &Package, crate_ident: &str, description: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "//! {description}\n//!");
    let _ = writeln!(
        s,
        "//! Implements the `{crate_ident}` traits (WIT package `{}`). `cargo wasmcloud build`\n\
         //! generates the `{GLUE_MODULE}` module, which exports this implementation.\n",
        pkg.id()
    );
    let _ = writeln!(s, "mod {GLUE_MODULE};\n");
    s.push_str("/// Exported functions run on one instance of this type, made with `Default`.\n");
    s.push_str("#[derive(Default)]\npub struct Component;\n");
    s.push_str(&trait_impls(pkg, crate_ident, "Component"));
    let _ = writeln!(s, "\n{GLUE_MODULE}::{crate_ident}::export!(Component);");
    s
}

/// The `src/main.rs` of a new provider implementing `pkg` (which has no resources: provider
/// glue refuses them): the provider type with every trait method present for the user to
/// write, and `main` serving it.
pub fn starter_provider(pkg: &Package, crate_ident: &str, description: &str, name: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "//! {description}\n//!");
    let _ = writeln!(
        s,
        "//! A wasmCloud capability provider implementing the `{crate_ident}` traits (WIT package\n\
         //! `{}`). `cargo wasmcloud build` generates `{GLUE_MODULE}`, which serves this\n\
         //! implementation over wRPC to the components linked to the provider.\n",
        pkg.id()
    );
    let _ = writeln!(s, "mod {GLUE_MODULE};\n");
    s.push_str(
        "/// One value serves every call, concurrently: keep shared state behind a lock.\n\
         #[derive(Clone, Default)]\npub struct Server;\n\n\
         /// Link and configuration callbacks (all optional).\n\
         impl wasmcloud_provider_sdk::Provider for Server {}\n",
    );
    s.push_str(&trait_impls(pkg, crate_ident, "Server"));
    let _ = writeln!(
        s,
        "\n#[tokio::main]\nasync fn main() -> anyhow::Result<()> {{\n    \
         {GLUE_MODULE}::serve(Server, \"{name}\").await\n}}"
    );
    s
}

/// `impl Trait for TYPE` of each trait (and a type per resource), every method a `todo!`.
fn trait_impls(pkg: &Package, crate_ident: &str, type_name: &str) -> String {
    let cx = Cx {
        pkg,
        user: crate_ident.to_string(),
        role: Role::Implements,
        wrpc: false,
    };
    let tidy = |s: String| {
        s.replace("::std::string::String", "String")
            .replace("::std::vec::Vec", "Vec")
            .replace("::core::option::Option", "Option")
            .replace("::core::result::Result", "Result")
            .replace("::std::boxed::Box", "Box")
            .replace("::std::", "std::")
    };
    let mut s = String::new();
    let stub = |f: &Func, receiver: bool, resource: &dyn Fn(usize) -> String| {
        let mut params = Vec::new();
        if receiver {
            params.push("&self".to_string());
        }
        for p in &f.params {
            params.push(format!(
                "_{}: {}",
                bindgen_ident(&p.wit_name).trim_end_matches('_'),
                tidy(cx.u_ty(&p.ty, resource))
            ));
        }
        let ret = match &f.result {
            Some(t) => format!(" -> {}", tidy(cx.u_ty(t, resource))),
            None => String::new(),
        };
        format!(
            "    fn {}({}){ret} {{\n        {STARTER_MACRO}!(\"{}\")\n    }}\n",
            rust_ident(&f.rust_name),
            params.join(", "),
            f.rust_name
        )
    };
    for iface in &pkg.interfaces {
        let _ = writeln!(
            s,
            "\nimpl {} for {type_name} {{",
            cx.user_path(&iface.rust_path)
        );
        for (assoc, r) in &iface.resources {
            let _ = writeln!(s, "    type {assoc} = {}Impl;", pkg.resources[*r].rust_name);
        }
        let resource = |r: usize| {
            iface
                .resources
                .iter()
                .find(|(_, rr)| *rr == r)
                .map(|(a, _)| format!("Self::{a}"))
                .unwrap_or_else(|| format!("{}Impl", pkg.resources[r].rust_name))
        };
        let funcs: Vec<String> = iface
            .funcs
            .iter()
            .map(|f| stub(f, f.method, &resource))
            .collect();
        if !iface.resources.is_empty() && !funcs.is_empty() {
            s.push('\n');
        }
        s.push_str(&funcs.join("\n"));
        s.push_str("}\n");
    }
    for r in &pkg.resources {
        let _ = writeln!(
            s,
            "\n/// The `{}` resource.\npub struct {}Impl;",
            r.rust_name, r.rust_name
        );
        let _ = writeln!(
            s,
            "\nimpl {} for {}Impl {{",
            cx.user_path(&r.rust_path),
            r.rust_name
        );
        let resource = |_: usize| "Self".to_string();
        let mut funcs = Vec::new();
        if let Some(c) = &r.constructor {
            let mut c = c.clone();
            c.result = Some(Ty::Own(0));
            funcs.push(stub(&c, false, &resource));
        }
        funcs.extend(r.funcs.iter().map(|f| stub(f, f.method, &resource)));
        s.push_str(&funcs.join("\n"));
        s.push_str("}\n");
    }
    s
}
