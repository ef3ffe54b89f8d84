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
            macros |= collect_impls(&file.items, &mut found);
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

/// Collects the names of implemented traits; whether an item-level macro was seen.
fn collect_impls(items: &[syn::Item], found: &mut std::collections::BTreeSet<String>) -> bool {
    let mut macros = false;
    for item in items {
        match item {
            syn::Item::Impl(imp) => {
                if let Some((_, path, _)) = &imp.trait_ {
                    if let Some(last) = path.segments.last() {
                        found.insert(last.ident.to_string());
                    }
                }
            }
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    macros |= collect_impls(inner, found);
                }
            }
            syn::Item::Macro(_) => macros = true,
            _ => {}
        }
    }
    macros
}
