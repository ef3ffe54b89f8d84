//! Which traits of an interface crate a provider's own source implements, read with syn
//! before its glue is written: `serve` needs every one, and a missing impl would otherwise
//! surface as rustc errors inside the generated file.

use std::path::Path;

use super::glue::GLUE_MODULE;
use super::model::Package;
use crate::project::Project;

/// The traits of `pkg` with no `impl ...::Trait for ...` anywhere under the project's `src/`
/// (matched by the trait's name: the path it is written with is the user's choice). Files
/// that do not parse (or nest too deeply to) are skipped: rustc reports them better.
pub fn missing_impls(project: &Project, pkg: &Package) -> Vec<String> {
    let mut found = std::collections::BTreeSet::new();
    let mut macros = false;
    let src = project.dir().join("src");
    super::source::with_deep_stack(|| {
        visit_sources(&src, &mut |file| {
            macros |= collect_impls(file, &mut found);
        })
    });
    // An item-level macro may expand to the impls: then only rustc can tell.
    if macros {
        return Vec::new();
    }
    pkg.interfaces
        .iter()
        .map(|i| i.rust_name.clone())
        .filter(|name| !found.contains(name))
        .collect()
}

fn visit_sources(dir: &Path, each: &mut dyn FnMut(&syn::File)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            visit_sources(&path, each);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_stem().is_some_and(|s| s != GLUE_MODULE)
        {
            let parsed = std::fs::read_to_string(&path)
                .ok()
                .and_then(|text| super::source::parse_file(&text).ok());
            if let Some(file) = parsed {
                each(&file);
            }
        }
    }
}

/// The trait impls and item macros of one file, wherever they are: impls may sit in fn
/// bodies or in `const _: () = { ... };` blocks (a common pattern of derive output).
#[derive(Default)]
struct ImplFinder {
    traits: std::collections::BTreeSet<String>,
    /// A macro at item or statement position, which may expand to impls.
    macros: bool,
}

impl<'ast> syn::visit::Visit<'ast> for ImplFinder {
    fn visit_item_impl(&mut self, imp: &'ast syn::ItemImpl) {
        if only_in_tests(&imp.attrs) {
            return;
        }
        if let Some(last) = imp.trait_.as_ref().and_then(|(_, p, _)| p.segments.last()) {
            self.traits.insert(last.ident.to_string());
        }
        syn::visit::visit_item_impl(self, imp);
    }

    /// A test module's impls (mocks) are not in the build `serve` is compiled into.
    fn visit_item_mod(&mut self, module: &'ast syn::ItemMod) {
        if !only_in_tests(&module.attrs) {
            syn::visit::visit_item_mod(self, module);
        }
    }

    fn visit_item_fn(&mut self, function: &'ast syn::ItemFn) {
        if !only_in_tests(&function.attrs) {
            syn::visit::visit_item_fn(self, function);
        }
    }

    fn visit_item_macro(&mut self, _: &'ast syn::ItemMacro) {
        self.macros = true;
    }

    fn visit_stmt_macro(&mut self, _: &'ast syn::StmtMacro) {
        self.macros = true;
    }
}

/// `#[cfg(test)]` or `#[test]`: compiled only into the test build.
fn only_in_tests(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("test")
            || (attr.path().is_ident("cfg")
                && attr
                    .meta
                    .require_list()
                    .is_ok_and(|list| list.tokens.to_string() == "test"))
    })
}

/// Adds the names of the traits `file` implements; whether it has a macro that may add more.
fn collect_impls(file: &syn::File, found: &mut std::collections::BTreeSet<String>) -> bool {
    let mut finder = ImplFinder::default();
    syn::visit::Visit::visit_file(&mut finder, file);
    found.append(&mut finder.traits);
    finder.macros
}

#[cfg(test)]
mod tests {
    use super::*;

    fn impls_in(source: &str) -> (Vec<String>, bool) {
        let file = syn::parse_file(source).unwrap();
        let mut found = Default::default();
        let macros = collect_impls(&file, &mut found);
        (found.into_iter().collect(), macros)
    }

    #[test]
    fn impls_are_found_wherever_rust_allows_them() {
        let source = r#"
            impl api::Top for P {}
            impl P { fn inherent(&self) {} }
            mod inner { impl api::InModule for super::P {} }
            const _: () = { impl api::InConstBlock for P {} };
            fn setup() {
                struct Local;
                impl api::InFnBody for Local {}
                if true { impl api::InNestedBlock for Local {} }
            }
            impl Other for P { fn f(&self) { impl api::InMethod for P {} } }
        "#;
        let (traits, macros) = impls_in(source);
        assert_eq!(
            traits,
            [
                "InConstBlock",
                "InFnBody",
                "InMethod",
                "InModule",
                "InNestedBlock",
                "Other",
                "Top"
            ]
        );
        assert!(!macros);
    }

    #[test]
    fn impls_only_in_the_test_build_do_not_count() {
        let source = r#"
            #[cfg(test)]
            mod tests { impl api::Mocked for Fake {} }
            #[cfg(test)]
            impl api::TestOnly for P {}
            #[test]
            fn t() { impl api::InTestFn for P {} }
            #[cfg(not(test))]
            impl api::Real for P {}
            #[cfg(feature = "x")]
            mod featured { impl api::Featured for super::P {} }
        "#;
        assert_eq!(impls_in(source).0, ["Featured", "Real"]);
    }

    #[test]
    fn a_macro_at_item_or_statement_position_defers_to_rustc() {
        assert!(impls_in("make_impls!(P);").1);
        assert!(impls_in("fn f() { make_impls!(P); }").1);
        // A macro in expression position cannot expand to items.
        assert!(!impls_in("fn f() -> Vec<u8> { vec![1] }").1);
        assert!(!impls_in("impl api::Top for P {}").1);
    }
}
